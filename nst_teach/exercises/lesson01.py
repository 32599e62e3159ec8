r"""Exercises of lesson 01 (images and VGG-19): normalisation, sizes after pooling, parameters.

Examples:
    >>> import torch
    >>> mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    >>> std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    >>> normalize.check(lambda img: (img - mean) / std)
    Correct: ImageNet normalisation.
    True
    >>> side_after_pooling.check(lambda side, k: side // 2**k)
    Correct: the side after k poolings.
    True
    >>> conv_params.check(lambda c_in, c_out, k: c_out * c_in * k * k + c_out)
    Correct: parameters of a convolution.
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from ..extras.architecture import layer_table
from ..vgg import IMAGENET_MEAN, IMAGENET_STD
from .core import Exercise, diagnose, tr

_MEAN = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
_STD = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def _normalize_reference(image: Tensor) -> Tensor:
    return (image - _MEAN) / _STD


def _check_normalize(student: Any) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    g = torch.Generator().manual_seed(1)
    image = torch.rand(1, 3, 4, 5, generator=g)
    got = student(image.clone())
    expected = _normalize_reference(image)
    if isinstance(got, Tensor) and got.shape == expected.shape:
        if torch.allclose(got, (image - _MEAN) * _STD, atol=1e-6):
            return tr("you multiplied by the standard deviation; divide by it")
        if torch.allclose(got, image / _STD - _MEAN, atol=1e-6):
            return tr("subtract the mean first, then divide: (x - mean) / std")
        if torch.allclose(got, (image - _MEAN.flip(1)) / _STD.flip(1), atol=1e-6):
            return tr("the channels are in the wrong order: the image is RGB, so are mean and std")
        if torch.allclose(got, image - _MEAN, atol=1e-6):
            return tr("you subtracted the mean but did not divide by the standard deviation")
    problem = diagnose(got, expected)
    return None if problem is None else problem + tr(" (for an image of shape (1, 3, 4, 5))")


normalize = Exercise(
    name="ImageNet normalisation",
    checker=_check_normalize,
    hint_text=(
        "Eq. (1.1) needs one mean and one std per channel. Which shape must those tensors have "
        "so that PyTorch broadcasts them over the batch, the rows and the columns of (B, 3, H, W)?"
    ),
    solution_text=(
        "def normalize(image):\n"
        "    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)\n"
        "    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)\n"
        "    return (image - mean) / std"
    ),
)


def _side_after(side: int, k: int) -> int:
    """The reference: run the pooling layers' shape arithmetic from the model."""
    names = ["conv1_1", "pool1", "pool2", "pool3", "pool4", "pool5"]
    return layer_table(side, side, [names[k]])[0]["out_shape"][1]


_SIDE_CASES = [(256, 1), (256, 3), (224, 5), (100, 3), (255, 1), (37, 2)]


def _check_side(student: Callable[[int, int], Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for side, k in _SIDE_CASES:
        got, expected = student(side, k), _side_after(side, k)
        if isinstance(got, Tensor):
            got = got.item()
        if got == expected:
            continue
        case = tr(
            "for side={side}, k={k} you gave {got}, expected {expected}",
            side=side,
            k=k,
            got=got,
            expected=expected,
        )
        if isinstance(got, float) and got == side / 2**k:
            return case + tr(
                ": sides are whole numbers, and a 2 x 2 pooling with stride 2 drops an odd last "
                "row (use //)"
            )
        if got == -(-side // 2**k):
            return case + tr(": PyTorch pools with ceil_mode=False, so it rounds down")
        return case
    return None


side_after_pooling = Exercise(
    name="the side after k poolings",
    checker=_check_side,
    hint_text=(
        "One 2 x 2 pooling with stride 2 is Eq. (1.2) with kernel size 2, s = 2 and p = 0 (that "
        "kernel size is not this function's k, which counts poolings); try it on an odd side "
        "such as 7, then repeat it k times."
    ),
    solution_text="def side_after_pooling(side, k):\n    for _ in range(k):\n        side = side // 2\n    return side",
)


def _params_reference(c_in: int, c_out: int, k: int) -> int:
    conv = nn.Conv2d(c_in, c_out, k, device="meta")
    return sum(p.numel() for p in conv.parameters())


_PARAM_CASES = [(3, 64, 3), (64, 64, 3), (256, 512, 3), (512, 512, 1), (16, 8, 5)]


def _check_params(student: Callable[[int, int, int], Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for c_in, c_out, k in _PARAM_CASES:
        got, expected = student(c_in, c_out, k), _params_reference(c_in, c_out, k)
        if isinstance(got, Tensor):
            got = got.item()
        if got == expected:
            continue
        case = tr(
            "for c_in={c_in}, c_out={c_out}, k={k} you gave {got}, expected {expected}",
            c_in=c_in,
            c_out=c_out,
            k=k,
            got=got,
            expected=expected,
        )
        if got == c_out * c_in * k * k:
            return case + tr(": you forgot the biases, one per output channel")
        if got == c_out * c_in * k * k + c_in:
            return case + tr(": there is one bias per OUTPUT channel")
        if got == c_out * c_in * k + c_out:
            return case + tr(": a kernel is k x k, so k**2 weights per input channel")
        if got == c_out * k * k + c_out:
            return case + tr(": each filter spans all c_in input channels")
        return case
    return None


conv_params = Exercise(
    name="parameters of a convolution",
    checker=_check_params,
    hint_text=(
        "List every number that ONE filter of the layer learns (it looks at all input channels "
        "over a k x k window); then count the filters."
    ),
    solution_text="def conv_params(c_in, c_out, k):\n    return c_out * (c_in * k * k + 1)",
)


def _check_receptive_field(answer: Any) -> str | None:
    if isinstance(answer, Tensor):
        answer = answer.item()
    if not isinstance(answer, (int, float)):
        return tr("expected a number of pixels, got {kind}", kind=type(answer).__name__)
    expected = layer_table(64, 64, ["relu3_1"])[0]["receptive_field"]
    if answer == expected:
        return None
    gave = tr("you gave {answer}, expected {expected}", answer=answer, expected=expected)
    if answer == 20:  # kept j = 2 after pool2
        return gave + tr(": pool2 doubles the jump, so conv3_1 adds (3 - 1) * 4, not (3 - 1) * 2")
    if answer == 16:
        return gave + tr(": you stopped at pool2; conv3_1 adds (3 - 1) * 4")
    if answer == 7:
        return gave + tr(": every step adds (k - 1) * j, with j the jump so far")
    return gave


receptive_field_relu3_1 = Exercise(
    name="receptive field of relu3_1, by Eq. (1.3)",
    checker=_check_receptive_field,
    hint_text=(
        "Continue the worked example past conv2_1 (r = 10, j = 2): conv2_2, relu2_2 (a ReLU is "
        "k = 1), pool2 (k = 2, s = 2), then conv3_1. Keep track of j."
    ),
    solution_text=(
        "# conv2_2: 10 + 2 * 2 = 14; pool2: 14 + 1 * 2 = 16, j = 4; conv3_1: 16 + 2 * 4 = 24\n"
        "rf_relu3_1 = 24"
    ),
)

__all__ = ["conv_params", "normalize", "receptive_field_relu3_1", "side_after_pooling"]
