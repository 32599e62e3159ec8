r"""Sample images that always work offline.

Shipped with the package (``nst_teach/data/art``, resized to at most 512 pixels, with their
provenance in ``manifest.json``; see :func:`sample_credit`), all public domain or CC0:

- paintings (:data:`PAINTINGS`): ``"starry_night"`` (Van Gogh), ``"great_wave"`` (Hokusai),
  ``"shipwreck"`` (Turner), ``"woman_with_hat"`` (Matisse), ``"udnie"`` (Picabia);
- photos (:data:`PHOTOS`): ``"astronaut"``, ``"chelsea"`` (a cat), ``"coffee"``, ``"rocket"``;
- textures (:data:`TEXTURES`, grey): ``"brick"``, ``"grass"``, ``"gravel"``.

``"hopper"`` is the photograph of Grace Hopper that matplotlib ships with its sample data; the
generated styles (:data:`GENERATED`) are drawn here, deterministically, from a few lines of
numpy each, for lessons that need a controlled input:

- ``"swirls"``: coloured vortices, a stand-in for Van Gogh's brush strokes;
- ``"mosaic"``: irregular tiles with dark grout (a Voronoi diagram);
- ``"stripes"``: bold diagonal bands in three colours;
- ``"waves"``: interfering ripples in blue and gold.

Examples:
    >>> sample_image("stripes", size=64).shape
    torch.Size([1, 3, 64, 64])
    >>> bool((sample_image("mosaic", size=32) == sample_image("mosaic", size=32)).all())
    True
    >>> sample_image("starry_night", size=128).shape
    torch.Size([1, 3, 80, 128])
    >>> sample_credit("starry_night")
    'The Starry Night, Vincent van Gogh, 1889 (public domain)'
"""

from __future__ import annotations

import functools
import json
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

#: Where the shipped pictures and their manifest live.
ART_DIR: Path = Path(__file__).resolve().parent / "data" / "art"


@functools.cache
def art_manifest() -> dict[str, dict[str, str | int]]:
    """The shipped pictures' manifest, ``{name: entry}``, read from ``data/art/manifest.json``.

    Each entry has ``name, file, title, artist, year, kind`` (``painting``, ``photo`` or
    ``texture``), ``licence``, ``source``, ``width``, ``height``, ``bytes`` and ``sha256``.
    """
    entries = json.loads((ART_DIR / "manifest.json").read_text(encoding="utf-8"))
    return {entry["name"]: entry for entry in entries}


def _of_kind(kind: str) -> tuple[str, ...]:
    return tuple(name for name, entry in art_manifest().items() if entry["kind"] == kind)


#: The shipped paintings, photos and (grey) textures, by name.
PAINTINGS: tuple[str, ...] = _of_kind("painting")
PHOTOS: tuple[str, ...] = _of_kind("photo")
TEXTURES: tuple[str, ...] = _of_kind("texture")
#: The patterns drawn by :mod:`numpy` here.
GENERATED: tuple[str, ...] = tuple(_GENERATED)
#: Names that :func:`sample_image` accepts: content pictures first, then styles.
CONTENT_SAMPLES: tuple[str, ...] = (*PHOTOS, "hopper")
STYLE_SAMPLES: tuple[str, ...] = (*PAINTINGS, *TEXTURES, *GENERATED)
SAMPLE_NAMES: tuple[str, ...] = CONTENT_SAMPLES + STYLE_SAMPLES


def _hopper_path() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def sample_path(name: str) -> Path | None:
    """The file a sample is read from, or ``None`` for a generated pattern."""
    if name == "hopper":
        return _hopper_path()
    if name in art_manifest():
        return ART_DIR / str(art_manifest()[name]["file"])
    if name in _GENERATED:
        return None
    raise ValueError(f"unknown sample image {name!r}; samples are {', '.join(SAMPLE_NAMES)}")


def sample_credit(name: str) -> str:
    """One line saying what a sample is, who made it and under which licence.

    Examples:
        >>> sample_credit("chelsea")
        'Chelsea the cat, Stefan van der Walt (CC0)'
        >>> sample_credit("swirls")
        'swirls: a pattern generated by nst_teach.samples'
    """
    if name in art_manifest():
        entry = art_manifest()[name]
        who = ", ".join(str(x) for x in (entry["title"], entry["artist"], entry["year"]) if x)
        return f"{who} ({entry['licence']})"
    if name == "hopper":
        return "Grace Hopper, photograph shipped with matplotlib's sample data (public domain)"
    if name in _GENERATED:
        return f"{name}: a pattern generated by nst_teach.samples"
    raise ValueError(f"unknown sample image {name!r}; samples are {', '.join(SAMPLE_NAMES)}")


def sample_image(name: str, size: int | None = None) -> Tensor:
    """A built-in image as a tensor :math:`(1, 3, H, W)` in :math:`[0, 1]`, no network needed.

    Args:
        name: one of :data:`SAMPLE_NAMES` (grey textures come back with three equal channels).
        size: if given, the longer side in pixels.
    """
    path = sample_path(name)
    if path is not None:
        return load_image(path, size=size)
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


__all__ = [
    "ART_DIR",
    "CONTENT_SAMPLES",
    "GENERATED",
    "PAINTINGS",
    "PHOTOS",
    "SAMPLE_NAMES",
    "STYLE_SAMPLES",
    "TEXTURES",
    "art_manifest",
    "image_or_sample",
    "sample_credit",
    "sample_image",
    "sample_path",
]
