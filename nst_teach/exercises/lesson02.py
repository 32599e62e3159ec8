r"""Exercises of lesson 02 (content): the content loss, Eq. (1), and its gradient, Eq. (2).

Examples:
    >>> content_loss.check(lambda F, P: 0.5 * ((F - P) ** 2).sum())
    Correct: content loss, Eq. (1).
    True
    >>> content_grad.check(lambda F, P: F - P)
    Correct: gradient of the content loss w.r.t. F, Eq. (2).
    True
    >>> import torch
    >>> content_grad_preactivation.check(lambda Z, P: (torch.relu(Z) - P) * (Z > 0))
    Correct: gradient through the ReLU (the case split of Eq. 2).
    True
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..losses import content_loss as _content_loss
from ..losses import content_loss_grad as _content_loss_grad
from .core import Exercise, call_student, function_checker, tr, with_notes

_g = torch.Generator().manual_seed(2)
#: Test cases: feature matrices (N, M) and activations (1, N, H, W).
CASES = [
    (torch.randn(3, 5, generator=_g), torch.randn(3, 5, generator=_g)),
    (torch.randn(1, 4, 3, 2, generator=_g), torch.randn(1, 4, 3, 2, generator=_g)),
]


def _relu_grad_reference(pre: Tensor, target: Tensor) -> Tensor:
    return _content_loss_grad(torch.relu(pre), target, relu_mask=True)


#: The diagnosis for a mean in place of Eq. (1)'s half sum (``F.mse_loss``, the PyTorch
#: tutorial's form, or half of it).
MEAN_NOTE = (
    "you took a mean instead of a half sum: Eq. (1) is (1/2) times the sum over all N*M "
    "entries; a mean (the PyTorch tutorial's F.mse_loss) divides by N*M instead"
)


def _mean_forms(F: Tensor, P: Tensor) -> list[Tensor]:
    return [((F - P) ** 2).mean(), 0.5 * ((F - P) ** 2).mean()]


def _check_content_loss(student: Any) -> str | None:
    r"""Eq. (1)'s checker; a plain or halved mean gets its own diagnosis.

    Examples:
        >>> _check_content_loss(lambda F, P: ((F - P) ** 2).mean()) == MEAN_NOTE
        True
        >>> _check_content_loss(lambda F, P: 0.5 * ((F - P) ** 2).mean()) == MEAN_NOTE
        True
    """
    problem = with_notes(
        function_checker(_content_loss, CASES),
        [
            ("2 times", "did you forget the factor 1/2?"),
            ("shape", "the loss is a single number (a 0-d tensor): sum over all entries"),
        ],
    )(student)
    if problem is None:
        return None
    try:
        answers = [call_student(student, F, P) for F, P in CASES]
    except Exception:
        return problem
    for i in range(len(_mean_forms(*CASES[0]))):
        if all(
            isinstance(got, Tensor)
            and got.shape == torch.Size([])
            and torch.allclose(got.double(), _mean_forms(F, P)[i].double(), rtol=1e-4)
            for got, (F, P) in zip(answers, CASES)
        ):
            return tr(MEAN_NOTE)
    return problem


content_loss = Exercise(
    name="content loss, Eq. (1)",
    checker=_check_content_loss,
    hint_text=(
        "Eq. (1) has a constant in front of the double sum: over which entries does it run, and "
        "is a sum over them the same number as their mean?"
    ),
    solution_text="def my_content_loss(F, P):\n    return 0.5 * ((F - P) ** 2).sum()",
)

content_grad = Exercise(
    name="gradient of the content loss w.r.t. F, Eq. (2)",
    checker=with_notes(
        function_checker(_content_loss_grad, CASES),
        [
            ("sign", "the derivative of (F - P)^2 / 2 with respect to F is +(F - P)"),
            ("1/2 times", "the 1/2 cancels the 2 from differentiating the square"),
            ("2 times", "the 1/2 cancels the 2 from differentiating the square"),
        ],
    ),
    hint_text=(
        "Only one term of the double sum contains F_ij. Differentiate that term; what happens to "
        "the 1/2?"
    ),
    solution_text="def my_content_grad(F, P):\n    return F - P",
)


def _check_relu_grad(student: Any) -> str | None:
    problem = function_checker(_relu_grad_reference, CASES)(student)
    if problem is None:
        return None
    pre, target = CASES[0]
    got = call_student(student, pre, target)
    if isinstance(got, Tensor) and got.shape == pre.shape:
        if torch.allclose(got, torch.relu(pre) - target, atol=1e-6):
            return tr("you forgot the case split: where Z < 0 the ReLU passes no gradient back")
        if torch.allclose(got, (pre - target) * (pre > 0), atol=1e-6):
            return tr(
                "the loss compares F = relu(Z) with P, so the difference is relu(Z) - P, not Z - P"
            )
    return problem


content_grad_preactivation = Exercise(
    name="gradient through the ReLU (the case split of Eq. 2)",
    checker=_check_relu_grad,
    hint_text=(
        "Chain rule through F = relu(Z): what is dF/dZ where Z > 0, and where Z < 0? Which "
        "difference does the loss see, Z - P or F - P?"
    ),
    solution_text=(
        "def my_content_grad_preactivation(Z, P):\n"
        "    F = torch.relu(Z)\n"
        "    return torch.where(Z > 0, F - P, torch.zeros_like(Z))"
    ),
)

__all__ = ["CASES", "MEAN_NOTE", "content_grad", "content_grad_preactivation", "content_loss"]
