r"""Where VGG-19's ImageNet weights come from, and what happens when they cannot be had.

The real path is torchvision's weights API: ``VGG19_Weights.IMAGENET1K_V1`` names a file,
``vgg19-dcbb9e9d.pth``, that torch.hub keeps in ``$TORCH_HOME/hub/checkpoints``. When the
file is there it is read; when it is not, one download is tried (giving up within a few
seconds when there is no connection). When that fails too, a warning says so in plain words
and the caller continues with seeded random weights.

Set ``NST_TEACH_OFFLINE=1`` to skip the download attempt (the cache is still read).

``nst-teach weights --download`` fetches the file ahead of time, with a progress bar, and
checks it against the SHA-256 prefix in its name (``dcbb9e9d``), so that an instructor can fill
a shared ``TORCH_HOME`` once for a whole class.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

import torch
from torch import nn

#: torchvision's file name for the ImageNet-trained VGG-19 (``VGG19_Weights.IMAGENET1K_V1``).
IMAGENET_FILENAME = "vgg19-dcbb9e9d.pth"
#: Where torchvision downloads it from.
IMAGENET_URL = "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
#: Seconds a download may wait for a connection before giving up.
DOWNLOAD_TIMEOUT_S = 5.0
#: Seed of the random weights used when no trained ones can be had.
RANDOM_SEED = 0
#: After a failed download, seconds before another is tried (a connection may come back).
RETRY_AFTER_S = 600.0


class _FallbackState:
    """What this process remembers about the ImageNet weights: the last failed download
    (so that every run does not wait for it again) and the reasons already warned about."""

    def __init__(self) -> None:
        self.download_failed: str | None = None
        self.failed_at = 0.0
        self.warned: set[str] = set()

    def recent_failure(self) -> str | None:
        if self.download_failed and time.monotonic() - self.failed_at < RETRY_AFTER_S:
            return self.download_failed
        return None


_STATE = _FallbackState()


class WeightsUnavailableWarning(UserWarning):
    """ImageNet weights could not be had; random weights are used instead."""


def imagenet_weights_path() -> Path:
    """Where torch.hub caches the ImageNet VGG-19 file (honours ``TORCH_HOME``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / IMAGENET_FILENAME


def imagenet_weights_cached() -> bool:
    """Whether the ImageNet VGG-19 file is already in the torch.hub cache."""
    return imagenet_weights_path().is_file()


def _offline() -> bool:
    from .flags import env_flag

    return env_flag("NST_TEACH_OFFLINE")


def download_imagenet_state_dict() -> dict[str, torch.Tensor]:
    """Fetch the ImageNet weights (torchvision's URL) into torch.hub's cache and read them.

    The connection gives up after :data:`DOWNLOAD_TIMEOUT_S` seconds without data (a
    timeout of this connection only: the process's socket settings are left alone). The
    file is checked against the SHA-256 prefix in its name and appears whole or not at all.
    Raises ``OSError`` (or a subclass) when the file cannot be fetched.
    """
    from torchvision.models import VGG19_Weights

    path = imagenet_weights_path()
    if not path.is_file():
        _download(VGG19_Weights.IMAGENET1K_V1.url, path, DOWNLOAD_TIMEOUT_S)
    return torch.load(path, map_location="cpu", weights_only=True)


class ChecksumMismatch(OSError):
    """A downloaded file's SHA-256 does not start with the prefix in its name."""


def _download(url: str, dest: Path, timeout: float, progress: bool | None = None) -> None:
    """``url`` -> ``dest`` through a temporary file beside it, checked against the hash
    prefix in the file's name (torch.hub's convention, ``name-<sha256 prefix>.pth``).

    The one download path of the package: the automatic fetch before a fallback and
    ``nst-teach weights --download`` both use it. ``timeout`` bounds each wait for data (this
    connection only). ``progress``: a bar on stderr; ``None`` shows it on a terminal and in a
    notebook. Raises :class:`ChecksumMismatch` (nothing is kept) or another ``OSError``."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    prefix = dest.stem.rsplit("-", 1)[-1]
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".partial")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            show = progress if progress is not None else _interactive()
            bar = _progress(total) if show else None
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
        if not digest.hexdigest().startswith(prefix):
            raise ChecksumMismatch(
                f"the file downloaded from {url} does not match its hash {prefix}"
            )
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _interactive() -> bool:
    """A terminal, or a notebook (whose stderr is not a terminal)."""
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def _progress(total: int):  # type: ignore[no-untyped-def]
    from tqdm.auto import tqdm

    return tqdm(total=total or None, unit="B", unit_scale=True, desc="VGG-19 weights")


def hash_prefix(filename: str) -> str:
    """The SHA-256 prefix torchvision puts in a weights file's name (``name-<hex>.pth``).

    Examples:
        >>> hash_prefix("vgg19-dcbb9e9d.pth")
        'dcbb9e9d'
    """
    match = re.search(r"-([0-9a-f]{6,64})\.[A-Za-z]+$", filename)
    if not match:
        raise ValueError(f"weights file name {filename!r} carries no SHA-256 prefix")
    return match[1]


def sha256_of(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file, in hex (read in chunks: the VGG file is 548 MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights_file(path: str | os.PathLike[str]) -> bool:
    """Whether the file's SHA-256 starts with the prefix in its name."""
    return sha256_of(path).startswith(hash_prefix(Path(path).name))


def download_imagenet_weights(
    url: str | None = None, progress: bool = True, force: bool = False
) -> tuple[Path, str]:
    """Put the verified ImageNet VGG-19 file into the torch.hub cache; return (path, what).

    A file already there is checked and kept when it verifies (``what`` is ``"verified"``);
    otherwise (or with ``force``) it is downloaded with a progress bar on stderr, checked
    against the SHA-256 prefix in its name before it replaces anything (``"downloaded"``).

    Raises:
        ValueError: the download's checksum does not match.
        OSError: the download failed.
    """
    path = imagenet_weights_path()
    if path.is_file() and not force and verify_weights_file(path):
        return path, "verified"
    source = url or IMAGENET_URL
    try:
        _download(source, path, DOWNLOAD_TIMEOUT_S, progress=progress)
    except ChecksumMismatch as exc:
        raise ValueError(f"downloaded weights from {source}: {exc}") from None
    return path, "downloaded"


def _warn_fallback(reason: str) -> None:
    if reason in _STATE.warned:
        return
    _STATE.warned.add(reason)
    message = (
        "nst-teach could not get the ImageNet-trained VGG-19 weights "
        f"({reason}). It continues with RANDOM weights (seed {RANDOM_SEED}), so the "
        "pictures will look different from the paper's: textures still form, but the "
        "content of the photo is kept less faithfully. To fix this, connect to the internet "
        "once and run any nst-teach command (the file is downloaded and cached), or copy the "
        f"file {IMAGENET_FILENAME} to {imagenet_weights_path()}"
    )
    warnings.warn(message, WeightsUnavailableWarning, stacklevel=4)


def load_imagenet_state_dict() -> tuple[dict[str, torch.Tensor] | None, str]:
    """Return ``(state_dict, description)``, or ``(None, reason)`` after warning (once for
    each reason)."""
    path = imagenet_weights_path()
    if path.is_file():
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # a damaged cache file is reported, not fatal
            reason = f"the cached file {path} could not be read: {exc}"
            _warn_fallback(reason)
            return None, reason
        return state, f"imagenet (cached file {path})"
    if _offline():
        reason = f"NST_TEACH_OFFLINE is set and {path} does not exist"
    elif _STATE.recent_failure() is not None:
        reason = _STATE.recent_failure()  # type: ignore[assignment]
    else:
        try:
            state = download_imagenet_state_dict()
        except Exception as exc:
            reason = f"the download failed: {type(exc).__name__}: {exc}"
            _STATE.download_failed, _STATE.failed_at = reason, time.monotonic()
        else:
            return state, f"imagenet (downloaded to {path})"
    _warn_fallback(reason)
    return None, reason


def load_state_dict_file(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Read a VGG-19 state dict in torchvision's format from ``path``."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"weights file '{p}' is a directory, not a state-dict file")
    if not p.is_file():
        raise FileNotFoundError(f"weights file '{p}' does not exist")
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"weights file '{p}' is not a readable torch state dict: {exc}") from exc
    if not isinstance(state, dict):
        raise ValueError(f"weights file '{p}' does not hold a state dict")
    check_state_dict(state, f"weights file '{p}'")
    return state


def check_state_dict(state: dict[str, torch.Tensor], source: str) -> None:
    """Raise ``ValueError`` unless every key of ``state`` is a name and every value a tensor."""
    for key, value in state.items():
        if not isinstance(key, str):
            raise ValueError(f"{source} has an entry whose key {key!r} is not a layer name")
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{source}: entry {key!r} is a {type(value).__name__}, not a tensor")


def features_state_dict(state: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """Keep the ``features.*`` entries of a full VGG-19 state dict, without the prefix.

    A state dict of ``vgg19().features`` alone (keys ``0.weight`` ...) is accepted too.
    """
    check_state_dict(state, source)
    if any(k.startswith("features.") for k in state):
        return {
            k.removeprefix("features."): v for k, v in state.items() if k.startswith("features.")
        }
    if "0.weight" in state:
        return dict(state)
    raise ValueError(f"{source} does not look like a VGG-19 state dict (no 'features.0.weight')")


def init_random_(module: nn.Module, seed: int = RANDOM_SEED) -> None:
    """Fill convolutions as torchvision initialises VGG (Kaiming normal, fan-out), seeded."""
    generator = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
            std = (2.0 / fan_out) ** 0.5
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * std)
                if m.bias is not None:
                    m.bias.zero_()


def reset_download_state() -> None:
    """Forget an earlier failed download and the warnings given (for tests)."""
    global _STATE
    _STATE = _FallbackState()
