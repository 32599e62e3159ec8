r"""Exercises of lesson 06 (full style transfer): the total loss, Eq. (7), how
:math:`\alpha/\beta` must change when the features scale (derived), one step of plain gradient
descent with the pixels kept in :math:`[0, 1]`, and the L-BFGS two-loop recursion.

Examples:
    >>> from nst_teach.losses import content_loss as cl, style_loss as sl
    >>> total_loss.check(lambda feats, P, A, alpha, beta:
    ...     alpha * sum(cl(feats[n], P[n]) for n in P) + beta * sl(feats, A))
    Correct: total loss, Eq. (7).
    True
    >>> gd_step.check(lambda x, g, lr: (x - lr * g).clamp(0, 1))
    Correct: one projected gradient-descent step.
    True
    >>> two_loop.check(lbfgs_direction)
    Correct: L-BFGS two-loop recursion.
    True
    >>> ratio_factor.check(lambda s: s**2)
    Correct: how alpha/beta must change when the features scale by s.
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from ..losses import content_loss, gram_matrix, style_loss
from .core import Exercise, call_student, diagnose, tr, with_notes

# ---------------------------------------------------------------- 4.1 the total loss, Eq. (7)


def _total_reference(
    feats: dict[str, Tensor],
    content_targets: dict[str, Tensor],
    grams: dict[str, Tensor],
    alpha: float,
    beta: float,
) -> Tensor:
    content = sum(content_loss(feats[n], content_targets[n]) for n in content_targets)
    return alpha * content + beta * style_loss(feats, grams)


def _total_cases() -> list[tuple[Any, ...]]:
    g = torch.Generator().manual_seed(4)
    cases = []
    for alpha, beta in ((1.0, 1e3), (0.5, 20.0)):
        feats = {
            "conv1_1": torch.randn(1, 4, 5, 5, generator=g, dtype=torch.float64),
            "conv2_1": torch.randn(1, 8, 3, 3, generator=g, dtype=torch.float64),
            "conv4_2": torch.randn(1, 6, 2, 2, generator=g, dtype=torch.float64),
        }
        targets = {"conv4_2": torch.randn(1, 6, 2, 2, generator=g, dtype=torch.float64)}
        grams = {
            n: gram_matrix(torch.randn(1, *feats[n].shape[1:], generator=g, dtype=torch.float64))
            for n in ("conv1_1", "conv2_1")
        }
        cases.append((feats, targets, grams, alpha, beta))
    return cases


def _diagnose_total(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for feats, targets, grams, alpha, beta in _total_cases():
        want = _total_reference(feats, targets, grams, alpha, beta)
        got = call_student(student, feats, targets, grams, alpha, beta)
        problem = diagnose(got, want, rtol=1e-6)
        if problem is not None:
            return problem
    return None


_check_total = with_notes(
    _diagnose_total,
    [
        ("should be (", "the loss is one number: sum every term"),
        ("sign", "both terms are added, with positive weights"),
        (
            "factor",
            "check the 1/2 of Eq. (1), the 1/(4 N^2 M^2) of Eq. (4) and w_l = 1/L of Eq. (5)",
        ),
        (
            "differ",
            "is alpha on the content term and beta on the style term? "
            "Does every style layer use its own Gram target?",
        ),
    ],
)


total_loss = Exercise(
    name="total loss, Eq. (7)",
    checker=_check_total,
    hint_text=(
        "Eq. (7) has two sums: over which layers does each run, and which of them carries the "
        "weight w_l = 1/L? The functions of lessons 02 and 03 each compute one layer's term."
    ),
    solution_text=(
        "def my_total_loss(feats, content_targets, style_grams, alpha, beta):\n"
        "    content = sum(content_loss(feats[n], P) for n, P in content_targets.items())\n"
        "    style = sum(style_layer_loss(feats[n], A) for n, A in style_grams.items())\n"
        "    style = style / len(style_grams)\n"
        "    return alpha * content + beta * style"
    ),
)


# ----------------------------------------------------- 4.2 projected gradient descent step


def _gd_reference(x: Tensor, grad: Tensor, lr: float) -> Tensor:
    return (x - lr * grad).clamp(0.0, 1.0)


def _check_gd(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    g = torch.Generator().manual_seed(5)
    x = torch.rand(1, 3, 4, 4, generator=g, dtype=torch.float64)
    cases = [
        (x, 0.1 * torch.randn(1, 3, 4, 4, generator=g, dtype=torch.float64), 0.5),
        (x, 10 * torch.randn(1, 3, 4, 4, generator=g, dtype=torch.float64), 0.2),  # clips
    ]
    for xx, grad, lr in cases:
        before = xx.clone()
        got = student(xx, grad, lr)
        if not torch.equal(xx, before):
            return tr("your function changed x in place; return a new tensor")
        problem = diagnose(got, _gd_reference(xx, grad, lr))
        if problem is not None:
            if isinstance(got, Tensor) and got.shape == xx.shape:
                if torch.allclose(got, (xx + lr * grad).clamp(0, 1)):
                    return tr("you stepped uphill: descent subtracts lr * grad")
                if torch.allclose(got, xx - lr * grad):
                    return tr("the pixels leave [0, 1]: clip them after the step")
            return problem
    return None


gd_step = Exercise(
    name="one projected gradient-descent step",
    checker=_check_gd,
    hint_text=(
        "Two operations: a step in the direction that lowers the loss, then a projection back "
        "onto the valid pixel values. Which torch method keeps values inside an interval?"
    ),
    solution_text="def my_gd_step(x, grad, lr):\n    return (x - lr * grad).clamp(0.0, 1.0)",
)


# ------------------------------------------------------------ 4.3 L-BFGS two-loop recursion


def lbfgs_direction(grad: Tensor, s_list: Sequence[Tensor], y_list: Sequence[Tensor]) -> Tensor:
    r"""The L-BFGS search direction :math:`d = -H_k \nabla f` by the two-loop recursion
    (Nocedal and Wright, *Numerical Optimization*, Algorithm 7.4), with
    :math:`H^0 = \gamma I`, :math:`\gamma = s^\top y / y^\top y` of the newest pair.

    ``s_list`` and ``y_list`` hold the pairs oldest first: :math:`s_i = x_{i+1} - x_i`,
    :math:`y_i = \nabla f(x_{i+1}) - \nabla f(x_i)`. Vectors are 1-D.
    """
    q = grad.clone()
    rhos = [1.0 / torch.dot(y, s) for s, y in zip(s_list, y_list)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_list, y_list, rhos))):
        a = rho * torch.dot(s, q)
        q = q - a * y
        alphas.append(a)
    if s_list:
        s, y = s_list[-1], y_list[-1]
        q = q * (torch.dot(s, y) / torch.dot(y, y))
    for (s, y, rho), a in zip(zip(s_list, y_list, rhos), reversed(alphas)):
        b = rho * torch.dot(y, q)
        q = q + (a - b) * s
    return -q


def _diagnose_two_loop(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    g = torch.Generator().manual_seed(6)
    n = 6
    a = torch.randn(n, n, generator=g, dtype=torch.float64)
    hess = a @ a.T + n * torch.eye(n, dtype=torch.float64)  # a quadratic's Hessian
    for m in (1, 3, 6):
        s_list = [torch.randn(n, generator=g, dtype=torch.float64) for _ in range(m)]
        y_list = [hess @ s for s in s_list]  # exact curvature pairs
        grad = torch.randn(n, generator=g, dtype=torch.float64)
        want = lbfgs_direction(grad, list(s_list), list(y_list))
        got = call_student(student, grad, list(s_list), list(y_list))
        problem = diagnose(got, want, rtol=1e-8)
        if problem is not None:
            return problem
    return None


_check_two_loop = with_notes(
    _diagnose_two_loop,
    [
        ("sign", "return the descent direction -H g, not H g"),
        (
            "differ",
            "the first loop runs newest to oldest, the second oldest to "
            "newest; scale by gamma = s'y / y'y of the newest pair in between",
        ),
    ],
)


two_loop = Exercise(
    name="L-BFGS two-loop recursion",
    checker=_check_two_loop,
    hint_text=(
        "Store the a_i of the first loop by index: the second loop runs the other way and "
        "needs each one again. gamma uses the newest pair only. If the secant check fails, "
        "print d(y_newest) + s_newest to see how far off you are."
    ),
    solution_text=(
        "def my_lbfgs_direction(grad, s_list, y_list):\n"
        "    q = grad.clone()\n"
        "    rho = [1 / torch.dot(y, s) for s, y in zip(s_list, y_list)]\n"
        "    a = [None] * len(s_list)\n"
        "    for i in reversed(range(len(s_list))):\n"
        "        a[i] = rho[i] * torch.dot(s_list[i], q)\n"
        "        q = q - a[i] * y_list[i]\n"
        "    if s_list:\n"
        "        q = q * torch.dot(s_list[-1], y_list[-1]) / torch.dot(y_list[-1], y_list[-1])\n"
        "    for i in range(len(s_list)):\n"
        "        b = rho[i] * torch.dot(y_list[i], q)\n"
        "        q = q + (a[i] - b) * s_list[i]\n"
        "    return -q"
    ),
)


# ------------------------------------------------- 6.2 alpha/beta when the features scale by s


def _check_ratio_factor(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for s in (2.0, 0.1, 1 / 58):
        got = student(s)
        if got is None:
            return tr("your function returned None: did you forget `return`?")
        problem = diagnose(torch.as_tensor(float(got), dtype=torch.float64), torch.tensor(s**2))
        if problem is None:
            continue
        if abs(float(got) - s**-2) < 1e-9 * s**-2:
            return tr(
                "at s = {s}: that is the inverse: does alpha/beta grow or shrink?", s=f"{s:g}"
            )
        if (
            abs(float(got) - s**4) < 1e-9 * max(s**4, 1e-30)
            or abs(float(got) - s**-4) < 1e-9 * s**-4
        ):
            return tr(
                "at s = {s}: you used one loss's power only; the ratio involves both", s=f"{s:g}"
            )
        return tr("at s = {s}: {problem}", s=f"{s:g}", problem=problem)
    return None


ratio_factor = Exercise(
    name="how alpha/beta must change when the features scale by s",
    checker=_check_ratio_factor,
    hint_text=(
        "The content loss is a sum of squared features; E_l is a sum of squared Gram entries, "
        "each a product of two features. Write the scaled alpha L_content / (beta L_style) "
        "and ask what alpha/beta must do to undo the change."
    ),
    solution_text="def my_ratio_factor(s):\n    return s**2",
)

__all__ = ["gd_step", "lbfgs_direction", "ratio_factor", "total_loss", "two_loop"]
