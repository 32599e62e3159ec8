r"""The optimisation loop: minimise a loss over the pixels of an image.

:func:`optimize_pixels` takes any function ``image -> {"total": loss, ...}`` (such as a
:class:`~nst_teach.objective.StyleObjective`), so that lessons can optimise their own
objectives (texture synthesis, masked or blended styles) with the same loop.

Examples:
    >>> import torch
    >>> target = torch.full((1, 3, 4, 4), 0.25)
    >>> loss = lambda x: {"total": ((x - target) ** 2).sum()}
    >>> run = optimize_pixels(loss, torch.zeros(1, 3, 4, 4), steps=5, progress=False)
    >>> run.evals, round(run.history["total"][-1], 6)
    (5, 0.0)
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from . import bounded
from .device import synchronize
from .machine import reuse_freed_memory
from .objective import check_weight

#: Methods that keep the pixels in [0, 1] by construction (:mod:`nst_teach.bounded`).
BOUNDED_OPTIMIZERS = ("lbfgsb", "projected-lbfgs", "sigmoid-lbfgs")
OPTIMIZERS = ("lbfgs", *BOUNDED_OPTIMIZERS, "adam", "gd")
#: What :func:`optimize_pixels`, :func:`nst_teach.stylize` and the CLI use unless told.
DEFAULT_OPTIMIZER = "lbfgs"
#: Default learning rates; L-BFGS takes unit steps along its quasi-Newton direction.
DEFAULT_LR = {
    "lbfgs": 1.0,
    "lbfgsb": 1.0,
    "projected-lbfgs": 1.0,
    "sigmoid-lbfgs": 1.0,
    "adam": 0.02,
    "gd": 1e-3,
}

LossFunction = Callable[[Tensor], dict[str, Tensor]]
Callback = Callable[[int, Tensor, dict[str, float]], object]


#: Values of :attr:`OptimizationRun.stop_reason`.
STOP_NON_FINITE = "non-finite loss"
STOP_CALLBACK = "callback"


class NonFiniteLossWarning(RuntimeWarning):
    """The loss became NaN or infinite; the optimisation stopped early."""


class NonFiniteLossError(ValueError):
    """The loss was NaN or infinite at the first evaluation: there is no image to keep.

    Attributes:
        value: the loss's value.
        evaluation: the evaluation (counted from 1) at which it was not finite.
    """

    def __init__(self, value: float, evaluation: int) -> None:
        self.value = value
        self.evaluation = evaluation
        super().__init__(
            f"the loss is {value} at the first evaluation; lower the loss weights "
            "(--alpha, --beta, --tv-weight) or the learning rate (--lr)"
        )


@dataclass
class OptimizationRun:
    """The outcome of :func:`optimize_pixels`.

    Attributes:
        image: the final image, :math:`(1, 3, H, W)` in :math:`[0, 1]`, on the CPU.
        history: each loss component's value at each evaluation.
        evals: objective evaluations (forward and backward passes) made.
        seconds: wall time of the loop.
        stopped_early: why it stopped before ``steps``, in words, or ``None``.
        stop_reason: the same as a value to test: :data:`STOP_NON_FINITE`,
            :data:`STOP_CALLBACK`, or ``None``.
    """

    image: Tensor
    history: dict[str, list[float]]
    evals: int
    seconds: float
    stopped_early: str | None = None
    stop_reason: str | None = None


def check_steps(steps: int) -> int:
    """Return ``steps`` as an int if it is a whole number >= 1, else raise ``ValueError``."""
    if (
        isinstance(steps, bool)
        or not isinstance(steps, int | float)
        or not math.isfinite(steps)
        or int(steps) != steps
        or steps < 1
    ):
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}")
    return int(steps)


def check_optimizer(name: str) -> str:
    """Return ``name`` if it is one of :data:`OPTIMIZERS`, else raise ``ValueError``."""
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    return name


def make_optimizer(name: str, params: list[Tensor], lr: float | None) -> torch.optim.Optimizer:
    """L-BFGS (one evaluation per step), Adam, or plain gradient descent (``"gd"``)."""
    check_optimizer(name)
    if name in BOUNDED_OPTIMIZERS:
        raise ValueError(f"{name!r} is not a torch.optim optimizer; use optimize_pixels")
    rate = DEFAULT_LR[name] if lr is None else check_weight("lr", lr)
    if name == "lbfgs":
        # max_iter=1: each step() evaluates once and moves once, so the pixels can be
        # clipped to [0, 1] after every move; the curvature history carries across steps.
        return torch.optim.LBFGS(
            params, lr=rate, max_iter=1, history_size=100, tolerance_grad=0.0, tolerance_change=0.0
        )
    if name == "adam":
        return torch.optim.Adam(params, lr=rate)
    return torch.optim.SGD(params, lr=rate)


def record_projected_step(opt: torch.optim.LBFGS, x: Tensor, x_before: Tensor) -> None:
    r"""Tell L-BFGS the step it actually took after the pixels were clipped to [0, 1].

    L-BFGS learns the curvature from pairs :math:`s_k = x_{k+1} - x_k`,
    :math:`y_k = \nabla f(x_{k+1}) - \nabla f(x_k)`, and takes :math:`s_k` to be the step it
    proposed. Clipping moves :math:`x_{k+1}`, so the pair would describe a step that was never
    taken, and the inverse-Hessian estimate can go badly wrong (the loss then jumps up by
    orders of magnitude, as in the PyTorch tutorial's loop). Storing the clipped step keeps
    every pair a true secant pair of the objective; pairs without positive curvature are
    skipped by L-BFGS itself. (Measured with ``benchmarks/bench_stylize.py``: the jumps of
    the loss disappear; late in long runs the loss can level off a few per cent above the
    lowest point that the unguarded loop touches between its jumps.)
    """
    state = opt.state.get(x)
    if not state or state.get("d") is None or not state.get("t"):
        return
    with torch.no_grad():
        state["d"] = (x.detach() - x_before).flatten().div_(state["t"])


class _NonFinite(Exception):
    def __init__(self, value: float, evaluation: int) -> None:
        super().__init__(value, evaluation)
        self.value, self.evaluation = value, evaluation


def optimize_pixels(
    loss_fn: LossFunction,
    image: Tensor,
    *,
    steps: int,
    optimizer: str = DEFAULT_OPTIMIZER,
    lr: float | None = None,
    callback: Callback | None = None,
    progress: bool = True,
    clamp: bool = True,
) -> OptimizationRun:
    r"""Minimise ``loss_fn(image)["total"]`` over the pixels, starting from ``image``.

    Args:
        loss_fn: maps an image :math:`(1, 3, H, W)` to a dict of scalar losses with ``"total"``.
        image: the starting image (it is copied, not changed).
        steps: objective evaluations to make (each is one forward and one backward pass).
        optimizer: ``"lbfgs"`` (L-BFGS, the pixels clipped after each step),
            ``"lbfgsb"``, ``"projected-lbfgs"``, ``"sigmoid-lbfgs"`` (bounded methods, see
            :mod:`nst_teach.bounded`), ``"adam"`` or ``"gd"``; ``lr`` its step size.
        callback: ``callback(evals, image, losses)`` after each step; returning ``True`` stops.
            The bounded methods call it after each evaluation, with the image evaluated.
        progress: show a progress bar (``tqdm.auto``: live in a notebook).
        clamp: clip the pixels to :math:`[0, 1]` after each step (the bounded methods
            always keep them there).

    The bounded methods return the evaluated image with the lowest loss.

    If the loss turns NaN or infinite, the loop stops, warns, and returns the last image whose
    loss was finite (``evals`` counts the finite evaluations); if it is not finite at the
    first evaluation there is no such image and :class:`NonFiniteLossError` is raised.
    """
    steps = check_steps(steps)
    if check_optimizer(optimizer) in BOUNDED_OPTIMIZERS:
        rate = DEFAULT_LR[optimizer] if lr is None else check_weight("lr", lr)
        return _optimize_bounded(loss_fn, image, steps, optimizer, rate, callback, progress)
    # a contiguous copy whatever the input's layout (channels-last, or the strides of a
    # 1x1 image scaled up): L-BFGS flattens the gradient with .view(-1)
    x = image.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    opt = make_optimizer(optimizer, [x], lr)
    history: dict[str, list[float]] = {}
    last_good = x.detach().clone()
    evals = 0
    stopped: str | None = None
    reason: str | None = None
    failure: _NonFinite | None = None

    def closure() -> Tensor:
        nonlocal last_good, evals
        opt.zero_grad(set_to_none=True)
        losses = loss_fn(x)
        values = {name: float(v.detach()) for name, v in losses.items()}
        if not math.isfinite(values["total"]):
            raise _NonFinite(values["total"], evals + 1)
        evals += 1
        last_good = x.detach().clone()
        for name, v in values.items():
            history.setdefault(name, []).append(v)
        losses["total"].backward()
        return losses["total"]

    bar = _progress_bar(steps) if progress else None
    start = time.perf_counter()
    # each evaluation frees and allocates the same buffers: keep them for reuse (machine.py)
    with reuse_freed_memory():
        try:
            while evals < steps:
                try:
                    opt.step(closure)
                except _NonFinite as exc:
                    failure, reason = exc, STOP_NON_FINITE
                    stopped = (
                        f"the loss became {exc.value} at evaluation {exc.evaluation}; "
                        "lower the loss weights or the learning rate"
                    )
                    break
                if clamp:
                    with torch.no_grad():
                        x.clamp_(0.0, 1.0)
                    if isinstance(opt, torch.optim.LBFGS):
                        record_projected_step(opt, x, last_good)
                if bar is not None:
                    bar.update(evals - bar.n)
                    bar.set_postfix(loss=f"{history['total'][-1]:.4g}", refresh=False)
                if callback is not None:
                    last = {name: values[-1] for name, values in history.items()}
                    if callback(evals, x.detach(), last) is True:
                        stopped = f"the callback stopped the run after {evals} evaluations"
                        reason = STOP_CALLBACK
                        break
        finally:
            if bar is not None:
                bar.close()
    synchronize(x.device)  # CUDA and MPS may still be working on the last step
    seconds = time.perf_counter() - start
    final = x.detach()
    if failure is not None:
        if failure.evaluation == 1:
            raise NonFiniteLossError(failure.value, failure.evaluation)
        assert stopped is not None
        warnings.warn(
            stopped + "; the last finite image is kept", NonFiniteLossWarning, stacklevel=2
        )
        final = last_good
    out = final.clamp(0.0, 1.0) if clamp else final
    return OptimizationRun(out.cpu(), history, evals, seconds, stopped, reason)


def _optimize_bounded(
    loss_fn: LossFunction,
    image: Tensor,
    steps: int,
    optimizer: str,
    lr: float,
    callback: Callback | None,
    progress: bool,
) -> OptimizationRun:
    """:func:`optimize_pixels` with a method of :mod:`nst_teach.bounded`."""
    history: dict[str, list[float]] = {}
    best: dict[str, object] = {"loss": math.inf, "image": image.detach().clamp(0.0, 1.0)}
    evals = 0
    stopped: str | None = None
    reason: str | None = None
    failure: _NonFinite | None = None
    bar = _progress_bar(steps) if progress else None

    def fg(x: Tensor) -> tuple[float, Tensor]:
        nonlocal evals, stopped, reason, failure
        if evals >= steps:
            raise bounded.StopOptimization
        x = x.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
        losses = loss_fn(x)
        values = {name: float(v.detach()) for name, v in losses.items()}
        if not math.isfinite(values["total"]):
            failure, reason = _NonFinite(values["total"], evals + 1), STOP_NON_FINITE
            stopped = (
                f"the loss became {values['total']} at evaluation {evals + 1}; "
                "lower the loss weights or the learning rate"
            )
            raise bounded.StopOptimization
        evals += 1
        for name, v in values.items():
            history.setdefault(name, []).append(v)
        losses["total"].backward()
        assert x.grad is not None
        if values["total"] < best["loss"]:  # type: ignore[operator]
            best["loss"], best["image"] = values["total"], x.detach().clone()
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{values['total']:.4g}", refresh=False)
        if callback is not None and callback(evals, x.detach(), values) is True:
            stopped = f"the callback stopped the run after {evals} evaluations"
            reason = STOP_CALLBACK
            raise bounded.StopOptimization
        return values["total"], x.grad

    methods = {
        "lbfgsb": lambda: bounded.scipy_lbfgsb(fg, image),
        "projected-lbfgs": lambda: bounded.projected_lbfgs(fg, image, lr=lr),
        "sigmoid-lbfgs": lambda: bounded.sigmoid_lbfgs(fg, image, lr=lr),
    }
    start = time.perf_counter()
    with reuse_freed_memory():
        try:
            methods[optimizer]()
        finally:
            if bar is not None:
                bar.close()
    seconds = time.perf_counter() - start
    if failure is not None:
        if failure.evaluation == 1:
            raise NonFiniteLossError(failure.value, failure.evaluation)
        assert stopped is not None
        warnings.warn(
            stopped + "; the last finite image is kept", NonFiniteLossWarning, stacklevel=3
        )
    final = best["image"]
    assert isinstance(final, Tensor)
    return OptimizationRun(final.clamp(0.0, 1.0).cpu(), history, evals, seconds, stopped, reason)


def _progress_bar(total: int):  # type: ignore[no-untyped-def]
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="optimising", unit="eval", leave=False)


__all__ = [
    "BOUNDED_OPTIMIZERS",
    "DEFAULT_LR",
    "DEFAULT_OPTIMIZER",
    "OPTIMIZERS",
    "STOP_CALLBACK",
    "STOP_NON_FINITE",
    "Callback",
    "LossFunction",
    "NonFiniteLossError",
    "NonFiniteLossWarning",
    "OptimizationRun",
    "check_optimizer",
    "check_steps",
    "make_optimizer",
    "optimize_pixels",
    "record_projected_step",
]
