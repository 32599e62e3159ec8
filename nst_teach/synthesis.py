r"""Images from one kind of target alone: content reconstructions (lesson 02) and textures
(lesson 04), the two halves of style transfer (Gatys, Ecker and Bethge 2016, Fig. 1).

A **content reconstruction** starts from white noise and minimises the content loss of Eq. (1)
at one layer :math:`l`; a **texture** starts from white noise and minimises the style loss of
Eq. (5) over a set of layers with equal shares at the start,

.. math::

    \hat x = \arg\min_x \tfrac12 \sum_{ij} \big(F^l_{ij}(x) - P^l_{ij}\big)^2, \qquad
    \hat x = \arg\min_x \sum_{l \in S} \frac{E_l(x)}{|S| \, E_l(x_0)},

over the pixels of an image :math:`(1, 3, H, W)` in :math:`[0, 1]`. Both use average pooling
by default, as the paper does for its pictures (CVPR 2016, Sec. 2), and L-BFGS that keeps the
pixels in :math:`[0, 1]` (``"projected-lbfgs"``, :mod:`nst_teach.bounded`). They return a
:class:`~nst_teach.stylize.StyleResult` like :func:`~nst_teach.stylize.stylize`, so that the
reference runs (:mod:`nst_teach.lab.references`) record all three alike.

Examples:
    >>> import torch
    >>> photo = torch.rand(1, 3, 24, 24)
    >>> r = reconstruct(photo, "relu1_2", size=24, steps=6, weights="random", progress=False)
    >>> r.image.shape, r.evals, r.history["total"][-1] < r.history["total"][0]
    (torch.Size([1, 3, 24, 24]), 6, True)
    >>> t = synthesize_texture(photo, ["relu1_1", "relu2_1"], size=24, steps=6,
    ...                        weights="random", progress=False)
    >>> round(t.history["total"][0], 6), t.history["total"][-1] < 1
    (1.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from .device import pick_device
from .layers import validate_layers
from .losses import content_loss, gram_matrix, style_layer_loss
from .optimize import Callback, check_steps, optimize_pixels
from .stylize import ImageLike, StyleResult, _as_image, check_size, get_extractor

__all__ = ["reconstruct", "synthesize_texture"]


def _prepare(  # type: ignore[no-untyped-def]
    image: ImageLike, layers: Sequence[str], size, steps, seed, weights, pooling, device
) -> tuple[int, Tensor, object, Tensor]:
    """Checked steps, the image at ``size`` on the device, the (cached) extractor of ``layers``
    and the white-noise start in [0, 1] from ``seed``: what both syntheses begin with."""
    check_size(size)
    steps = check_steps(steps)
    dev = pick_device(device)
    picture = _as_image(image, "image", size=size).to(dev)
    extractor = get_extractor(tuple(layers), str(weights), pooling, str(dev), dev.type == "cpu")
    extractor.check_size(*picture.shape[-2:], what="the image")
    noise = torch.rand(picture.shape, generator=torch.Generator().manual_seed(int(seed)))
    return steps, picture, extractor, noise.to(dev)


def _result(run, extractor, settings: dict[str, object]) -> StyleResult:  # type: ignore[no-untyped-def]
    return StyleResult(
        image=run.image.detach().cpu(),
        history=run.history,
        evals=run.evals,
        seconds=run.seconds,
        weights=extractor.weights_source,
        stopped_early=run.stopped_early,
        settings=settings,
        stop_reason=run.stop_reason,
    )


def reconstruct(
    image: ImageLike,
    layer: str,
    *,
    size: int | None = 256,
    steps: int = 300,
    seed: int = 0,
    weights: str = "imagenet",
    pooling: str = "avg",
    optimizer: str = "projected-lbfgs",
    device: str | torch.device | None = None,
    callback: Callback | None = None,
    progress: bool = True,
) -> StyleResult:
    r"""Reconstruct ``image`` from its features at ``layer``, starting from white noise.

    Minimises Eq. (1), :math:`\tfrac12 \sum (F^l - P^l)^2`, where :math:`P^l` are the
    features of ``image`` (a tensor :math:`(1, 3, H, W)`, a file or a sample name) at its
    longer side ``size``. ``history["total"]`` is the content loss at each evaluation.
    """
    (layer,) = validate_layers([layer], "layer")
    steps, photo, extractor, start = _prepare(
        image, (layer,), size, steps, seed, weights, pooling, device
    )
    with torch.no_grad():
        target = extractor(photo)[layer]

    def loss(x: Tensor) -> dict[str, Tensor]:
        return {"total": content_loss(extractor(x)[layer], target)}

    run = optimize_pixels(
        loss, start, steps=steps, optimizer=optimizer, callback=callback, progress=progress
    )
    return _result(
        run,
        extractor,
        {"size": tuple(photo.shape[-2:]), "layer": layer, "seed": seed, "pooling": pooling},
    )


def synthesize_texture(
    source: ImageLike,
    layers: Sequence[str],
    *,
    size: int | None = 256,
    steps: int = 300,
    seed: int = 0,
    weights: str = "imagenet",
    pooling: str = "avg",
    optimizer: str = "projected-lbfgs",
    device: str | torch.device | None = None,
    callback: Callback | None = None,
    progress: bool = True,
) -> StyleResult:
    r"""A texture matching the Gram matrices of ``source`` at ``layers``, from white noise.

    Minimises :math:`\sum_l w_l E_l` (Eqs. 4-5) with :math:`w_l = 1 / (|S| E_l(x_0))`, equal
    shares at the noise start :math:`x_0`, so ``history["total"]`` starts at 1; the weights
    used are in ``settings["layer_weights"]``.
    """
    layers = validate_layers(layers, "style layer")
    steps, texture, extractor, start = _prepare(
        source, layers, size, steps, seed, weights, pooling, device
    )
    with torch.no_grad():
        grams = {n: gram_matrix(f) for n, f in extractor(texture).items() if n in layers}
        e0 = {n: float(style_layer_loss(f, grams[n])) for n, f in extractor(start).items()}
    w = {n: 1.0 / (len(layers) * e0[n]) if e0[n] > 0 else 1.0 / len(layers) for n in layers}

    def loss(x: Tensor) -> dict[str, Tensor]:
        feats = extractor(x)
        total = sum(w[n] * style_layer_loss(feats[n], grams[n]) for n in layers)
        return {"total": total}  # type: ignore[dict-item]

    run = optimize_pixels(
        loss, start, steps=steps, optimizer=optimizer, callback=callback, progress=progress
    )
    settings = {"size": tuple(texture.shape[-2:]), "layers": tuple(layers), "seed": seed}
    settings.update(pooling=pooling, layer_weights=w)
    return _result(run, extractor, settings)
