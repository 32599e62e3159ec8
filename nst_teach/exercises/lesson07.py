r"""Exercises of lesson 07 (refinements): the total-variation loss, luminance-only colour
preservation, and converting the PyTorch tutorial's style weight into the paper's beta.

Examples:
    >>> tv_loss.check(lambda x: ((x[..., 1:, :] - x[..., :-1, :]) ** 2).sum()
    ...                          + ((x[..., :, 1:] - x[..., :, :-1]) ** 2).sum())
    Correct: total-variation loss.
    True
    >>> from nst_teach.color import luminance
    >>> keep_colors.check(lambda s, c: c + (luminance(s) - luminance(c)))
    Correct: luminance of the result, colours of the photo.
    True
    >>> pytorch_beta.check(lambda sw, n, L: sw * 4 * L / n**2)
    Correct: the PyTorch tutorial's style weight as the paper's beta.
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from ..color import combine_luminance
from ..conventions import beta_factor
from ..losses import total_variation_loss
from .core import Exercise, diagnose, function_checker


def _add_note(
    check: Callable[[Any], str | None], notes: Sequence[tuple[str, str]]
) -> Callable[[Any], str | None]:
    def wrapped(student: Any) -> str | None:
        problem = check(student)
        if problem is None:
            return None
        for pattern, note in notes:
            if pattern in problem:
                return f"{problem}: {note}"
        return problem

    return wrapped


_g = torch.Generator().manual_seed(5)

tv_loss = Exercise(
    name="total-variation loss",
    checker=_add_note(
        function_checker(
            total_variation_loss,
            [
                (torch.rand(1, 3, 5, 6, generator=_g, dtype=torch.float64),),
                (torch.rand(2, 3, 4, 4, generator=_g, dtype=torch.float64),),
            ],
        ),
        [
            ("should be (", "the loss is one number: sum over channels, rows and columns"),
            (
                "factor",
                "square the differences, sum them (do not average), and use both directions",
            ),
            ("differ", "use the differences of neighbours down (rows) AND across (columns)"),
        ],
    ),
    hint_text=(
        "x[..., 1:, :] - x[..., :-1, :] are the vertical neighbour differences, "
        "x[..., :, 1:] - x[..., :, :-1] the horizontal ones; square and sum both."
    ),
    solution_text=(
        "def my_tv_loss(x):\n"
        "    dh = x[..., 1:, :] - x[..., :-1, :]\n"
        "    dw = x[..., :, 1:] - x[..., :, :-1]\n"
        "    return (dh ** 2).sum() + (dw ** 2).sum()"
    ),
)


def _keep_colors_reference(stylized: Tensor, content: Tensor) -> Tensor:
    return combine_luminance(stylized, content, clamp=False)


keep_colors = Exercise(
    name="luminance of the result, colours of the photo",
    checker=_add_note(
        function_checker(
            _keep_colors_reference,
            [
                (
                    torch.rand(1, 3, 4, 5, generator=_g, dtype=torch.float64),
                    torch.rand(1, 3, 4, 5, generator=_g, dtype=torch.float64),
                ),
            ],
        ),
        [
            ("should be (", "return an RGB image (1, 3, H, W), the size of the inputs"),
            (
                "differ",
                "take Y from the stylised image and I, Q from the content (do not "
                "clip: the check compares the exact values)",
            ),
        ],
    ),
    hint_text=(
        "Convert both to YIQ with rgb_to_yiq, put channel 0 of the stylised image together "
        "with channels 1-2 of the content (torch.cat on dim 1), convert back with yiq_to_rgb."
    ),
    solution_text=(
        "def my_keep_colors(stylized, content):\n"
        "    y = rgb_to_yiq(stylized)[:, :1]\n"
        "    iq = rgb_to_yiq(content)[:, 1:]\n"
        "    return yiq_to_rgb(torch.cat([y, iq], dim=1))"
    ),
)


def _check_pytorch_beta(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return f"expected a function, got {type(student).__name__}"
    for sw, n, layers in ((1e6, 64, 5), (1e6, 256, 5), (3.0, 128, 2)):
        want = torch.tensor(sw * beta_factor("pytorch", n, 1, num_style_layers=layers))
        problem = diagnose(torch.as_tensor(float(student(sw, n, layers))), want, rtol=1e-9)
        if problem is not None:
            return (
                f"{problem} (for style_weight={sw:g}, N={n}, L={layers}): the tutorial's "
                "term is 4 E_l / N^2 per layer with no 1/L, the paper's beta E_l / L"
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

__all__ = ["keep_colors", "pytorch_beta", "tv_loss"]
