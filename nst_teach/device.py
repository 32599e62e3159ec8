"""Which device to compute on: CUDA, Apple's MPS, or the CPU."""

from __future__ import annotations

import torch


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The device asked for, or the best one present: CUDA, then MPS, then CPU.

    Examples:
        >>> pick_device("cpu")
        device(type='cpu')
    """
    if device is not None and str(device) != "auto":
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"unknown device {device!r}; use cpu, cuda, mps or auto") from exc
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for, but torch sees no CUDA GPU")
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError("device 'mps' was asked for, but Apple's MPS is not available")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
