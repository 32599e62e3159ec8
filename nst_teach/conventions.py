"""Moved to :mod:`nst_teach.extras.conventions`; this old path re-exports it and warns.

It stays so that copies of the lessons written before the move keep working. New code
imports ``nst_teach.extras.conventions`` (see ARCHITECTURE.md).
"""

import warnings

from .extras import conventions as _moved
from .extras.conventions import *  # noqa: F403

__all__ = list(_moved.__all__)

warnings.warn(
    "nst_teach.conventions has moved: use nst_teach.extras.conventions", FutureWarning, stacklevel=2
)


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
