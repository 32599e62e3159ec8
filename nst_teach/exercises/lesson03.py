r"""Exercises of lesson 03 (Gram matrices): Eqs. (3), (4) and (6).

Examples:
    >>> gram.check(lambda F: F @ F.T)
    Correct: Gram matrix, Eq. (3).
    True
    >>> style_layer_loss.check(
    ...     lambda F, A: ((F @ F.T - A) ** 2).sum() / (4 * F.shape[0] ** 2 * F.shape[1] ** 2))
    Correct: style loss of one layer, Eq. (4).
    True
    >>> style_grad.check(
    ...     lambda F, A: (F @ F.T - A) @ F / (F.shape[0] ** 2 * F.shape[1] ** 2))
    Correct: gradient of E_l w.r.t. F, Eq. (6).
    True
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..losses import gram_matrix, style_layer_loss_grad
from ..losses import style_layer_loss as _style_layer_loss
from .core import Exercise, call_student, function_checker, tr, with_notes

_g = torch.Generator().manual_seed(3)


def _features(n: int, m: int) -> Tensor:
    return torch.relu(torch.randn(n, m, generator=_g))


#: Feature matrices (N, M) and style Gram matrices (N, N) that the checks use.
F_CASES = [(_features(3, 7),), (_features(5, 4),)]
FA_CASES = [
    (_features(3, 7), gram_matrix(_features(3, 7))),
    (_features(4, 6), gram_matrix(_features(4, 6))),
]


def _check_gram(student: Any) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    (F,) = F_CASES[0]
    got = call_student(student, F)
    if isinstance(got, Tensor) and got.shape == (F.shape[1], F.shape[1]):
        return tr(
            "your matrix is {shape}, M x M: you computed F^T F (positions x "
            "positions); the Gram matrix is F F^T, N x N (filters x filters)",
            shape=tuple(got.shape),
        )
    return with_notes(
        function_checker(gram_matrix, F_CASES),
        [("factor", "Eq. (3) has no normalisation: G = F F^T, summed over positions")],
    )(student)


gram = Exercise(
    name="Gram matrix, Eq. (3)",
    checker=_check_gram,
    hint_text=(
        "Entry (i, j) pairs filter i with filter j and sums over the positions. Which matrix "
        "product of F with itself sums over the position index and leaves an N x N result?"
    ),
    solution_text="def my_gram(F):\n    return F @ F.T",
)

style_layer_loss = Exercise(
    name="style loss of one layer, Eq. (4)",
    checker=with_notes(
        function_checker(_style_layer_loss, FA_CASES),
        [
            ("4 times", "did you forget the 4 in 1/(4 N^2 M^2)?"),
            ("factor", "check the normalisation 1/(4 N_l^2 M_l^2): squares of N and M"),
            ("shape", "the loss is a single number: sum over all i, j"),
        ],
    ),
    hint_text=(
        "Build G from F as in Exercise 3.1; N and M come from F's shape. Eq. (4) sums over all "
        "N x N entries: mind which quantities are squared in the denominator."
    ),
    solution_text=(
        "def my_style_layer_loss(F, A):\n"
        "    N, M = F.shape\n"
        "    G = F @ F.T\n"
        "    return ((G - A) ** 2).sum() / (4 * N**2 * M**2)"
    ),
)

style_grad = Exercise(
    name="gradient of E_l w.r.t. F, Eq. (6)",
    checker=with_notes(
        function_checker(style_layer_loss_grad, FA_CASES),
        [
            (
                "1/2 times",
                "G depends on F through both factors of F F^T: the two terms add up to 2",
            ),
            ("1/4 times", "the 4 cancels against the 2 from the square and the 2 from F F^T"),
            ("sign", "the gradient of (G - A)^2 points along +(G - A)"),
            ("transpose", "in the N x M layout the gradient is (G - A) F, not F^T (G - A)"),
            ("shape", "the gradient has the shape of F, (N, M)"),
        ],
    ),
    hint_text=(
        "Finish the chain rule of the text: sum step 1 times step 2 over i and j. F_ab appears "
        "in row a of BOTH factors of F F^T; G - A is symmetric, so the two terms you get are equal."
    ),
    solution_text=(
        "def my_style_grad(F, A):\n    N, M = F.shape\n    return (F @ F.T - A) @ F / (N**2 * M**2)"
    ),
)


__all__ = ["gram", "style_grad", "style_layer_loss"]
