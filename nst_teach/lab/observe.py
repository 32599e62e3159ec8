r"""Numbers that check what a lesson says it shows: how much a grid's rows differ, how large
a texture's structures are, how smooth an image is.

A sentence such as "the rows differ", "TV smooths" or "the textures grow in scale" is an
observation; the lessons print these numbers on the reference run and on the live run, so
that the run itself checks the sentence.

- :func:`grid_step_difference`: the mean absolute pixel difference between neighbouring
  cells of a grid, along its rows or its columns,

  .. math::

      D_\text{rows} = \frac{1}{(R - 1) C} \sum_{r < R} \sum_{c}
      \operatorname{mean} |x_{r+1, c} - x_{r, c}|

  (images :math:`(1, 3, H, W)` in :math:`[0, 1]`; 0 when neighbouring rows are equal).
- :func:`dominant_scale`: the wavelength in pixels at the centroid of the image's radially
  averaged power spectrum (mean removed, luminance),

  .. math::

      \lambda = 1 / \bar f, \qquad
      \bar f = \frac{\sum_k |\hat x_k|^2 \, \|k\|}{\sum_k |\hat x_k|^2},

  with :math:`k` in cycles per pixel: larger when the structures are larger.

Examples:
    >>> import math, torch
    >>> def waves(period):  # vertical sine stripes, one wavelength every ``period`` pixels
    ...     row = 0.5 + 0.5 * torch.sin(2 * math.pi * torch.arange(64.0) / period)
    ...     return row.expand(1, 3, 64, 64)
    >>> round(dominant_scale(waves(16)), 6), round(dominant_scale(waves(4)), 6)
    (16.0, 4.0)
    >>> grid = {(r, c): torch.full((1, 3, 4, 4), 0.1 * r) for r in range(3) for c in range(2)}
    >>> round(grid_step_difference(grid, along="rows"), 6), grid_step_difference(grid, along="cols")
    (0.1, 0.0)
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping

import torch
from torch import Tensor

__all__ = ["dominant_scale", "grid_step_difference"]


def dominant_scale(image: Tensor) -> float:
    """The wavelength (pixels) at the centroid of the power spectrum of ``image`` (1, 3, H, W)."""
    if image.dim() != 4 or image.shape[1] not in (1, 3):
        raise ValueError(f"image must have shape (1, 3, H, W), got {tuple(image.shape)}")
    x = image.detach().double().cpu()
    x = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2] if x.shape[1] == 3 else x[:, 0]
    x = x - x.mean()
    power = torch.fft.fft2(x).abs().square()[0]
    h, w = power.shape
    fy = torch.fft.fftfreq(h, dtype=torch.float64).view(-1, 1)
    fx = torch.fft.fftfreq(w, dtype=torch.float64).view(1, -1)
    radius = (fy.square() + fx.square()).sqrt()
    total = float(power.sum())
    if total == 0.0:
        return float("inf")  # a flat image: no structure at any scale
    return total / float((power * radius).sum())


def grid_step_difference(
    grid: Mapping[tuple[Hashable, Hashable], Tensor], along: str = "rows"
) -> float:
    """Mean absolute difference between neighbouring cells of ``grid[(row, col)]``.

    ``along="rows"``: between each row and the next (same column); ``"cols"``: between each
    column and the next (same row). Rows and columns are taken in the order the keys first
    appear.
    """
    if along not in ("rows", "cols"):
        raise ValueError(f"along must be 'rows' or 'cols', got {along!r}")
    rows = list(dict.fromkeys(r for r, _ in grid))
    cols = list(dict.fromkeys(c for _, c in grid))
    outer, inner = (cols, rows) if along == "rows" else (rows, cols)
    diffs = []
    for o in outer:
        for a, b in itertools.pairwise(inner):
            key_a, key_b = ((a, o), (b, o)) if along == "rows" else ((o, a), (o, b))
            diffs.append(float((grid[key_b].float() - grid[key_a].float()).abs().mean()))
    if not diffs:
        raise ValueError(f"the grid needs at least two {along} to compare")
    return sum(diffs) / len(diffs)
