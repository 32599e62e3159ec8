r"""Exercises of lesson 05 (build the loop): the closure, a prediction for L-BFGS on a
quadratic, the gradient of the clamp, and the whole loop checked against
:func:`nst_teach.optimize_pixels`.

Examples:
    >>> def make_closure(x, loss_fn, opt, history):
    ...     def closure():
    ...         opt.zero_grad()
    ...         losses = loss_fn(x)
    ...         for name, value in losses.items():
    ...             history.setdefault(name, []).append(float(value.detach()))
    ...         losses["total"].backward()
    ...         return losses["total"]
    ...     return closure
    >>> closure.check(make_closure)
    Correct: the closure.
    True
    >>> lbfgs_isotropic.check(3)
    Correct: L-BFGS on an isotropic quadratic.
    True
    >>> clamp_grad.check(lambda x: ((x > 0) & (x < 1)).to(x.dtype))
    Correct: the gradient of the clamp.
    True
    >>> loop.check(reference_loop)
    Correct: the whole loop.
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ..optimize import DEFAULT_LR, optimize_pixels, record_projected_step
from .core import Exercise, diagnose, tr

LossFunction = Callable[[Tensor], dict[str, Tensor]]


def _quadratic_problem(seed: int = 0, shape: tuple[int, ...] = (1, 3, 6, 7)):
    """A two-part quadratic whose minimiser lies partly outside [0, 1] (so the clamp acts)."""
    g = torch.Generator().manual_seed(seed)
    target = -0.3 + 1.6 * torch.rand(shape, generator=g, dtype=torch.float64)
    lam = torch.logspace(0, 2, 5, dtype=torch.float64)[torch.randint(0, 5, shape, generator=g)]
    smooth = torch.rand(shape, generator=g, dtype=torch.float64)

    def loss_fn(x: Tensor) -> dict[str, Tensor]:
        fit = 0.5 * (lam * (x - target) ** 2).sum()
        pull = 0.1 * ((x - smooth) ** 2).sum()
        return {"fit": fit, "pull": pull, "total": fit + pull}

    start = torch.full(shape, 0.5, dtype=torch.float64)
    return loss_fn, start


# ------------------------------------------------------------------------ 5.1 the closure


def _check_closure(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    loss_fn, start = _quadratic_problem(1)
    x = start.clone().requires_grad_(True)
    opt = torch.optim.SGD([x], lr=0.0)
    history: dict[str, list[float]] = {}
    made = student(x, loss_fn, opt, history)
    if not callable(made):
        return tr("your function should return the closure (a function of no arguments)")
    for call in (1, 2):
        value = made()
        if not torch.equal(x.detach(), start):
            return tr("the closure changed the pixels: only opt.step moves them")
        expected = loss_fn(x.detach())
        if not isinstance(value, Tensor):
            return tr(
                "the closure should return the total loss as a tensor (L-BFGS compares its values)"
            )
        problem = diagnose(value, expected["total"])
        if problem is not None:
            return tr("the returned loss: {problem} (return losses['total'])", problem=problem)
        if x.grad is None:
            return tr("x.grad is empty: call backward() on the total loss inside the closure")
        (want,) = torch.autograd.grad(loss_fn(x)["total"], x)
        if call == 2 and torch.allclose(x.grad, 2 * want):
            return tr(
                "after two calls x.grad is twice the gradient: backward() adds to .grad, "
                "so zero it first (opt.zero_grad())"
            )
        problem = diagnose(x.grad, want)
        if problem is not None:
            return tr("x.grad: {problem}", problem=problem)
        if sorted(history) != sorted(expected):
            return tr(
                "history should have one list per loss component {want}, has {got}",
                want=sorted(expected),
                got=sorted(history),
            )
        for name, values in history.items():
            if len(values) != call:
                return tr(
                    "after {call} call(s) history[{name!r}] has {n} entries, should have {call}",
                    call=call,
                    name=name,
                    n=len(values),
                )
            if not all(isinstance(v, float) for v in values):
                return tr(
                    "store plain numbers (float(value.detach())): a tensor in the history keeps its "
                    "whole graph alive"
                )
            if not math.isclose(values[-1], float(expected[name]), rel_tol=1e-9):
                return tr(
                    "history[{name!r}] holds {got}, the loss is {want}",
                    name=name,
                    got=f"{values[-1]:.6g}",
                    want=f"{float(expected[name]):.6g}",
                )
    return None


closure = Exercise(
    name="the closure",
    checker=_check_closure,
    hint_text=(
        "Four things, in an order that matters: forget the old gradient; evaluate the losses "
        "at x; write down each component; back-propagate the total. What must the optimiser "
        "get back?"
    ),
    solution_text=(
        "def my_make_closure(x, loss_fn, opt, history):\n"
        "    def closure():\n"
        "        opt.zero_grad()\n"
        "        losses = loss_fn(x)\n"
        "        for name, value in losses.items():\n"
        "            history.setdefault(name, []).append(float(value.detach()))\n"
        "        losses['total'].backward()\n"
        "        return losses['total']\n"
        "    return closure"
    ),
)


# --------------------------------------------------- 5.2 L-BFGS on an isotropic quadratic


#: The diagnosis for an answer that is not a whole number.
WHOLE_NUMBER = "answer with a whole number of evaluations, got {answer!r}"


def _check_isotropic(answer: Any) -> str | None:
    try:
        n = int(answer)
    except (TypeError, ValueError):
        return tr(WHOLE_NUMBER, answer=answer)
    if n != answer:
        return tr(WHOLE_NUMBER, answer=answer)
    if n == 2:
        return tr(
            "close: the second point is the minimum, but how does the loop know? Count the "
            "evaluation that sees the loss there"
        )
    if n == 1:
        return tr(
            "the first step cannot land on the minimum: its length is set by min(1, 1/|g|_1), "
            "not by the curvature"
        )
    if n > 3:
        return tr(
            "fewer: after one step L-BFGS has one pair (s, y) with y = lambda s exactly; what "
            "does gamma = s'y / y'y make of the next direction -gamma g?"
        )
    if n != 3:
        return tr("{n} evaluations cannot be right", n=n)
    return None


lbfgs_isotropic = Exercise(
    name="L-BFGS on an isotropic quadratic",
    checker=_check_isotropic,
    hint_text=(
        "Follow the loop by hand on f(x) = lambda/2 |x - t|^2. Evaluation 1 at x0 gives g0; "
        "the first step is short (PyTorch scales it by min(1, 1/|g0|_1)). At x1 you have the "
        "pair s = x1 - x0, y = g1 - g0. Compute y in terms of s, then gamma, then x2."
    ),
    solution_text=(
        "3. Evaluation 1 at x0; the first step x1 = x0 - c g0 is short (c = min(1, 1/|g0|_1)).\n"
        "Evaluation 2 at x1 gives g1 and the pair s = x1 - x0, y = g1 - g0 = lambda s, so\n"
        "gamma = s'y / y'y = 1/lambda and the direction is -gamma g1 = -(x1 - t): the unit step\n"
        "lands on t. Evaluation 3 at x2 = t sees the loss 0 (and a zero gradient)."
    ),
)


# -------------------------------------------------------------- 5.3 the gradient of the clamp


def _clamp_cases() -> list[Tensor]:
    g = torch.Generator().manual_seed(53)
    x = -1.0 + 3.0 * torch.rand(200, generator=g, dtype=torch.float64)
    x = x[(x.abs() > 1e-3) & ((x - 1).abs() > 1e-3)]  # away from the kinks, where it is defined
    return [x, x.view(8, -1)[:, :5], torch.tensor([-0.5, 0.25, 0.75, 1.5], dtype=torch.float64)]


def _check_clamp_grad(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for x in _clamp_cases():
        want = ((x > 0) & (x < 1)).to(x.dtype)
        got = student(x.clone())
        problem = diagnose(got, want)
        if problem is None:
            continue
        if isinstance(got, Tensor) and got.shape == x.shape:
            got = got.detach().to(x.dtype)
            if torch.allclose(got, torch.ones_like(x)):
                return tr(
                    "the clamp is flat outside [0, 1]: moving a pixel at 1.5 a little changes "
                    "nothing"
                )
            if torch.allclose(got, 1 - want):
                return tr(
                    "inside (0, 1) the clamp is the identity, with slope 1; outside it is constant"
                )
            if torch.allclose(got, x.clamp(0, 1)):
                return tr("that is the clamp itself, not its derivative")
        return problem
    return None


clamp_grad = Exercise(
    name="the gradient of the clamp",
    checker=_check_clamp_grad,
    hint_text=(
        "Draw clamp(x, 0, 1) as a function of one pixel x: three pieces. What is the slope "
        "of each? Return a tensor of slopes of the same shape as x."
    ),
    solution_text="def my_clamp_grad(x):\n    return ((x > 0) & (x < 1)).to(x.dtype)",
)


# ----------------------------------------------------------------------- 5.4 the whole loop


def reference_loop(
    loss_fn: LossFunction,
    image: Tensor,
    steps: int,
    optimizer: str = "lbfgs",
    lr: float | None = None,
) -> tuple[Tensor, dict[str, list[float]]]:
    """What :func:`nst_teach.optimize_pixels` does, written out (without its progress bar,
    callback and NaN guard): the solution of exercise 5.4."""
    x = image.detach().clone().requires_grad_(True)
    rate = DEFAULT_LR[optimizer] if lr is None else lr
    if optimizer == "lbfgs":
        opt: torch.optim.Optimizer = torch.optim.LBFGS(
            [x], lr=rate, max_iter=1, history_size=100, tolerance_grad=0.0, tolerance_change=0.0
        )
    else:
        opt = torch.optim.Adam([x], lr=rate)
    history: dict[str, list[float]] = {}

    def closure() -> Tensor:
        opt.zero_grad()
        losses = loss_fn(x)
        for name, value in losses.items():
            history.setdefault(name, []).append(float(value.detach()))
        losses["total"].backward()
        return losses["total"]

    while len(history["total"] if history else []) < steps:
        before = x.detach().clone()
        opt.step(closure)
        with torch.no_grad():
            x.clamp_(0.0, 1.0)
        if optimizer == "lbfgs":
            record_projected_step(opt, x, before)
    return x.detach(), history


def _check_loop(student: Callable[..., Any]) -> str | None:
    if not callable(student):
        return tr("expected a function, got {kind}", kind=type(student).__name__)
    for optimizer, lr, steps in (("lbfgs", None, 25), ("adam", 0.05, 15)):
        loss_fn, start = _quadratic_problem(2)
        want = optimize_pixels(
            loss_fn, start, steps=steps, optimizer=optimizer, lr=lr, progress=False
        )
        before = start.clone()
        out = student(loss_fn, start, steps, optimizer, lr)
        if not torch.equal(start, before):
            return tr("your loop changed the starting image: optimise a copy")
        if not (isinstance(out, tuple) and len(out) == 2):
            return tr("return a pair (image, history)")
        image, history = out
        tag = tr("with {optimizer}", optimizer=optimizer)
        if not isinstance(history, dict) or "total" not in history:
            return tr(
                "{tag}: history should be a dict with a list per loss component, 'total' among them",
                tag=tag,
            )
        got_total = list(history["total"])
        if len(got_total) != steps:
            return tr(
                "{tag}: {n} evaluations recorded for steps={steps}: stop after "
                "`steps` evaluations of the loss (count them in the closure's history)",
                tag=tag,
                n=len(got_total),
                steps=steps,
            )
        if any(not math.isfinite(v) for v in got_total):
            return tr(
                "{tag}: the loss became NaN or infinite: after the clamp, L-BFGS still "
                "believes it took the step it proposed (record_projected_step)",
                tag=tag,
            )
        if not isinstance(image, Tensor) or image.shape != start.shape:
            return tr("{tag}: return the image, shape {shape}", tag=tag, shape=tuple(start.shape))
        if image.min() < 0 or image.max() > 1:
            return tr("{tag}: pixels outside [0, 1]: clamp them after each step", tag=tag)
        wanted = torch.tensor(want.history["total"], dtype=torch.float64)
        got = torch.tensor(got_total, dtype=torch.float64)
        if not torch.allclose(got, wanted, rtol=1e-6, atol=1e-9):
            k = int((~torch.isclose(got, wanted, rtol=1e-6, atol=1e-9)).nonzero()[0])
            note = ""
            if optimizer == "lbfgs":
                note = tr(
                    ": check LBFGS's settings (lr=1, max_iter=1, history_size=100, no "
                    "tolerances) and that the clamp comes after opt.step, followed by "
                    "record_projected_step"
                )
            return tr(
                "{tag}: your losses first differ from optimize_pixels' at evaluation {k} "
                "({got} against {want}){note}",
                tag=tag,
                k=k + 1,
                got=f"{got[k]:.6g}",
                want=f"{wanted[k]:.6g}",
                note=note,
            )
        problem = diagnose(image, want.image.to(image.dtype), rtol=1e-5, atol=1e-7)
        if problem is not None:
            return tr("{tag}: the final image: {problem}", tag=tag, problem=problem)
    return None


loop = Exercise(
    name="the whole loop",
    checker=_check_loop,
    hint_text=(
        "Copy the image and make it require gradients; build the optimiser (L-BFGS with "
        "max_iter=1 so that one step is one evaluation); then, until the history holds "
        "`steps` values: remember x, step with your closure, clamp in place under no_grad, and "
        "for L-BFGS tell it which step was really taken."
    ),
    solution_text=(
        "def my_optimize(loss_fn, image, steps, optimizer='lbfgs', lr=None):\n"
        "    x = image.detach().clone().requires_grad_(True)\n"
        "    if optimizer == 'lbfgs':\n"
        "        opt = torch.optim.LBFGS([x], lr=1.0 if lr is None else lr, max_iter=1,\n"
        "                                history_size=100, tolerance_grad=0.0, tolerance_change=0.0)\n"
        "    else:\n"
        "        opt = torch.optim.Adam([x], lr=0.02 if lr is None else lr)\n"
        "    history = {}\n"
        "    closure = my_make_closure(x, loss_fn, opt, history)\n"
        "    while len(history.get('total', [])) < steps:\n"
        "        before = x.detach().clone()\n"
        "        opt.step(closure)\n"
        "        with torch.no_grad():\n"
        "            x.clamp_(0.0, 1.0)\n"
        "        if optimizer == 'lbfgs':\n"
        "            record_projected_step(opt, x, before)\n"
        "    return x.detach(), history"
    ),
)

__all__ = ["clamp_grad", "closure", "lbfgs_isotropic", "loop", "reference_loop"]
