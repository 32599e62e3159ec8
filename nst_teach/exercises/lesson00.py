r"""Exercises of lesson 00 (start here): the sizes :math:`N_l`, :math:`M_l` and the matrix :math:`F^l`.

Examples:
    >>> import torch
    >>> m_conv3_1.check(64 * 64)
    Correct: M_l of conv3_1 at 256 x 256.
    True
    >>> flatten_features.check(lambda a: a[0].flatten(1))
    Correct: the feature matrix F^l.
    True
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..extras.architecture import layer_table
from ..losses import feature_matrix
from .core import Exercise, call_student, diagnose, function_checker, tr


def _conv3_1_positions() -> int:
    _, h, w = layer_table(256, 256, ["conv3_1"])[0]["out_shape"]
    return h * w


def _check_m(answer: Any) -> str | None:
    expected = _conv3_1_positions()
    if isinstance(answer, Tensor):
        answer = answer.item() if answer.numel() == 1 else answer
    if not isinstance(answer, int | float) or isinstance(answer, bool):
        return tr("expected a number, got {kind}", kind=type(answer).__name__)
    if answer == 256 * 256:
        return tr("that is the number of pixels: conv3_1 comes after two poolings")
    if answer == 256 * 64 * 64:
        return tr("that is N_l * M_l, the number of entries of F; M_l counts positions only")
    if answer == 64:
        return tr("that is the side H_l = W_l; M_l is H_l * W_l")
    if answer == 128 * 128:
        return tr("conv3_1 comes after two poolings (pool1 and pool2), not one")
    if answer != expected:
        return tr("{answer} is not H_l * W_l for conv3_1", answer=answer)
    return None


m_conv3_1 = Exercise(
    name="M_l of conv3_1 at 256 x 256",
    checker=_check_m,
    hint_text="Each pooling before a layer halves the side. Which poolings come before conv3_1?",
    solution_text="M_conv3_1 = (256 // 4) * (256 // 4)  # two poolings: 64 x 64 = 4096 positions",
)


def _flatten_reference(activation: Tensor) -> Tensor:
    return feature_matrix(activation)[0]


_g = torch.Generator().manual_seed(0)
_CASES = [
    (torch.randn(1, 4, 3, 5, generator=_g),),
    (torch.randn(1, 2, 6, 6, generator=_g),),
]
_flatten_check = function_checker(_flatten_reference, _CASES)


def _check_flatten(student: Any) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    act = _CASES[0][0]
    got = call_student(student, act)
    if isinstance(got, Tensor) and got.shape == (act.shape[2] * act.shape[3], act.shape[1]):
        return tr(
            "your matrix has shape {shape}: that is M x N; the paper's F^l is "
            "N_l x M_l (one row per filter)",
            shape=tuple(got.shape),
        )
    if isinstance(got, Tensor) and got.dim() == 3:
        return tr(
            "shape {shape}: drop the batch dimension, F^l is 2-D (N_l, M_l)", shape=tuple(got.shape)
        )
    if isinstance(got, Tensor) and got.shape == (act.shape[1], act.shape[2] * act.shape[3]):
        # same shape: maybe the positions were ordered column by column
        col = act[0].transpose(1, 2).reshape(act.shape[1], -1)
        if diagnose(got, col) is None:
            return tr("the positions are ordered column by column; flatten row by row (H, then W)")
    return _flatten_check(student)


flatten_features = Exercise(
    name="the feature matrix F^l",
    checker=_check_flatten,
    hint_text="An activation has shape (1, N, H, W). Take the one image, then merge the last two axes.",
    solution_text="def flatten_features(activation):\n    return activation[0].reshape(activation.shape[1], -1)",
)

__all__ = ["flatten_features", "m_conv3_1"]
