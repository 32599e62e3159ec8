r"""Fast paths for the objective: fused losses with closed-form gradients, and speed helpers.

The losses here compute exactly the paper's :math:`E_l` (Eq. 4) and
:math:`\mathcal{L}_\text{content}` (Eq. 1), but their backward passes are written out by hand
from Eqs. (2) and (6) instead of being traced by autograd:

- autograd differentiates :math:`G = F F^\top` through both factors, which costs two matrix
  products (:math:`2 \times 2 N^2 M` FLOPs) plus a strided sum of the two results; since
  :math:`G - A` is symmetric, Eq. (6) needs only one, :math:`(G - A) F / (N^2 M^2)`;
- the forward pass keeps :math:`F` and :math:`G - A` and nothing else.

The gradients match autograd's to rounding (``tests/test_perf.py`` checks it, with gradcheck
in float64). They work for any memory layout of the activations: for channels-last
activations (what :class:`~nst_teach.VGG19Features` gives with ``channels_last=True``) the
gradient comes back channels-last too, so no layout conversion is needed on the way back.

Examples:
    >>> import torch
    >>> from nst_teach.losses import style_layer_loss
    >>> F = torch.rand(1, 4, 3, 3, requires_grad=True)
    >>> A = torch.rand(4, 4)
    >>> torch.allclose(fused_style_layer_loss(F, A), style_layer_loss(F, A))
    True
    >>> fused_content_loss(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 4.0]]))
    tensor(2.5000)
"""

from __future__ import annotations

import time

import torch
from torch import Tensor
from torch.autograd.function import FunctionCtx, once_differentiable

from .losses import feature_matrix


class _StyleLayerLoss(torch.autograd.Function):
    """:math:`E_l = \\lVert F F^\\top - A \\rVert^2 / (4 N^2 M^2)` with the backward of Eq. (6)."""

    @staticmethod
    def forward(ctx: FunctionCtx, features: Tensor, target_gram: Tensor) -> Tensor:  # type: ignore[override]
        f = feature_matrix(features)  # (B, N, M), a view in either memory layout
        n, m = f.shape[1], f.shape[2]
        diff = torch.bmm(f, f.transpose(1, 2)).sub_(target_gram)
        scale = 1.0 / (float(n) ** 2 * float(m) ** 2)
        ctx.save_for_backward(features, diff)
        ctx.scale = scale
        return diff.pow(2).sum() * (0.25 * scale)

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        features, diff = ctx.saved_tensors
        f = feature_matrix(features)
        weighted = diff * (grad_output * ctx.scale)  # (B, N, N), symmetric
        if features.dim() == 4 and features.is_contiguous(memory_format=torch.channels_last):
            # F^T (G - A) is (B, M, N) contiguous: transposed, it is the channels-last gradient.
            grad = torch.bmm(f.transpose(1, 2), weighted).transpose(1, 2)
            grad = grad.view(features.shape)  # strides (M N, 1, W N, N): channels-last
        else:
            grad = torch.bmm(weighted, f).reshape(features.shape)
        return grad, None


class _ContentLoss(torch.autograd.Function):
    """:math:`\\frac12 \\lVert F - P \\rVert^2` with the backward of Eq. (2), :math:`F - P`."""

    @staticmethod
    def forward(ctx: FunctionCtx, features: Tensor, target: Tensor) -> Tensor:  # type: ignore[override]
        diff = features - target
        ctx.save_for_backward(diff)
        return diff.pow(2).sum() * 0.5

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        (diff,) = ctx.saved_tensors
        return diff * grad_output, None


def fused_style_layer_loss(features: Tensor, target_gram: Tensor) -> Tensor:
    r"""Eq. (4) of Gatys et al., with its gradient computed by Eq. (6) in one matrix product.

    .. math::

        E_l = \frac{1}{4 N_l^2 M_l^2} \sum_{ij} \left(G^l_{ij} - A^l_{ij}\right)^2, \qquad
        \frac{\partial E_l}{\partial F^l} = \frac{(G^l - A^l) F^l}{N_l^2 M_l^2}

    Same value and gradient as :func:`nst_teach.losses.style_layer_loss` (to rounding), at
    half the cost of autograd's backward pass. It can be differentiated once (no Hessians).

    Args:
        features: :math:`(B, N, H, W)` in any memory layout, or :math:`(N, M)`.
        target_gram: :math:`(N, N)`, :math:`(1, N, N)` or :math:`(B, N, N)`.

    Examples:
        >>> F = torch.tensor([[1.0, 0.0], [0.0, 1.0]], requires_grad=True)
        >>> loss = fused_style_layer_loss(F, torch.zeros(2, 2))
        >>> loss.backward(); loss, F.grad  # (1 + 1) / 64 and G F / 16
        (tensor(0.0312, grad_fn=<_StyleLayerLossBackward>), tensor([[0.0625, 0.0000],
                [0.0000, 0.0625]]))
    """
    n = feature_matrix(features).shape[1]
    if target_gram.shape[-2:] != (n, n):
        raise ValueError(
            f"target Gram matrix {tuple(target_gram.shape)} does not fit {n} feature channels"
        )
    return _StyleLayerLoss.apply(features, target_gram.detach())


def fused_content_loss(features: Tensor, target: Tensor) -> Tensor:
    r"""Eq. (1) of Gatys et al., :math:`\frac12 \sum (F - P)^2`, with the gradient
    :math:`F - P` of Eq. (2) kept from the forward pass.

    Same value and gradient as :func:`nst_teach.losses.content_loss`.

    Examples:
        >>> F = torch.tensor([[1.0, 2.0]], requires_grad=True)
        >>> fused_content_loss(F, torch.tensor([[0.0, 4.0]])).backward(); F.grad
        tensor([[ 1., -2.]])
    """
    if features.shape != target.shape:
        raise ValueError(
            f"content features {tuple(features.shape)} and target {tuple(target.shape)} differ in shape"
        )
    return _ContentLoss.apply(features, target.detach())


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    r"""This machine's float32 matrix-multiply rate in GFLOP/s: the best of ``repeats``
    products of two ``size`` x ``size`` random matrices (:math:`2 n^3` FLOPs each).

    A reference for how fast any float32 computation can go here (with the threads torch
    uses, see ``torch.get_num_threads()``).
    """
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    torch.mm(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9


__all__ = ["fused_content_loss", "fused_style_layer_loss", "matmul_gflops"]
