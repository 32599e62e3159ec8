"""Moved to :mod:`nst_teach.lab.cache`; this old path re-exports it and warns.

It stays so that copies of the lessons written before the move keep working. New code
imports ``nst_teach.lab.cache`` (see ARCHITECTURE.md).
"""

import warnings

from .lab import cache as _moved
from .lab.cache import *  # noqa: F403

__all__ = list(_moved.__all__)

warnings.warn("nst_teach.cache has moved: use nst_teach.lab.cache", FutureWarning, stacklevel=2)


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
