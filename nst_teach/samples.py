r"""Sample images that always work offline.

``"hopper"`` is the photograph of Grace Hopper that matplotlib ships with its sample data; the
style images are drawn here, deterministically, from a few lines of numpy each:

- ``"swirls"``: coloured vortices, a stand-in for Van Gogh's brush strokes;
- ``"mosaic"``: irregular tiles with dark grout (a Voronoi diagram);
- ``"stripes"``: bold diagonal bands in three colours;
- ``"waves"``: interfering ripples in blue and gold.

Examples:
    >>> sample_image("stripes", size=64).shape
    torch.Size([1, 3, 64, 64])
    >>> bool((sample_image("mosaic", size=32) == sample_image("mosaic", size=32)).all())
    True
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .images import load_image, resize_long_side

_SIDE = 512  # generated styles are drawn at this size, then scaled


def _grid(side: int = _SIDE) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:side, 0:side].astype(np.float64) / side
    return x, y


def _palette(values: np.ndarray, colours: list[tuple[int, int, int]]) -> np.ndarray:
    """Map values in [0, 1] onto a piecewise-linear colour ramp -> (H, W, 3) in [0, 1]."""
    stops = np.linspace(0.0, 1.0, len(colours))
    cols = np.array(colours, dtype=np.float64) / 255.0
    return np.stack([np.interp(values, stops, cols[:, c]) for c in range(3)], axis=-1)


def _swirls() -> np.ndarray:
    x, y = _grid()
    rng = np.random.default_rng(1889)
    angle = np.zeros_like(x)
    for _ in range(7):
        cx, cy = rng.uniform(0.1, 0.9, size=2)
        strength = rng.uniform(6.0, 14.0) * rng.choice([-1.0, 1.0])
        r = np.hypot(x - cx, y - cy)
        angle += strength * np.exp(-r / 0.12)
    theta = np.arctan2(y - 0.5, x - 0.5) + angle
    rad = np.hypot(x - 0.5, y - 0.5)
    v = 0.5 + 0.5 * np.sin(28.0 * rad + 3.0 * theta)
    v = 0.8 * v + 0.2 * (0.5 + 0.5 * np.sin(60.0 * (x + y) + angle))
    return _palette(
        v, [(14, 30, 84), (40, 85, 170), (110, 160, 210), (235, 205, 80), (250, 240, 170)]
    )


def _mosaic() -> np.ndarray:
    x, y = _grid()
    rng = np.random.default_rng(537)
    n = 60
    seeds = rng.uniform(0.0, 1.0, size=(n, 2))
    colours = _palette(
        rng.uniform(0, 1, size=n),
        [(150, 40, 30), (220, 140, 40), (60, 110, 80), (30, 60, 120), (230, 210, 170)],
    )
    d = np.stack([np.hypot(x - sx, y - sy) for sx, sy in seeds], axis=0)
    order = np.sort(d, axis=0)
    nearest = np.argmin(d, axis=0)
    img = colours[nearest]
    grout = (order[1] - order[0]) < 0.008
    img[grout] = (0.12, 0.1, 0.09)
    return img


def _stripes() -> np.ndarray:
    x, y = _grid()
    band = np.floor(((x + 0.6 * y) * 9.0 + 0.15 * np.sin(12.0 * y)) % 3.0)
    cols = np.array([(200, 45, 50), (245, 215, 120), (25, 45, 90)], dtype=np.float64) / 255.0
    return cols[band.astype(int)]


def _waves() -> np.ndarray:
    x, y = _grid()
    v = np.sin(40 * np.hypot(x - 0.2, y - 0.3)) + np.sin(34 * np.hypot(x - 0.8, y - 0.7))
    v += 0.5 * np.sin(25 * x)
    return _palette((v + 2.5) / 5.0, [(10, 25, 60), (30, 90, 160), (240, 200, 90), (255, 250, 220)])


_GENERATED: dict[str, Callable[[], np.ndarray]] = {
    "swirls": _swirls,
    "mosaic": _mosaic,
    "stripes": _stripes,
    "waves": _waves,
}
#: Names that :func:`sample_image` accepts.
CONTENT_SAMPLES: tuple[str, ...] = ("hopper",)
STYLE_SAMPLES: tuple[str, ...] = tuple(_GENERATED)
SAMPLE_NAMES: tuple[str, ...] = CONTENT_SAMPLES + STYLE_SAMPLES


def _hopper_path() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def sample_image(name: str, size: int | None = None) -> Tensor:
    """A built-in image as a tensor :math:`(1, 3, H, W)` in :math:`[0, 1]`, no network needed.

    Args:
        name: one of :data:`SAMPLE_NAMES`.
        size: if given, the longer side in pixels.
    """
    if name == "hopper":
        return load_image(_hopper_path(), size=size)
    if name not in _GENERATED:
        raise ValueError(f"unknown sample image {name!r}; samples are {', '.join(SAMPLE_NAMES)}")
    arr = _GENERATED[name]().astype(np.float32)
    tensor = torch.from_numpy(arr).permute(2, 0, 1).unsqueeze(0).contiguous().clamp(0.0, 1.0)
    return resize_long_side(tensor, size) if size is not None else tensor


def image_or_sample(
    spec: str | Path, size: int | None = None, cover: tuple[int, int] | None = None
) -> Tensor:
    """Load ``spec`` as a file path, or as a sample name when no such file exists.

    ``size`` and ``cover`` as in :func:`~nst_teach.images.load_image` (``cover`` only lets a
    large file be decoded at reduced size; a sample is returned whole).
    """
    p = Path(spec)
    if not p.exists() and str(spec) in SAMPLE_NAMES:
        return sample_image(str(spec), size=size)
    if not p.exists() and p.suffix == "":
        raise FileNotFoundError(
            f"image '{spec}' is neither a file nor a sample name ({', '.join(SAMPLE_NAMES)})"
        )
    return load_image(p, size=size, cover=cover)
