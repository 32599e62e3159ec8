r"""The machine: a matrix-multiply yardstick and the C allocator's tuning for long runs.

:func:`matmul_gflops` measures how fast float32 arithmetic can go here (what the benchmarks
and lesson 10 compare an evaluation's FLOP rate with); :func:`reuse_freed_memory` keeps the C
allocator from handing back and faulting in the same buffers every evaluation (what
:func:`~nst_teach.optimize.optimize_pixels` runs inside). Neither changes a number computed.

Examples:
    >>> rate = matmul_gflops(size=64, repeats=1)
    >>> rate > 0
    True
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


__all__ = ["ALLOCATOR", "GLIBC_MMAP_THRESHOLD_MAX", "matmul_gflops", "reuse_freed_memory"]
