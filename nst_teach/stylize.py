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
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from .defaults import DEFAULT_ALPHA, DEFAULT_BETA
from .device import pick_device
from .images import resize_cover, resize_long_side
from .layers import PAPER_CONTENT_LAYERS, PAPER_STYLE_LAYERS, validate_layers
from .multiscale import scale_sizes, split_steps, upsample
from .objective import StyleObjective, check_weight
from .optimize import (
    DEFAULT_OPTIMIZER,
    STOP_NON_FINITE,
    Callback,
    NonFiniteLossError,
    NonFiniteLossWarning,
    check_optimizer,
    check_steps,
    optimize_pixels,
)
from .samples import image_or_sample
from .vgg import VGG19Features

INITS = ("content", "noise", "style")
#: With random weights (asked for, or the fallback when the ImageNet file cannot be had) and
#: no ``beta`` or ``layer_weights`` given, the loss is calibrated instead (see
#: :func:`random_weight_calibration`): each style layer's E_l is divided by its value at the
#: starting image and beta is this number times the content features' energy.
RANDOM_BETA_RELATIVE = 1e2

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
        stopped_early: why the optimisation stopped before ``steps``, in words, or ``None``.
        settings: the settings used (sizes, weights, layers ...).
        stop_reason: :data:`~nst_teach.optimize.STOP_NON_FINITE`,
            :data:`~nst_teach.optimize.STOP_CALLBACK`, or ``None``.
    """

    image: Tensor
    history: dict[str, list[float]]
    evals: int
    seconds: float
    weights: str
    stopped_early: str | None = None
    settings: dict[str, object] = field(default_factory=dict)
    stop_reason: str | None = None

    @property
    def seconds_per_eval(self) -> float:
        return self.seconds / max(self.evals, 1)

    @property
    def losses(self) -> dict[str, float]:
        """The last value of each loss component."""
        return {name: values[-1] for name, values in self.history.items() if values}


#: The longest side :func:`stylize` accepts: at 4096 pixels VGG-19's first layers alone hold
#: 4 GiB of activations per image (64 channels x 4096 x 4096 x 4 bytes, several times over).
MAX_SIZE = 4096

_EXTRACTORS: dict[tuple[object, ...], VGG19Features] = {}
_EXTRACTORS_KEPT = 4


def _weights_key(weights: str) -> object:
    """What identifies the weights: a file's path, size and modification time."""
    if weights in ("imagenet", "random"):
        return weights
    try:
        stat = Path(weights).stat()
    except OSError:
        return weights
    return (str(Path(weights).resolve()), stat.st_size, stat.st_mtime_ns)


def get_extractor(
    layers: tuple[str, ...], weights: str, pooling: str, device: str, channels_last: bool = False
) -> VGG19Features:
    """A cached :class:`VGG19Features`, so that repeated runs do not reload the weights.

    Only extractors that hold the weights asked for are kept: the random fallback of
    ``weights="imagenet"`` (when the ImageNet file cannot be had) is not kept under that
    name, so a later call tries the ImageNet weights again and a weights file put in place
    later in the session is used; a weights file that changes is read again.
    """
    key = (tuple(layers), _weights_key(str(weights)), pooling, str(device), bool(channels_last))
    extractor = _EXTRACTORS.pop(key, None)
    if extractor is None:
        extractor = VGG19Features(
            layers, weights=weights, pooling=pooling, channels_last=channels_last
        ).to(device)
        if str(weights) == "imagenet" and not extractor.pretrained:
            return extractor  # the fallback: not kept (see above)
    _EXTRACTORS[key] = extractor  # most recently used last
    while len(_EXTRACTORS) > _EXTRACTORS_KEPT:
        del _EXTRACTORS[next(iter(_EXTRACTORS))]
    return extractor


def cached_extractor(
    layers: Sequence[str],
    *,
    weights: str | Path = "imagenet",
    pooling: str = "max",
    device: str | torch.device = "cpu",
    channels_last: bool = False,
) -> VGG19Features:
    """The :class:`VGG19Features` for ``layers``, built once and kept for the session.

    What the lessons call instead of building a network each time: the same extractor as
    :func:`stylize` uses (a few are kept, most recently used first; the random fallback of
    ``weights="imagenet"`` is not kept, so a weights file put in place later is used).

    Examples:
        >>> vgg = cached_extractor(("conv1_1",), weights="random")
        >>> vgg is cached_extractor(("conv1_1",), weights="random")
        True
        >>> vgg(torch.rand(1, 3, 8, 8))["conv1_1"].shape
        torch.Size([1, 64, 8, 8])
    """
    return get_extractor(tuple(layers), str(weights), pooling, str(device), channels_last)


def clear_extractor_cache() -> None:
    """Forget every cached extractor (the next call of :func:`get_extractor` builds anew)."""
    _EXTRACTORS.clear()


get_extractor.cache_clear = clear_extractor_cache  # type: ignore[attr-defined]


def _as_image(
    spec: ImageLike,
    what: str,
    size: int | None = None,
    cover: tuple[int, int] | None = None,
) -> Tensor:
    """The image as a tensor (1, 3, H, W) on the CPU; a file is decoded at reduced size
    when ``size`` (its longer side) or ``cover`` (a size to cover) allows."""
    if isinstance(spec, Tensor):
        image = spec.detach().float()
        if image.dim() == 3:
            image = image.unsqueeze(0)
        if image.dim() != 4 or image.shape[:2] != (1, 3):
            raise ValueError(f"{what} image must have shape (1, 3, H, W), got {tuple(spec.shape)}")
        image = image.cpu().contiguous()
    else:
        image = image_or_sample(spec, size=size, cover=cover)
    if size is not None:
        image = resize_long_side(image, size)
    return image


def check_size(size: int | None) -> int | None:
    """Return ``size`` if it is ``None`` or a whole number of pixels in [1, MAX_SIZE]."""
    if size is None:
        return None
    if (
        isinstance(size, bool)
        or not isinstance(size, int | float)
        or not math.isfinite(size)
        or int(size) != size
        or size < 1
    ):
        raise ValueError(f"size must be a positive whole number of pixels, got {size!r}")
    if size > MAX_SIZE:
        raise ValueError(
            f"size must be at most {MAX_SIZE} pixels, got {size!r}: at that size VGG-19's "
            f"activations would need about {_activation_gb(int(size)):,.0f} GB"
        )
    return int(size)


def _activation_gb(side: int) -> float:
    """A rough lower bound on the memory of one forward and backward pass, in GB."""
    return 4 * 64 * side * side * 4 / 1e9  # four 64-channel float32 maps of the first block


def random_weight_calibration(
    objective: StyleObjective, start: Tensor, beta_relative: float | None = None
) -> tuple[dict[str, float], float]:
    r"""Per-layer weights and beta for features of random (untrained) weights.

    With random weights the layers' style losses :math:`E_l` differ by orders of magnitude
    (and differently from ImageNet's), so the paper's :math:`w_l = 1/L` lets one layer decide
    everything. Here every layer counts equally *relative to where it starts*, and beta is
    set relative to the content features' energy:

    .. math::

        w_l = \frac{1}{L \, E_l(x_0)}, \qquad
        \beta = \beta_\text{rel} \sum_{l \in C} \tfrac12 \sum_{ij} (P^l_{ij})^2,

    where :math:`x_0` is the starting image, so that :math:`\sum_l w_l E_l(x_0) = 1` and
    :math:`\mathcal{L}_\text{content} / \sum \frac12 P^2` is a relative error.
    ``beta_relative`` defaults to :data:`RANDOM_BETA_RELATIVE`. A layer whose
    :math:`E_l(x_0)` is zero keeps :math:`1/L`.

    Returns ``(layer_weights, beta)``.
    """
    rel = (
        RANDOM_BETA_RELATIVE
        if beta_relative is None
        else check_weight("beta_relative", beta_relative)
    )
    from .losses import style_layer_loss

    n_layers = len(objective.style_layers)
    with torch.no_grad():
        feats = objective.extractor(start)
        weights = {}
        for name in objective.style_layers:
            e = float(style_layer_loss(feats[name], objective.style_grams[name]))
            weights[name] = 1.0 / (n_layers * e) if e > 0 else 1.0 / n_layers
        energy = sum(
            0.5 * float((p.double() ** 2).sum()) for p in objective.content_targets.values()
        )
    return weights, rel * energy


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
    beta: float | None = None,
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
    fused: bool = True,
    beta_relative: float | None = None,
) -> StyleResult:
    r"""Minimise :math:`\alpha \mathcal{L}_\text{content} + \beta \mathcal{L}_\text{style}`
    (Eq. 7 of Gatys et al.) over the pixels of a new image.

    Which losses run: by default (``fused=True``) those of :mod:`nst_teach.fused`,
    :func:`~nst_teach.fused.fused_content_loss` and
    :func:`~nst_teach.fused.fused_style_layer_loss`: the values of Eqs. (1) and (4), with the
    backward passes of Eqs. (2) and (6) written out (one matrix product per style layer
    instead of autograd's two). ``fused=False`` runs the very functions of
    :mod:`nst_teach.losses` that the lessons build, :func:`~nst_teach.losses.content_loss`
    and :func:`~nst_teach.losses.style_layer_loss`, differentiated by autograd; the loss
    history is the same to rounding (``tests/test_stylize.py`` checks it).

    Args:
        content: the content image: a tensor :math:`(1, 3, H, W)` in :math:`[0, 1]`, a file
            path, or a sample name (see :func:`nst_teach.sample_image`).
        style: the style image, likewise; it is scaled and centre-cropped to the content's
            size so that the Gram matrices :math:`G^l` and :math:`A^l` sum over equally many
            positions :math:`M_l`.
        size: the longer side of the result in pixels (``None`` keeps the content's size).
        steps: how many times the objective is evaluated (one forward and backward pass each);
            with ``scales``, the total over all scales, or one count per scale.
        alpha, beta: the content and style weights of Eq. (7); beta defaults to
            :data:`DEFAULT_BETA` with trained weights.
        style_layers, content_layers: layer names; the paper's (rectified) by default.
        layer_weights: :math:`w_l` per style layer (default :math:`1/L`). With random
            weights and neither ``beta`` nor ``layer_weights`` given, both are calibrated
            for random features at each scale (:func:`random_weight_calibration`); the
            values used are in ``settings``.
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
            each, ``settings["scale_weights"]`` the ``beta`` and :math:`w_l` each used.
            ``init`` applies to the coarsest scale.
        fused: run the fused losses (the default, faster) or, with ``False``, those of
            :mod:`nst_teach.losses` (see above); passed to :class:`StyleObjective`.
        beta_relative: with the random-weight calibration (random weights, neither ``beta``
            nor ``layer_weights`` given), the style weight relative to the content features'
            energy (default :data:`RANDOM_BETA_RELATIVE`): the calibrated counterpart of
            the paper's :math:`\beta/\alpha`, the variable along the columns of arXiv
            1508.06576, Fig. 3. Ignored without the calibration.

    Returns:
        a :class:`StyleResult`. Pixels stay in :math:`[0, 1]` (they are clipped after each step).
        If the loss turns NaN or infinite the run stops, warns, and keeps the last image
        whose loss was finite; if it is not finite at the first evaluation,
        :class:`~nst_teach.optimize.NonFiniteLossError` (a ``ValueError``) is raised.

    Raises:
        ValueError: a setting is invalid (``size`` above :data:`MAX_SIZE`, an unknown layer,
            a negative weight ...), an image cannot be read, or the first loss is not finite.
    """
    steps, alpha, beta, tv_weight, style_layers, content_layers = _check_arguments(
        size, steps, scales, alpha, beta, tv_weight, style_layers, content_layers, init, optimizer
    )
    beta_relative = None if beta_relative is None else check_weight("beta_relative", beta_relative)
    dev = pick_device(device)

    content_img, style_img = _load_images(content, style, size)
    height, width = content_img.shape[-2:]
    plan = _plan(height, width, steps, scales)
    layers = tuple(dict.fromkeys(style_layers + content_layers))
    # Channels-last activations suit oneDNN's CPU convolutions (see VGG19Features).
    extractor = get_extractor(layers, str(weights), pooling, str(dev), dev.type == "cpu")
    for h, w in (hw for hw, _ in plan):
        what = "the content image" if (h, w) == (height, width) else "the coarsest scale"
        extractor.check_size(h, w, what=f"{what}, after resizing (size={size}),")
    # Random features get a calibrated loss unless the caller chose beta or w_l.
    calibrate = not extractor.pretrained and beta is None and layer_weights is None
    if beta is None:
        beta = DEFAULT_BETA

    scale_weights: list[dict[str, object]] = []  # what each scale's objective weighs by

    def objective_at(content_s: Tensor, style_s: Tensor, start: Tensor) -> StyleObjective:
        content_s, style_s = content_s.to(dev), style_s.to(dev)
        kwargs = {"content_layers": content_layers, "style_layers": style_layers}
        kwargs |= {"alpha": alpha, "tv_weight": tv_weight, "fused": fused}
        grams, weights_s, beta_s = None, layer_weights, beta
        if calibrate:  # the weights are computed first, then the objective is built with them
            probe = StyleObjective(extractor, content_s, style_s, beta=beta, **kwargs)
            weights_s, beta_s = random_weight_calibration(probe, start.to(dev), beta_relative)
            grams = probe.style_grams
        objective = StyleObjective(
            extractor, content_s, style_s, style_grams=grams, layer_weights=weights_s,
            beta=beta_s, **kwargs,
        )  # fmt: skip
        scale_weights.append({"beta": objective.beta, "layer_weights": objective.layer_weights})
        return objective

    run = _run_plan(
        plan,
        content_img,
        style_img,
        objective_at,
        init=init,
        seed=seed,
        device=dev,
        optimizer=optimizer,
        lr=lr,
        callback=callback,
        progress=progress,
    )
    settings = _settings(
        run, plan, scales, scale_weights, (height, width), alpha, calibrate, style_layers,
        content_layers, init, optimizer, tv_weight, seed, dev, pooling,
    )  # fmt: skip
    if calibrate:
        settings["beta_relative"] = RANDOM_BETA_RELATIVE if beta_relative is None else beta_relative
    return StyleResult(
        image=run.image,
        history=run.history,
        evals=sum(run.scale_evals),
        seconds=run.seconds,
        weights=extractor.weights_source,
        stopped_early=run.stopped_early,
        settings=settings,
        stop_reason=run.stop_reason,
    )


Plan = list[tuple[tuple[int, int], int]]


def _load_images(content: ImageLike, style: ImageLike, size: int | None) -> tuple[Tensor, Tensor]:
    """The content image at ``size`` and the style image covering it, centre-cropped."""
    content_img = _as_image(content, "content", size=size)
    height, width = content_img.shape[-2:]
    if max(height, width) > MAX_SIZE:
        raise ValueError(
            f"the content image is {width}x{height} pixels; give a size of at most {MAX_SIZE}"
        )
    style_img = resize_cover(_as_image(style, "style", cover=(height, width)), height, width)
    return content_img, style_img


def _plan(
    height: int, width: int, steps: int | Sequence[int], scales: Sequence[float] | None
) -> Plan:
    """``[((h, w), evaluations), ...]``: one entry, or one per scale of coarse-to-fine."""
    if scales is None:
        return [((height, width), check_steps(steps))]  # type: ignore[arg-type]
    return list(zip(scale_sizes(height, width, scales), split_steps(steps, scales)))


@dataclass
class _PlanRun:
    image: Tensor
    history: dict[str, list[float]]
    scale_evals: list[int]
    seconds: float
    stopped_early: str | None
    stop_reason: str | None
    objective: StyleObjective


def _run_plan(
    plan: Plan,
    content_img: Tensor,
    style_img: Tensor,
    objective_at: Callable[[Tensor, Tensor, Tensor], StyleObjective],
    *,
    init: str,
    seed: int,
    device: torch.device,
    optimizer: str,
    lr: float | None,
    callback: Callback | None,
    progress: bool,
) -> _PlanRun:
    """Optimise at each scale of ``plan`` in turn, each starting from the last's result;
    ``objective_at(content, style, start)`` gives each scale's objective."""
    height, width = content_img.shape[-2:]
    history: dict[str, list[float]] = {}
    scale_evals: list[int] = []
    seconds = 0.0
    image: Tensor | None = None
    stopped: str | None = None
    reason: str | None = None
    for (h, w), n_steps in plan:
        content_s, style_s = content_img, style_img
        if (h, w) != (height, width):
            content_s, style_s = resize_cover(content_img, h, w), resize_cover(style_img, h, w)
        start = initial_image(init, content_s, style_s, seed) if image is None else None
        if start is None:
            assert image is not None
            start = upsample(image, h, w)
        offset = sum(scale_evals)
        scale_callback = callback
        if callback is not None and offset:
            scale_callback = functools.partial(_shifted_callback, callback, offset)
        objective = objective_at(content_s, style_s, start)
        try:
            run = optimize_pixels(
                objective,
                start.to(device),
                steps=n_steps,
                optimizer=optimizer,
                lr=lr,
                callback=scale_callback,
                progress=progress,
            )
        except NonFiniteLossError as exc:
            if image is None:  # the very first evaluation: nothing to keep
                raise
            stopped = f"the loss became {exc.value} at the first evaluation of a finer scale"
            warnings.warn(
                stopped + "; the last finite image is kept", NonFiniteLossWarning, stacklevel=3
            )
            reason = STOP_NON_FINITE
            scale_evals.append(0)
            break
        image = run.image
        seconds += run.seconds
        scale_evals.append(run.evals)
        for name, values in run.history.items():
            history.setdefault(name, []).extend(values)
        if run.stop_reason is not None:
            stopped, reason = run.stopped_early, run.stop_reason
            break
    assert image is not None
    if tuple(image.shape[-2:]) != (height, width):  # stopped early at a coarse scale
        image = upsample(image, height, width)
    return _PlanRun(image, history, scale_evals, seconds, stopped, reason, objective)


def _check_arguments(
    size: int | None,
    steps: int | Sequence[int],
    scales: Sequence[float] | None,
    alpha: float,
    beta: float | None,
    tv_weight: float,
    style_layers: Sequence[str],
    content_layers: Sequence[str],
    init: str,
    optimizer: str,
) -> tuple[int | Sequence[int], float, float | None, float, tuple[str, ...], tuple[str, ...]]:
    """:func:`stylize`'s arguments checked, all at once before any work: a ``ValueError`` names
    the first bad one; returns the checked ``steps, alpha, beta, tv_weight`` and layers."""
    check_size(size)
    if scales is None:
        steps = check_steps(steps)
    alpha = check_weight("alpha", alpha)
    if beta is not None:
        beta = check_weight("beta", beta)
    tv_weight = check_weight("tv_weight", tv_weight)
    style = validate_layers(style_layers, "style layer")
    content = validate_layers(content_layers, "content layer")
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    check_optimizer(optimizer)
    return steps, alpha, beta, tv_weight, style, content


def _settings(
    run: _PlanRun,
    plan: Plan,
    scales: Sequence[float] | None,
    scale_weights: list[dict[str, object]],
    size: tuple[int, int],
    alpha: float,
    calibrate: bool,
    style_layers: tuple[str, ...],
    content_layers: tuple[str, ...],
    init: str,
    optimizer: str,
    tv_weight: float,
    seed: int,
    device: torch.device,
    pooling: str,
) -> dict[str, object]:
    """:attr:`StyleResult.settings`: what a run used (with ``scales``, each scale's weights)."""
    settings: dict[str, object] = {
        "size": size,
        "steps": sum(n for _, n in plan),
        "alpha": alpha,
        "beta": run.objective.beta,
        "calibrated": "random-weight calibration" if calibrate else None,
        "style_layers": style_layers,
        "content_layers": content_layers,
        "layer_weights": run.objective.layer_weights,
        "init": init,
        "optimizer": optimizer,
        "tv_weight": tv_weight,
        "seed": seed,
        "device": str(device),
        "pooling": pooling,
    }
    if scales is not None:
        settings["scales"] = tuple(float(x) for x in scales)
        settings["scale_sizes"] = [hw for hw, _ in plan]
        settings["scale_evals"] = run.scale_evals
        settings["scale_weights"] = scale_weights
    return settings


def _shifted_callback(
    callback: Callback, offset: int, evals: int, image: Tensor, losses: dict[str, float]
) -> object:
    """Call ``callback`` with evaluations counted from the start of the first scale."""
    return callback(offset + evals, image, losses)


__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_BETA",
    "INITS",
    "MAX_SIZE",
    "RANDOM_BETA_RELATIVE",
    "ImageLike",
    "Plan",
    "StyleResult",
    "cached_extractor",
    "check_size",
    "clear_extractor_cache",
    "get_extractor",
    "initial_image",
    "random_weight_calibration",
    "stylize",
]
