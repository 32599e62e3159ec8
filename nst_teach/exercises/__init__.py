"""Self-checking exercises for the lessons, one module per lesson (``lesson02``, ...).

``set_language("zh")`` makes their messages Chinese (the lessons in ``notebooks/zh/`` do so
without a line of code: see :func:`~nst_teach.lab.language.get_language`)."""

from .core import (
    Exercise,
    ExerciseFailed,
    diagnose,
    function_checker,
    get_language,
    set_language,
    value_checker,
)

__all__ = [
    "Exercise",
    "ExerciseFailed",
    "diagnose",
    "function_checker",
    "get_language",
    "set_language",
    "value_checker",
]
