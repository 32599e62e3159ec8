"""Moved to :mod:`nst_teach.lab.figures_zh`; this old path re-exports it and warns.

It stays so that copies of the lessons written before the move keep working. New code
imports ``nst_teach.lab.figures_zh`` (see ARCHITECTURE.md).
"""

import warnings

from .lab import figures_zh as _moved
from .lab.figures_zh import *  # noqa: F403

__all__ = list(_moved.__all__)

warnings.warn(
    "nst_teach.figures_zh has moved: use nst_teach.lab.figures_zh", FutureWarning, stacklevel=2
)


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
