"""nst_teach.lab.observe: the numbers that check a lesson's observations."""

from __future__ import annotations

import math

import pytest
import torch

from nst_teach.lab.observe import dominant_scale, grid_step_difference


def _waves(period: float, size: int = 64) -> torch.Tensor:
    row = 0.5 + 0.5 * torch.sin(2 * math.pi * torch.arange(float(size)) / period)
    return row.expand(1, 3, size, size).clone()


def test_dominant_scale_of_sine_waves_is_their_period():
    for period in (4, 8, 16, 32):
        assert dominant_scale(_waves(period)) == pytest.approx(period, rel=1e-9)


def test_dominant_scale_is_larger_for_blurred_noise():
    noise = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    blurred = torch.nn.functional.avg_pool2d(noise, 5, stride=1, padding=2)
    assert dominant_scale(blurred) > 1.5 * dominant_scale(noise)


def test_dominant_scale_of_a_flat_image_and_bad_shapes():
    assert dominant_scale(torch.full((1, 3, 8, 8), 0.3)) == math.inf
    with pytest.raises(ValueError, match="shape"):
        dominant_scale(torch.zeros(3, 8, 8))


def test_grid_step_difference_closed_form():
    grid = {(r, c): torch.full((1, 3, 2, 2), 0.1 * r + 0.3 * c) for r in range(4) for c in range(3)}
    assert grid_step_difference(grid, "rows") == pytest.approx(0.1)
    assert grid_step_difference(grid, "cols") == pytest.approx(0.3)
    with pytest.raises(ValueError, match="along"):
        grid_step_difference(grid, "diagonal")
    with pytest.raises(ValueError, match="two rows"):
        grid_step_difference({("a", 1): torch.zeros(1, 3, 2, 2)}, "rows")
