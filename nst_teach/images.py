r"""Images in and out: files to tensors of shape :math:`(1, 3, H, W)` in :math:`[0, 1]`, and back.

Examples:
    >>> import tempfile, pathlib
    >>> img = torch.rand(1, 3, 20, 30)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "noise.png"
    >>> save_image(img, path).name
    'noise.png'
    >>> load_image(path).shape, load_image(path, size=15).shape
    (torch.Size([1, 3, 20, 30]), torch.Size([1, 3, 10, 15]))
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from .atomic import remove_stale

PathLike = str | os.PathLike[str]


#: The largest photo accepted, in megapixels (Pillow's own limit, 89 MP, is below today's
#: phone cameras; above this a file is refused as a likely decompression bomb).
MAX_MEGAPIXELS = 250.0

_PILLOW_LIMIT = threading.Lock()  # Image.MAX_IMAGE_PIXELS is changed only under it

_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class OutputExistsError(FileExistsError, ValueError):
    """The output file exists and overwriting was not asked for."""


class MultiFrameWarning(UserWarning):
    """An image file holds several frames (an animated GIF, a multi-page TIFF): the first
    is used."""


class OutputNotWritableError(PermissionError, ValueError):
    """The output cannot be written: its folder refuses new files, or it is an input."""


def _has_transparency(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        img.info.get("transparency") is not None
    )


def _int_scale(img: Image.Image, arr: np.ndarray, bits: int | None) -> float:
    """What the brightest value of an integer image is: 2**bits - 1, or guessed from it."""
    if img.mode.startswith("I;16") or bits == 16:
        return 65535.0
    if bits == 8:
        return 255.0
    top = float(arr.max(initial=0))
    return 255.0 if top <= 255 else 65535.0 if top <= 65535 else top


def _bits_per_sample(img: Image.Image) -> int | None:
    """The bits per sample a file declares (TIFF), or that its mode implies (16-bit PNG)."""
    if img.format == "PNG" and img.mode in ("I", "I;16", "I;16B"):
        return 16
    tag = getattr(img, "tag_v2", None)
    if tag is not None:
        bps = tag.get(258)
        if isinstance(bps, tuple):
            bps = bps[0] if bps else None
        if isinstance(bps, int):
            return bps
    return None


def _to_rgb_array(img: Image.Image, bits: int | None = None) -> np.ndarray:
    """Any PIL mode -> float32 array (H, W, 3) in [0, 1]; transparency composited on white.

    Integer images (modes ``I``, ``I;16``) are scaled by their declared bit depth ``bits``
    when known, else by 255 or 65535, whichever their brightest value fits.
    """
    key = img.info.get("transparency")
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        raw = np.asarray(img)
        gray = (raw.astype(np.float64) / _int_scale(img, raw, bits)).astype(np.float32)
        if isinstance(key, int):  # tRNS: this grey value is transparent
            gray[raw == key] = 1.0
        return np.repeat(np.clip(gray, 0.0, 1.0)[..., None], 3, axis=2)
    if img.mode == "F":
        arr = np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)
        return np.repeat(arr[..., None], 3, axis=2)
    if _has_transparency(img):
        img = _on_white(img)
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def _on_white(img: Image.Image) -> Image.Image:
    r"""An 8-bit image with transparency composited on white, as RGB:
    :math:`c = \alpha\, c_{\text{image}} + (1 - \alpha) \cdot 255`."""
    rgba = img if img.mode == "RGBA" else img.convert("RGBA")  # honours tRNS of L, RGB, P
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba)  # blends by the alpha channel, no full-size RGBA copy
    return white


def image_to_tensor(img: Image.Image, bits: int | None = None) -> Tensor:
    """A PIL image (any mode) -> tensor :math:`(1, 3, H, W)` in :math:`[0, 1]`.

    ``bits``: the bit depth of an integer image (mode ``I``), if the file declares it.
    """
    arr = _to_rgb_array(img, bits if bits is not None else _bits_per_sample(img))
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).unsqueeze(0).contiguous()


def resize_long_side(image: Tensor, size: int) -> Tensor:
    """Scale :math:`(B, C, H, W)` so that its longer side is ``size`` pixels (antialiased)."""
    if (
        not isinstance(size, int | float)
        or not math.isfinite(size)
        or int(size) != size
        or size < 1
    ):
        raise ValueError(f"size must be a positive whole number of pixels, got {size}")
    h, w = image.shape[-2:]
    scale = size / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    if (new_h, new_w) == (h, w):
        return image
    out = F.interpolate(
        image, size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False
    )
    return out.clamp(0.0, 1.0)


def resize_cover(image: Tensor, height: int, width: int) -> Tensor:
    """Scale :math:`(B, C, H, W)` to cover ``height`` x ``width`` and crop the centre."""
    h, w = image.shape[-2:]
    scale = max(height / h, width / w)
    new_h, new_w = max(height, round(h * scale)), max(width, round(w * scale))
    if (new_h, new_w) != (h, w):
        image = F.interpolate(
            image, size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False
        ).clamp(0.0, 1.0)
    top, left = (new_h - height) // 2, (new_w - width) // 2
    return image[..., top : top + height, left : left + width]


def load_image(
    path: PathLike, size: int | None = None, *, cover: tuple[int, int] | None = None
) -> Tensor:
    """Read an image file as a float tensor of shape :math:`(1, 3, H, W)` in :math:`[0, 1]`.

    RGB, RGBA and palette images with transparency (and greyscale or RGB PNGs with a
    transparent colour) are composited on white; grayscale, CMYK and 16-bit files are
    accepted; the EXIF orientation is honoured. A large photo is decoded at reduced size
    when ``size`` or ``cover`` allows (JPEG's DCT scaling, then :meth:`PIL.Image.Image.reduce`),
    so memory follows the size asked for, not the file's: a 100-megapixel JPEG becomes a
    256-pixel tensor in well under 1 GB. Photos up to :data:`MAX_MEGAPIXELS` are accepted.

    Args:
        path: the file.
        size: if given, the image is scaled so that its longer side has ``size`` pixels.
        cover: ``(height, width)``: without ``size``, the image may be decoded smaller as
            long as it still covers this size (for :func:`resize_cover` after).

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is empty, truncated, not an image, too large, or ``size`` is
            invalid.
    """
    if size is not None:
        resize_long_side(torch.zeros(1, 1, 1, 1), size)  # validates size before reading
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"image file '{p}' does not exist")
    if p.is_dir():
        raise ValueError(f"'{p}' is a directory, not an image file")
    if p.stat().st_size == 0:
        raise ValueError(f"image file '{p}' is empty")
    try:
        tensor = _decode(p, size, cover)
    except UnidentifiedImageError as exc:
        raise ValueError(f"'{p}' is not an image file that Pillow can read") from exc
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, _TooLarge):
            raise ValueError(f"image file '{p}' {exc}") from None
        raise ValueError(f"image file '{p}' cannot be read ({exc})") from exc
    if size is not None:
        tensor = resize_long_side(tensor, size)
    return tensor


class _TooLarge(ValueError):
    pass


def _decode(p: Path, size: int | None, cover: tuple[int, int] | None) -> Tensor:
    """Open, check the pixel count, decode at reduced size where allowed, orient, convert."""
    with _PILLOW_LIMIT:
        # our own limit replaces Pillow's (89 MP) inside this call only
        old_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            img = Image.open(p)
        finally:
            Image.MAX_IMAGE_PIXELS = old_limit
    with img:
        w, h = img.size
        megapixels = w * h / 1e6
        if megapixels > MAX_MEGAPIXELS:
            raise _TooLarge(
                f"has {w}x{h} = {megapixels:.4g} megapixels; at most {MAX_MEGAPIXELS:g} are "
                "accepted (scale it down first)"
            )
        try:
            orientation = int(img.getexif().get(0x0112, 1))
        except Exception:  # an unreadable EXIF block: no orientation
            orientation = 1
        shown_w, shown_h = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
        scale = None
        if size is not None:
            scale = size / max(shown_w, shown_h)
        elif cover is not None:
            scale = max(cover[0] / shown_h, cover[1] / shown_w)
        need = None
        if scale is not None and scale < 1:
            need = (max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale)))
        bits = _bits_per_sample(img)
        if need is not None and img.format == "JPEG":
            img.draft(img.mode, need)  # DCT scaling: decodes at 1/2, 1/4 or 1/8 of the size
        frames = getattr(img, "n_frames", 1)
        if isinstance(frames, int) and frames > 1:
            warnings.warn(
                f"image file '{p}' holds {frames} frames (an animation or pages); "
                "only the first is used",
                MultiFrameWarning,
                stacklevel=4,
            )
        img.load()
        if need is not None and _has_transparency(img) and not img.mode.startswith(("I", "F")):
            img = _on_white(img)  # composited first: reduced as RGB, as a full decode shows it
        if need is not None and not _has_transparency(img):
            img = _reduce(img, need)
        if orientation in _ORIENTATION:
            img = img.transpose(_ORIENTATION[orientation])
        return image_to_tensor(img, bits)


def _reduce(img: Image.Image, need: tuple[int, int]) -> Image.Image:
    """Shrink by the largest whole factor that keeps at least ``need`` (box averaging)."""
    factor = min(img.width // need[0], img.height // need[1])
    if factor < 2:
        return img
    try:
        return img.reduce(factor)
    except ValueError:  # a mode reduce does not handle: convert to one it does
        if img.mode.startswith("I;16"):
            return img.convert("I").reduce(factor)
        if img.mode in ("1", "P"):
            return img.convert("L" if img.mode == "1" else "RGB").reduce(factor)
        return img


def tensor_to_image(image: Tensor) -> Image.Image:
    """A tensor :math:`(1, 3, H, W)` or :math:`(3, H, W)` in :math:`[0, 1]` -> PIL RGB image."""
    if image.dim() == 4:
        if image.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of {image.shape[0]}")
        image = image[0]
    if image.dim() != 3 or image.shape[0] not in (1, 3):
        raise ValueError(f"expected an image of shape (1, 3, H, W), got {tuple(image.shape)}")
    arr = image.detach().float().cpu().clamp(0.0, 1.0).mul(255.0).round().byte()
    arr = arr.expand(3, -1, -1).permute(1, 2, 0).numpy()
    return Image.fromarray(arr, mode="RGB")


def writer_format(path: PathLike) -> str:
    """The Pillow format that writes ``path`` (from its extension), or ``ValueError``."""
    p = Path(path)
    Image.init()
    fmt = Image.registered_extensions().get(p.suffix.lower())
    if fmt is None:
        raise ValueError(f"output file '{p}' has no image extension such as .png or .jpg")
    if fmt not in Image.SAVE:
        raise ValueError(
            f"output file '{p}': Pillow can read {p.suffix} files but cannot write them; "
            "use .png or .jpg"
        )
    try:  # the writer may be missing a codec, or refuse RGB: a 2x2 trial finds out now
        Image.new("RGB", (2, 2), (40, 120, 200)).save(io.BytesIO(), format=fmt)
    except Exception as exc:
        raise ValueError(
            f"cannot write output file '{p}' as {fmt} ({exc}); use .png or .jpg"
        ) from exc
    return fmt


def _check_folder_writable(folder: Path) -> None:
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".nst-teach-", suffix=".probe")
    except OSError as exc:
        raise OutputNotWritableError(
            f"output folder '{folder}' cannot be written ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_output_path(
    path: PathLike, overwrite: bool = False, inputs: Sequence[PathLike] = ()
) -> Path:
    """Check that ``path`` can be written, before any work: its folder exists and takes new
    files, it is not a file already (nor a symlink, even a dangling one) unless
    ``overwrite``, it is none of ``inputs`` (even with ``overwrite``), and Pillow can write
    an RGB image in its format.

    Raises:
        FileNotFoundError: the output folder does not exist.
        OutputExistsError: the file exists and ``overwrite`` is false.
        OutputNotWritableError: the folder refuses new files, or the path is an input.
        ValueError: the file type is unknown, or cannot be written as RGB here.
    """
    p = Path(path)
    if not p.parent.is_dir():
        raise FileNotFoundError(f"output directory '{p.parent}' does not exist")
    if p.is_dir():
        raise ValueError(f"output '{p}' is a directory; give a file name such as {p / 'out.png'}")
    for source in inputs:
        if p.exists() and Path(source).exists() and os.path.samefile(p, source):
            raise OutputNotWritableError(
                f"output file '{p}' is the input image '{source}'; give another output name"
            )
    if (p.exists() or p.is_symlink()) and not overwrite:
        what = "already exists"
        if p.is_symlink():
            what += f" (a symbolic link to '{os.readlink(p)}')"
        raise OutputExistsError(f"output file '{p}' {what}; pass --force to overwrite it")
    writer_format(p)
    _check_folder_writable(p.parent)
    return p


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def save_image(image: Tensor, path: PathLike, overwrite: bool = False) -> Path:
    """Write a tensor :math:`(1, 3, H, W)` in :math:`[0, 1]` to an image file (type from its name).

    The file is written whole or not at all: the image goes to a temporary file in the
    same folder, which then replaces ``path`` (``os.replace``, atomic), so a save that
    fails or is interrupted (a full disk, Ctrl-C) leaves any old file as it was. A file
    that is replaced keeps its permission bits.

    Args:
        image: the image; values outside :math:`[0, 1]` are clipped.
        path: where to write it; its folder must exist.
        overwrite: if false, an existing file raises :class:`OutputExistsError`, also one
            that appears while the image is encoded (the final step refuses to replace it).
    """
    p = check_output_path(path, overwrite=overwrite)
    fmt = writer_format(p)
    picture = tensor_to_image(image)
    mode = (p.stat().st_mode & 0o7777) if p.exists() else _new_file_mode()
    remove_stale(p.parent, f".{p.name}.*.tmp")  # left by a save that was killed
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    try:
        picture.save(tmp, format=fmt)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, p)
        else:
            _place_new(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return p


def _place_new(tmp: str, p: Path) -> None:
    """Move ``tmp`` to ``p`` only if ``p`` does not exist, atomically (a hard link fails on an
    existing name): a file that appeared during the run is never overwritten.

    Raises:
        OutputExistsError: ``p`` appeared meanwhile.
    """
    try:
        os.link(tmp, p, follow_symlinks=False)
    except FileExistsError:
        raise OutputExistsError(
            f"output file '{p}' appeared while the image was computed; pass --force to "
            "overwrite it, or give another name"
        ) from None
    except OSError:  # a file system without hard links: claim the name, then replace it
        try:
            os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise OutputExistsError(
                f"output file '{p}' appeared while the image was computed; pass --force to "
                "overwrite it, or give another name"
            ) from None
        os.replace(tmp, p)
        return
    os.unlink(tmp)


__all__ = [
    "MAX_MEGAPIXELS",
    "OutputExistsError",
    "OutputNotWritableError",
    "PathLike",
    "check_output_path",
    "image_to_tensor",
    "load_image",
    "resize_cover",
    "resize_long_side",
    "save_image",
    "tensor_to_image",
    "writer_format",
]
