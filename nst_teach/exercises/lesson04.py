r"""Exercises of lesson 04 (textures): balancing the layers of Eq. (5), and the MMD view.

Examples:
    >>> balanced_weights.check(lambda E: {n: 1 / (len(E) * e) for n, e in E.items()})
    Correct: equal shares of the style loss at the start.
    True
    >>> mmd2.check(lambda X, Y: ((X.T @ X) ** 2).mean() + ((Y.T @ Y) ** 2).mean()
    ...                         - 2 * ((X.T @ Y) ** 2).mean())
    Correct: squared MMD with the kernel (x^T y)^2.
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from .core import Exercise, function_checker, tr, with_notes

_g = torch.Generator().manual_seed(4)


def _features(n: int, m: int) -> Tensor:
    return torch.relu(torch.randn(n, m, generator=_g))


#: Layer losses E_l at a white-noise start, of very different sizes (as with random weights).
E_CASES: list[dict[str, float]] = [
    {"relu1_1": 1.4e-4, "relu2_1": 1.4e-5, "relu3_1": 5.2e-7, "relu4_1": 4.4e-8, "relu5_1": 1.2e-8},
    {"relu1_1": 2.0, "relu2_1": 0.5},
    {"relu3_1": 3e-3},
]


def balanced_reference(e_start: Mapping[str, float]) -> dict[str, float]:
    r"""Weights :math:`w_l = 1 / (L E_l(x_0))`: each layer's share :math:`w_l E_l(x_0) = 1/L`.

    Examples:
        >>> balanced_reference({"a": 0.5, "b": 0.25})
        {'a': 1.0, 'b': 2.0}
    """
    return {name: 1.0 / (len(e_start) * e) for name, e in e_start.items()}


def _check_balanced(student: Any) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for e_start in E_CASES:
        got = student(dict(e_start))
        if not isinstance(got, Mapping):
            return tr("return a dict layer name -> weight, got {kind}", kind=type(got).__name__)
        if set(got) != set(e_start):
            return tr(
                "the weights' keys {got} should be the layers {want}",
                got=sorted(got),
                want=sorted(e_start),
            )
        expected = balanced_reference(e_start)
        values = {n: float(got[n]) for n in e_start}
        if all(abs(values[n] - expected[n]) <= 1e-6 * abs(expected[n]) for n in e_start):
            continue
        shares = [values[n] * e_start[n] for n in e_start]
        total = sum(shares)
        if max(shares) - min(shares) <= 1e-6 * max(abs(s) for s in shares) and total != 0:
            return tr(
                "every layer has the same share w_l E_l = {share}, but the shares "
                "should add up to 1 (here they add up to {total}): divide by the number of layers",
                share=f"{shares[0]:.3g}",
                total=f"{total:.3g}",
            )
        if all(abs(values[n] - 1 / len(e_start)) < 1e-9 for n in e_start):
            return tr(
                "w_l = 1/L is the paper's choice; here the layers' E_l differ by orders of "
                "magnitude, so equal weights do not give equal shares"
            )
        if all(
            abs(values[n] - len(e_start) * e_start[n]) <= 1e-6 * abs(len(e_start) * e_start[n])
            for n in e_start
        ):
            return tr("you multiplied by E_l; a layer with a large E_l needs a SMALL weight")
        return tr(
            "for E_l = {e} the shares w_l E_l are {shares}",
            e=e_start,
            shares=[round(s, 4) for s in shares],
        )
    return None


balanced_weights = Exercise(
    name="equal shares of the style loss at the start",
    checker=_check_balanced,
    hint_text=(
        "Write the two conditions as equations: all products w_l E_l(x_0) are equal, and they add "
        "up to 1. How many layers share the 1?"
    ),
    solution_text=(
        "def balanced_weights(E_start):\n"
        "    L = len(E_start)\n"
        "    return {name: 1 / (L * e) for name, e in E_start.items()}"
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
        "The samples are the COLUMNS of X and Y (one feature vector per position). One matrix "
        "product gives all inner products between the columns of two matrices at once; Eq. (4.1) "
        "then needs three averages."
    ),
    solution_text=(
        "def my_mmd2(X, Y):\n"
        "    k = lambda a, b: (a.T @ b) ** 2\n"
        "    return k(X, X).mean() + k(Y, Y).mean() - 2 * k(X, Y).mean()"
    ),
)


__all__ = [
    "E_CASES",
    "balanced_reference",
    "balanced_weights",
    "mmd2",
    "mmd2_reference",
    "poly_kernel",
]
