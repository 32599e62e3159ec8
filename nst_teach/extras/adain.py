r"""Mean and standard deviation of each channel: the style statistic of AdaIN (Huang and
Belongie 2017, "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization").

For activations :math:`x` of shape :math:`(B, N, H, W)` and each channel :math:`i`:

.. math::

    \mu_i(x) = \frac{1}{HW} \sum_{h,w} x_{ihw}, \qquad
    \sigma_i(x) = \sqrt{\frac{1}{HW} \sum_{h,w} \left(x_{ihw} - \mu_i(x)\right)^2 + \epsilon}

AdaIN (their Eq. 8) gives content features :math:`x` the style features' statistics:

.. math::

    \operatorname{AdaIN}(x, y) = \sigma(y) \frac{x - \mu(x)}{\sigma(x)} + \mu(y)

**Against the Gram matrix.** With the Gram matrix normalised by the number of positions,

.. math::

    \frac{1}{M} F F^\top = \Sigma + \mu \mu^\top, \qquad
    \Sigma_{ij} = \frac{1}{M} \sum_k (F_{ik} - \mu_i)(F_{jk} - \mu_j),

so the Gram matrix holds the means *and* all :math:`N^2` channel covariances, while
:math:`(\mu, \sigma)` keeps :math:`2N` numbers: the means and only the diagonal of
:math:`\Sigma` (:math:`\sigma_i^2 = \Sigma_{ii}`). Matching :math:`(\mu, \sigma)` costs
:math:`O(NM)` per layer instead of the Gram matrix's :math:`O(N^2 M)`.

Examples:
    >>> import torch
    >>> from nst_teach.losses import gram_matrix
    >>> x = torch.rand(1, 4, 8, 8)
    >>> mu, cov = channel_mean(x).flatten(), channel_covariance(x)[0]
    >>> torch.allclose(gram_matrix(x, "positions")[0], cov + torch.outer(mu, mu), atol=1e-6)
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from ..losses import content_loss, total_loss, total_variation_loss
from ..objective import LayerObjective, check_weight
from ..vgg import VGG19Features

#: :math:`\epsilon` inside the square root of :math:`\sigma`, as in the authors' code.
EPS = 1e-5


def _check(features: Tensor) -> None:
    if features.dim() != 4:
        raise ValueError(f"expected activations (B, N, H, W), got {tuple(features.shape)}")


def channel_mean(features: Tensor) -> Tensor:
    r"""Each channel's mean over the positions, :math:`(B, N, 1, 1)`.

    Examples:
        >>> channel_mean(torch.arange(4.0).view(1, 1, 2, 2)).flatten()
        tensor([1.5000])
    """
    _check(features)
    return features.mean(dim=(2, 3), keepdim=True)


def channel_mean_std(features: Tensor, eps: float = EPS) -> tuple[Tensor, Tensor]:
    r""":math:`\mu(x)` and :math:`\sigma(x)`, each :math:`(B, N, 1, 1)`; the variance divides
    by :math:`HW` (not :math:`HW - 1`), as in Huang and Belongie's Eq. (5)-(6).

    Examples:
        >>> mu, sd = channel_mean_std(torch.tensor([0.0, 2.0]).view(1, 1, 1, 2), eps=0.0)
        >>> float(mu), float(sd)
        (1.0, 1.0)
    """
    mu = channel_mean(features)
    var = (features - mu).pow(2).mean(dim=(2, 3), keepdim=True)
    return mu, (var + eps).sqrt()


def channel_covariance(features: Tensor) -> Tensor:
    r"""The channels' covariance over positions, :math:`(B, N, N)` (dividing by :math:`M`).

    Examples:
        >>> channel_covariance(torch.tensor([0.0, 2.0]).view(1, 1, 1, 2))
        tensor([[[1.]]])
    """
    f = (features - channel_mean(features)).flatten(2)
    return torch.bmm(f, f.transpose(1, 2)) / f.shape[-1]


def adain(content_features: Tensor, style_features: Tensor, eps: float = EPS) -> Tensor:
    r"""Adaptive instance normalisation, Eq. (8) of Huang and Belongie (2017).

    .. math::

        \operatorname{AdaIN}(x, y) = \sigma(y) \frac{x - \mu(x)}{\sigma(x)} + \mu(y)

    Args:
        content_features: :math:`x`, :math:`(B, N, H, W)`.
        style_features: :math:`y`, :math:`(B, N, H', W')` (its size may differ).

    Returns:
        :math:`(B, N, H, W)` with each channel's mean :math:`\mu(y)` and (up to
        :math:`\epsilon`) standard deviation :math:`\sigma(y)`.

    Examples:
        >>> x, y = torch.randn(1, 2, 4, 4), 3 + 2 * torch.randn(1, 2, 8, 8)
        >>> out = adain(x, y)
        >>> torch.allclose(channel_mean(out), channel_mean(y), atol=1e-5)
        True
    """
    _check(content_features)
    _check(style_features)
    if content_features.shape[:2] != style_features.shape[:2]:
        raise ValueError(
            f"content {tuple(content_features.shape)} and style {tuple(style_features.shape)} "
            "must have the same batch size and channels"
        )
    mu_x, sd_x = channel_mean_std(content_features, eps)
    mu_y, sd_y = channel_mean_std(style_features, eps)
    return sd_y * (content_features - mu_x) / sd_x + mu_y


def mean_std_loss(features: Tensor, style_features: Tensor, eps: float = EPS) -> Tensor:
    r"""One layer's mean/std style loss (Huang and Belongie 2017, Eq. 11, squared):

    .. math::

        \lVert \mu(x) - \mu(y) \rVert_2^2 + \lVert \sigma(x) - \sigma(y) \rVert_2^2

    The paper writes plain (not squared) norms; the authors' code uses mean squared errors.
    The squared sum used here is smooth at 0 and sums over the batch.

    Examples:
        >>> x = torch.zeros(1, 2, 2, 2)
        >>> y = torch.tensor([1.0, -1.0]).repeat(4).view(1, 2, 2, 2)  # per channel: 1, -1, 1, -1
        >>> round(float(mean_std_loss(x, y, eps=0.0)), 4)  # sigma(y) = 1 in both channels
        2.0
    """
    mu_x, sd_x = channel_mean_std(features, eps)
    mu_y, sd_y = channel_mean_std(style_features, eps)
    if mu_x.shape[1] != mu_y.shape[1]:
        raise ValueError(f"{mu_x.shape[1]} channels against {mu_y.shape[1]}")
    return (mu_x - mu_y).pow(2).sum() + (sd_x - sd_y).pow(2).sum()


def statistics_count(n: int) -> dict[str, int]:
    r"""How many numbers each style statistic keeps for a layer with :math:`N` channels:
    the Gram matrix :math:`N (N + 1) / 2` distinct entries (it is symmetric), mean and std
    :math:`2 N`.

    Examples:
        >>> statistics_count(512)
        {'gram': 131328, 'mean_std': 1024}
    """
    return {"gram": n * (n + 1) // 2, "mean_std": 2 * n}


class MeanStdObjective(LayerObjective):
    r"""Style transfer with the mean/std statistic in place of the Gram matrix:

    .. math::

        \mathcal{L} = \alpha \mathcal{L}_\text{content} + \beta \sum_l w_l
        \left(\lVert \mu(F^l) - \mu(S^l) \rVert^2 + \lVert \sigma(F^l) - \sigma(S^l) \rVert^2
        \right) + \lambda_\text{TV} \mathcal{L}_\text{TV}

    The same interface as :class:`~nst_teach.objective.StyleObjective`: call it on an image
    to get ``{"content", "style", "tv", "total"}``, and pass it to
    :func:`~nst_teach.optimize.optimize_pixels`.

    Its ``beta`` defaults to 1, not :data:`~nst_teach.defaults.DEFAULT_BETA` (:math:`10^6`):
    the loss has another scale. :func:`mean_std_loss` sums squared differences of statistics
    of the activations themselves, with no :math:`1 / (4 N_l^2 M_l^2)` as in the Gram loss of
    Eq. (4), so it is many orders of magnitude larger for the same images.

    Examples:
        >>> vgg = VGG19Features(["conv1_1", "conv2_1"], weights="random")
        >>> c, s = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
        >>> obj = MeanStdObjective(vgg, c, s, content_layers=["conv2_1"],
        ...                        style_layers=["conv1_1", "conv2_1"])
        >>> float(obj(c)["content"]), float(MeanStdObjective(vgg, c, c, content_layers=[
        ...     "conv2_1"], style_layers=["conv1_1"])(c)["style"])
        (0.0, 0.0)
    """

    def __init__(
        self,
        extractor: VGG19Features,
        content: Tensor,
        style: Tensor,
        *,
        content_layers: Sequence[str],
        style_layers: Sequence[str],
        layer_weights: Mapping[str, float] | Sequence[float] | None = None,
        alpha: float = 1.0,
        beta: float = 1.0,
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
        with torch.no_grad():
            cf, sf = extractor(content), extractor(style)
            self.content_targets = {n: cf[n].detach() for n in self.content_layers}
            self.style_features = {n: sf[n].detach() for n in self.style_layers}

    def __call__(self, image: Tensor) -> dict[str, Tensor]:
        feats = self.extractor(image)
        return self.combine(
            image,
            lambda n: content_loss(feats[n], self.content_targets[n]),
            lambda n: mean_std_loss(feats[n], self.style_features[n]),
        )


class AdaINObjective:
    r"""AdaIN's training loss (Huang and Belongie 2017, Eqs. 8-11), optimised over the pixels.

    Their network encodes content and style with VGG up to ``relu4_1``, sets the target
    :math:`t = \operatorname{AdaIN}(f(c), f(s))` and trains a *decoder* :math:`g` so that
    :math:`f(g(t))` matches :math:`t` (content loss) and has the style's mean/std at
    ``relu1_1`` ... ``relu4_1`` (style loss). Without a trained decoder we can still ask what
    image such a decoder should produce, by minimising the same loss over the pixels:

    .. math::

        \mathcal{L} = \tfrac12 \lVert f(x) - t \rVert^2
        + \lambda \sum_l \left(\lVert \mu(\phi_l(x)) - \mu(\phi_l(s)) \rVert^2
        + \lVert \sigma(\phi_l(x)) - \sigma(\phi_l(s)) \rVert^2\right)
        + \lambda_\text{TV} \mathcal{L}_\text{TV}

    (the weighted sum by :func:`~nst_teach.losses.total_loss`, with ``alpha`` for the content
    term and ``style_weight`` :math:`\lambda` for the style term). Returns
    ``{"content", "style", "tv", "total"}`` like the other objectives.
    """

    def __init__(
        self,
        extractor: VGG19Features,
        content: Tensor,
        style: Tensor,
        *,
        target_layer: str = "relu4_1",
        style_layers: Sequence[str] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1"),
        style_weight: float = 10.0,
        alpha: float = 1.0,
        tv_weight: float = 0.0,
    ) -> None:
        self.extractor = extractor
        self.target_layer = target_layer
        self.style_layers = tuple(style_layers)
        missing = {target_layer, *self.style_layers} - set(extractor.layers)
        if missing:
            raise ValueError(f"the extractor does not compute {sorted(missing)}")
        self.style_weight = check_weight("style_weight", style_weight)
        self.alpha = check_weight("alpha", alpha)
        self.tv_weight = check_weight("tv_weight", tv_weight)
        with torch.no_grad():
            cf, sf = extractor(content), extractor(style)
            self.target = adain(cf[target_layer], sf[target_layer]).detach()
            self.style_features = {n: sf[n].detach() for n in self.style_layers}

    def __call__(self, image: Tensor) -> dict[str, Tensor]:
        feats = self.extractor(image)
        content = content_loss(feats[self.target_layer], self.target)
        style = sum(
            (mean_std_loss(feats[n], self.style_features[n]) for n in self.style_layers),
            image.new_zeros(()),
        )
        tv = total_variation_loss(image) if self.tv_weight else image.new_zeros(())
        total = total_loss(content, style, self.alpha, self.style_weight, tv, self.tv_weight)
        return {"content": content, "style": style, "tv": tv, "total": total}


__all__ = [
    "EPS",
    "AdaINObjective",
    "MeanStdObjective",
    "adain",
    "channel_covariance",
    "channel_mean",
    "channel_mean_std",
    "mean_std_loss",
    "statistics_count",
]
