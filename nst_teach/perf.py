"""Split in two: :mod:`nst_teach.fused` (the fused losses) and :mod:`nst_teach.machine`
(the matrix-multiply yardstick and the allocator tuning); this old path re-exports both and warns.

It stays so that copies of the lessons written before the split keep working.
"""

import warnings

from . import fused as _fused
from . import machine as _machine
from .fused import *  # noqa: F403
from .machine import *  # noqa: F403

__all__ = [*_fused.__all__, *_machine.__all__]

warnings.warn(
    "nst_teach.perf has moved: use nst_teach.fused (losses) or nst_teach.machine (matmul_gflops,"
    " reuse_freed_memory)",
    FutureWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> object:
    for module in (_fused, _machine):
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
