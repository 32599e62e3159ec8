"""Which device to compute on: CUDA, Apple's MPS, or the CPU; float64 and timing on each.

MPS has no float64 (the lessons' autograd checks go to the CPU there: :func:`to_float64`);
CUDA and MPS queue work asynchronously, so a timing reads the clock after
:func:`synchronize`.
"""

from __future__ import annotations

import torch

#: The kinds of device style transfer runs on.
DEVICE_TYPES = ("cpu", "cuda", "mps")


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The device asked for, or the best one present: CUDA, then MPS, then CPU.

    Examples:
        >>> pick_device("cpu")
        device(type='cpu')
    """
    if device is not None and str(device) != "auto":
        try:
            dev = torch.device(device)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise ValueError(f"unknown device {device!r}; use cpu, cuda, mps or auto") from exc
        if dev.type not in DEVICE_TYPES:
            raise ValueError(
                f"device {str(device)!r} cannot run style transfer; use cpu, cuda, mps or auto"
            )
        if dev.type == "cuda":
            if not torch.cuda.is_available():
                raise ValueError(
                    f"device {str(device)!r} was asked for, but torch sees no CUDA GPU"
                )
            count = torch.cuda.device_count()
            if dev.index is not None and dev.index >= count:
                raise ValueError(
                    f"device {str(device)!r} does not exist: torch sees {count} CUDA "
                    f"GPU{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1})"
                )
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError("device 'mps' was asked for, but Apple's MPS is not available")
        if dev.type in ("cpu", "mps") and dev.index not in (None, 0):
            raise ValueError(f"device {str(device)!r} does not exist; use {dev.type}")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def float64_device(device: str | torch.device) -> torch.device:
    """Where float64 arithmetic can run for tensors on ``device``: the CPU for Apple's MPS
    (which has no float64), the device itself otherwise.

    The lessons check formulas against autograd in float64; on a Mac those checks move to the
    CPU instead of failing with "MPS framework doesn't support float64".

    Examples:
        >>> float64_device("mps"), float64_device("cpu")
        (device(type='cpu'), device(type='cpu'))
    """
    dev = torch.device(device)
    return torch.device("cpu") if dev.type == "mps" else dev


def to_float64(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in float64 (detached), on the CPU when it lives on MPS (see
    :func:`float64_device`).

    Examples:
        >>> to_float64(torch.ones(2, dtype=torch.float32)).dtype
        torch.float64
    """
    return tensor.detach().to(float64_device(tensor.device), torch.float64)


def synchronize(device: str | torch.device) -> None:
    """Wait until the work queued on ``device`` has finished (CUDA and MPS run asynchronously;
    a clock read without this measures how fast the work was queued). A no-op on the CPU.

    Examples:
        >>> synchronize("cpu")
    """
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    elif dev.type == "mps":
        torch.mps.synchronize()


__all__ = [
    "DEVICE_TYPES",
    "float64_device",
    "pick_device",
    "synchronize",
    "to_float64",
]
