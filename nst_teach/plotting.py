"""Moved to :mod:`nst_teach.lab.plotting`; this old path re-exports it and warns.

It stays so that copies of the lessons written before the move keep working. New code
imports ``nst_teach.lab.plotting`` (see ARCHITECTURE.md).
"""

import warnings

from .lab import plotting as _moved
from .lab.plotting import *  # noqa: F403

__all__ = list(_moved.__all__)

warnings.warn(
    "nst_teach.plotting has moved: use nst_teach.lab.plotting", FutureWarning, stacklevel=2
)


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
