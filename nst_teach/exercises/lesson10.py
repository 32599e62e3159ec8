r"""Exercises of lesson 10 (beyond): the FLOPs of a convolution, AdaIN's statistics and AdaIN.

Examples:
    >>> conv_flops.check(lambda c_in, c_out, k, h, w: 2 * c_in * c_out * k * k * h * w)
    Correct: forward FLOPs of a convolution.
    True
    >>> def mean_std(x):
    ...     mu = x.mean(dim=(2, 3), keepdim=True)
    ...     return mu, ((x - mu) ** 2).mean(dim=(2, 3), keepdim=True).add(1e-5).sqrt()
    >>> mean_std_stats.check(mean_std)
    Correct: channel means and standard deviations.
    True
    >>> from nst_teach.extras.architecture import layer_table
    >>> rows = layer_table(64, 48, ["conv1_1", "conv2_1", "conv3_2"])  # same count as architecture
    >>> [2 * r["macs"] for r in rows] == [_conv_reference(*c) for c in CONV_CASES[:3]]
    True
    >>> from nst_teach.extras.adain import adain as ref
    >>> adain.check(ref)
    Correct: AdaIN, Eq. (8) of Huang and Belongie.
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..extras.adain import EPS, channel_mean_std
from ..extras.adain import adain as _adain
from .core import Exercise, call_student, diagnose, function_checker, tr


def _conv_reference(c_in: int, c_out: int, k: int, h: int, w: int) -> int:
    return 2 * c_in * c_out * k * k * h * w


#: conv1_1, conv2_1 and conv3_2 of VGG-19 on a 64 x 48 image, and a 9 x 9 convolution.
CONV_CASES = [(3, 64, 3, 64, 48), (64, 128, 3, 32, 24), (256, 256, 3, 16, 12), (8, 16, 9, 5, 7)]


def _check_conv_flops(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for c_in, c_out, k, h, w in CONV_CASES:
        got = student(c_in, c_out, k, h, w)
        want = _conv_reference(c_in, c_out, k, h, w)
        problem = diagnose(torch.as_tensor(float(got)), torch.as_tensor(float(want)), rtol=1e-12)
        if problem is not None:
            note = ""
            if tr("factor") in problem and tr("1/2 times") in problem:
                note = tr(": you counted multiply-accumulates; a MAC is 2 FLOPs")
            elif tr("factor") in problem:
                note = tr(": each output value needs c_in * k * k multiply-adds")
            case = tr(
                "{problem} (for c_in={c_in}, c_out={c_out}, k={k}, {h}x{w})",
                problem=problem,
                c_in=c_in,
                c_out=c_out,
                k=k,
                h=h,
                w=w,
            )
            return case + note
    return None


conv_flops = Exercise(
    name="forward FLOPs of a convolution",
    checker=_check_conv_flops,
    hint_text=(
        "The output has c_out x h x w values (stride 1, 'same' padding); each is a dot product "
        "of length c_in * k * k: that many multiplications and additions."
    ),
    solution_text=(
        "def my_conv_flops(c_in, c_out, k, h, w):\n    return 2 * c_in * c_out * k * k * h * w"
    ),
)

_g = torch.Generator().manual_seed(7)
_x = torch.randn(2, 3, 4, 5, generator=_g, dtype=torch.float64)
_y = 2.0 + 3.0 * torch.randn(2, 3, 6, 6, generator=_g, dtype=torch.float64)


def _check_mean_std(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    mu, sd = channel_mean_std(_x, EPS)
    out = call_student(student, _x)
    if not isinstance(out, tuple | list) or len(out) != 2:
        return tr("return two tensors: (mean, std)")
    problem = diagnose(out[0], mu)
    if problem is not None:
        return tr(
            "the mean: {problem} (keep the shape (B, N, 1, 1): keepdim=True)", problem=problem
        )
    problem = diagnose(out[1], sd)
    if problem is not None:
        m = _x.shape[2] * _x.shape[3]
        unbiased = ((_x - mu) ** 2).sum(dim=(2, 3), keepdim=True).div(m - 1).add(EPS).sqrt()
        if torch.allclose(out[1].double(), unbiased, rtol=1e-4):
            return tr(
                "the std divides by H W - 1; Huang and Belongie divide by H W (unbiased=False)"
            )
        return tr(
            "the std: {problem} (sqrt of the mean squared deviation + eps, eps = 1e-5)",
            problem=problem,
        )
    return None


mean_std_stats = Exercise(
    name="channel means and standard deviations",
    checker=_check_mean_std,
    hint_text=(
        "Which two dimensions are the positions? keepdim=True keeps the shape (B, N, 1, 1). "
        "The variance divides by HW here, not HW - 1, and eps goes inside the root."
    ),
    solution_text=(
        "def my_mean_std(x, eps=1e-5):\n"
        "    mu = x.mean(dim=(2, 3), keepdim=True)\n"
        "    var = ((x - mu) ** 2).mean(dim=(2, 3), keepdim=True)\n"
        "    return mu, (var + eps).sqrt()"
    ),
)


def _check_adain(student: Callable[..., Any]) -> str | None:
    problem = function_checker(_adain, [(_x, _y), (_y[:, :, :4, :5], _x)])(student)
    if problem is None:
        return None
    return tr(
        "{problem}: normalise x with its own mean and std, then scale by sigma(y), shift by mu(y)",
        problem=problem,
    )


adain = Exercise(
    name="AdaIN, Eq. (8) of Huang and Belongie",
    checker=_check_adain,
    hint_text=(
        "First make x's channels zero-mean and unit-variance with its own statistics, then "
        "give them y's: in which order do the scale and the shift have to come?"
    ),
    solution_text=(
        "def my_adain(x, y):\n"
        "    mu_x, s_x = my_mean_std(x)\n"
        "    mu_y, s_y = my_mean_std(y)\n"
        "    return s_y * (x - mu_x) / s_x + mu_y"
    ),
)

__all__ = ["CONV_CASES", "adain", "conv_flops", "mean_std_stats"]
