r"""The losses of Gatys, Ecker and Bethge, exactly as the paper writes them.

Notation (Gatys, Ecker and Bethge, "A Neural Algorithm of Artistic Style", arXiv:1508.06576,
2015, section "Methods"; the arXiv paper has no numbered sections, its CVPR 2016 version "Image
Style Transfer Using Convolutional Neural Networks" has it in Sec. 2; equation numbers here are
the arXiv paper's (1)-(7)): at layer :math:`l` with :math:`N_l` filters and :math:`M_l` =
height x width positions, :math:`F^l \in \mathbb{R}^{N_l \times M_l}` holds the generated image's
features and :math:`P^l` the content image's. Functions here take
activations of shape :math:`(B, N_l, H_l, W_l)` (as :class:`VGG19Features` returns them) or
a single feature matrix of shape :math:`(N_l, M_l)`; losses are summed over the batch.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from .defaults import DEFAULT_ALPHA, DEFAULT_BETA

#: Normalisations of the Gram matrix in use: the paper's none, 1/M (TensorFlow's tutorial),
#: 1/(N M) (the PyTorch tutorial's a*b*c*d with a batch of one).
GRAM_NORMALIZATIONS = ("none", "positions", "elements")


def feature_matrix(features: Tensor) -> Tensor:
    r"""Flatten activations :math:`(B, N, H, W)` into feature matrices :math:`(B, N, M)`.

    A 2-D input :math:`(N, M)` is returned as :math:`(1, N, M)`.

    Examples:
        >>> feature_matrix(torch.zeros(2, 3, 4, 5)).shape
        torch.Size([2, 3, 20])
    """
    if features.dim() == 2:
        return features.unsqueeze(0)
    if features.dim() == 4:
        return features.flatten(2)
    if features.dim() == 3:
        return features
    raise ValueError(
        f"expected features of shape (B, N, H, W) or (N, M), got {tuple(features.shape)}"
    )


def gram_matrix(features: Tensor, normalize: str = "none") -> Tensor:
    r"""Gram matrix of feature correlations, Eq. (3) of Gatys et al.

    .. math::

        G^l_{ij} = \sum_k F^l_{ik} F^l_{jk}, \qquad G^l = F^l {F^l}^\top

    Args:
        features: activations :math:`(B, N, H, W)`, or one feature matrix :math:`(N, M)`.
        normalize: ``"none"`` (the paper), ``"positions"`` (divide by :math:`M`, as the
            TensorFlow tutorial) or ``"elements"`` (divide by :math:`N M`, as the PyTorch
            tutorial's ``a*b*c*d`` for a batch of one).

    Returns:
        :math:`(B, N, N)`, or :math:`(N, N)` for a 2-D input.

    Examples:
        >>> F = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]])
        >>> gram_matrix(F)
        tensor([[ 5.,  2.],
                [ 2., 10.]])
        >>> gram_matrix(F, normalize="elements")
        tensor([[0.8333, 0.3333],
                [0.3333, 1.6667]])
    """
    if normalize not in GRAM_NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {GRAM_NORMALIZATIONS}, got {normalize!r}")
    f = feature_matrix(features)
    gram = torch.bmm(f, f.transpose(1, 2))
    n, m = f.shape[1], f.shape[2]
    if normalize == "positions":
        gram = gram / m
    elif normalize == "elements":
        gram = gram / (n * m)
    return gram.squeeze(0) if features.dim() == 2 else gram


def content_loss(features: Tensor, target: Tensor) -> Tensor:
    r"""Content loss, Eq. (1) of Gatys et al.

    .. math::

        \mathcal{L}_\text{content} = \frac{1}{2} \sum_{ij} \left(F^l_{ij} - P^l_{ij}\right)^2

    Args:
        features: the generated image's features :math:`F^l`, :math:`(B, N, H, W)` or
            :math:`(N, M)`.
        target: the content image's features :math:`P^l`, same shape.

    Returns:
        a scalar tensor.

    Examples:
        >>> content_loss(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 4.0]]))
        tensor(2.5000)
    """
    if features.shape != target.shape:
        raise ValueError(
            f"content features {tuple(features.shape)} and target {tuple(target.shape)} differ in shape"
        )
    return 0.5 * (features - target).pow(2).sum()


def content_loss_grad(features: Tensor, target: Tensor, relu_mask: bool = False) -> Tensor:
    r"""Closed-form gradient of the content loss, Eq. (2) of Gatys et al.

    .. math::

        \frac{\partial \mathcal{L}_\text{content}}{\partial F^l_{ij}} =
        \begin{cases} \left(F^l - P^l\right)_{ij} & \text{if } F^l_{ij} > 0 \\
        0 & \text{if } F^l_{ij} < 0 \end{cases}

    The paper's features are rectified (Caffe's ReLUs work in place), so it writes the
    gradient passed back through the ReLU: ``relu_mask=True`` applies that case split. With
    ``relu_mask=False`` this is the plain derivative :math:`F - P`.

    Returns:
        a tensor of the shape of ``features``.

    Examples:
        >>> content_loss_grad(torch.tensor([[1.0, -2.0]]), torch.tensor([[0.0, 4.0]]), relu_mask=True)
        tensor([[1., 0.]])
    """
    grad = features - target
    return torch.where(features > 0, grad, torch.zeros_like(grad)) if relu_mask else grad


def style_layer_loss(features: Tensor, target_gram: Tensor) -> Tensor:
    r"""One layer's contribution to the style loss, Eq. (4) of Gatys et al.

    .. math::

        E_l = \frac{1}{4 N_l^2 M_l^2} \sum_{ij} \left(G^l_{ij} - A^l_{ij}\right)^2

    with :math:`G^l` the Gram matrix of ``features`` and :math:`A^l` that of the style image.

    Args:
        features: the generated image's features :math:`(B, N, H, W)` or :math:`(N, M)`.
        target_gram: the style image's (unnormalised) Gram matrix, :math:`(N, N)`,
            :math:`(1, N, N)` or :math:`(B, N, N)`.

    Returns:
        a scalar tensor (summed over the batch).

    Examples:
        >>> F = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # N = 2, M = 2, G = I
        >>> style_layer_loss(F, torch.zeros(2, 2))  # (1 + 1) / (4 * 4 * 4)
        tensor(0.0312)
    """
    f = feature_matrix(features)
    n, m = f.shape[1], f.shape[2]
    gram = torch.bmm(f, f.transpose(1, 2))
    if target_gram.shape[-2:] != (n, n):
        raise ValueError(
            f"target Gram matrix {tuple(target_gram.shape)} does not fit {n} feature channels"
        )
    return (gram - target_gram).pow(2).sum() / (4.0 * n**2 * m**2)


def style_layer_loss_grad(features: Tensor, target_gram: Tensor, relu_mask: bool = False) -> Tensor:
    r"""Closed-form gradient of :math:`E_l`, Eq. (6) of Gatys et al.

    .. math::

        \frac{\partial E_l}{\partial F^l_{ij}} =
        \begin{cases} \frac{1}{N_l^2 M_l^2} \left({F^l}^\top \left(G^l - A^l\right)\right)_{ji}
        & \text{if } F^l_{ij} > 0 \\ 0 & \text{if } F^l_{ij} < 0 \end{cases}

    that is :math:`(G^l - A^l) F^l / (N_l^2 M_l^2)` in the :math:`N \times M` layout.
    ``relu_mask`` as in :func:`content_loss_grad`.

    Returns:
        a tensor of the shape of ``features``.

    Examples:
        >>> F = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> style_layer_loss_grad(F, torch.zeros(2, 2))  # G F / 16
        tensor([[0.0625, 0.0000],
                [0.0000, 0.0625]])
    """
    f = feature_matrix(features)
    n, m = f.shape[1], f.shape[2]
    gram = torch.bmm(f, f.transpose(1, 2))
    grad = torch.bmm(gram - target_gram.expand_as(gram), f) / (n**2 * m**2)
    grad = grad.reshape(features.shape)
    return torch.where(features > 0, grad, torch.zeros_like(grad)) if relu_mask else grad


def style_loss(
    features: Mapping[str, Tensor],
    target_grams: Mapping[str, Tensor],
    layer_weights: Mapping[str, float] | None = None,
) -> Tensor:
    r"""Style loss, Eq. (5) of Gatys et al.: a weighted sum of :math:`E_l` over layers.

    .. math::

        \mathcal{L}_\text{style} = \sum_l w_l E_l

    Args:
        features: ``{layer: generated features (B, N_l, H_l, W_l)}``.
        target_grams: ``{layer: style Gram matrix A^l}`` for the same layers.
        layer_weights: ``{layer: w_l}``; by default :math:`w_l = 1 / L` for the :math:`L`
            layers given, as in the paper.

    Examples:
        >>> F = {"conv1_1": torch.eye(2)}
        >>> style_loss(F, {"conv1_1": torch.zeros(2, 2)})
        tensor(0.0312)
    """
    layers = list(target_grams)
    if layer_weights is None:
        layer_weights = {name: 1.0 / len(layers) for name in layers}
    total = features[layers[0]].new_zeros(())
    for name in layers:
        total = total + layer_weights[name] * style_layer_loss(features[name], target_grams[name])
    return total


def total_variation_loss(image: Tensor) -> Tensor:
    r"""Squared total variation, a smoothness prior on the pixels (Mahendran and Vedaldi 2015).

    .. math::

        \mathcal{L}_\text{TV} = \sum_{c,i,j} (x_{c,i+1,j} - x_{c,i,j})^2 + (x_{c,i,j+1} - x_{c,i,j})^2

    Args:
        image: :math:`(B, C, H, W)`.

    Examples:
        >>> total_variation_loss(torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]]))
        tensor(2.)
    """
    dh = image[..., 1:, :] - image[..., :-1, :]
    dw = image[..., :, 1:] - image[..., :, :-1]
    return dh.pow(2).sum() + dw.pow(2).sum()


def total_loss(
    content: Tensor,
    style: Tensor,
    alpha: float = DEFAULT_ALPHA,
    beta: float = DEFAULT_BETA,
    tv: Tensor | None = None,
    tv_weight: float = 0.0,
) -> Tensor:
    r"""Total loss, Eq. (7) of Gatys et al., with an optional total-variation term.

    .. math::

        \mathcal{L}_\text{total} = \alpha \mathcal{L}_\text{content}
        + \beta \mathcal{L}_\text{style} + \lambda_\text{TV} \mathcal{L}_\text{TV}

    This is the one place where the package weighs its loss terms: every objective
    (:class:`~nst_teach.objective.LayerObjective` and its subclasses, the masked and AdaIN
    objectives) calls it.

    Examples:
        >>> total_loss(torch.tensor(2.0), torch.tensor(3.0), alpha=1.0, beta=10.0)
        tensor(32.)
        >>> total_loss(torch.tensor(2.0), torch.tensor(3.0), 1.0, 10.0, torch.tensor(4.0), 0.5)
        tensor(34.)
    """
    loss = alpha * content + beta * style
    if tv is not None and tv_weight:
        loss = loss + tv_weight * tv
    return loss


__all__ = [
    "GRAM_NORMALIZATIONS",
    "content_loss",
    "content_loss_grad",
    "feature_matrix",
    "gram_matrix",
    "style_layer_loss",
    "style_layer_loss_grad",
    "style_loss",
    "total_loss",
    "total_variation_loss",
]
