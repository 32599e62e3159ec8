r"""Quasi-Newton methods that keep the pixels in the box :math:`[0, 1]` by construction.

The image is a vector :math:`x \in [0, 1]^n` (:math:`n = 3HW`). Gatys et al. minimise the
total loss :math:`f(x)` (Eq. 7) with L-BFGS; the pixels have to stay in the box. Clipping after
an unconstrained L-BFGS step (``optimizer="lbfgs"``) spoils the curvature pairs
:math:`(s_k, y_k)` L-BFGS learns from: in coordinates held at a bound the step is zero while
the gradient keeps changing. The three methods here treat the box as part of the problem:

``"lbfgsb"``
    scipy's L-BFGS-B (Byrd, Lu, Nocedal and Zhu 1995; Zhu et al. 1997), the reference
    implementation the Keras example and the early implementations of the paper used:
    a generalised Cauchy point along the projected gradient path fixes the active set, a
    subspace minimisation of the limited-memory quadratic model over the free variables
    gives the direction, and a Moré-Thuente line search the step. It works in float64 on the
    CPU; the network keeps its float32 tensors on its device. Needs scipy (the ``scipy``
    extra: ``pip install "nst-teach[scipy]"``).
``"projected-lbfgs"``
    projected L-BFGS with curvature pairs restricted to the free variables. A coordinate
    is *active* when it sits on a bound and the gradient pushes it outwards,

    .. math::

        \mathcal{A}(x) = \{i : x_i \le 0,\ \partial_i f > 0\} \cup
                         \{i : x_i \ge 1,\ \partial_i f < 0\},

    and :math:`F` is the rest. The direction is the L-BFGS two-loop recursion (Nocedal and
    Wright, Alg. 7.4) applied to :math:`g_F` with every stored pair cut to :math:`F`,
    :math:`d = -H_F\, g_F` and :math:`d_{\mathcal{A}} = 0`, so that clamped coordinates
    neither move nor feed curvature into the free ones; the step is
    :math:`x_{k+1} = P(x_k + t d)` with :math:`P` the clip to the box, :math:`t = 1`
    (one evaluation per step, as the paper's L-BFGS; the first step, without curvature
    pairs yet, moves the pixel that moves most by 0.1, :func:`_first_step`), halved only when the projected
    Armijo condition :math:`f(x_{k+1}) \le f(x_k) + 10^{-4}\, g^\top (x_{k+1} - x_k)`
    fails. The pair stored is the step actually taken, :math:`s_k = x_{k+1} - x_k`,
    :math:`y_k = g_{k+1} - g_k`. Pure torch: it runs on any device.
``"sigmoid-lbfgs"``
    a change of variables: :math:`x = \sigma(u) = 1 / (1 + e^{-u})` is in :math:`(0, 1)`
    for every :math:`u \in \mathbb{R}^n`, so :math:`f(\sigma(u))` is minimised without
    constraints (the same L-BFGS, no bounds), with
    :math:`\nabla_u = \nabla_x f \odot \sigma(u)(1 - \sigma(u))`. The start is
    :math:`u_0 = \operatorname{logit}(\operatorname{clip}(x_0, \epsilon, 1 - \epsilon))`.
    Pixels near 0 or 1 move slowly (:math:`\sigma' \to 0`): the price of the smooth box.

Each method calls ``fg(x) -> (f(x), grad)`` until ``fg`` raises :class:`StopOptimization`
(the caller's budget of evaluations is spent, or its callback asked to stop). ``x`` is
always inside the box.

Examples:
    >>> import torch
    >>> target = torch.tensor([2.0, -1.0, 0.3])  # the box minimum is (1, 0, 0.3)
    >>> seen = []
    >>> def fg(x):
    ...     if len(seen) == 20:
    ...         raise StopOptimization
    ...     seen.append(x.clone())
    ...     return float(((x - target) ** 2).sum()), 2 * (x - target)
    >>> projected_lbfgs(fg, torch.full((3,), 0.5))
    >>> [round(v, 4) for v in seen[-1].tolist()]
    [1.0, 0.0, 0.3]
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

#: ``fg(x) -> (f(x), gradient of f at x)``; raises :class:`StopOptimization` to end the run.
ValueAndGrad = Callable[[Tensor], tuple[float, Tensor]]

#: Stored curvature pairs (the "m" of L-BFGS) of each method, measured with
#: ``benchmarks/optimizer_evals.py`` (benchmarks/README.md): 100 as ``torch.optim.LBFGS`` in
#: ``"lbfgs"`` (at 256 px, 43 evaluations to the tutorial's lowest loss against 50 with 20, with
#: torch's first step);
#: scipy keeps its pairs in float64 on the CPU, so 20 there (100 would be about 0.9 GB at
#: 512 px).
HISTORY_SIZE = {"lbfgsb": 20, "projected-lbfgs": 100, "sigmoid-lbfgs": 100}
#: Largest pixel change of the first step of ``"projected-lbfgs"``
#: (:func:`_first_step`; ``None``: ``torch.optim.LBFGS``'s rule). Measured with
#: ``benchmarks/optimizer_evals.py --ttl`` (benchmarks/README.md): at 256 px, 40 evaluations
#: to the tutorial's lowest loss with 0.1 against 43 with torch's rule.
FIRST_STEP_MAX_CHANGE: float | None = 0.1
#: Sufficient-decrease constant of the projected Armijo test.
ARMIJO_C = 1e-4
#: Pixels are clipped to [eps, 1 - eps] before the logit of the sigmoid start.
SIGMOID_EPS = 1e-3


class StopOptimization(Exception):
    """Raised by ``fg`` to end the optimisation (budget spent or stop requested)."""


#: A stored curvature pair: ``(s, y)``, or ``(s, y, s^T y, y^T y)`` with the two full inner
#: products computed once when the pair is stored (:func:`make_pair`).
Pair = tuple[Tensor, Tensor] | tuple[Tensor, Tensor, float, float]


def make_pair(s: Tensor, y: Tensor) -> tuple[Tensor, Tensor, float, float]:
    r"""A curvature pair with its inner products :math:`s^\top y` and :math:`y^\top y`."""
    return s, y, float(y @ s), float(y @ y)


#: Above this fraction of active coordinates :func:`two_loop` multiplies by the 0/1 mask;
#: below it, it corrects the stored inner products and zeroes the few active entries
#: (gathering scattered entries of 100 pairs costs more than a pass over them above about
#: 2%: measured at 256 px, one thread, 2026-11-26).
DENSE_ACTIVE_FRACTION = 0.02


def two_loop(g: Tensor, pairs: list[Pair], free: Tensor | None) -> Tensor:
    r"""The L-BFGS product :math:`H g` (Nocedal and Wright, Alg. 7.4), cut to ``free``.

    With ``free`` a 0/1 mask, every vector is cut to the free set :math:`F` (its entries
    outside :math:`F` are zero), so the result is :math:`H_F g_F` on the free coordinates and
    0 elsewhere. Pairs whose cut curvature :math:`y_F^\top s_F` is not positive are skipped.
    The initial matrix is :math:`\gamma I` with :math:`\gamma = s^\top y / y^\top y`
    (cut to :math:`F`) of the newest usable pair.

    Cost: with pairs from :func:`make_pair` and few active coordinates :math:`A`, the cut
    inner products are the stored ones less the terms on :math:`A`,
    :math:`y_F^\top s_F = y^\top s - y_A^\top s_A`, and cutting a vector is zeroing its
    entries on :math:`A`: two inner products and two vector updates per pair, as without
    bounds.

    Examples:
        >>> import torch
        >>> s, y = torch.tensor([1.0, 0.0]), torch.tensor([2.0, 0.0])  # curvature 2 along e1
        >>> two_loop(torch.tensor([4.0, 0.0]), [(s, y)], None).tolist()
        [2.0, 0.0]
        >>> two_loop(torch.tensor([4.0, 1.0]), [make_pair(s, y)], torch.tensor([1.0, 0.0]))
        tensor([2., 0.])
    """
    active: Tensor | None = None
    dense = False
    if free is not None:
        active = (free == 0).nonzero().view(-1)
        if active.numel() == 0:
            free, active = None, None
        elif active.numel() > DENSE_ACTIVE_FRACTION * free.numel():
            dense = True

    def cut_(v: Tensor) -> Tensor:
        if free is None:
            return v
        return v.mul_(free) if dense else v.index_fill_(0, active, 0.0)

    def inner(pair: Pair) -> tuple[float, float]:
        s, y = pair[0], pair[1]
        if free is None:
            if len(pair) == 4:
                return pair[2], pair[3]  # type: ignore[misc]
            return float(y @ s), float(y @ y)
        if dense or len(pair) != 4:
            yf = y * free
            return float(yf @ s), float(yf @ y)
        ya, sa = y.index_select(0, active), s.index_select(0, active)
        return pair[2] - float(ya @ sa), pair[3] - float(ya @ ya)  # type: ignore[misc]

    q = cut_(g.clone())
    used: list[tuple[Tensor, Tensor, float, float]] = []
    gamma = None
    for pair in reversed(pairs):
        s, y = pair[0], pair[1]
        ys, yy = inner(pair)
        if not ys > 1e-10 * max(yy, 1e-30):
            continue
        if gamma is None:
            gamma = ys / yy
        rho = 1.0 / ys
        a = rho * float(s @ q)  # q is zero outside F, so s @ q = s_F @ q
        cut_(q.add_(y, alpha=-a))
        used.append((s, y, rho, a))
    r = q.mul_(1.0 if gamma is None else gamma)
    for s, y, rho, a in reversed(used):
        b = rho * float(y @ r)  # r is zero outside F
        cut_(r.add_(s, alpha=a - b))
    return r


def _first_step(d: Tensor, max_change: float | None = None) -> float:
    r"""The length :math:`t` of a step :math:`t d` without curvature pairs (first step, restart).

    With ``max_change`` :math:`\delta`, the step moves the pixel that moves most by
    :math:`\delta`: :math:`t = \delta / \|d\|_\infty`. This is in the units of the pixels, so
    it does not depend on the scale of the loss (the later L-BFGS steps do not either:
    :math:`\gamma = s^\top y / y^\top y` rescales them). Without it, the rule of
    ``torch.optim.LBFGS``: :math:`t = \min(1, 1/\|d\|_1)`, which at :math:`n = 3HW` pixels
    moves each one by about :math:`1/n` of a grey level and spends an evaluation learning
    little.

    Examples:
        >>> import torch
        >>> _first_step(torch.tensor([4.0, -2.0]), max_change=0.1)
        0.025
        >>> _first_step(torch.tensor([4.0, -2.0]))
        0.16666666666666666
    """
    if max_change is not None:
        peak = float(d.abs().max())
        return max_change / peak if peak > 0 else 1.0
    norm = float(d.abs().sum())
    return min(1.0, 1.0 / norm) if norm > 0 else 1.0


def projected_lbfgs(
    fg: ValueAndGrad,
    x0: Tensor,
    *,
    bounds: tuple[float, float] | None = (0.0, 1.0),
    history_size: int | None = None,
    lr: float = 1.0,
    max_halvings: int = 10,
    first_step: float | None = FIRST_STEP_MAX_CHANGE,
) -> None:
    r"""Projected L-BFGS with pairs cut to the free variables (see the module docstring).

    ``x0`` (any shape) is flattened; ``bounds=None`` gives plain L-BFGS with the same
    safeguard (used by :func:`sigmoid_lbfgs`). ``first_step`` is the largest pixel change
    of a step taken without curvature pairs (see :func:`_first_step`). Runs until ``fg`` raises
    :class:`StopOptimization`.
    """
    m = HISTORY_SIZE["projected-lbfgs"] if history_size is None else history_size
    shape = x0.shape
    lo, hi = bounds if bounds is not None else (-math.inf, math.inf)

    def project(v: Tensor) -> Tensor:
        return v.clamp_(lo, hi) if bounds is not None else v

    def evaluate(v: Tensor) -> tuple[float, Tensor]:
        f, g = fg(v.view(shape))
        return f, g.detach().reshape(-1).to(v.dtype)

    x = project(x0.detach().reshape(-1).clone())
    try:
        f, g = evaluate(x)
        pairs: list[Pair] = []
        while True:
            if bounds is None:
                free = None
            else:
                active = ((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0))
                free = (~active).to(x.dtype)
            d = two_loop(g, pairs, free).neg_()
            slope = float(g @ d)
            if not pairs or not slope < 0:  # first step, or not a descent direction: restart
                pairs.clear()
                d = g.neg() if free is None else g.neg() * free
                slope = float(g @ d)
                t = lr * _first_step(d, first_step)
            else:
                t = lr
            for _ in range(max_halvings + 1):
                x_new = project(x + t * d)
                step = x_new - x
                f_new, g_new = evaluate(x_new)
                if math.isfinite(f_new) and f_new <= f + ARMIJO_C * float(g @ step):
                    break
                t *= 0.5
            else:  # no decrease along d even for tiny steps: forget the curvature
                pairs.clear()
                if not f_new < f:
                    continue
            pair = make_pair(step, g_new - g)
            if pair[2] > 1e-10 * pair[3]:
                pairs.append(pair)
                if len(pairs) > m:
                    pairs.pop(0)
            x, f, g = x_new, f_new, g_new
    except StopOptimization:
        return


def sigmoid_lbfgs(
    fg: ValueAndGrad,
    x0: Tensor,
    *,
    history_size: int | None = None,
    lr: float = 1.0,
    eps: float = SIGMOID_EPS,
) -> None:
    r"""L-BFGS on :math:`u` with :math:`x = \sigma(u)` (see the module docstring)."""
    u0 = torch.logit(x0.detach().clamp(eps, 1.0 - eps))

    def fg_u(u: Tensor) -> tuple[float, Tensor]:
        x = torch.sigmoid(u)
        f, g = fg(x)
        return f, g * x * (1.0 - x)

    m = HISTORY_SIZE["sigmoid-lbfgs"] if history_size is None else history_size
    # torch's first step: a step in u is not a step in pixels (not measured with max_change)
    projected_lbfgs(fg_u, u0, bounds=None, history_size=m, lr=lr, first_step=None)


def scipy_lbfgsb(
    fg: ValueAndGrad,
    x0: Tensor,
    *,
    history_size: int | None = None,
) -> None:
    r"""scipy's L-BFGS-B on the box :math:`[0, 1]^n` (float64 on the scipy side).

    scipy stops by itself when its line search fails (``ABNORMAL_TERMINATION_IN_LNSRCH``,
    possible with ``ftol = gtol = 0``); the run then restarts from scipy's last point with
    an empty memory, until ``fg`` raises :class:`StopOptimization`.
    """
    try:
        from scipy.optimize import Bounds, minimize
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'optimizer "lbfgsb" needs scipy: pip install scipy (or "nst-teach[scipy]")'
        ) from exc
    shape, device, dtype = x0.shape, x0.device, x0.dtype

    def fun(z):  # type: ignore[no-untyped-def]
        x = torch.from_numpy(z).view(shape).to(device=device, dtype=dtype)
        f, g = fg(x)
        return f, g.detach().reshape(-1).to("cpu", torch.float64).numpy()

    z = x0.detach().reshape(-1).to("cpu", torch.float64).clamp_(0.0, 1.0).numpy()
    m = HISTORY_SIZE["lbfgsb"] if history_size is None else history_size
    options = {"maxcor": m, "maxfun": 10**9, "maxiter": 10**9, "ftol": 0.0}
    options["gtol"] = 0.0
    try:
        while True:
            res = minimize(fun, z, jac=True, method="L-BFGS-B", bounds=Bounds(0.0, 1.0),
                           options=options)  # fmt: skip
            z = res.x
    except StopOptimization:
        return


__all__ = [
    "ARMIJO_C",
    "DENSE_ACTIVE_FRACTION",
    "FIRST_STEP_MAX_CHANGE",
    "HISTORY_SIZE",
    "SIGMOID_EPS",
    "Pair",
    "StopOptimization",
    "ValueAndGrad",
    "make_pair",
    "projected_lbfgs",
    "scipy_lbfgsb",
    "sigmoid_lbfgs",
    "two_loop",
]
