"""Moved to :mod:`nst_teach.lab.widgets`; this old path re-exports it and warns.

It stays so that copies of the lessons written before the move keep working. New code
imports ``nst_teach.lab.widgets`` (see ARCHITECTURE.md).
"""

import warnings

from .lab import widgets as _moved
from .lab.widgets import *  # noqa: F403

__all__ = list(_moved.__all__)

warnings.warn("nst_teach.widgets has moved: use nst_teach.lab.widgets", FutureWarning, stacklevel=2)


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
