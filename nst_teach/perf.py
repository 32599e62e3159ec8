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

import contextlib
import ctypes
import ctypes.util
import functools
import sys
import threading
import time
from collections.abc import Iterator

import torch
from torch import Tensor
from torch.autograd.function import FunctionCtx, once_differentiable

from .losses import feature_matrix

#: Row blocks that the Gram products of narrow layers are split into (see ``_row_blocks``).
GRAM_ROW_BLOCKS = 8


def _row_blocks(features: Tensor) -> Tensor | None:
    r"""For channels-last activations of at most 128 channels: :math:`F^\top` as
    ``GRAM_ROW_BLOCKS`` blocks of rows, a ``(B * blocks, M / blocks, N)`` view; else ``None``.

    :math:`F F^\top = \sum_k F_k F_k^\top` over blocks :math:`F_k` of positions. For a
    layer of 64 or 128 channels and tens of thousands of positions, one product is a long,
    thin matrix product that the BLAS library runs at well under its best rate; as a batch
    of 8 blocks it runs about 10-25 % faster (measured on this project's 2-core machine).
    """
    if features.dim() != 4 or not features.is_contiguous(memory_format=torch.channels_last):
        return None
    b, n, h, w = features.shape
    m = h * w
    if n > 128 or m % GRAM_ROW_BLOCKS or m // GRAM_ROW_BLOCKS < n:
        return None
    rows = features.permute(0, 2, 3, 1).view(b, m, n)  # contiguous: (B, M, N) = F^T
    return rows.view(b * GRAM_ROW_BLOCKS, m // GRAM_ROW_BLOCKS, n)


class _StyleLayerLoss(torch.autograd.Function):
    """:math:`E_l = \\lVert F F^\\top - A \\rVert^2 / (4 N^2 M^2)` with the backward of Eq. (6)."""

    @staticmethod
    def forward(ctx: FunctionCtx, features: Tensor, target_gram: Tensor) -> Tensor:  # type: ignore[override]
        f = feature_matrix(features)  # (B, N, M), a view in either memory layout
        b, n, m = f.shape
        blocks = _row_blocks(features)
        if blocks is None:
            gram = torch.bmm(f, f.transpose(1, 2))
        else:
            gram = torch.bmm(blocks.transpose(1, 2), blocks).view(b, -1, n, n).sum(1)
        diff = gram.sub_(target_gram)
        scale = 1.0 / (float(n) ** 2 * float(m) ** 2)
        ctx.save_for_backward(features, diff)
        ctx.scale = scale
        return diff.pow(2).sum() * (0.25 * scale)

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad_output: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        features, diff = ctx.saved_tensors
        f = feature_matrix(features)
        b, n, _ = f.shape
        # dE/dF = ((G - A) + (G - A)^T) F / (2 N^2 M^2): for a symmetric target (every Gram
        # matrix) that is Eq. (6); averaging with the transpose keeps it right for any
        # target, at the cost of one N x N addition
        weighted = (diff + diff.transpose(-1, -2)) * (grad_output * ctx.scale * 0.5)  # symmetric
        # The gradient is written into a tensor of its own (not a view of a temporary), in
        # the memory layout of the features: autograd can then add the other gradient
        # reaching this layer (through its ReLU) into it in place, with no new buffer.
        grad = torch.empty_like(features)
        blocks = _row_blocks(features)
        if blocks is not None:  # block k of F^T (G - A), written into block k of the gradient
            out = _row_blocks(grad)
            assert out is not None
            w = weighted.unsqueeze(1).expand(b, GRAM_ROW_BLOCKS, n, n).reshape(-1, n, n)
            torch.bmm(blocks, w, out=out)
        elif features.dim() == 4 and features.is_contiguous(memory_format=torch.channels_last):
            # channels-last: the gradient's (B, M, N) view is contiguous, F^T (G - A) fills it
            out = grad.permute(0, 2, 3, 1).view(b, -1, n)
            torch.bmm(f.transpose(1, 2), weighted, out=out)
        elif grad.is_contiguous():
            torch.bmm(weighted, f, out=grad.view(f.shape))
        else:  # another layout: an ordinary product, reshaped
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
    Eq. (6) uses :math:`(G - A)^\top = G - A`, true when the target is a Gram matrix; for
    any other target the backward pass uses :math:`\tfrac12 ((G - A) + (G - A)^\top)`,
    which is the exact gradient in every case.

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


def matmul_gflops(
    size: int = 2048, repeats: int = 5, device: str | torch.device | None = None
) -> float:
    r"""This machine's float32 matrix-multiply rate in GFLOP/s: the best of ``repeats``
    products of two ``size`` x ``size`` random matrices (:math:`2 n^3` FLOPs each).

    A reference for how fast any float32 computation can go here (with the threads torch
    uses, see ``torch.get_num_threads()``). On a GPU (``device``) each product is timed
    after synchronising, as kernels run asynchronously.
    """
    dev = torch.device("cpu" if device is None else device)

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        elif dev.type == "mps":
            torch.mps.synchronize()

    a = torch.randn(size, size, device=dev)
    b = torch.randn(size, size, device=dev)
    torch.mm(a, b)  # warm-up
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        sync()
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9


@functools.lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    """The C library, if it is glibc (``malloc``, ``free`` and ``malloc_trim``) on Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not all(hasattr(libc, name) for name in ("malloc", "free", "malloc_trim")):
        return None  # a C library without them (musl, ...)
    if not hasattr(libc, "gnu_get_libc_version"):
        return None  # the threshold tuning below is glibc's
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    return libc


#: glibc's ``DEFAULT_MMAP_THRESHOLD_MAX`` on 64-bit systems: its self-tuning never raises the
#: mmap threshold above this.
GLIBC_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024


class _AllocatorTuning:
    """The process-wide state of :func:`reuse_freed_memory`: how deeply blocks are nested.

    The C allocator is one per process, so this is too; a lock keeps the count right when
    threads enter and leave blocks at the same time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.depth = 0

    def enter(self, libc: ctypes.CDLL) -> bool:
        with self._lock:
            self.depth += 1
            if self.depth == 1:
                _raise_mmap_threshold(libc)
        return True

    def leave(self, libc: ctypes.CDLL) -> None:
        with self._lock:
            self.depth -= 1
            if self.depth == 0:
                libc.malloc_trim(0)


def _raise_mmap_threshold(libc: ctypes.CDLL) -> None:
    """Let glibc's own self-tuning raise its mmap threshold to its maximum.

    glibc serves a block above its mmap threshold (128 KiB at first) with ``mmap``; when such
    a block is freed, it raises the threshold to that block's size (up to 32 MiB on 64-bit
    systems) and its heap-trimming threshold to twice that. Allocating and freeing one block
    just under 32 MiB therefore tunes it as a long run would, at once, and without
    ``mallopt``: a ``mallopt`` of these parameters switches the self-tuning off for the rest
    of the process, which cannot be undone.
    """
    size = GLIBC_MMAP_THRESHOLD_MAX - 64 * 1024  # the chunk, with its header, stays below the max
    block = libc.malloc(size)
    if block:
        libc.free(block)


#: The allocator state shared by every :func:`reuse_freed_memory` block of this process.
ALLOCATOR = _AllocatorTuning()


@contextlib.contextmanager
def reuse_freed_memory() -> Iterator[bool]:
    r"""Within the block, let the C allocator keep freed memory for reuse (glibc on Linux).

    Every evaluation of the objective allocates and frees the same few dozen activation and
    gradient buffers, many of them megabytes. glibc serves large blocks with ``mmap`` and
    unmaps them when they are freed, and it trims the top of its heap when much is free, so
    the next evaluation's buffers start as fresh pages that the kernel must fault in and
    zero, one 4 KiB page at a time: a large share of the time of ReLUs, additions and pooling
    goes to that. glibc tunes itself against this: each time it unmaps a freed block it
    raises its mmap threshold to that block's size (up to 32 MiB), so that blocks of that
    size come from the heap afterwards. On entering, this block lets that self-tuning go to
    its maximum at once (see :func:`_raise_mmap_threshold`), so the first evaluations reuse
    memory too, and on leaving the outermost block ``malloc_trim`` hands free heap memory
    back to the system. Nothing is switched off and nothing needs restoring: the allocator
    goes on tuning itself as it would have. (PyTorch's CPU tuning guide suggests jemalloc or
    tcmalloc for the same reason; this needs no extra library.) The values computed are the
    same; only where memory comes from changes. Blocks may nest and may be entered from
    several threads.

    Yields ``True`` where the tuning applies (glibc), ``False`` elsewhere (other platforms
    and C libraries, or ``NST_TEACH_MALLOPT=0`` in the environment), where it does nothing.

    Examples:
        >>> with reuse_freed_memory() as applied:
        ...     x = torch.ones(1 << 20).sum()
        >>> float(x), isinstance(applied, bool)
        (1048576.0, True)
    """
    from .flags import env_flag

    libc = _glibc() if env_flag("NST_TEACH_MALLOPT", default=True) else None
    if libc is None:
        yield False
        return
    applied = ALLOCATOR.enter(libc)
    try:
        yield applied
    finally:
        ALLOCATOR.leave(libc)


__all__ = ["fused_content_loss", "fused_style_layer_loss", "matmul_gflops", "reuse_freed_memory"]
