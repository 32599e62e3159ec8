"""Device paths that cannot run here (CUDA, Apple's MPS), forced by monkeypatching: which device
is picked, where float64 goes (MPS has none), and that timings synchronise first."""

from __future__ import annotations

import pytest
import torch

from nst_teach import device as dev
from nst_teach import optimize


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda d=None: seen.append(f"cuda:{d}"))
    monkeypatch.setattr(torch.mps, "synchronize", lambda: seen.append("mps"))
    return seen


@pytest.mark.parametrize(
    ("cuda", "mps", "picked"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_pick_device_order(monkeypatch, cuda: bool, mps: bool, picked: str) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert dev.pick_device().type == picked
    assert dev.pick_device("auto").type == picked


def test_asking_for_a_missing_device_is_one_clear_error(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        dev.pick_device("cuda")
    with pytest.raises(ValueError, match="MPS is not available"):
        dev.pick_device("mps")
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        dev.pick_device("tpu")


def test_float64_goes_to_the_cpu_on_mps_only() -> None:
    assert dev.float64_device("mps") == torch.device("cpu")
    assert dev.float64_device(torch.device("mps", 0)) == torch.device("cpu")
    assert dev.float64_device("cuda:1") == torch.device("cuda", 1)
    assert dev.float64_device("cpu") == torch.device("cpu")
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    y = dev.to_float64(x)
    assert y.dtype == torch.float64 and not y.requires_grad and y.tolist() == [1.5, 2.0]


def test_synchronize_waits_on_the_device_it_is_given(calls: list[str]) -> None:
    dev.synchronize("cpu")
    assert calls == []
    dev.synchronize("cuda:0")
    dev.synchronize("mps")
    assert calls == ["cuda:cuda:0", "mps"]


def test_optimize_reads_the_clock_after_synchronising(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(optimize, "synchronize", lambda d: seen.append(torch.device(d)))

    def objective(x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"total": (x - 0.25).pow(2).sum()}

    run = optimize.optimize_pixels(objective, torch.zeros(1, 3, 2, 2), steps=3, progress=False)
    assert seen == [torch.device("cpu")] and run.seconds >= 0
