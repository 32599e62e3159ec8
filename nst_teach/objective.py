r"""The objective that style transfer minimises, with its targets computed once.

Examples:
    >>> import torch
    >>> from nst_teach.vgg import VGG19Features
    >>> vgg = VGG19Features(["conv1_1", "conv2_1"], weights="random")
    >>> content, style = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    >>> objective = StyleObjective(vgg, content, style, content_layers=["conv2_1"],
    ...                            style_layers=["conv1_1", "conv2_1"])
    >>> sorted(objective(content))
    ['content', 'style', 'total', 'tv']
    >>> float(objective(content)["content"])
    0.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import Tensor

from .defaults import DEFAULT_ALPHA, DEFAULT_BETA
from .fused import fused_content_loss, fused_style_layer_loss
from .losses import (
    content_loss,
    gram_matrix,
    style_layer_loss,
    total_loss,
    total_variation_loss,
)
from .vgg import VGG19Features


def check_weight(name: str, value: float) -> float:
    """Return ``value`` as a float if it is finite and not negative, else raise ``ValueError``."""
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def resolve_layer_weights(
    style_layers: Sequence[str], layer_weights: Mapping[str, float] | Sequence[float] | None
) -> dict[str, float]:
    r"""Per-layer style weights :math:`w_l`; the paper's default is :math:`1 / L` each.

    Examples:
        >>> resolve_layer_weights(["conv1_1", "conv2_1"], None)
        {'conv1_1': 0.5, 'conv2_1': 0.5}
        >>> resolve_layer_weights(["conv1_1", "conv2_1"], [1, 3])
        {'conv1_1': 1.0, 'conv2_1': 3.0}
    """
    if layer_weights is None:
        return {name: 1.0 / len(style_layers) for name in style_layers}
    if isinstance(layer_weights, Mapping):
        unknown = set(layer_weights) - set(style_layers)
        if unknown:
            raise ValueError(
                f"layer weights name layers that are not style layers: {sorted(unknown)}"
            )
        weights = {name: float(layer_weights.get(name, 0.0)) for name in style_layers}
    else:
        values = list(layer_weights)
        if len(values) != len(style_layers):
            raise ValueError(
                f"{len(values)} layer weights given for {len(style_layers)} style layers "
                f"({', '.join(style_layers)})"
            )
        weights = dict(zip(style_layers, map(float, values)))
    for name, w in weights.items():
        check_weight(f"layer weight of {name}", w)
    return weights


def style_gram_targets(
    extractor: VGG19Features, style: Tensor, layers: Sequence[str]
) -> dict[str, Tensor]:
    """The style image's Gram matrices :math:`A^l` for ``layers``, computed without gradients."""
    with torch.no_grad():
        feats = extractor(style)
        return {n: gram_matrix(feats[n]) for n in layers}


class LayerObjective:
    r"""What the objectives share: their layers, the weights, and the weighted sum of Eq. (7),

    .. math::

        \mathcal{L} = \alpha \sum_{l \in C} \mathcal{L}^l_\text{content}
        + \beta \sum_{l \in S} w_l E_l + \lambda_\text{TV} \mathcal{L}_\text{TV}.

    A subclass computes its targets once and, on each call, gives :meth:`combine` its
    per-layer content and style terms (:class:`StyleObjective` uses Gram matrices,
    :class:`~nst_teach.extras.adain.MeanStdObjective` means and standard deviations).

    Examples:
        >>> from nst_teach.vgg import VGG19Features
        >>> vgg = VGG19Features(["conv1_1", "conv2_1"], weights="random")
        >>> o = LayerObjective(vgg, content_layers=["conv2_1"], style_layers=["conv1_1"], beta=2)
        >>> x = torch.zeros(1, 3, 8, 8)
        >>> o.combine(x, lambda n: torch.tensor(3.0), lambda n: torch.tensor(0.5))["total"]
        tensor(4.)
    """

    def __init__(
        self,
        extractor: VGG19Features,
        *,
        content_layers: Sequence[str],
        style_layers: Sequence[str],
        layer_weights: Mapping[str, float] | Sequence[float] | None = None,
        alpha: float = DEFAULT_ALPHA,
        beta: float = DEFAULT_BETA,
        tv_weight: float = 0.0,
    ) -> None:
        self.extractor = extractor
        self.content_layers = tuple(content_layers)
        self.style_layers = tuple(style_layers)
        missing = set(self.content_layers + self.style_layers) - set(extractor.layers)
        if missing:
            raise ValueError(f"the extractor does not compute {sorted(missing)}")
        self.layer_weights = resolve_layer_weights(self.style_layers, layer_weights)
        self.alpha = check_weight("alpha", alpha)
        self.beta = check_weight("beta", beta)
        self.tv_weight = check_weight("tv_weight", tv_weight)

    def combine(
        self,
        image: Tensor,
        content_term: Callable[[str], Tensor],
        style_term: Callable[[str], Tensor],
        batch: int = 1,
    ) -> dict[str, Tensor]:
        """``{"content", "style", "tv", "total"}`` from the terms of each layer (each
        divided by ``batch``, for a loss averaged over a batch of images)."""
        zero = image.new_zeros(())
        content = sum((content_term(n) for n in self.content_layers), zero)
        style = sum((self.layer_weights[n] * style_term(n) for n in self.style_layers), zero)
        tv = total_variation_loss(image) if self.tv_weight else zero
        if batch != 1:
            content, style, tv = content / batch, style / batch, tv / batch
        total = total_loss(content, style, self.alpha, self.beta, tv, self.tv_weight)
        return {"content": content, "style": style, "tv": tv, "total": total}


class StyleObjective(LayerObjective):
    r"""The total loss of Eq. (7), :math:`\alpha \mathcal{L}_\text{content} + \beta
    \mathcal{L}_\text{style} (+ \lambda_\text{TV} \mathcal{L}_\text{TV})`, as a function of
    the image.

    The content features :math:`P^l` and the style Gram matrices :math:`A^l` are computed
    once, here (``style_grams`` may give :math:`A^l` directly, for instance a blend of two
    styles' Gram matrices, in which case ``style`` may be ``None``); each call runs one
    forward pass of the generated image :math:`(1, 3, H, W)` and returns
    ``{"content", "style", "tv", "total"}`` as scalar tensors.

    Which losses run: with ``fused=True`` (the default, and so in
    :func:`~nst_teach.stylize.stylize`) :func:`~nst_teach.fused.fused_content_loss` and
    :func:`~nst_teach.fused.fused_style_layer_loss`: the same values, with the backward
    passes of Eqs. (2) and (6) written out (one matrix product per style layer instead of
    autograd's two). ``fused=False`` runs :func:`~nst_teach.losses.content_loss` and
    :func:`~nst_teach.losses.style_layer_loss` as the lessons write them, differentiated by
    autograd.
    """

    def __init__(
        self,
        extractor: VGG19Features,
        content: Tensor,
        style: Tensor | None,
        *,
        content_layers: Sequence[str],
        style_layers: Sequence[str],
        layer_weights: Mapping[str, float] | Sequence[float] | None = None,
        alpha: float = DEFAULT_ALPHA,
        beta: float = DEFAULT_BETA,
        tv_weight: float = 0.0,
        style_grams: Mapping[str, Tensor] | None = None,
        fused: bool = True,
    ) -> None:
        super().__init__(
            extractor,
            content_layers=content_layers,
            style_layers=style_layers,
            layer_weights=layer_weights,
            alpha=alpha,
            beta=beta,
            tv_weight=tv_weight,
        )
        self.fused = bool(fused)
        with torch.no_grad():
            content_feats = extractor(content)
            self.content_targets = {n: content_feats[n].detach() for n in self.content_layers}
            if style_grams is None:
                if style is None:
                    raise ValueError("give a style image or its Gram matrices (style_grams)")
                style_grams = style_gram_targets(extractor, style, self.style_layers)
            self.style_grams = {n: style_grams[n].detach() for n in self.style_layers}

    def __call__(self, image: Tensor) -> dict[str, Tensor]:
        feats = self.extractor(image)
        c_loss = fused_content_loss if self.fused else content_loss
        s_loss = fused_style_layer_loss if self.fused else style_layer_loss
        return self.combine(
            image,
            lambda n: c_loss(feats[n], self.content_targets[n]),
            lambda n: s_loss(feats[n], self.style_grams[n]),
        )


__all__ = [
    "LayerObjective",
    "StyleObjective",
    "check_weight",
    "resolve_layer_weights",
    "style_gram_targets",
]
