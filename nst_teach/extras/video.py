r"""Style transfer on a few video frames: the flicker of per-frame transfer, and one remedy.

Stylising each frame on its own gives results that change from frame to frame even where the
scene does not (Ruder, Dosovitskiy and Brox, "Artistic style transfer for videos", GCPR 2016,
arXiv:1604.08610): the objective has many minima and each frame's optimisation lands in
another one. Their remedies are to start each frame from the previous *result*, warped along
the optical flow, and to add a temporal loss that penalises deviations from it.

Here the "video" is a camera panning over a still photo (:func:`pan_frames`), so the optical
flow is known exactly: a translation by the pan's shift. That keeps the lesson's measurements
honest: the input frames agree perfectly once aligned (:func:`warping_error` is zero), so any
misalignment in the results is flicker that the transfer added.

Examples:
    >>> import torch
    >>> photo = torch.rand(1, 3, 20, 30)
    >>> frames = pan_frames(photo, 3, shift=(0, 2))
    >>> [tuple(f.shape[-2:]) for f in frames]
    [(20, 26), (20, 26), (20, 26)]
    >>> warping_error(frames, shift=(0, 2)).tolist()
    [0.0, 0.0]
    >>> bool((frame_differences(frames) > 0).all())
    True
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..objective import StyleObjective, check_weight
from ..optimize import OptimizationRun, optimize_pixels
from ..vgg import VGG19Features

METHODS = ("independent", "warm", "temporal")


def _check_frame(frame: Tensor, what: str = "frame") -> None:
    if frame.dim() != 4 or frame.shape[1] != 3:
        raise ValueError(f"{what} must have shape (B, 3, H, W), got {tuple(frame.shape)}")


def pan_frames(
    image: Tensor,
    n_frames: int,
    shift: tuple[int, int] = (0, 4),
    size: tuple[int, int] | None = None,
) -> list[Tensor]:
    r"""Frames of a camera panning over ``image``: crops moved by ``shift`` pixels per frame.

    Frame :math:`t` is the crop whose top-left corner is :math:`t \cdot (d_y, d_x)` (shifted
    so that all corners are inside the image), of size ``size`` (default: as large as fits).
    Content that sits at :math:`(y, x)` in frame :math:`t` sits at
    :math:`(y - d_y, x - d_x)` in frame :math:`t + 1`.

    Args:
        image: :math:`(1, 3, H, W)`.
        n_frames: how many frames (at least 2).
        shift: :math:`(d_y, d_x)`, whole pixels per frame; either may be negative.
        size: :math:`(h, w)` of each frame.

    Examples:
        >>> import torch
        >>> img = torch.arange(2 * 5.0).view(1, 1, 2, 5).expand(1, 3, 2, 5)
        >>> [f[0, 0, 0].tolist() for f in pan_frames(img, 3, shift=(0, 1))]
        [[0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [2.0, 3.0, 4.0]]
        >>> pan_frames(img, 3, shift=(0, 2))
        Traceback (most recent call last):
        ...
        ValueError: a pan of 3 frames by (0, 2) leaves a 1x2 crop of the 5x2 image; use a smaller shift or fewer frames
    """
    _check_frame(image, "image")
    if isinstance(n_frames, bool) or int(n_frames) != n_frames or n_frames < 2:
        raise ValueError(f"n_frames must be a whole number >= 2, got {n_frames!r}")
    dy, dx = (int(s) for s in shift)
    height, width = image.shape[-2:]
    travel_y, travel_x = abs(dy) * (n_frames - 1), abs(dx) * (n_frames - 1)
    h, w = (height - travel_y, width - travel_x) if size is None else size
    if h < 2 or w < 2 or h + travel_y > height or w + travel_x > width:
        raise ValueError(
            f"a pan of {n_frames} frames by {(dy, dx)} leaves a {w}x{h} crop of the "
            f"{width}x{height} image; use a smaller shift or fewer frames"
        )
    y0 = travel_y if dy < 0 else 0
    x0 = travel_x if dx < 0 else 0
    frames = []
    for t in range(n_frames):
        y, x = y0 + t * dy, x0 + t * dx
        frames.append(image[..., y : y + h, x : x + w].clone())
    return frames


def translate(image: Tensor, dy: int, dx: int, fill: Tensor | None = None) -> tuple[Tensor, Tensor]:
    r"""Move the content of ``image`` by :math:`(d_y, d_x)` whole pixels: the warp of a pan.

    .. math::

        \omega_{:, y, x} = x_{:, y - d_y, x - d_x},

    where that pixel exists; elsewhere (the strip that came into view) :math:`\omega` is taken
    from ``fill`` (zeros by default) and the mask :math:`c` is 0. Ruder et al. call :math:`c`
    the per-pixel weights of the temporal loss (0 at disocclusions).

    Returns:
        ``(warped, mask)``, with shapes :math:`(B, C, H, W)` and :math:`(1, 1, H, W)`.

    Examples:
        >>> import torch
        >>> row = torch.tensor([[[[1.0, 2.0, 3.0]]]])
        >>> warped, mask = translate(row, 0, 1)
        >>> warped.tolist(), mask.tolist()
        ([[[[0.0, 1.0, 2.0]]]], [[[[0.0, 1.0, 1.0]]]])
        >>> translate(row, 0, -1, fill=torch.full_like(row, 9.0))[0].tolist()
        [[[[2.0, 3.0, 9.0]]]]
    """
    height, width = image.shape[-2:]
    dy, dx = int(dy), int(dx)
    warped = image.new_zeros(image.shape) if fill is None else fill.clone().to(image)
    mask = image.new_zeros((1, 1, height, width))
    ys, yd = (
        (slice(0, height - dy), slice(dy, height))
        if dy >= 0
        else (slice(-dy, height), slice(0, height + dy))
    )
    xs, xd = (
        (slice(0, width - dx), slice(dx, width))
        if dx >= 0
        else (slice(-dx, width), slice(0, width + dx))
    )
    if abs(dy) < height and abs(dx) < width:
        warped[..., yd, xd] = image[..., ys, xs]
        mask[..., yd, xd] = 1.0
    return warped, mask


def warp_to_next(
    frame: Tensor, shift: tuple[int, int], fill: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    r"""Warp frame :math:`t` of a pan by ``shift`` onto frame :math:`t + 1` (see :func:`translate`).

    Examples:
        >>> import torch
        >>> img = torch.rand(1, 3, 8, 12)
        >>> a, b = pan_frames(img, 2, shift=(1, 2))
        >>> warped, mask = warp_to_next(a, (1, 2))
        >>> torch.equal(warped * mask, b * mask), int(mask.sum())
        (True, 48)
    """
    return translate(frame, -int(shift[0]), -int(shift[1]), fill)


def warping_error(frames: Sequence[Tensor], shift: tuple[int, int]) -> Tensor:
    r"""Flicker: for each pair of frames, the mean absolute difference between frame
    :math:`t + 1` and frame :math:`t` warped onto it, over the pixels seen in both,

    .. math::

        e_t = \frac{\sum_{y,x} c_{y,x} \sum_k |x^{t+1}_{k,y,x} - \omega^t_{k,y,x}|}
                   {3 \sum_{y,x} c_{y,x}}.

    Zero for the frames of a pan; what a per-frame stylisation adds is its flicker.

    Returns:
        a tensor of :math:`T - 1` values.

    Examples:
        >>> import torch
        >>> a = torch.zeros(1, 3, 4, 4)
        >>> warping_error([a, a + 0.5], shift=(0, 1)).tolist()
        [0.5]
    """
    errors = []
    for prev, nxt in itertools.pairwise(frames):
        warped, mask = warp_to_next(prev, shift)
        diff = (nxt - warped).abs() * mask
        errors.append(diff.sum() / (mask.sum() * nxt.shape[1]).clamp_min(1))
    return torch.stack(errors)


def frame_differences(frames: Sequence[Tensor]) -> Tensor:
    r"""The mean absolute difference of consecutive frames, without alignment.

    Examples:
        >>> import torch
        >>> frame_differences([torch.zeros(1, 3, 2, 2), torch.ones(1, 3, 2, 2)]).tolist()
        [1.0]
    """
    return torch.stack([(b - a).abs().mean() for a, b in itertools.pairwise(frames)])


def temporal_loss(image: Tensor, warped: Tensor, mask: Tensor) -> Tensor:
    r"""Ruder et al.'s short-term temporal loss (GCPR 2016, arXiv:1604.08610):

    .. math::

        \mathcal{L}_\text{temporal}(x, \omega, c) = \frac{1}{D} \sum_{k=1}^{D} c_k (x_k - \omega_k)^2,

    :math:`D = C \cdot H \cdot W`, :math:`\omega` the previous result warped onto this frame,
    :math:`c \in [0, 1]` per pixel (0 where the pixel was not seen before).

    Args:
        image, warped: :math:`(1, C, H, W)`; mask: :math:`(1, 1, H, W)`.

    Examples:
        >>> import torch
        >>> x, w = torch.ones(1, 3, 2, 2), torch.zeros(1, 3, 2, 2)
        >>> mask = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
        >>> temporal_loss(x, w, mask)
        tensor(0.2500)
    """
    return (mask * (image - warped) ** 2).mean()


@dataclass
class VideoResult:
    """What :func:`stylize_frames` returns.

    Attributes:
        frames: the stylised frames, each :math:`(1, 3, H, W)` in :math:`[0, 1]`.
        runs: each frame's :class:`~nst_teach.optimize.OptimizationRun`.
        method: ``"independent"``, ``"warm"`` or ``"temporal"``.
    """

    frames: list[Tensor]
    runs: list[OptimizationRun]
    method: str

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)


def stylize_frames(
    frames: Sequence[Tensor],
    style: Tensor,
    extractor: VGG19Features,
    *,
    shift: tuple[int, int],
    steps: int,
    method: str = "independent",
    init: str = "content",
    temporal_weight: float = 1e4,
    seed: int = 0,
    callback: Callable[[int], object] | None = None,
    **objective_kwargs: object,
) -> VideoResult:
    r"""Stylise the frames of a pan, each on its own or tied to the previous result.

    Methods (after Ruder et al. 2016):

    - ``"independent"``: every frame from its own start (``init``: ``"noise"`` with seed
      ``seed + t``, or ``"content"``, the frame itself), as an image-by-image tool would.
    - ``"warm"``: frame 0 as above; frame :math:`t > 0` starts from the previous result
      warped by the known motion (the strip that came into view from the frame itself).
    - ``"temporal"``: ``"warm"`` plus ``temporal_weight`` times :func:`temporal_loss`
      towards that warped result.

    Args:
        frames: the content frames, from :func:`pan_frames`.
        style: the style image, the frames' size (resize it with
            :func:`nst_teach.images.resize_cover`).
        extractor: a :class:`~nst_teach.vgg.VGG19Features` computing the layers used.
        shift: the pan's :math:`(d_y, d_x)` per frame.
        steps: L-BFGS evaluations per frame.
        callback: called with the frame index after each frame (a progress bar).
        objective_kwargs: passed to :class:`~nst_teach.objective.StyleObjective`
            (``content_layers``, ``style_layers``, ``alpha``, ``beta``, ...).

    Examples:
        >>> import torch
        >>> from nst_teach.vgg import VGG19Features
        >>> vgg = VGG19Features(["conv1_1", "conv2_1"], weights="random")
        >>> frames = pan_frames(torch.rand(1, 3, 16, 20), 3, shift=(0, 2))
        >>> out = stylize_frames(frames, torch.rand(1, 3, 16, 16), vgg, shift=(0, 2), steps=3,
        ...                      method="temporal", content_layers=["conv2_1"],
        ...                      style_layers=["conv1_1"])
        >>> len(out.frames), sorted(out.runs[1].history)
        (3, ['content', 'style', 'temporal', 'total', 'tv'])
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if init not in ("noise", "content"):
        raise ValueError(f"init must be 'noise' or 'content', got {init!r}")
    temporal_weight = check_weight("temporal_weight", temporal_weight)
    if len(frames) < 1:
        raise ValueError("no frames given")
    for f in frames:
        _check_frame(f)
    _check_frame(style, "style")
    results: list[Tensor] = []
    runs: list[OptimizationRun] = []
    for t, frame in enumerate(frames):
        objective = StyleObjective(extractor, frame, style, **objective_kwargs)  # type: ignore[arg-type]
        loss_fn: Callable[[Tensor], dict[str, Tensor]] = objective
        if t == 0 or method == "independent":
            if init == "noise":
                generator = torch.Generator().manual_seed(seed + t)
                start = torch.rand(frame.shape, generator=generator)
            else:
                start = frame.clone()
        else:
            start, mask = warp_to_next(results[-1], shift, fill=frame)
            if method == "temporal":
                loss_fn = _with_temporal(objective, start.clone(), mask, temporal_weight)
        run = optimize_pixels(loss_fn, start, steps=steps, progress=False)
        results.append(run.image)
        runs.append(run)
        if callback is not None:
            callback(t)
    return VideoResult(results, runs, method)


def _with_temporal(
    objective: Callable[[Tensor], dict[str, Tensor]], warped: Tensor, mask: Tensor, weight: float
) -> Callable[[Tensor], dict[str, Tensor]]:
    def loss_fn(x: Tensor) -> dict[str, Tensor]:
        losses = dict(objective(x))
        losses["temporal"] = temporal_loss(x, warped, mask)
        losses["total"] = losses["total"] + weight * losses["temporal"]
        return losses

    return loss_fn


__all__ = [
    "METHODS",
    "VideoResult",
    "frame_differences",
    "pan_frames",
    "stylize_frames",
    "temporal_loss",
    "translate",
    "warp_to_next",
    "warping_error",
]
