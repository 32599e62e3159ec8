r"""Exercises of lesson 08 (control and conventions): converting the PyTorch tutorial's style
weight into the paper's beta.

Examples:
    >>> pytorch_beta.check(lambda sw, n, L: sw * 4 * L / n**2)
    Correct: the PyTorch tutorial's style weight as the paper's beta.
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..extras.conventions import beta_factor
from .core import Exercise, diagnose, tr


def _check_pytorch_beta(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for sw, n, layers in ((1e6, 64, 5), (1e6, 256, 5), (3.0, 128, 2)):
        want = torch.tensor(sw * beta_factor("pytorch", n, 1, num_style_layers=layers))
        problem = diagnose(torch.as_tensor(float(student(sw, n, layers))), want, rtol=1e-9)
        if problem is not None:
            return tr(
                "{problem} (for style_weight={sw}, N={n}, L={layers}): the tutorial's "
                "term is 4 E_l / N^2 per layer with no 1/L, the paper's beta E_l / L",
                problem=problem,
                sw=f"{sw:g}",
                n=n,
                layers=layers,
            )
    return None


pytorch_beta = Exercise(
    name="the PyTorch tutorial's style weight as the paper's beta",
    checker=_check_pytorch_beta,
    hint_text=(
        "Per layer the tutorial adds style_weight * mse(G/(NM), A/(NM)) = style_weight * 4/N^2 "
        "* E_l; the paper adds beta * E_l / L. Solve for beta."
    ),
    solution_text="def my_pytorch_beta(style_weight, N, L):\n    return style_weight * 4 * L / N**2",
)

__all__ = ["pytorch_beta"]
