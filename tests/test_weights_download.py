"""``nst-teach weights --download``: fetched once, with progress, verified by the SHA-256 prefix
in the file name. A local HTTP server on 127.0.0.1 serves a tiny fake file; the URL and the
file name are monkeypatched, ``TORCH_HOME`` points at a temporary folder."""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
import torch

from nst_teach import cli, weights

PAYLOAD = b"not really VGG-19, but 56 bytes long for the test server"
PREFIX = hashlib.sha256(PAYLOAD).hexdigest()[:8]


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Handler.hits.append(self.path)
        if self.path != "/vgg.pth":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)  # read TORCH_HOME again
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_hash_prefix_and_verification(tmp_path: Path) -> None:
    assert weights.hash_prefix(weights.IMAGENET_FILENAME) == "dcbb9e9d"
    assert weights.IMAGENET_URL.endswith("/" + weights.IMAGENET_FILENAME)
    with pytest.raises(ValueError, match="no SHA-256 prefix"):
        weights.hash_prefix("vgg19.pth")
    good, bad = tmp_path / f"a-{PREFIX}.pth", tmp_path / "a-00000000.pth"
    good.write_bytes(PAYLOAD)
    bad.write_bytes(PAYLOAD)
    assert weights.sha256_of(good) == hashlib.sha256(PAYLOAD).hexdigest()
    assert weights.verify_weights_file(good) and not weights.verify_weights_file(bad)


def test_download_once_with_progress_then_verified(server, hub, monkeypatch, capsys) -> None:
    monkeypatch.setattr(weights, "IMAGENET_URL", f"{server}/vgg.pth")
    monkeypatch.setattr(weights, "IMAGENET_FILENAME", f"vgg19-{PREFIX}.pth")
    assert cli.main(["weights"]) == 1
    assert "missing" in capsys.readouterr().out
    assert cli.main(["weights", "--download"]) == 0
    out, err = capsys.readouterr()
    target = hub / f"vgg19-{PREFIX}.pth"
    assert target.read_bytes() == PAYLOAD
    assert out.strip() == f"downloaded: {target} (SHA-256 matches its name)"
    assert "100%" in err  # torch.hub's tqdm progress bar
    assert cli.main(["weights", "--download"]) == 0  # already there: checked, not fetched
    assert capsys.readouterr().out.startswith("verified:")
    assert _Handler.hits == ["/vgg.pth"]
    assert cli.main(["weights"]) == 0


def test_a_damaged_file_is_fetched_again(server, hub, monkeypatch, capsys) -> None:
    monkeypatch.setattr(weights, "IMAGENET_URL", f"{server}/vgg.pth")
    monkeypatch.setattr(weights, "IMAGENET_FILENAME", f"vgg19-{PREFIX}.pth")
    hub.mkdir(parents=True)
    (hub / f"vgg19-{PREFIX}.pth").write_bytes(b"truncated")
    assert cli.main(["weights"]) == 1
    assert "damaged" in capsys.readouterr().out
    assert cli.main(["weights", "--download"]) == 0
    assert (hub / f"vgg19-{PREFIX}.pth").read_bytes() == PAYLOAD


def test_a_wrong_checksum_is_refused_and_nothing_is_kept(server, hub, monkeypatch, capsys):
    monkeypatch.setattr(weights, "IMAGENET_URL", f"{server}/vgg.pth")
    monkeypatch.setattr(weights, "IMAGENET_FILENAME", "vgg19-dcbb9e9d.pth")  # the real prefix
    assert cli.main(["weights", "--download"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("nst-teach: error: downloaded weights from") and "hash" in err
    assert not (hub / "vgg19-dcbb9e9d.pth").exists()


def test_an_unreachable_server_is_one_line(server, hub, monkeypatch, capsys) -> None:
    monkeypatch.setattr(weights, "IMAGENET_URL", f"{server}/missing.pth")
    monkeypatch.setattr(weights, "IMAGENET_FILENAME", f"vgg19-{PREFIX}.pth")
    assert cli.main(["weights", "--download"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("nst-teach: error:") and "404" in err and "\n" not in err


def test_download_leaves_socket_timeout_alone(monkeypatch):
    """The download attempt does not change socket's default timeout for the process."""
    import urllib.request

    seen: list[object] = []

    def fake_urlopen(*args, **kwargs):
        seen.append((socket.getdefaulttimeout(), kwargs.get("timeout")))
        raise OSError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setattr(torch.hub, "urlopen", fake_urlopen, raising=False)
    before = socket.getdefaulttimeout()
    with pytest.raises(OSError):
        weights.download_imagenet_state_dict()
    assert socket.getdefaulttimeout() == before
    assert seen and all(default == before for default, _ in seen)
    assert all(timeout == weights.DOWNLOAD_TIMEOUT_S for _, timeout in seen)


def test_downloaded_file_is_readable_by_the_class(server, hub, monkeypatch, capsys) -> None:
    """The file gets 0666 less the umask (0644 here), not mkstemp's 0600."""
    monkeypatch.setattr(weights, "IMAGENET_URL", f"{server}/vgg.pth")
    monkeypatch.setattr(weights, "IMAGENET_FILENAME", f"vgg19-{PREFIX}.pth")
    old = os.umask(0o022)
    try:
        assert cli.main(["weights", "--download"]) == 0
    finally:
        os.umask(old)
    assert (hub / f"vgg19-{PREFIX}.pth").stat().st_mode & 0o777 == 0o644


def test_a_killed_download_leftover_is_removed(server, hub, monkeypatch, capsys) -> None:
    """A hidden .partial an hour old (a download killed by SIGKILL) goes at the next download;
    a fresh one (another download under way) stays."""
    monkeypatch.setattr(weights, "IMAGENET_URL", f"{server}/vgg.pth")
    monkeypatch.setattr(weights, "IMAGENET_FILENAME", f"vgg19-{PREFIX}.pth")
    hub.mkdir(parents=True)
    old = hub / f".vgg19-{PREFIX}.pth.abc123.partial"
    fresh = hub / f".vgg19-{PREFIX}.pth.def456.partial"
    old.write_bytes(b"x" * 100)
    fresh.write_bytes(b"y")
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    assert cli.main(["weights", "--download"]) == 0
    assert not old.exists() and fresh.exists()
