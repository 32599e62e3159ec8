r"""Neural style transfer by optimising the pixels (Gatys, Ecker and Bethge 2016, Sec. 2).

Examples:
    >>> import torch
    >>> content, style = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32)
    >>> result = stylize(content, style, size=32, steps=5, weights="random",
    ...                  style_layers=["conv1_1", "conv2_1"], content_layers=["conv2_1"],
    ...                  progress=False)
    >>> result.image.shape, result.evals
    (torch.Size([1, 3, 32, 32]), 5)
    >>> result.history["total"][-1] < result.history["total"][0]
    True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from .device import pick_device
from .images import resize_cover, resize_long_side
from .layers import PAPER_CONTENT_LAYERS, PAPER_STYLE_LAYERS, validate_layers
from .multiscale import scale_sizes, split_steps, upsample
from .objective import StyleObjective, check_weight
from .optimize import DEFAULT_OPTIMIZER, Callback, check_optimizer, check_steps, optimize_pixels
from .samples import image_or_sample
from .vgg import VGG19Features

INITS = ("content", "noise", "style")
#: Default loss weights (see the lesson on normalisations for what a "style weight" means).
DEFAULT_ALPHA = 1.0
DEFAULT_BETA = 1e6

ImageLike = Tensor | str | Path


@dataclass
class StyleResult:
    """What :func:`stylize` returns.

    Attributes:
        image: the stylised image, :math:`(1, 3, H, W)` in :math:`[0, 1]`, on the CPU.
        history: ``{"content", "style", "tv", "total"}`` -> the value at each evaluation.
        evals: how many times the objective (a forward and a backward pass) was evaluated.
        seconds: time spent optimising (model loading and targets excluded).
        weights: which VGG weights were used, in words.
        stopped_early: why the optimisation stopped before ``steps``, or ``None``.
    """

    image: Tensor
    history: dict[str, list[float]]
    evals: int
    seconds: float
    weights: str
    stopped_early: str | None = None
    settings: dict[str, object] = field(default_factory=dict)

    @property
    def seconds_per_eval(self) -> float:
        return self.seconds / max(self.evals, 1)

    @property
    def losses(self) -> dict[str, float]:
        """The last value of each loss component."""
        return {name: values[-1] for name, values in self.history.items() if values}


@functools.lru_cache(maxsize=4)
def get_extractor(
    layers: tuple[str, ...], weights: str, pooling: str, device: str, channels_last: bool = False
) -> VGG19Features:
    """A cached :class:`VGG19Features`, so that repeated runs do not reload the weights."""
    extractor = VGG19Features(layers, weights=weights, pooling=pooling, channels_last=channels_last)
    return extractor.to(device)


def _as_image(spec: ImageLike, what: str) -> Tensor:
    if isinstance(spec, Tensor):
        image = spec.detach().float()
        if image.dim() == 3:
            image = image.unsqueeze(0)
        if image.dim() != 4 or image.shape[:2] != (1, 3):
            raise ValueError(f"{what} image must have shape (1, 3, H, W), got {tuple(spec.shape)}")
        return image.cpu()
    return image_or_sample(spec)


def initial_image(init: str, content: Tensor, style: Tensor, seed: int) -> Tensor:
    """The starting point: the content image, the style image, or white noise in [0, 1]."""
    if init == "content":
        return content.clone()
    if init == "style":
        return style.clone()
    if init == "noise":
        generator = torch.Generator().manual_seed(seed)
        return torch.rand(content.shape, generator=generator)
    raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")


def stylize(
    content: ImageLike,
    style: ImageLike,
    *,
    size: int | None = 256,
    steps: int | Sequence[int] = 300,
    alpha: float = DEFAULT_ALPHA,
    beta: float = DEFAULT_BETA,
    style_layers: Sequence[str] = PAPER_STYLE_LAYERS,
    content_layers: Sequence[str] = PAPER_CONTENT_LAYERS,
    layer_weights: Mapping[str, float] | Sequence[float] | None = None,
    init: str = "content",
    optimizer: str = DEFAULT_OPTIMIZER,
    lr: float | None = None,
    tv_weight: float = 0.0,
    seed: int = 0,
    device: str | torch.device | None = None,
    weights: str = "imagenet",
    pooling: str = "max",
    callback: Callback | None = None,
    progress: bool = True,
    scales: Sequence[float] | None = None,
) -> StyleResult:
    r"""Minimise :math:`\alpha \mathcal{L}_\text{content} + \beta \mathcal{L}_\text{style}`
    (Eq. 7 of Gatys et al.) over the pixels of a new image.

    Args:
        content: the content image: a tensor :math:`(1, 3, H, W)` in :math:`[0, 1]`, a file
            path, or a sample name (see :func:`nst_teach.sample_image`).
        style: the style image, likewise; it is scaled and centre-cropped to the content's
            size so that the Gram matrices :math:`G^l` and :math:`A^l` sum over equally many
            positions :math:`M_l`.
        size: the longer side of the result in pixels (``None`` keeps the content's size).
        steps: how many times the objective is evaluated (one forward and backward pass each);
            with ``scales``, the total over all scales, or one count per scale.
        alpha, beta: the content and style weights of Eq. (7).
        style_layers, content_layers: layer names; the paper's by default.
        layer_weights: :math:`w_l` per style layer (default :math:`1/L`).
        init: start from ``"content"``, white ``"noise"`` or the ``"style"`` image.
        optimizer: the default :data:`~nst_teach.optimize.DEFAULT_OPTIMIZER`; ``"lbfgs"``
            (L-BFGS as in the paper, the pixels clipped after each step), the bounded
            quasi-Newton methods ``"lbfgsb"``, ``"projected-lbfgs"``, ``"sigmoid-lbfgs"``
            (see :mod:`nst_teach.bounded`), ``"adam"`` or plain gradient descent ``"gd"``.
        lr: step size (defaults in :data:`DEFAULT_LR`).
        tv_weight: weight of the total-variation smoothness term.
        seed: seeds the noise initialisation; the same seed gives the same image on the CPU.
        device: ``"cpu"``, ``"cuda"``, ``"mps"``; by default the best one present.
        weights, pooling: passed to :class:`VGG19Features`.
        callback: called after each step as ``callback(evals, image, losses)``; it may show
            the image as it forms. If it returns ``True`` the optimisation stops.
        progress: show a progress bar (live in a notebook).
        scales: coarse-to-fine (off by default, as in the paper): for instance ``(0.5, 1.0)``
            first optimises a half-size image, then starts the full-size optimisation from it,
            upsampled. Each scale minimises the same objective on the content and style
            images resized to it; a half-size evaluation costs about a quarter of a full one.
            An int ``steps`` is split in proportion to the scales (``(0.5, 1.0)`` with 300:
            100 then 200, see :func:`nst_teach.multiscale.split_steps`). The history holds
            every scale's evaluations in turn; ``settings["scale_evals"]`` says how many
            each. ``init`` applies to the coarsest scale.

    Returns:
        a :class:`StyleResult`. Pixels stay in :math:`[0, 1]` (they are clipped after each step).
        If the loss turns NaN or infinite the run stops, warns, and keeps the last image
        whose loss was finite.
    """
    if scales is None:
        steps = check_steps(steps)
    alpha, beta = check_weight("alpha", alpha), check_weight("beta", beta)
    tv_weight = check_weight("tv_weight", tv_weight)
    style_layers = validate_layers(style_layers, "style layer")
    content_layers = validate_layers(content_layers, "content layer")
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    check_optimizer(optimizer)
    dev = pick_device(device)

    content_img = _as_image(content, "content")
    if size is not None:
        content_img = resize_long_side(content_img, size)
    height, width = content_img.shape[-2:]
    style_img = resize_cover(_as_image(style, "style"), height, width)
    if scales is None:
        plan = [((height, width), steps)]
    else:
        plan = list(zip(scale_sizes(height, width, scales), split_steps(steps, scales)))
        steps = sum(n for _, n in plan)

    layers = tuple(dict.fromkeys(style_layers + content_layers))
    # Channels-last activations suit oneDNN's CPU convolutions (see VGG19Features).
    extractor = get_extractor(layers, str(weights), pooling, str(dev), dev.type == "cpu")
    for h, w in (hw for hw, _ in plan):
        what = "the content image" if (h, w) == (height, width) else "the coarsest scale"
        extractor.check_size(h, w, what=f"{what}, after resizing,")

    history: dict[str, list[float]] = {}
    scale_evals: list[int] = []
    seconds = 0.0
    stopped: str | None = None
    image: Tensor | None = None
    objective: StyleObjective | None = None
    for (h, w), n_steps in plan:
        if (h, w) == (height, width):
            content_s, style_s = content_img, style_img
        else:
            content_s, style_s = resize_cover(content_img, h, w), resize_cover(style_img, h, w)
        objective = StyleObjective(
            extractor,
            content_s.to(dev),
            style_s.to(dev),
            content_layers=content_layers,
            style_layers=style_layers,
            layer_weights=layer_weights,
            alpha=alpha,
            beta=beta,
            tv_weight=tv_weight,
        )
        if image is None:
            start = initial_image(init, content_s, style_s, seed)
        else:
            start = upsample(image, h, w)
        offset = sum(scale_evals)
        scale_callback = callback
        if callback is not None and offset:
            scale_callback = functools.partial(_shifted_callback, callback, offset)
        run = optimize_pixels(
            objective,
            start.to(dev),
            steps=n_steps,
            optimizer=optimizer,
            lr=lr,
            callback=scale_callback,
            progress=progress,
        )
        image = run.image
        seconds += run.seconds
        scale_evals.append(run.evals)
        for name, values in run.history.items():
            history.setdefault(name, []).extend(values)
        if run.stopped_early is not None:
            stopped = run.stopped_early
            break
    assert image is not None and objective is not None
    if tuple(image.shape[-2:]) != (height, width):  # stopped early at a coarse scale
        image = upsample(image, height, width)
    settings: dict[str, object] = {
        "size": (height, width),
        "steps": steps,
        "alpha": alpha,
        "beta": beta,
        "style_layers": style_layers,
        "content_layers": content_layers,
        "layer_weights": objective.layer_weights,
        "init": init,
        "optimizer": optimizer,
        "tv_weight": tv_weight,
        "seed": seed,
        "device": str(dev),
        "pooling": pooling,
    }
    if scales is not None:
        settings["scales"] = tuple(float(x) for x in scales)
        settings["scale_sizes"] = [hw for hw, _ in plan]
        settings["scale_evals"] = scale_evals
    return StyleResult(
        image=image,
        history=history,
        evals=sum(scale_evals),
        seconds=seconds,
        weights=extractor.weights_source,
        stopped_early=stopped,
        settings=settings,
    )


def _shifted_callback(
    callback: Callback, offset: int, evals: int, image: Tensor, losses: dict[str, float]
) -> object:
    """Call ``callback`` with evaluations counted from the start of the first scale."""
    return callback(offset + evals, image, losses)
