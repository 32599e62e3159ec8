r"""Exercises of lesson 03 (Gram matrices and style): Eqs. (3)-(6) and the MMD view.

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
    >>> mmd2.check(lambda X, Y: ((X.T @ X) ** 2).mean() + ((Y.T @ Y) ** 2).mean()
    ...                         - 2 * ((X.T @ Y) ** 2).mean())
    Correct: squared MMD with the kernel (x^T y)^2.
    True
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..losses import gram_matrix, style_layer_loss_grad
from ..losses import style_layer_loss as _style_layer_loss
from .core import Exercise, function_checker, with_notes

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
        return f"expected a function, got {type(student).__name__}"
    (F,) = F_CASES[0]
    got = student(F)
    if isinstance(got, Tensor) and got.shape == (F.shape[1], F.shape[1]):
        return (
            f"your matrix is {tuple(got.shape)}, M x M: you computed F^T F (positions x "
            "positions); the Gram matrix is F F^T, N x N (filters x filters)"
        )
    return with_notes(
        function_checker(gram_matrix, F_CASES),
        [("factor", "Eq. (3) has no normalisation: G = F F^T, summed over positions")],
    )(student)


gram = Exercise(
    name="Gram matrix, Eq. (3)",
    checker=_check_gram,
    hint_text="G_ij = sum_k F_ik F_jk: the inner product of rows i and j of F.",
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
    hint_text="G = F F^T; then sum of (G - A)^2 over all entries, divided by 4 N^2 M^2 with N, M = F.shape.",
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
        "dE/dG = (G - A) / (2 N^2 M^2); G = F F^T gives dE/dF = (dE/dG + dE/dG^T) F; G - A is "
        "symmetric."
    ),
    solution_text=(
        "def my_style_grad(F, A):\n    N, M = F.shape\n    return (F @ F.T - A) @ F / (N**2 * M**2)"
    ),
)


def poly_kernel(x: Tensor, y: Tensor) -> Tensor:
    r"""The kernel :math:`k(x, y) = (x^\top y)^2` between columns: :math:`(N, M_x), (N, M_y)
    \to (M_x, M_y)`."""
    return (x.T @ y) ** 2


def mmd2_reference(x: Tensor, y: Tensor) -> Tensor:
    r"""Biased squared MMD between the columns of ``x`` and of ``y`` (Li et al. 2017, Eq. 9)."""
    return poly_kernel(x, x).mean() + poly_kernel(y, y).mean() - 2 * poly_kernel(x, y).mean()


MMD_CASES = [
    (_features(3, 6), _features(3, 6)),
    (_features(4, 5), _features(4, 8)),
]

mmd2 = Exercise(
    name="squared MMD with the kernel (x^T y)^2",
    checker=with_notes(
        function_checker(mmd2_reference, MMD_CASES),
        [
            ("sign", "the cross term enters with -2"),
            ("factor", "average each kernel sum over its pairs: 1/M_x^2, 1/M_y^2 and 1/(M_x M_y)"),
        ],
    ),
    hint_text=(
        "The samples are the COLUMNS of X and Y (one feature vector per position). Build the "
        "kernel matrices K_xx = (X^T X)^2, K_yy, K_xy (elementwise square) and average them."
    ),
    solution_text=(
        "def my_mmd2(X, Y):\n"
        "    k = lambda a, b: (a.T @ b) ** 2\n"
        "    return k(X, X).mean() + k(Y, Y).mean() - 2 * k(X, Y).mean()"
    ),
)

__all__ = ["gram", "mmd2", "mmd2_reference", "poly_kernel", "style_grad", "style_layer_loss"]
