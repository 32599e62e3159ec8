"""Moved to :mod:`nst_teach.extras.feedforward`; this old path re-exports it and warns.

It stays so that copies of the lessons written before the move keep working. New code
imports ``nst_teach.extras.feedforward`` (see ARCHITECTURE.md).
"""

import warnings

from .extras import feedforward as _moved
from .extras.feedforward import *  # noqa: F403

__all__ = list(_moved.__all__)

warnings.warn(
    "nst_teach.feedforward has moved: use nst_teach.extras.feedforward", FutureWarning, stacklevel=2
)


def __getattr__(name: str) -> object:
    return getattr(_moved, name)
