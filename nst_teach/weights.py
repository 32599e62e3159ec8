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

from .atomic import remove_stale, umask

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
#: The full SHA-256 of :data:`IMAGENET_FILENAME`, when known; ``None``: the 8 hex digits in its
#: name are all that is published with it (torchvision's convention), and those are compared.
IMAGENET_SHA256: str | None = None
#: What a weights file must hold.
FORMAT_HINT = (
    "save torchvision's vgg19().state_dict() (or vgg19().features.state_dict()) with torch.save"
)
#: What to run when the ImageNet file is damaged or not the right one.
REMEDY = "run: nst-teach weights --download --force"


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
    """Whether the ImageNet VGG-19 file is in the torch.hub cache and can be read."""
    path = imagenet_weights_path()
    return path.is_file() and os.access(path, os.R_OK)


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
    remove_stale(dest.parent, f".{dest.name}.*.partial")  # left by a download that was killed
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
        if not _digest_matches(digest.hexdigest(), dest.name):
            raise ChecksumMismatch(
                f"the file downloaded from {url} does not match its hash {prefix}"
            )
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp's 0600 would lock out the rest of a class
        os.replace(tmp, dest)
        _VERIFIED[_identity(dest)] = True
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


#: Verification results, by file identity (device, inode, size, modification time).
_VERIFIED: dict[tuple[int, int, int, int], bool] = {}


def _identity(path: str | os.PathLike[str]) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _digest_matches(digest: str, filename: str) -> bool:
    """The whole SHA-256 when it is known (:data:`IMAGENET_SHA256`), else the name's prefix."""
    if filename == IMAGENET_FILENAME and IMAGENET_SHA256:
        return digest == IMAGENET_SHA256
    return digest.startswith(hash_prefix(filename))


def verify_weights_file(path: str | os.PathLike[str]) -> bool:
    """Whether the file's SHA-256 matches (the whole digest where known, else its name's prefix).

    The whole file is hashed once for each (device, inode, size, modification time) and the
    answer remembered: a 548 MB file costs its hashing once per process, not once per load;
    a file replaced or changed is hashed again.

    Raises:
        OSError: the file cannot be read.
    """
    key = _identity(path)
    if key not in _VERIFIED:
        _VERIFIED[key] = _digest_matches(sha256_of(path), Path(path).name)
    return _VERIFIED[key]


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


def _why(exc: BaseException) -> str:
    """An exception's text in one line, or its kind when the text is empty."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _read_imagenet_file(path: Path) -> dict[str, torch.Tensor]:
    """Read and check the cached ImageNet file; ``ValueError`` (path and remedy) if unusable."""
    try:
        if not verify_weights_file(path):
            raise ValueError("its SHA-256 does not match (damaged, or not the ImageNet file)")
        state = torch.load(path, map_location="cpu", weights_only=True)
        check_state_dict(state, "it")
        check_not_blank(state, "it")
    except Exception as exc:  # unreadable, damaged, blank, not a state dict
        raise ValueError(f"the cached file {path} cannot be used: {_why(exc)}; {REMEDY}") from exc
    return state


def load_imagenet_state_dict() -> tuple[dict[str, torch.Tensor] | None, str]:
    """Return ``(state_dict, description)``, or ``(None, reason)`` after warning (once for
    each reason).

    The cached file is used only when its SHA-256 matches (:func:`verify_weights_file`,
    remembered per file identity) and it holds a dict of tensors that are not all zero.
    """
    path = imagenet_weights_path()
    if path.is_dir():
        reason = f"{path} is a directory, not the weights file; remove it and {REMEDY}"
        _warn_fallback(reason)
        return None, reason
    if path.is_file():
        try:
            state = _read_imagenet_file(path)
        except ValueError as exc:  # a damaged or unreadable cache file is reported, not fatal
            reason = str(exc)
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
            reason = f"the download failed: {type(exc).__name__}: {_why(exc)}"
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
        raise ValueError(
            f"weights file '{p}' is not a readable torch state dict: {_why(exc)}"
        ) from exc
    check_state_dict(state, f"weights file '{p}'")
    check_not_blank(state, f"weights file '{p}'")
    return state


def check_state_dict(state: object, source: str) -> None:
    """Raise ``ValueError`` unless ``state`` is a dict, every key a name and every value a tensor.

    Examples:
        >>> check_state_dict([torch.zeros(1)], "weights file 'w.pth'")
        Traceback (most recent call last):
        ...
        ValueError: weights file 'w.pth' holds a list, not a state dict (a dict of tensors)
    """
    if not isinstance(state, dict):
        raise ValueError(
            f"{source} holds a {type(state).__name__}, not a state dict (a dict of tensors)"
        )
    if not state:
        raise ValueError(f"{source} holds an empty state dict")
    for key, value in state.items():
        if not isinstance(key, str):
            raise ValueError(f"{source} has an entry whose key {key!r} is not a layer name")
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{source}: entry {key!r} is a {type(value).__name__}, not a tensor")


def check_not_blank(state: dict[str, torch.Tensor], source: str) -> None:
    """Raise ``ValueError`` when a convolution's weights are all zero (a blank or damaged file).

    Examples:
        >>> check_not_blank({"0.weight": torch.zeros(2, 3, 3, 3)}, "it")
        Traceback (most recent call last):
        ...
        ValueError: it: entry '0.weight' is all zeros (a blank or damaged file)
    """
    for key, value in state.items():
        if key.endswith("weight") and value.numel() and not bool(value.any()):
            raise ValueError(f"{source}: entry {key!r} is all zeros (a blank or damaged file)")


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
    raise ValueError(
        f"{source} does not look like a VGG-19 state dict (no 'features.0.weight'): {FORMAT_HINT}"
    )


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
    _VERIFIED.clear()


__all__ = [
    "DOWNLOAD_TIMEOUT_S",
    "IMAGENET_FILENAME",
    "IMAGENET_SHA256",
    "IMAGENET_URL",
    "RANDOM_SEED",
    "RETRY_AFTER_S",
    "ChecksumMismatch",
    "WeightsUnavailableWarning",
    "check_not_blank",
    "check_state_dict",
    "download_imagenet_state_dict",
    "download_imagenet_weights",
    "features_state_dict",
    "hash_prefix",
    "imagenet_weights_cached",
    "imagenet_weights_path",
    "init_random_",
    "load_imagenet_state_dict",
    "load_state_dict_file",
    "reset_download_state",
    "sha256_of",
    "verify_weights_file",
]
