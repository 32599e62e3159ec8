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

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor

PathLike = str | os.PathLike[str]


class OutputExistsError(FileExistsError, ValueError):
    """The output file exists and overwriting was not asked for."""


def _to_rgb_array(img: Image.Image) -> np.ndarray:
    """Any PIL mode -> float32 array (H, W, 3) in [0, 1]; transparency composited on white."""
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        arr = np.asarray(img, dtype=np.float64)
        scale = 65535.0 if arr.max(initial=0) <= 65535 else float(arr.max())
        gray = (arr / scale).astype(np.float32)
        return np.repeat(gray[..., None], 3, axis=2)
    if img.mode == "F":
        arr = np.clip(np.asarray(img, dtype=np.float32), 0.0, 1.0)
        return np.repeat(arr[..., None], 3, axis=2)
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        img.mode == "P" and "transparency" in img.info
    )
    if has_alpha:
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


def image_to_tensor(img: Image.Image) -> Tensor:
    """A PIL image (any mode) -> tensor :math:`(1, 3, H, W)` in :math:`[0, 1]`."""
    arr = _to_rgb_array(img)
    return torch.from_numpy(np.ascontiguousarray(arr)).permute(2, 0, 1).unsqueeze(0).contiguous()


def resize_long_side(image: Tensor, size: int) -> Tensor:
    """Scale :math:`(B, C, H, W)` so that its longer side is ``size`` pixels (antialiased)."""
    if int(size) != size or size < 1:
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


def load_image(path: PathLike, size: int | None = None) -> Tensor:
    """Read an image file as a float tensor of shape :math:`(1, 3, H, W)` in :math:`[0, 1]`.

    RGB, RGBA and palette images with transparency (composited on white), grayscale, CMYK
    and 16-bit files are accepted; the EXIF orientation is honoured.

    Args:
        path: the file.
        size: if given, the image is scaled so that its longer side has ``size`` pixels.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is empty, truncated, not an image, or ``size`` is invalid.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"image file '{p}' does not exist")
    if p.is_dir():
        raise ValueError(f"'{p}' is a directory, not an image file")
    if p.stat().st_size == 0:
        raise ValueError(f"image file '{p}' is empty")
    try:
        with Image.open(p) as img:
            img.load()
            img = ImageOps.exif_transpose(img)
            tensor = image_to_tensor(img)
    except UnidentifiedImageError as exc:
        raise ValueError(f"'{p}' is not an image file that Pillow can read") from exc
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"image file '{p}' cannot be read ({exc})") from exc
    if size is not None:
        tensor = resize_long_side(tensor, size)
    return tensor


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


def check_output_path(path: PathLike, overwrite: bool = False) -> Path:
    """Check that ``path`` can be written: its folder exists and it is not already a file.

    Raises:
        FileNotFoundError: the output folder does not exist.
        OutputExistsError: the file exists and ``overwrite`` is false.
        ValueError: the file type is unknown.
    """
    p = Path(path)
    if not p.parent.is_dir():
        raise FileNotFoundError(f"output directory '{p.parent}' does not exist")
    if p.is_dir():
        raise ValueError(f"output '{p}' is a directory; give a file name such as {p / 'out.png'}")
    if p.exists() and not overwrite:
        raise OutputExistsError(f"output file '{p}' already exists; pass --force to overwrite it")
    known = {ext.lower() for ext in Image.registered_extensions()}
    if p.suffix.lower() not in known:
        raise ValueError(f"output file '{p}' has no image extension such as .png or .jpg")
    return p


def save_image(image: Tensor, path: PathLike, overwrite: bool = False) -> Path:
    """Write a tensor :math:`(1, 3, H, W)` in :math:`[0, 1]` to an image file (type from its name).

    Args:
        image: the image; values outside :math:`[0, 1]` are clipped.
        path: where to write it; its folder must exist.
        overwrite: if false, an existing file raises :class:`OutputExistsError`.
    """
    p = check_output_path(path, overwrite=overwrite)
    tensor_to_image(image).save(p)
    return p
