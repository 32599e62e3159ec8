"""Lesson settings: what a student sees by default, and a small, fast setting for CI.

Set ``NST_TEACH_FAST=1`` for small images and few steps (what ``make test`` uses).

Examples:
    >>> sorted(lesson_settings())
    ['size', 'steps']
"""

from __future__ import annotations

#: The default setting, for a student on a laptop CPU.
DEFAULT = {"size": 256, "steps": 200}
#: The fast setting, for continuous integration.
FAST = {"size": 64, "steps": 12}


def fast_mode() -> bool:
    """Whether ``NST_TEACH_FAST`` asks for the small, fast setting."""
    from ..flags import env_flag

    return env_flag("NST_TEACH_FAST")


def lesson_settings() -> dict[str, int]:
    """``{"size": ..., "steps": ...}`` for the lessons, small when :func:`fast_mode` is on."""
    return dict(FAST if fast_mode() else DEFAULT)


__all__ = [
    "DEFAULT",
    "FAST",
    "fast_mode",
    "lesson_settings",
]
