r"""Exercises of lesson 07 (refinements): the total-variation loss, its value and gradient at a
single bright pixel (derived, not computed), and luminance-only colour preservation.

Examples:
    >>> tv_loss.check(lambda x: ((x[..., 1:, :] - x[..., :-1, :]) ** 2).sum()
    ...                          + ((x[..., :, 1:] - x[..., :, :-1]) ** 2).sum())
    Correct: total-variation loss.
    True
    >>> from nst_teach.extras.color import luminance
    >>> keep_colors.check(lambda s, c: c + (luminance(s) - luminance(c)))
    Correct: luminance of the result, colours of the photo.
    True
    >>> tv_spike.check((lambda h: 4 * h**2, lambda h: 8 * h))
    Correct: TV loss and gradient of a single bright pixel.
    True
    >>> tv_spike.check((lambda h: 2 * h**2, lambda h: 8 * h))
    Not yet: TV loss and gradient of a single bright pixel: the loss: off by a constant factor: your values are 1/2 times the expected ones (how many neighbour differences involve the pixel?). (Call .hint() for a hint.)
    False
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from ..extras.color import combine_luminance
from ..losses import total_variation_loss
from .core import Exercise, diagnose, function_checker, tr, with_notes

_g = torch.Generator().manual_seed(5)

tv_loss = Exercise(
    name="total-variation loss",
    checker=with_notes(
        function_checker(
            total_variation_loss,
            [
                (torch.rand(1, 3, 5, 6, generator=_g, dtype=torch.float64),),
                (torch.rand(2, 3, 4, 4, generator=_g, dtype=torch.float64),),
            ],
        ),
        [
            ("shape", "the loss is one number: sum over channels, rows and columns"),
            (
                "factor",
                "square the differences, sum them (do not average), and use both directions",
            ),
            (
                "largest difference",
                "use the differences of neighbours down (rows) AND across (columns)",
            ),
        ],
    ),
    hint_text=(
        "Slicing one axis twice, once without its first entry and once without its last, "
        "lines every pixel up with its neighbour along that axis. There are two axes."
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
    checker=with_notes(
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
            ("shape", "return an RGB image (1, 3, H, W), the size of the inputs"),
            (
                "largest difference",
                "take Y from the stylised image and I, Q from the content (do not "
                "clip: the check compares the exact values)",
            ),
        ],
    ),
    hint_text=(
        "In YIQ, which channel carries the brightness and which two the colour? Take each "
        "from the image it should come from, then go back to RGB."
    ),
    solution_text=(
        "def my_keep_colors(stylized, content):\n"
        "    y = rgb_to_yiq(stylized)[:, :1]\n"
        "    iq = rgb_to_yiq(content)[:, 1:]\n"
        "    return yiq_to_rgb(torch.cat([y, iq], dim=1))"
    ),
)


def _spike(h: float) -> tuple[Tensor, Tensor]:
    x = torch.zeros(1, 1, 5, 5, dtype=torch.float64)
    x[0, 0, 2, 2] = h
    x.requires_grad_(True)
    loss = total_variation_loss(x)
    (grad,) = torch.autograd.grad(loss, x)
    return loss.detach(), grad[0, 0, 2, 2]


def _check_tv_spike(answer: Any) -> str | None:
    if not (isinstance(answer, tuple) and len(answer) == 2 and all(map(callable, answer))):
        return tr("pass a pair of functions: (my_spike_tv, my_spike_grad)")
    for h in (1.0, 0.5, -3.0):
        loss, grad = _spike(h)
        for what, f, want in (
            (tr("the loss"), answer[0], loss),
            (tr("the gradient"), answer[1], grad),
        ):
            got = f(h)
            if got is None:
                return tr("{what}: your function returned None", what=what)
            problem = diagnose(torch.as_tensor(float(got), dtype=torch.float64), want)
            if problem is not None:
                if tr("factor") in problem:
                    return tr(
                        "{what}: {problem} (how many neighbour differences involve the pixel?)",
                        what=what,
                        problem=problem,
                    )
                return tr("{what} at h = {h}: {problem}", what=what, h=f"{h:g}", problem=problem)
    return None


tv_spike = Exercise(
    name="TV loss and gradient of a single bright pixel",
    checker=_check_tv_spike,
    hint_text=(
        "List the neighbour differences that are not zero: which pairs of pixels include the "
        "bright one? Each contributes its difference squared. For (b), differentiate that sum "
        "with respect to h."
    ),
    solution_text=(
        "def my_spike_tv(h):\n    return 4 * h**2  # four differences of size h\n\n\n"
        "def my_spike_grad(h):\n    return 8 * h  # d/dh of 4 h^2, = -2 (Delta x) with "
        "(Delta x) = -4 h"
    ),
)

__all__ = ["keep_colors", "tv_loss", "tv_spike"]
