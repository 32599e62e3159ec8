"""Self-checking exercises for the lessons, one module per lesson (``lesson02``, ...)."""

from .core import Exercise, ExerciseFailed, diagnose, function_checker, value_checker

__all__ = ["Exercise", "ExerciseFailed", "diagnose", "function_checker", "value_checker"]
