r"""Exercises of lesson 09 (the explorer): scaling a feature map for display, and a callback
that stops an optimisation once the loss stops falling.

Examples:
    >>> feature_map.check(lambda a, c: (a[:, c:c+1] - a[:, c:c+1].min())
    ...                   / (a[:, c:c+1].max() - a[:, c:c+1].min()))
    Correct: a feature map scaled to [0, 1].
    True
    >>> def stopper(tol):
    ...     last = []
    ...     def callback(evals, image, losses):
    ...         stop = bool(last) and abs(last[-1] - losses["total"]) <= tol * abs(last[-1])
    ...         last.append(losses["total"])
    ...         return stop
    ...     return callback
    >>> early_stop.check(stopper)
    Correct: stop when the loss stops falling.
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..lab.widgets import feature_map_image
from .core import Exercise, call_student, function_checker, tr

_g = torch.Generator().manual_seed(6)
_act = torch.randn(1, 5, 4, 6, generator=_g, dtype=torch.float64)


def _check_feature_map(student: Callable[..., Any]) -> str | None:
    problem = function_checker(feature_map_image, [(_act, 0), (_act, 3)])(student)
    if problem is None:
        return None
    shape = getattr(call_student(student, _act, 0), "shape", None)
    if shape is not None and tuple(shape) != tuple(_act[:, :1].shape):
        return tr("{problem}: keep the batch and channel axes, (1, 1, H, W)", problem=problem)
    return tr("{problem}: subtract the channel's minimum, divide by its max - min", problem=problem)


feature_map = Exercise(
    name="a feature map scaled to [0, 1]",
    checker=_check_feature_map,
    hint_text=(
        "Index the channel with a slice (c to c + 1), not a single number, to keep four "
        "dimensions. Which affine map sends the smallest value to 0 and the largest to 1?"
    ),
    solution_text=(
        "def my_feature_map(act, c):\n"
        "    m = act[:, c : c + 1]\n"
        "    return (m - m.min()) / (m.max() - m.min())"
    ),
)

#: A loss history to feed the callback: falling fast, then almost flat from the 6th value on.
LOSSES = [100.0, 40.0, 20.0, 12.0, 11.0, 10.995, 10.99, 10.0, 9.99]


def _expected_stop(tol: float) -> int | None:
    for i in range(1, len(LOSSES)):
        if abs(LOSSES[i - 1] - LOSSES[i]) <= tol * abs(LOSSES[i - 1]):
            return i + 1  # the evaluation count at which it stops
    return None


def _check_early_stop(make: Callable[[float], Any]) -> str | None:
    if not callable(make):
        return tr("expected a function that makes a callback, got {kind}", kind=type(make).__name__)
    image = torch.zeros(1, 3, 2, 2)
    for tol in (1e-3, 0.1):
        callback = make(tol)
        if not callable(callback):
            return tr(
                "make_early_stop({tol}) should return a function, got {kind}",
                tol=tol,
                kind=type(callback).__name__,
            )
        stopped = None
        for evals, value in enumerate(LOSSES, start=1):
            if callback(evals, image, {"total": value}) is True:
                stopped = evals
                break
        want = _expected_stop(tol)
        if stopped != want:
            if stopped is None:
                return tr(
                    "with tol={tol} your callback never returned True (it should at evaluation "
                    "{want})",
                    tol=tol,
                    want=want,
                )
            return tr(
                "with tol={tol} your callback stopped at evaluation {stopped}, expected {want}: "
                "stop when |previous - current| <= tol * |previous|, and return exactly True",
                tol=tol,
                stopped=stopped,
                want=want,
            )
    return None


early_stop = Exercise(
    name="stop when the loss stops falling",
    checker=_check_early_stop,
    hint_text=(
        "The callback must remember something between calls: where can make_early_stop keep "
        "it so that the inner function sees it? What should the very first call return?"
    ),
    solution_text=(
        "def make_early_stop(tol):\n"
        "    previous = []\n"
        "    def callback(evals, image, losses):\n"
        "        now = losses['total']\n"
        "        stop = bool(previous) and abs(previous[-1] - now) <= tol * abs(previous[-1])\n"
        "        previous.append(now)\n"
        "        return stop\n"
        "    return callback"
    ),
)

__all__ = ["LOSSES", "early_stop", "feature_map"]
