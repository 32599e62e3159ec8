"""The bounded optimisers: the box is respected, losses fall, the known box minimum is found."""

from __future__ import annotations

import math

import pytest
import torch

from nst_teach import bounded
from nst_teach.bounded import StopOptimization, make_pair, projected_lbfgs, two_loop
from nst_teach.optimize import (
    BOUNDED_OPTIMIZERS,
    DEFAULT_OPTIMIZER,
    OPTIMIZERS,
    NonFiniteLossWarning,
    check_optimizer,
    optimize_pixels,
)

pytest.importorskip("scipy")


def box_quadratic(n: int = 24, seed: int = 0):  # type: ignore[no-untyped-def]
    r"""A convex quadratic :math:`\frac12 (x - t)^\top Q (x - t)` whose minimiser over
    :math:`[0, 1]^n` is known: built from the KKT conditions at a chosen :math:`x^*` (a third
    of the coordinates at 0, a third at 1, pushed outwards by the gradient; the rest free,
    with zero gradient)."""
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(n, n, generator=gen, dtype=torch.float64)
    q = a @ a.T / n + 0.5 * torch.eye(n, dtype=torch.float64)
    x_star = torch.rand(n, generator=gen, dtype=torch.float64) * 0.8 + 0.1
    g_star = torch.zeros(n, dtype=torch.float64)
    x_star[: n // 3], g_star[: n // 3] = 0.0, 1.0 + torch.rand(n // 3, generator=gen)
    x_star[n // 3 : 2 * n // 3] = 1.0
    g_star[n // 3 : 2 * n // 3] = -1.0 - torch.rand(n // 3, generator=gen)
    t = x_star - torch.linalg.solve(q, g_star)  # so that Q (x* - t) = g*

    def loss(x: torch.Tensor) -> dict[str, torch.Tensor]:
        d = x.reshape(-1) - t
        return {"total": 0.5 * d @ (q @ d)}

    return loss, x_star.view(1, 1, 1, n)


@pytest.mark.parametrize(
    ("optimizer", "atol"),
    [("lbfgsb", 1e-6), ("projected-lbfgs", 1e-6), ("sigmoid-lbfgs", 1e-2)],
)
def test_known_box_minimum(optimizer: str, atol: float) -> None:
    loss, x_star = box_quadratic()
    seen: list[torch.Tensor] = []

    def watched(x: torch.Tensor) -> dict[str, torch.Tensor]:
        seen.append(x.detach().clone())
        return loss(x)

    start = torch.full_like(x_star, 0.5)
    run = optimize_pixels(watched, start, steps=300, optimizer=optimizer, progress=False)
    assert run.image.dtype == torch.float64
    torch.testing.assert_close(run.image, x_star, atol=atol, rtol=0)
    f_star = float(loss(x_star)["total"])
    assert min(run.history["total"]) == pytest.approx(f_star, rel=1e-3 if atol > 1e-5 else 1e-9)
    if optimizer in BOUNDED_OPTIMIZERS:  # every point evaluated is inside the box
        assert all(float(x.min()) >= 0.0 and float(x.max()) <= 1.0 for x in seen)
        assert len(seen) == run.evals == 300


@pytest.mark.parametrize("optimizer", BOUNDED_OPTIMIZERS)
def test_bounded_methods_agree(optimizer: str) -> None:
    loss, _ = box_quadratic(n=30, seed=1)
    start = torch.full((1, 1, 1, 30), 0.5, dtype=torch.float64)
    ref = optimize_pixels(loss, start, steps=200, optimizer="lbfgsb", progress=False)
    run = optimize_pixels(loss, start, steps=200, optimizer=optimizer, progress=False)
    torch.testing.assert_close(run.image, ref.image, atol=1e-2, rtol=0)


@pytest.mark.parametrize("optimizer", BOUNDED_OPTIMIZERS)
def test_loss_falls_monotonically_from_the_start(optimizer: str) -> None:
    target = torch.tensor([2.0, -1.0, 0.3, 0.7]).view(1, 1, 2, 2)
    run = optimize_pixels(
        lambda x: {"total": ((x - target) ** 4).sum() + ((x - target) ** 2).sum()},
        torch.full((1, 1, 2, 2), 0.5),
        steps=30,
        optimizer=optimizer,
        progress=False,
    )
    best = [min(run.history["total"][: i + 1]) for i in range(run.evals)]
    assert best[-1] < 0.5 * best[0]
    assert float(run.image.min()) >= 0.0 and float(run.image.max()) <= 1.0
    assert run.history["total"][-1] <= run.history["total"][0]


@pytest.mark.parametrize("optimizer", BOUNDED_OPTIMIZERS)
def test_bounded_callback_stops_and_non_finite_is_caught(optimizer: str) -> None:
    seen: list[int] = []
    run = optimize_pixels(
        lambda x: {"total": (x**2).sum()},
        torch.full((1, 3, 2, 2), 0.5),
        steps=10,
        optimizer=optimizer,
        progress=False,
        callback=lambda e, img, losses: seen.append(e) or e >= 3,
    )
    assert seen == [1, 2, 3] and run.evals == 3 and "callback stopped" in run.stopped_early
    calls: list[int] = []

    def blows_up(x: torch.Tensor) -> dict[str, torch.Tensor]:
        calls.append(1)
        return {"total": (x**2).sum() * (1.0 if len(calls) < 3 else math.nan)}

    with pytest.warns(NonFiniteLossWarning, match="the loss became nan at evaluation 3"):
        run = optimize_pixels(
            blows_up, torch.full((1, 3, 2, 2), 0.5), steps=9, optimizer=optimizer, progress=False
        )
    assert run.evals == 2 and torch.isfinite(run.image).all()


def test_names_are_validated() -> None:
    assert DEFAULT_OPTIMIZER in OPTIMIZERS and set(BOUNDED_OPTIMIZERS) < set(OPTIMIZERS)
    for name in OPTIMIZERS:
        assert check_optimizer(name) == name
    for bad in ("LBFGS", "l-bfgs-b", "", None, 3):
        with pytest.raises(ValueError, match="optimizer must be one of lbfgs, lbfgsb"):
            check_optimizer(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="optimizer must be one of"):
        optimize_pixels(lambda x: {"total": x.sum()}, torch.zeros(1, 3, 2, 2), steps=1,
                        optimizer="bfgs", progress=False)  # fmt: skip


def test_two_loop_is_the_inverse_hessian_of_a_quadratic() -> None:
    # n steps along the axes of a diagonal quadratic give H exactly: H g = D^{-1} g
    d = torch.tensor([1.0, 4.0, 10.0], dtype=torch.float64)
    pairs = [(torch.eye(3, dtype=torch.float64)[i], d * torch.eye(3, dtype=torch.float64)[i])
             for i in range(3)]  # fmt: skip
    g = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    torch.testing.assert_close(two_loop(g, pairs, None), g / d)
    # cut to the free set {0, 2}: the clamped coordinate neither moves nor contributes
    free = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    torch.testing.assert_close(two_loop(g, pairs, free), torch.tensor([1.0, 0.0, 0.3],
                                                                      dtype=torch.float64))  # fmt: skip


@pytest.mark.parametrize("n_active", [0, 3, 20])
@pytest.mark.parametrize("dense_fraction", [0.0, 1.0])  # always the mask; always the indices
def test_two_loop_cut_equals_two_loop_on_the_free_coordinates(
    n_active: int, dense_fraction: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cutting to F inside the recursion = running it on the vectors restricted to F."""
    monkeypatch.setattr(bounded, "DENSE_ACTIVE_FRACTION", dense_fraction)
    gen = torch.Generator().manual_seed(n_active)
    n = 50
    raw = [(torch.randn(n, generator=gen, dtype=torch.float64),
            torch.randn(n, generator=gen, dtype=torch.float64)) for _ in range(6)]  # fmt: skip
    pairs = [(s, 2.0 * s + 0.3 * y) for s, y in raw]  # mostly positive curvature
    g = torch.randn(n, generator=gen, dtype=torch.float64)
    free = torch.ones(n, dtype=torch.float64)
    free[torch.randperm(n, generator=gen)[:n_active]] = 0.0
    f = free.bool()
    expected = torch.zeros(n, dtype=torch.float64)
    expected[f] = two_loop(g[f], [(s[f], y[f]) for s, y in pairs], None)
    for stored in (pairs, [make_pair(s, y) for s, y in pairs]):
        torch.testing.assert_close(two_loop(g, stored, free), expected)


def test_projected_lbfgs_stops_when_told() -> None:
    calls: list[int] = []

    def fg(x: torch.Tensor) -> tuple[float, torch.Tensor]:
        if len(calls) == 5:
            raise StopOptimization
        calls.append(1)
        return float((x**2).sum()), 2 * x

    projected_lbfgs(fg, torch.full((4,), 0.5))
    assert len(calls) == 5


def _first_two_points(first_step: float | None, g0: torch.Tensor) -> torch.Tensor:
    """The second point ``projected_lbfgs`` evaluates from 0.5 on a linear loss ``g0 . x``."""
    seen: list[torch.Tensor] = []

    def fg(x: torch.Tensor) -> tuple[float, torch.Tensor]:
        if len(seen) == 2:
            raise StopOptimization
        seen.append(x.clone())
        return float(g0 @ x), g0.clone()

    projected_lbfgs(fg, torch.full((4,), 0.5, dtype=torch.float64), first_step=first_step)
    return seen[1] - seen[0]


def test_first_step_moves_the_largest_pixel_by_max_change() -> None:
    # a step along -g with t = delta / |g|_inf: the largest change is delta, whatever the
    # scale of the loss (a loss 1000 times larger takes the same first step)
    g0 = torch.tensor([4.0, -2.0, 1.0, 0.0], dtype=torch.float64)
    for scale in (1.0, 1000.0):
        step = _first_two_points(0.1, scale * g0)
        torch.testing.assert_close(step, torch.tensor([-0.1, 0.05, -0.025, 0.0],
                                                      dtype=torch.float64))  # fmt: skip
    # torch.optim.LBFGS's rule, t = min(1, 1/|g|_1): the step's L1 norm is 1 (here 1/3 a
    # pixel) whatever the gradient's scale, tiny when the image has many pixels
    g1 = torch.tensor([1.0, -1.0, 1.0, 0.0], dtype=torch.float64)
    for scale in (3.0, 3000.0):
        torch.testing.assert_close(_first_two_points(None, scale * g1), -g1 / 3.0)


def test_first_step_default_is_the_pixel_rule() -> None:
    from nst_teach import bounded

    assert bounded.FIRST_STEP_MAX_CHANGE == 0.1
    assert bounded._first_step(torch.tensor([0.5, -2.0]), 0.1) == pytest.approx(0.05)
    assert bounded._first_step(torch.zeros(3), 0.1) == 1.0
