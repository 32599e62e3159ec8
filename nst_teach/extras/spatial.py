r"""Spatial control and style mixing (Gatys, Ecker, Bethge, Hertzmann and Shechtman 2017,
"Controlling Perceptual Factors in Neural Style Transfer", Sec. 4).

**Guided Gram matrices.** A mask :math:`T` of shape :math:`(1, 1, H, W)` says where a style
applies. At layer :math:`l` it is brought to the feature map's size (:math:`T^l`, here by area
averaging: the paper's "simple" down-sampling) and weights the features before the Gram
matrix is taken:

.. math::

    G^l_T = \frac{M_l}{\sum_k (T^l_k)^2} \sum_k (T^l_k)^2\, F^l_{:k} {F^l_{:k}}^\top

The factor :math:`M_l / \sum_k (T^l_k)^2` (the authors' code normalises the guidance channels
the same way) makes :math:`G^l_T` the Gram matrix *per unit of masked area*, scaled to
:math:`M_l` positions: for :math:`T \equiv 1` it is the ordinary :math:`G^l`, and for a binary
mask it is the Gram matrix of the masked region as if that region filled the image, so it
can be compared with a whole style image's :math:`A^l` in the usual :math:`E_l`.

**Mixing styles.** A weighted sum of Gram targets :math:`\bar A = \sum_k \lambda_k A_k`, with
:math:`\sum_k \lambda_k = 1`, is the same objective as the weighted sum of the styles' losses,
up to a constant:

.. math::

    \sum_k \lambda_k \lVert G - A_k \rVert^2 = \lVert G - \bar A \rVert^2
    + \sum_k \lambda_k \lVert A_k \rVert^2 - \lVert \bar A \rVert^2

Examples:
    >>> import torch
    >>> F = torch.rand(1, 4, 6, 6)
    >>> torch.allclose(guided_gram(F, torch.ones(1, 1, 6, 6)), gram_matrix(F))
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ..defaults import DEFAULT_ALPHA, DEFAULT_BETA
from ..losses import content_loss, gram_matrix
from ..objective import LayerObjective, check_weight
from ..vgg import VGG19Features


def _check_mask(mask: Tensor) -> None:
    if mask.dim() != 4 or mask.shape[:2] != (1, 1):
        raise ValueError(f"a mask must have shape (1, 1, H, W), got {tuple(mask.shape)}")


def layer_mask(mask: Tensor, height: int, width: int) -> Tensor:
    r"""Bring a mask :math:`(1, 1, H, W)` to a feature map's size :math:`(1, 1, h, w)` by
    averaging over the area each feature position covers (bilinear when enlarging).

    Examples:
        >>> m = torch.zeros(1, 1, 4, 4); m[..., :, :2] = 1  # left half
        >>> layer_mask(m, 2, 2).flatten()
        tensor([1., 0., 1., 0.])
    """
    _check_mask(mask)
    if tuple(mask.shape[-2:]) == (height, width):
        return mask
    if height <= mask.shape[-2] and width <= mask.shape[-1]:
        return F.adaptive_avg_pool2d(mask, (height, width))
    return F.interpolate(mask, size=(height, width), mode="bilinear", align_corners=False)


def guided_gram(features: Tensor, mask: Tensor, eps: float = 1e-8) -> Tensor:
    r"""The guided Gram matrix :math:`G^l_T` of Gatys et al. (2017, Sec. 4.1), normalised per
    unit of masked area (see the module's docstring).

    Args:
        features: activations :math:`(B, N, H, W)`.
        mask: :math:`(1, 1, H', W')` in :math:`[0, 1]`, brought to :math:`(H, W)` by
            :func:`layer_mask`.

    Returns:
        :math:`(B, N, N)`.

    Examples:
        >>> F = torch.zeros(1, 1, 1, 2); F[..., 0] = 3.0  # one channel, two positions
        >>> m = torch.tensor([[[[1.0, 0.0]]]])
        >>> guided_gram(F, m), gram_matrix(F)  # the masked position, as if it filled M = 2
        (tensor([[[18.]]]), tensor([[[9.]]]))
    """
    if features.dim() != 4:
        raise ValueError(f"expected activations (B, N, H, W), got {tuple(features.shape)}")
    t = layer_mask(mask, features.shape[-2], features.shape[-1]).to(features)
    t2 = t.pow(2)
    area = t2.sum()
    if float(area) <= eps:
        raise ValueError("the mask is empty at this layer's resolution")
    m = features.shape[-2] * features.shape[-1]
    f = (features * t).flatten(2)
    return torch.bmm(f, f.transpose(1, 2)) * (m / area)


def guided_style_layer_loss(features: Tensor, target_gram: Tensor, mask: Tensor) -> Tensor:
    r""":math:`E_l` of Eq. (4) of Gatys et al. (2016) with the guided Gram matrix in place of
    :math:`G^l`:

    .. math::

        E_{l,T} = \frac{1}{4 N_l^2 M_l^2} \sum_{ij} \left(G^l_{T,ij} - A^l_{ij}\right)^2

    Examples:
        >>> F = torch.rand(1, 3, 4, 4)
        >>> float(guided_style_layer_loss(F, guided_gram(F, torch.ones(1, 1, 4, 4)),
        ...                               torch.ones(1, 1, 4, 4)))
        0.0
    """
    n, m = features.shape[1], features.shape[-2] * features.shape[-1]
    g = guided_gram(features, mask)
    if target_gram.shape[-2:] != (n, n):
        raise ValueError(
            f"target Gram matrix {tuple(target_gram.shape)} does not fit {n} feature channels"
        )
    return (g - target_gram).pow(2).sum() / (4.0 * n**2 * m**2)


def guided_gram_targets(
    extractor: VGG19Features, style: Tensor, layers: Sequence[str], mask: Tensor | None = None
) -> dict[str, Tensor]:
    r"""A style image's Gram matrices :math:`A^l`, guided by ``mask`` over the *style* image
    (for instance only its sky) when one is given."""
    with torch.no_grad():
        feats = extractor(style)
        if mask is None:
            return {n: gram_matrix(feats[n]) for n in layers}
        return {n: guided_gram(feats[n], mask) for n in layers}


def blend_grams(
    grams: Sequence[Mapping[str, Tensor]], weights: Sequence[float], normalize: bool = True
) -> dict[str, Tensor]:
    r"""Mix styles: :math:`\bar A^l = \sum_k \lambda_k A^l_k` for every layer.

    Pass the result to :class:`~nst_teach.objective.StyleObjective` as ``style_grams``.

    Args:
        grams: one ``{layer: A^l}`` per style, with the same layers.
        weights: :math:`\lambda_k`, one per style, :math:`\ge 0`.
        normalize: divide the weights by their sum, so that :math:`\sum_k \lambda_k = 1`.

    Examples:
        >>> a, b = {"conv1_1": torch.ones(2, 2)}, {"conv1_1": torch.zeros(2, 2)}
        >>> blend_grams([a, b], [3, 1])["conv1_1"]
        tensor([[0.7500, 0.7500],
                [0.7500, 0.7500]])
    """
    if len(grams) != len(weights) or not grams:
        raise ValueError(f"give one weight per style: {len(grams)} styles, {len(weights)} weights")
    lam = [check_weight("blend weight", w) for w in weights]
    total = sum(lam)
    if normalize:
        if total == 0:
            raise ValueError("the blend weights sum to 0")
        lam = [w / total for w in lam]
    layers = list(grams[0])
    for g in grams[1:]:
        if list(g) != layers:
            raise ValueError("every style must give Gram matrices for the same layers")
    return {n: sum(w * g[n] for w, g in zip(lam, grams)) for n in layers}


def half_mask(height: int, width: int, side: str = "right", feather: float = 0.0) -> Tensor:
    r"""A mask :math:`(1, 1, H, W)` that is 1 on one half of the image.

    Args:
        side: ``"left"``, ``"right"``, ``"top"`` or ``"bottom"``.
        feather: width of a linear ramp across the border, as a fraction of the image side.

    Examples:
        >>> half_mask(2, 4, "right")
        tensor([[[[0., 0., 1., 1.],
                  [0., 0., 1., 1.]]]])
    """
    if side not in ("left", "right", "top", "bottom"):
        raise ValueError(f"side must be left, right, top or bottom, got {side!r}")
    n = width if side in ("left", "right") else height
    t = (torch.arange(n, dtype=torch.float32) + 0.5) / n  # positions in (0, 1)
    if side in ("left", "top"):
        t = 1.0 - t
    ramp = (t - 0.5) / feather + 0.5 if feather > 0 else (t > 0.5).float()
    ramp = ramp.clamp(0.0, 1.0)
    if side in ("left", "right"):
        return ramp.view(1, 1, 1, width).expand(1, 1, height, width).clone()
    return ramp.view(1, 1, height, 1).expand(1, 1, height, width).clone()


def ellipse_mask(
    height: int,
    width: int,
    center: tuple[float, float] = (0.5, 0.5),
    radii: tuple[float, float] = (0.3, 0.3),
    feather: float = 0.0,
) -> Tensor:
    r"""A mask :math:`(1, 1, H, W)` that is 1 inside an ellipse (centre and radii as fractions
    of the height and width), with an optional linear ramp of width ``feather``.

    Examples:
        >>> ellipse_mask(3, 3, radii=(0.2, 0.2))
        tensor([[[[0., 0., 0.],
                  [0., 1., 0.],
                  [0., 0., 0.]]]])
    """
    y = (torch.arange(height, dtype=torch.float32) + 0.5) / height
    x = (torch.arange(width, dtype=torch.float32) + 0.5) / width
    yy, xx = torch.meshgrid(y, x, indexing="ij")
    r = torch.sqrt(((yy - center[0]) / radii[0]) ** 2 + ((xx - center[1]) / radii[1]) ** 2)
    mask = (1.0 - (r - 1.0) / feather).clamp(0.0, 1.0) if feather > 0 else (r <= 1.0).float()
    return mask.view(1, 1, height, width)


def composite(inside: Tensor, outside: Tensor, mask: Tensor) -> Tensor:
    r"""Paste ``inside`` where the mask is 1 and ``outside`` where it is 0:
    :math:`T x_1 + (1 - T) x_2` (the naive alternative to a guided objective)."""
    _check_mask(mask)
    m = F.interpolate(mask, size=inside.shape[-2:], mode="bilinear", align_corners=False)
    return m * inside + (1.0 - m) * outside


@dataclass
class StyleRegion:
    """Where a style applies in the generated image, and its Gram targets.

    Attributes:
        mask: :math:`(1, 1, H, W)` in :math:`[0, 1]` over the generated image.
        grams: ``{layer: A^l}``, e.g. from :func:`guided_gram_targets` or :func:`blend_grams`.
        weight: this region's share of the style loss.
    """

    mask: Tensor
    grams: Mapping[str, Tensor]
    weight: float = 1.0


class MaskedStyleObjective(LayerObjective):
    r"""The total loss with spatially guided style terms (Gatys et al. 2017, Sec. 4.1):

    .. math::

        \mathcal{L} = \alpha \mathcal{L}_\text{content}
        + \beta \sum_r \lambda_r \sum_l w_l E_{l, T_r} + \lambda_\text{TV} \mathcal{L}_\text{TV}

    Each region's weight :math:`\lambda_r` must be a finite number >= 0. The terms are
    weighed as in every objective, by :meth:`~nst_teach.objective.LayerObjective.combine`.
    Outside every region only the content (and TV) terms act, so a content-initialised image
    stays a photo there. Call it on an image :math:`(1, 3, H, W)` to get
    ``{"content", "style", "tv", "total"}``; pass it to
    :func:`~nst_teach.optimize.optimize_pixels`.

    Examples:
        >>> from nst_teach.vgg import VGG19Features
        >>> vgg = VGG19Features(["conv1_1", "conv2_1"], weights="random")
        >>> c, s = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
        >>> region = StyleRegion(half_mask(16, 16), guided_gram_targets(vgg, s, ["conv1_1"]))
        >>> obj = MaskedStyleObjective(vgg, c, [region], content_layers=["conv2_1"],
        ...                            style_layers=["conv1_1"])
        >>> sorted(obj(c)), float(obj(c)["content"])
        (['content', 'style', 'total', 'tv'], 0.0)
    """

    def __init__(
        self,
        extractor: VGG19Features,
        content: Tensor,
        regions: Sequence[StyleRegion],
        content_layers: Sequence[str],
        style_layers: Sequence[str],
        layer_weights: Mapping[str, float] | Sequence[float] | None = None,
        alpha: float = DEFAULT_ALPHA,
        beta: float = DEFAULT_BETA,
        tv_weight: float = 0.0,
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
        if not regions:
            raise ValueError("give at least one StyleRegion")
        for i, r in enumerate(regions):
            _check_mask(r.mask)
            lacking = set(self.style_layers) - set(r.grams)
            if lacking:
                raise ValueError(f"a region lacks Gram targets for {sorted(lacking)}")
            check_weight(f"region weight of region {i}", r.weight)
        self.content = content
        self.regions = list(regions)
        with torch.no_grad():
            feats = self.extractor(content)
            self.content_targets = {n: feats[n].detach() for n in self.content_layers}

    def __call__(self, image: Tensor) -> dict[str, Tensor]:
        feats = self.extractor(image)

        def style_term(n: str) -> Tensor:
            return sum(
                (
                    float(r.weight)
                    * guided_style_layer_loss(feats[n], r.grams[n].to(image), r.mask.to(image))
                    for r in self.regions
                ),
                image.new_zeros(()),
            )

        return self.combine(
            image, lambda n: content_loss(feats[n], self.content_targets[n]), style_term
        )


__all__ = [
    "MaskedStyleObjective",
    "StyleRegion",
    "blend_grams",
    "composite",
    "ellipse_mask",
    "guided_gram",
    "guided_gram_targets",
    "guided_style_layer_loss",
    "half_mask",
    "layer_mask",
]
