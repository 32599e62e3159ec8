r"""What "style weight" means in five well-known implementations, and how to convert it.

The paper (Gatys, Ecker and Bethge 2016) writes the loss as

.. math::

    \mathcal{L} = \alpha \mathcal{L}_\text{content} + \beta \sum_l w_l E_l, \quad
    \mathcal{L}_\text{content} = \tfrac12 \sum (F - P)^2, \quad
    E_l = \frac{1}{4 N_l^2 M_l^2} \sum (G^l - A^l)^2, \quad G = F F^\top,

with :math:`w_l = 1/L` over :math:`L` style layers. Popular code normalises differently:

- ``"pytorch"``: the PyTorch tutorial (Jacq and Herrmann), ``gram = F F^T / (a*b*c*d)``, i.e.
  :math:`G / (N M)` for a batch of one, ``F.mse_loss`` on Gram matrices (mean over
  :math:`N^2` entries) and on content features (mean over :math:`N M`), summed over layers;
  ``style_weight=1e6``, ``content_weight=1``.
- ``"keras"``: the Keras example (Chollet), unnormalised Gram,
  ``sum((S - C)**2) / (4 * channels**2 * size**2)`` with ``channels = 3`` and ``size`` the
  number of *image* pixels (not :math:`N_l`, :math:`M_l`), ``style_weight / len(layers)`` per
  layer, content ``sum((C - B)**2)``; ``style_weight=1e-6``, ``content_weight=2.5e-8``.
- ``"tensorflow"``: the TensorFlow tutorial, Gram ``/ num_locations`` (:math:`G / M`),
  ``reduce_mean`` of squared differences, both weights divided by the number of layers;
  ``style_weight=1e-2``, ``content_weight=1e4``.
- ``"d2l"``: *Dive into Deep Learning* (Zhang, Lipton, Li and Smola), chapter "Neural Style
  Transfer": Gram ``X X^T / (c*h*w)`` (:math:`G / (N M)`), mean squared errors on Gram
  matrices and on content features, summed over layers; ``content_weight=1``,
  ``style_weight=1e3``, plus a mean-absolute total variation ``0.5 * (mean|dy| + mean|dx|)``
  with ``tv_weight=10``; torchvision indices 0, 5, 10, 19, 28 for style and 25 (``conv4_4``)
  for content.

Whether the features are rectified differs too (:attr:`Convention.rectified`): the paper's
Caffe ReLUs work in place, so its blob ``conv4_2`` holds ``relu4_2``; the PyTorch tutorial
rebuilds the network with out-of-place ReLUs and taps *before* them; Keras' ``block1_conv1``
has the ReLU inside the layer (Keras example and TensorFlow tutorial); d2l runs torchvision's
in-place ReLUs after capturing a tensor, which rectifies it, except at index 28 (``conv5_1``),
the last layer it keeps, whose ReLU is cut off.

Each convention's per-layer style term is a constant multiple of the paper's :math:`E_l`, and
its content term a multiple of :math:`\mathcal{L}_\text{content}`; :func:`to_paper_weights`
turns its weights into the paper's :math:`\alpha`, :math:`\beta` and :math:`w_l`, so that the
two losses are *equal*, not just proportional. (Equal for the same features: the frameworks'
VGG inputs are scaled differently, Keras and TensorFlow feed pixels in :math:`[0, 255]`, which
makes their features larger; that changes the losses, not these formulas.)

Examples:
    >>> style_term_factor("pytorch", n=64, m=1024)  # 4 / N^2
    0.0009765625
    >>> style_term_factor("tensorflow", n=64, m=1024)
    4.0
    >>> beta_factor("tensorflow", n=512, m=16, num_style_layers=5)
    4.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

from ..losses import content_loss, gram_matrix, style_layer_loss


@dataclass(frozen=True)
class Convention:
    """How one implementation writes the style transfer loss.

    Attributes:
        key: short name (``"paper"``, ``"pytorch"``, ``"keras"``, ``"tensorflow"``).
        name: who wrote it.
        source: where to read it.
        gram: its Gram matrix, in words.
        style_term: its per-layer style loss, in LaTeX (:math:`G`, :math:`A` its Gram matrices).
        content_term: its content loss, in LaTeX.
        style_weight, content_weight: its default weights.
        averages_style_layers: whether the style weight is divided by the number of layers.
        averages_content_layers: likewise for the content weight.
        style_layers, content_layers: its layers, in the paper's names (``relu*`` where its
            features are rectified, ``conv*`` where they are not).
        rectified: whether its features are rectified, and why, in words.
        tv_term: its total-variation term, in LaTeX (empty if it has none).
        tv_weight: the weight of that term (0 if none).
    """

    key: str
    name: str
    source: str
    gram: str
    style_term: str
    content_term: str
    style_weight: float
    content_weight: float
    averages_style_layers: bool
    averages_content_layers: bool
    style_layers: tuple[str, ...]
    content_layers: tuple[str, ...]
    rectified: str = ""
    tv_term: str = ""
    tv_weight: float = 0.0


_VGG_STYLE = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

#: The five conventions, by key.
CONVENTIONS: dict[str, Convention] = {
    "paper": Convention(
        key="paper",
        name="Gatys, Ecker and Bethge (2016)",
        source="arXiv:1508.06576, Eqs. (1)-(7)",
        gram=r"$G = F F^\top$",
        style_term=r"$\frac{1}{4 N^2 M^2} \sum (G - A)^2$",
        content_term=r"$\frac{1}{2} \sum (F - P)^2$",
        style_weight=1e3,  # beta with alpha = 1: alpha / beta = 1e-3, as in the paper's Fig. 2
        content_weight=1.0,
        averages_style_layers=True,  # w_l = 1 / L
        averages_content_layers=False,
        style_layers=_VGG_STYLE,
        content_layers=("relu4_2",),
        rectified="yes: Caffe's in-place ReLU, so the blob conv4_2 holds relu4_2",
    ),
    "pytorch": Convention(
        key="pytorch",
        name="PyTorch tutorial (Jacq and Herrmann)",
        source="pytorch.org/tutorials/advanced/neural_style_tutorial.html",
        gram=r"$G = F F^\top / (N M)$",
        style_term=r"$\frac{1}{N^2} \sum \left(\frac{G - A}{N M}\right)^2$",
        content_term=r"$\frac{1}{N M} \sum (F - P)^2$",
        style_weight=1e6,
        content_weight=1.0,
        averages_style_layers=False,
        averages_content_layers=False,
        style_layers=("conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1"),
        content_layers=("conv2_2",),
        rectified="no: it rebuilds VGG with out-of-place ReLUs and taps before them",
    ),
    "keras": Convention(
        key="keras",
        name="Keras example (Chollet)",
        source="keras.io/examples/generative/neural_style_transfer",
        gram=r"$G = F F^\top$",
        style_term=r"$\frac{1}{4 \cdot 3^2 \cdot (H W)^2} \sum (G - A)^2$, $HW$ = image pixels",
        content_term=r"$\sum (F - P)^2$",
        style_weight=1e-6,
        content_weight=2.5e-8,
        averages_style_layers=True,
        averages_content_layers=False,
        style_layers=_VGG_STYLE,
        content_layers=("relu5_2",),
        rectified="yes: Keras' block1_conv1 has the ReLU inside the layer",
        tv_term=r"$\sum (\Delta_i^2 + \Delta_j^2)^{1.25}$",
        tv_weight=1e-6,
    ),
    "tensorflow": Convention(
        key="tensorflow",
        name="TensorFlow tutorial",
        source="tensorflow.org/tutorials/generative/style_transfer",
        gram=r"$G = F F^\top / M$",
        style_term=r"$\frac{1}{N^2} \sum \left(\frac{G - A}{M}\right)^2$",
        content_term=r"$\frac{1}{N M} \sum (F - P)^2$",
        style_weight=1e-2,
        content_weight=1e4,
        averages_style_layers=True,
        averages_content_layers=True,
        style_layers=_VGG_STYLE,
        content_layers=("relu5_2",),
        rectified="yes: Keras' VGG19 layers include the ReLU",
    ),
    "d2l": Convention(
        key="d2l",
        name="Dive into Deep Learning (Zhang et al.)",
        source="d2l.ai, chapter Neural Style Transfer",
        gram=r"$G = F F^\top / (N M)$",
        style_term=r"$\frac{1}{N^2} \sum \left(\frac{G - A}{N M}\right)^2$",
        content_term=r"$\frac{1}{N M} \sum (F - P)^2$",
        style_weight=1e3,
        content_weight=1.0,
        averages_style_layers=False,
        averages_content_layers=False,
        # torchvision indices 0, 5, 10, 19, 28; content 25
        style_layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "conv5_1"),
        content_layers=("relu4_4",),
        rectified=(
            "yes, by torchvision's in-place ReLUs run after the tensor was captured, "
            "except conv5_1 (index 28), whose ReLU is cut off"
        ),
        tv_term=r"$\frac12 (\operatorname{mean}|\Delta_i x| + \operatorname{mean}|\Delta_j x|)$",
        tv_weight=10.0,
    ),
}

#: d2l's layers as torchvision ``features`` indices (style, content).
D2L_INDICES: tuple[tuple[int, ...], tuple[int, ...]] = ((0, 5, 10, 19, 28), (25,))


def get_convention(key: str | Convention) -> Convention:
    """Look a convention up by key; a :class:`Convention` is returned as it is."""
    if isinstance(key, Convention):
        return key
    if key not in CONVENTIONS:
        raise ValueError(f"unknown convention {key!r}; known: {', '.join(CONVENTIONS)}")
    return CONVENTIONS[key]


def _needs_positions(conv: Convention, image_positions: int | None) -> int:
    if image_positions is None:
        raise ValueError(
            f"the {conv.key} convention divides by the image's pixel count: give image_positions"
        )
    return int(image_positions)


def style_layer_term(
    convention: str | Convention,
    features: Tensor,
    style_features: Tensor,
    *,
    image_positions: int | None = None,
) -> Tensor:
    r"""One layer's style loss as ``convention`` computes it, before any weight.

    Args:
        convention: a key of :data:`CONVENTIONS`.
        features: the generated image's activations :math:`(1, N, H, W)` or :math:`(N, M)`.
        style_features: the style image's activations, the same shape.
        image_positions: the image's pixel count :math:`H W` (the Keras convention needs it).

    Examples:
        >>> F, S = torch.eye(4), torch.zeros(4, 4)  # N = M = 4, G = I, A = 0
        >>> [float(style_layer_term(k, F, S)) for k in ("paper", "pytorch", "tensorflow")]
        [0.00390625, 0.0009765625, 0.015625]
    """
    conv = get_convention(convention)
    if conv.key == "paper":
        return style_layer_loss(features, gram_matrix(style_features))
    if conv.key in ("pytorch", "d2l"):
        g, a = gram_matrix(features, "elements"), gram_matrix(style_features, "elements")
        return torch.nn.functional.mse_loss(g, a)
    if conv.key == "keras":
        size = _needs_positions(conv, image_positions)
        g, a = gram_matrix(features), gram_matrix(style_features)
        return (g - a).pow(2).sum() / (4.0 * 3**2 * size**2)
    if conv.key == "tensorflow":
        g, a = gram_matrix(features, "positions"), gram_matrix(style_features, "positions")
        return (g - a).pow(2).mean()
    raise ValueError(f"no style term for convention {conv.key!r}")  # pragma: no cover


def content_term(convention: str | Convention, features: Tensor, target: Tensor) -> Tensor:
    r"""The content loss as ``convention`` computes it, before any weight.

    Examples:
        >>> F, P = torch.ones(2, 2), torch.zeros(2, 2)
        >>> [float(content_term(k, F, P)) for k in ("paper", "pytorch", "keras", "tensorflow")]
        [2.0, 1.0, 4.0, 1.0]
    """
    conv = get_convention(convention)
    if conv.key == "paper":
        return content_loss(features, target)
    if conv.key == "keras":
        return (features - target).pow(2).sum()
    # pytorch (F.mse_loss), tensorflow (reduce_mean), d2l (.mean()): the mean over N M entries
    return (features - target).pow(2).mean()


def style_term_factor(
    convention: str | Convention, n: int, m: int, image_positions: int | None = None
) -> float:
    r"""The constant :math:`c` with ``style_layer_term(convention, ...)`` :math:`= c E_l`.

    ===========  ==================================
    paper        :math:`1`
    pytorch      :math:`4 / N_l^2`
    d2l          :math:`4 / N_l^2`
    keras        :math:`N_l^2 M_l^2 / (9 (HW)^2)`
    tensorflow   :math:`4`
    ===========  ==================================

    Examples:
        >>> style_term_factor("keras", n=64, m=256 * 256, image_positions=256 * 256)  # 64^2 / 9
        455.111...
    """
    conv = get_convention(convention)
    if conv.key == "paper":
        return 1.0
    if conv.key in ("pytorch", "d2l"):
        return 4.0 / n**2
    if conv.key == "keras":
        size = _needs_positions(conv, image_positions)
        return (n * m) ** 2 / (9.0 * size**2)
    return 4.0  # tensorflow: mean over N^2 of ((G - A) / M)^2 = sum (G - A)^2 / (N^2 M^2)


def content_term_factor(convention: str | Convention, n: int, m: int) -> float:
    r"""The constant :math:`c` with ``content_term(convention, ...)``
    :math:`= c \mathcal{L}_\text{content}`: 1 (paper), :math:`2 / (N M)` (PyTorch, TensorFlow,
    d2l), 2 (Keras).

    Examples:
        >>> content_term_factor("pytorch", n=128, m=64 * 64)
        3.814697265625e-06
    """
    conv = get_convention(convention)
    if conv.key == "paper":
        return 1.0
    if conv.key == "keras":
        return 2.0
    return 2.0 / (n * m)


def beta_factor(
    convention: str | Convention,
    n: int,
    m: int,
    num_style_layers: int,
    image_positions: int | None = None,
) -> float:
    r"""The factor :math:`k` that turns a convention's style weight into the paper's
    :math:`\beta` for one layer (with the paper's :math:`w_l = 1/L`): :math:`\beta = k \cdot`
    ``style_weight``.

    The convention adds ``style_weight`` :math:`\cdot\, c_l\, E_l` per layer (divided by
    :math:`L` if it averages over layers), the paper :math:`\beta E_l / L`; so
    :math:`k = L c_l` or :math:`k = c_l` with :math:`c_l` from :func:`style_term_factor`.
    The PyTorch tutorial's :math:`k = 4 L / N_l^2` depends on the layer: its one style weight
    is a different :math:`\beta` for each layer.

    Examples:
        >>> beta_factor("pytorch", n=64, m=4096, num_style_layers=5)  # 4 * 5 / 64^2
        0.0048828125
    """
    conv = get_convention(convention)
    c = style_term_factor(conv, n, m, image_positions)
    return c if conv.averages_style_layers else num_style_layers * c


@dataclass(frozen=True)
class PaperWeights:
    r"""The paper's :math:`\alpha`, :math:`\beta` and :math:`w_l` (summing to 1) that give a
    convention's loss exactly."""

    alpha: float
    beta: float
    layer_weights: dict[str, float]


def _shape_nm(shape: tuple[int, ...] | Tensor) -> tuple[int, int]:
    s = tuple(shape.shape) if isinstance(shape, Tensor) else tuple(shape)
    if len(s) == 2:
        return int(s[0]), int(s[1])
    if len(s) == 4:
        return int(s[1]), int(s[2] * s[3])
    raise ValueError(f"give (N, M) or an activation shape (1, N, H, W), got {s}")


def to_paper_weights(
    convention: str | Convention,
    style_shapes: Mapping[str, tuple[int, ...] | Tensor],
    content_shapes: Mapping[str, tuple[int, ...] | Tensor],
    *,
    style_weight: float | None = None,
    content_weight: float | None = None,
    image_positions: int | None = None,
) -> PaperWeights:
    r"""The paper's weights that reproduce ``convention``'s loss exactly.

    .. math::

        \text{convention's loss} = \alpha \mathcal{L}_\text{content} + \beta \sum_l w_l E_l

    Args:
        convention: a key of :data:`CONVENTIONS`.
        style_shapes: ``{layer: (N_l, M_l)}`` or activation shapes ``(1, N, H, W)``.
        content_shapes: the same for the content layers. With several content layers the
            paper's single :math:`\alpha` can only match if their factors agree.
        style_weight, content_weight: the convention's weights (default: its defaults).
        image_positions: image pixel count (Keras only).

    Examples:
        >>> w = to_paper_weights("tensorflow", {"conv1_1": (64, 4096), "conv2_1": (128, 1024)},
        ...                      {"conv5_2": (512, 16)})
        >>> w.beta, w.layer_weights
        (0.04, {'conv1_1': 0.5, 'conv2_1': 0.5})
        >>> round(w.alpha, 6)  # 1e4 * 2 / (512 * 16)
        2.441406
    """
    conv = get_convention(convention)
    sw = conv.style_weight if style_weight is None else float(style_weight)
    cw = conv.content_weight if content_weight is None else float(content_weight)
    if not style_shapes:
        raise ValueError("no style layers given")
    n_style = len(style_shapes)
    per_layer = {}
    for name, shape in style_shapes.items():
        n, m = _shape_nm(shape)
        c = style_term_factor(conv, n, m, image_positions)
        per_layer[name] = sw * c / (n_style if conv.averages_style_layers else 1)
    beta = sum(per_layer.values())
    layer_weights = {name: (v / beta if beta else 1.0 / n_style) for name, v in per_layer.items()}
    alphas = []
    n_content = len(content_shapes)
    for shape in content_shapes.values():
        n, m = _shape_nm(shape)
        c = content_term_factor(conv, n, m)
        alphas.append(cw * c / (n_content if conv.averages_content_layers else 1))
    if not alphas:
        raise ValueError("no content layers given")
    if max(alphas) - min(alphas) > 1e-12 * max(abs(a) for a in alphas):
        raise ValueError(
            "the content layers have different factors; one alpha cannot reproduce them: "
            + ", ".join(f"{a:.3g}" for a in alphas)
        )
    return PaperWeights(alpha=alphas[0], beta=beta, layer_weights=layer_weights)


def convention_loss(
    convention: str | Convention,
    features: Mapping[str, Tensor],
    content_features: Mapping[str, Tensor],
    style_features: Mapping[str, Tensor],
    *,
    style_weight: float | None = None,
    content_weight: float | None = None,
    image_positions: int | None = None,
) -> dict[str, Tensor]:
    r"""The total loss as ``convention`` computes it, weights included.

    Args:
        features: the generated image's activations ``{layer: (1, N, H, W)}`` for all layers.
        content_features: the content image's, for the content layers (the keys used).
        style_features: the style image's, for the style layers (the keys used).

    Returns:
        ``{"content", "style", "total"}``: the weighted content and style parts and their sum.
    """
    conv = get_convention(convention)
    sw = conv.style_weight if style_weight is None else float(style_weight)
    cw = conv.content_weight if content_weight is None else float(content_weight)
    zero = next(iter(features.values())).new_zeros(())
    style = sum(
        (
            style_layer_term(conv, features[n], s, image_positions=image_positions)
            for n, s in style_features.items()
        ),
        zero,
    )
    content = sum((content_term(conv, features[n], p) for n, p in content_features.items()), zero)
    style = sw * style / (len(style_features) if conv.averages_style_layers else 1)
    content = cw * content / (len(content_features) if conv.averages_content_layers else 1)
    return {"content": content, "style": style, "total": content + style}


__all__ = [
    "CONVENTIONS",
    "D2L_INDICES",
    "Convention",
    "PaperWeights",
    "beta_factor",
    "content_term",
    "content_term_factor",
    "convention_loss",
    "get_convention",
    "style_layer_term",
    "style_term_factor",
    "to_paper_weights",
]
