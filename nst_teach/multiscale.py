r"""Coarse-to-fine: optimise a small image first, then refine it at full size.

An evaluation at half the side costs about a quarter of one at full size (every layer has a
quarter of the positions :math:`M_l`), and the large-scale arrangement of the style forms
there as well as at full size. The upsampled coarse result is then the start of the
full-size optimisation, which mainly has to add the fine detail. The objective at each
scale is Eq. (7) of Gatys et al. on the content and style images resized to that scale;
only the starting point of the full-size run changes, so the image it converges to may be
a different (equally valid) local minimum. Whether it pays depends on the layers: with deep
style layers (the paper's, up to ``conv5_1``, whose receptive fields span much of the image)
the coarse scale does real work; with shallow ones (the PyTorch tutorial's, up to
``conv3_1``) there is little large-scale structure to settle and it helps less
(``benchmarks/bench_stylize.py`` measures it).

Examples:
    >>> scale_sizes(256, 192, (0.5, 1.0))
    [(128, 96), (256, 192)]
    >>> split_steps(350, (0.25, 0.5, 1.0))
    [50, 100, 200]
    >>> import torch
    >>> upsample(torch.zeros(1, 3, 4, 4), 8, 6).shape
    torch.Size([1, 3, 8, 6])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import torch.nn.functional as F
from torch import Tensor


def check_scales(scales: Sequence[float]) -> tuple[float, ...]:
    """Return ``scales`` as a tuple if they increase strictly and end at 1, else raise.

    Examples:
        >>> check_scales([0.5, 1])
        (0.5, 1.0)
    """
    try:
        out = tuple(float(s) for s in scales)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scales must be a sequence of numbers, got {scales!r}") from exc
    if not out or out[-1] != 1.0:
        raise ValueError(f"scales must end with 1.0 (the full size), got {scales!r}")
    if any(not 0.0 < s <= 1.0 for s in out) or any(a >= b for a, b in pairwise(out)):
        raise ValueError(f"scales must increase strictly, each in (0, 1], got {scales!r}")
    return out


def scale_sizes(height: int, width: int, scales: Sequence[float]) -> list[tuple[int, int]]:
    """The image size ``(height, width)`` at each scale (rounded, at least one pixel)."""
    return [(max(1, round(height * s)), max(1, round(width * s))) for s in check_scales(scales)]


def split_steps(steps: int | Sequence[int], scales: Sequence[float]) -> list[int]:
    r"""Evaluations at each scale.

    A sequence gives them explicitly (one whole number >= 1 per scale). A single number is the
    total over all scales, shared in proportion to the scales: with scales :math:`s_k` scale
    :math:`k` gets :math:`s_k / \sum_j s_j` of ``steps`` (rounded, at least one; the full size
    gets the rest). Since an evaluation at scale :math:`s` costs about :math:`s^2` of a full
    one, the coarse levels are cheap.

    Examples:
        >>> split_steps(200, (0.5, 1.0))
        [67, 133]
        >>> split_steps([40, 100], (0.5, 1.0))
        [40, 100]
        >>> split_steps(8, (0.92, 0.94, 0.96, 0.98, 1.0))  # always the total asked for
        [1, 2, 2, 2, 1]
    """
    scales = check_scales(scales)
    if isinstance(steps, int | float) and not isinstance(steps, bool):
        if not math.isfinite(steps):
            raise ValueError(f"steps must be a whole number, got {steps!r}")
        total = int(steps)
        if total != steps or total < len(scales):
            raise ValueError(
                f"steps must be a whole number >= {len(scales)} (one per scale), got {steps!r}"
            )
        counts = [max(1, round(total * s / sum(scales))) for s in scales[:-1]]
        while total - sum(counts) < 1:  # rounding up gave the coarse scales too many
            counts[counts.index(max(counts))] -= 1
        return [*counts, total - sum(counts)]
    counts = list(steps)
    if len(counts) != len(scales):
        raise ValueError(f"{len(counts)} step counts given for {len(scales)} scales {scales}")
    for c in counts:
        if (
            isinstance(c, bool)
            or not isinstance(c, int | float)
            or not math.isfinite(c)
            or int(c) != c
            or c < 1
        ):
            raise ValueError(f"steps per scale must be whole numbers >= 1, got {steps!r}")
    return [int(c) for c in counts]


def upsample(image: Tensor, height: int, width: int) -> Tensor:
    """Bilinear upsampling of :math:`(B, C, H, W)` to ``height`` x ``width``, kept in [0, 1]."""
    if tuple(image.shape[-2:]) == (height, width):
        return image.clone()
    out = F.interpolate(image, size=(height, width), mode="bilinear", align_corners=False)
    return out.clamp_(0.0, 1.0)


__all__ = ["check_scales", "scale_sizes", "split_steps", "upsample"]
