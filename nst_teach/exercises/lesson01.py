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

from ..architecture import layer_table
from ..vgg import IMAGENET_MEAN, IMAGENET_STD
from .core import Exercise, diagnose

_MEAN = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
_STD = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def _normalize_reference(image: Tensor) -> Tensor:
    return (image - _MEAN) / _STD


def _check_normalize(student: Any) -> str | None:
    if not callable(student):
        return f"expected a function, got {type(student).__name__}"
    g = torch.Generator().manual_seed(1)
    image = torch.rand(1, 3, 4, 5, generator=g)
    got = student(image.clone())
    expected = _normalize_reference(image)
    if isinstance(got, Tensor) and got.shape == expected.shape:
        if torch.allclose(got, (image - _MEAN) * _STD, atol=1e-6):
            return "you multiplied by the standard deviation; divide by it"
        if torch.allclose(got, image / _STD - _MEAN, atol=1e-6):
            return "subtract the mean first, then divide: (x - mean) / std"
        if torch.allclose(got, (image - _MEAN.flip(1)) / _STD.flip(1), atol=1e-6):
            return "the channels are in the wrong order: the image is RGB, so are mean and std"
        if torch.allclose(got, image - _MEAN, atol=1e-6):
            return "you subtracted the mean but did not divide by the standard deviation"
    problem = diagnose(got, expected)
    return None if problem is None else f"{problem} (for an image of shape (1, 3, 4, 5))"


normalize = Exercise(
    name="ImageNet normalisation",
    checker=_check_normalize,
    hint_text=(
        "Make mean and std tensors of shape (1, 3, 1, 1) so that they broadcast over "
        "(1, 3, H, W); then (x - mean) / std."
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
        return f"expected a function, got {type(student).__name__}"
    for side, k in _SIDE_CASES:
        got, expected = student(side, k), _side_after(side, k)
        if isinstance(got, Tensor):
            got = got.item()
        if got == expected:
            continue
        if isinstance(got, float) and got == side / 2**k:
            return (
                f"for side={side}, k={k} you gave {got}, expected {expected}: sides are whole "
                "numbers, and a 2 x 2 pooling with stride 2 drops an odd last row (use //)"
            )
        if got == -(-side // 2**k):
            return (
                f"for side={side}, k={k} you gave {got}, expected {expected}: PyTorch pools "
                "with ceil_mode=False, so it rounds down"
            )
        return f"for side={side}, k={k} you gave {got}, expected {expected}"
    return None


side_after_pooling = Exercise(
    name="the side after k poolings",
    checker=_check_side,
    hint_text="Each 2 x 2 pooling with stride 2 maps a side s to floor(s / 2); the convolutions (padding 1) keep it.",
    solution_text="def side_after_pooling(side, k):\n    for _ in range(k):\n        side = side // 2\n    return side",
)


def _params_reference(c_in: int, c_out: int, k: int) -> int:
    conv = nn.Conv2d(c_in, c_out, k, device="meta")
    return sum(p.numel() for p in conv.parameters())


_PARAM_CASES = [(3, 64, 3), (64, 64, 3), (256, 512, 3), (512, 512, 1), (16, 8, 5)]


def _check_params(student: Callable[[int, int, int], Any]) -> str | None:
    if not callable(student):
        return f"expected a function, got {type(student).__name__}"
    for c_in, c_out, k in _PARAM_CASES:
        got, expected = student(c_in, c_out, k), _params_reference(c_in, c_out, k)
        if isinstance(got, Tensor):
            got = got.item()
        if got == expected:
            continue
        case = f"for c_in={c_in}, c_out={c_out}, k={k} you gave {got}, expected {expected}"
        if got == c_out * c_in * k * k:
            return f"{case}: you forgot the biases, one per output channel"
        if got == c_out * c_in * k * k + c_in:
            return f"{case}: there is one bias per OUTPUT channel"
        if got == c_out * c_in * k + c_out:
            return f"{case}: a kernel is k x k, so k**2 weights per input channel"
        if got == c_out * k * k + c_out:
            return f"{case}: each filter spans all c_in input channels"
        return case
    return None


conv_params = Exercise(
    name="parameters of a convolution",
    checker=_check_params,
    hint_text="Each of the c_out filters has a k x k kernel for each of the c_in input channels, plus one bias.",
    solution_text="def conv_params(c_in, c_out, k):\n    return c_out * (c_in * k * k + 1)",
)

__all__ = ["conv_params", "normalize", "side_after_pooling"]
