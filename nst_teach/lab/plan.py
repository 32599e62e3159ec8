r"""What a run will cost before it starts: seconds and peak memory from a measured machine.

The machine is measured once (:func:`measure_machine`: a few evaluations of the real
:func:`~nst_teach.stylize.stylize` objective at two small sizes, kept on disk per device,
processor, torch version and thread count); the cost of any run is then computed
(:func:`predict`), and the largest image that fits a time or memory budget is found from it
(:func:`largest_size`). For an image of :math:`h \times w` pixels, :math:`E` evaluations
and a set of layers:

.. math::

    t_\text{eval} &= a + F(h, w) / R \\
    T &= s_0 + n_f\, \varphi\, t_\text{eval} + E\, t_\text{eval}
        + \eta\, n \sum_{e=1}^{E} \min(e - 1, m) \\
    M &= W + c + k\, A(h, w) + S(E)

- :math:`F`: the FLOPs of one evaluation (forward and backward pass, Gram matrices) for the
  layers, from :func:`nst_teach.extras.architecture.evaluation_flops`; :math:`R` the rate the
  machine runs them at and :math:`a` a fixed cost per evaluation (Python, autograd), both
  fitted to the two measured sizes. Fewer or shallower layers cost less through :math:`F`.
- :math:`s_0 + n_f \varphi t_\text{eval}`: what :func:`~nst_teach.stylize.stylize` does
  before its first evaluation: :math:`n_f = 3` forward passes (the content and style
  targets, and the calibration of random weights), each the forward share :math:`\varphi`
  of an evaluation's FLOPs, and a fixed :math:`s_0` (measured). Building the network (and
  reading the ImageNet weights from disk) is not counted: the lessons build it once.
- :math:`\eta\, n \min(e - 1, m)`: L-BFGS's two-loop recursion at evaluation :math:`e`
  over its curvature pairs, each two vectors of :math:`n = 3 h w` floats, at most
  :math:`m` of them (``history_size=100`` in torch's LBFGS, 20 in scipy's L-BFGS-B); its
  memory traffic per pair and float, :math:`\eta`, is measured on vectors larger than the
  processor's caches. Adam and gradient descent have no such term.
- :math:`A`: the activation values one forward pass materialises (every convolution and
  pooling output up to the deepest layer, and the ReLU outputs that cannot be computed in
  place: tapping a convolution's output, as the PyTorch tutorial does, costs a copy at
  its ReLU); :math:`k` bytes per value and a fixed :math:`c` are fitted to the peak memory
  growth measured at the two sizes (the process's peak resident memory on the CPU, with
  Linux's ``VmHWM`` reset before the run; ``torch.cuda.max_memory_allocated`` on CUDA).
- :math:`W`: the network's weights up to the deepest layer, 4 bytes each (a network the
  session already holds needs no more).
- :math:`S(E)`: the optimiser's state. L-BFGS keeps :math:`\min(E - 1, m)` pairs of two
  float32 vectors, :math:`8 n \min(E - 1, 100)` bytes (450 MiB, 472 MB, at 512 x 384
  pixels once full); scipy's L-BFGS-B allocates its float64 workspace of :math:`(2 m + 5) n` values at
  once; Adam two vectors; gradient descent none.

Time and memory are thus linear in the pixels (:math:`F`, :math:`A` and :math:`n` are),
plus the L-BFGS history. The measurement times each evaluation with a callback and keeps
the median at each size (a machine busier than when it was measured runs slower than
predicted: ``refresh=True`` measures it again). The seconds predicted are those of a
:func:`~nst_teach.stylize.stylize` call with its network already built; the memory is what
the run adds to a process that has imported torch (which holds some 300-550 MiB itself).

Examples:
    A machine described by hand (no timing): 100 GFLOP/s, 10 ms per evaluation besides.

    >>> speed = MachineSpeed(device="cpu", eval_overhead_s=0.01, flops_per_s=100e9,
    ...                      setup_s=0.1, history_s=0.0, base_mib=20.0,
    ...                      bytes_per_activation=8.0)
    >>> p = predict(256, 300, speed=speed)  # the paper's layers: 101.52 GFLOPs
    >>> round(p.seconds_per_eval, 4), round(p.seconds, 1), round(p.peak_mib)
    (1.0252, 309.2, 379)
    >>> predict(256, 300, style_layers=["relu1_1"], content_layers=["relu1_1"],
    ...         speed=speed).seconds < p.seconds
    True
    >>> largest_size(budget_seconds=60, steps=300, speed=speed).size
    111
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import itertools
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..bounded import HISTORY_SIZE
from ..device import pick_device, synchronize
from ..extras.architecture import evaluation_flops, layer_table
from ..layers import (
    LAYER_INDEX,
    LAYER_NAMES,
    PAPER_CONTENT_LAYERS,
    PAPER_STYLE_LAYERS,
    min_image_side,
    validate_layers,
)
from ..machine import reuse_freed_memory
from ..optimize import DEFAULT_OPTIMIZER, check_optimizer, check_steps
from ..stylize import MAX_SIZE, check_size
from .cache import cache_enabled, results_dir

#: Curvature pairs torch's LBFGS keeps in :func:`~nst_teach.optimize.make_optimizer`.
LBFGS_HISTORY = 100
#: Pairs kept (at most) and bytes per stored value, for each optimiser.
HISTORY = {
    "lbfgs": (LBFGS_HISTORY, 4),
    "projected-lbfgs": (HISTORY_SIZE["projected-lbfgs"], 4),
    "sigmoid-lbfgs": (HISTORY_SIZE["sigmoid-lbfgs"], 4),
    "lbfgsb": (HISTORY_SIZE["lbfgsb"], 8),
    "adam": (0, 4),
    "gd": (0, 4),
}
#: Forward passes :func:`~nst_teach.stylize.stylize` makes before its first evaluation.
SETUP_FORWARD_PASSES = 3
#: Sizes (longer side, square images) measured on each kind of device, and evaluations.
MEASURE_SIZES = {"cpu": (64, 160), "cuda": (256, 512), "mps": (192, 384)}
MEASURE_EVALS = 4
#: Rounds of the measurement: the sizes in turn, each round (the quickest round counts).
MEASURE_ROUNDS = 2
#: Bump when the measurement or the stored record changes (older records are measured anew).
MODEL_VERSION = 1

MIB = 1024.0 * 1024.0


@dataclass(frozen=True)
class MachineSpeed:
    """The measured constants of the model (see the module docstring).

    Attributes:
        device: the device measured (``"cpu"``, ``"cuda:0"`` ...).
        eval_overhead_s: :math:`a`, seconds per evaluation besides the FLOPs.
        flops_per_s: :math:`R`, FLOPs per second of an evaluation.
        setup_s: :math:`s_0`, fixed seconds before the first evaluation.
        history_s: :math:`\\eta`, seconds per L-BFGS pair and float, per step.
        base_mib: :math:`c`, fixed memory growth of a run in MiB.
        bytes_per_activation: :math:`k`.
        key: what the measurement is valid for (device, processor, torch, threads).
        measured: the raw measurements, for the record.
    """

    device: str
    eval_overhead_s: float
    flops_per_s: float
    setup_s: float
    history_s: float
    base_mib: float
    bytes_per_activation: float
    key: str = ""
    measured: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Plan:
    """What :func:`predict` returns: the predicted cost of one run.

    Attributes:
        seconds: wall time of the :func:`~nst_teach.stylize.stylize` call.
        peak_mib: memory the run adds to the process at its peak, in MiB.
        size: the longer side in pixels; ``height``, ``width``: the image.
        evals: objective evaluations; ``seconds_per_eval``: :math:`t_\\text{eval}`.
        device: the device the prediction is for.
    """

    seconds: float
    peak_mib: float
    size: int
    evals: int
    height: int
    width: int
    seconds_per_eval: float
    device: str


def image_shape(size: int, aspect: float = 1.0) -> tuple[int, int]:
    """``(height, width)`` of an image whose longer side is ``size`` and whose width over
    height is ``aspect``, rounded as :func:`~nst_teach.images.resize_long_side` rounds.

    Examples:
        >>> image_shape(512, 4 / 3), image_shape(512, 0.75), image_shape(64)
        ((384, 512), (512, 384), (64, 64))
    """
    if (
        isinstance(aspect, bool)
        or not isinstance(aspect, int | float)
        or not (math.isfinite(aspect) and aspect > 0)
    ):
        raise ValueError(f"aspect (width / height) must be a finite number > 0, got {aspect!r}")
    short = max(1, round(size / max(aspect, 1.0 / aspect)))
    return (short, size) if aspect >= 1 else (size, short)


def activation_values(height: int, width: int, layers: Sequence[str]) -> int:
    r""":math:`A`: activation values one forward pass to the deepest of ``layers``
    materialises: every convolution and pooling output, and each ReLU output whose input
    was asked for (the other ReLUs of :class:`~nst_teach.VGG19Features` work in place).

    Examples:
        >>> activation_values(16, 16, ["relu1_1"])  # conv1_1's output, rectified in place
        16384
        >>> activation_values(16, 16, ["conv1_1"])  # conv1_1 kept: its ReLU needs a copy
        16384
        >>> activation_values(16, 16, ["conv1_1", "relu1_1"])
        32768
    """
    names = validate_layers(tuple(dict.fromkeys(layers)))
    deepest = max(LAYER_INDEX[n] for n in names)
    wanted = {LAYER_INDEX[n] for n in names}
    total = 0
    for row in layer_table(height, width, LAYER_NAMES[: deepest + 1]):
        if row["kind"] == "relu" and row["index"] - 1 not in wanted:
            continue
        c, h, w = row["out_shape"]
        total += c * h * w
    return total


def weight_bytes(layers: Sequence[str]) -> int:
    """:math:`W`: bytes of the float32 weights and biases up to the deepest of ``layers``.

    Examples:
        >>> weight_bytes(["conv1_1"]), round(weight_bytes(PAPER_STYLE_LAYERS) / 2**20, 1)
        (7168, 49.4)
    """
    names = validate_layers(tuple(dict.fromkeys(layers)))
    deepest = max(LAYER_INDEX[n] for n in names)
    return 4 * sum(r["params"] for r in layer_table(32, 32, LAYER_NAMES[: deepest + 1]))


def history_pair_sum(evals: int, pairs: int) -> int:
    r""":math:`\sum_{e=1}^{E} \min(e - 1, m)`: curvature pairs visited over ``evals`` steps.

    Examples:
        >>> history_pair_sum(5, 100), history_pair_sum(300, 100), history_pair_sum(9, 0)
        (10, 24950, 0)
    """
    if evals <= pairs + 1:
        return evals * (evals - 1) // 2
    return pairs * (pairs + 1) // 2 + (evals - pairs - 1) * pairs


def optimizer_state_bytes(optimizer: str, evals: int, floats: int) -> int:
    """:math:`S(E)`: what the optimiser keeps, for an image of ``floats`` values.

    Examples:
        >>> optimizer_state_bytes("lbfgs", 102, 3 * 512 * 384) / 2**20  # 100 pairs
        450.0
        >>> optimizer_state_bytes("adam", 5, 100), optimizer_state_bytes("gd", 5, 100)
        (800, 0)
    """
    pairs, size = HISTORY[check_optimizer(optimizer)]
    if optimizer == "lbfgsb":  # scipy's workspace, allocated at the start, and x, g in float64
        return size * floats * (2 * pairs + 5 + 2)
    if optimizer == "adam":
        return 2 * size * floats
    return 2 * size * floats * min(max(evals - 1, 0), pairs)


def _check_layers(style_layers: Sequence[str], content_layers: Sequence[str]) -> tuple[str, ...]:
    style = validate_layers(style_layers, "style layer")
    content = validate_layers(content_layers, "content layer")
    return tuple(dict.fromkeys(style + content))


def check_plan_size(size: int, aspect: float, layers: Sequence[str]) -> tuple[int, int]:
    """``(height, width)`` for ``size`` and ``aspect`` (:func:`image_shape`), or
    ``ValueError`` if the size is not one :func:`~nst_teach.stylize.stylize` takes or the
    image is too small for ``layers``.

    Examples:
        >>> check_plan_size(64, 2.0, ["relu5_1"])
        (32, 64)
    """
    check_size(size)
    height, width = image_shape(int(size), aspect)
    side = min_image_side(layers)
    if min(height, width) < side:
        raise ValueError(
            f"a {width}x{height} image is too small for these layers: they need at least "
            f"{side}x{side} pixels"
        )
    return height, width


def predict(
    size: int,
    steps: int,
    *,
    style_layers: Sequence[str] = PAPER_STYLE_LAYERS,
    content_layers: Sequence[str] = PAPER_CONTENT_LAYERS,
    optimizer: str = DEFAULT_OPTIMIZER,
    device: str | torch.device | None = None,
    aspect: float = 1.0,
    speed: MachineSpeed | None = None,
) -> Plan:
    r"""Predicted seconds and peak memory of ``stylize(size=size, steps=steps, ...)``.

    ``size`` is the longer side, ``aspect`` the width over the height; the formula is in
    the module docstring. Without ``speed`` the device's stored measurement is used, made
    first if there is none (:func:`measure_machine`: a few seconds, once).
    """
    steps = check_steps(steps)
    check_optimizer(optimizer)
    layers = _check_layers(style_layers, content_layers)
    height, width = check_plan_size(size, aspect, layers)
    if speed is None:
        speed = measure_machine(device=device)
    flops = evaluation_flops(height, width, style_layers, content_layers)
    per_eval = speed.eval_overhead_s + flops["total"] / speed.flops_per_s
    forward_share = (flops["forward"] + flops["gram_forward"]) / flops["total"]
    floats = 3 * height * width
    pairs, size_bytes = HISTORY[optimizer]
    history = speed.history_s * (size_bytes / 4) * floats * history_pair_sum(steps, pairs)
    seconds = speed.setup_s + (SETUP_FORWARD_PASSES * forward_share + steps) * per_eval + history
    peak = (
        weight_bytes(layers)
        + speed.bytes_per_activation * activation_values(height, width, layers)
        + optimizer_state_bytes(optimizer, steps, floats)
    ) / MIB + speed.base_mib
    return Plan(seconds, peak, int(size), steps, height, width, per_eval, speed.device)


def check_budget(name: str, value: float) -> float:
    """``value`` if it is a finite number > 0, else ``ValueError`` naming ``name``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def largest_size(
    budget_seconds: float | None = None,
    budget_mib: float | None = None,
    steps: int = 300,
    *,
    minimum: int | None = None,
    maximum: int = MAX_SIZE,
    style_layers: Sequence[str] = PAPER_STYLE_LAYERS,
    content_layers: Sequence[str] = PAPER_CONTENT_LAYERS,
    optimizer: str = DEFAULT_OPTIMIZER,
    device: str | torch.device | None = None,
    aspect: float = 1.0,
    speed: MachineSpeed | None = None,
) -> Plan:
    """The :class:`Plan` of the largest size in ``[minimum, maximum]`` whose predicted
    seconds and peak memory stay within the budgets given (at least one).

    Both predictions grow with the size, so the search halves the interval each time.
    ``minimum`` defaults to the smallest size the layers allow.

    Raises:
        ValueError: for a budget that is not a finite number > 0, no budget, bad settings,
            or when even ``minimum`` does not fit (the message says what it would need).
    """
    for name, value in (("budget_seconds", budget_seconds), ("budget_mib", budget_mib)):
        if value is not None:
            check_budget(name, value)
    if budget_seconds is None and budget_mib is None:
        raise ValueError("give a time budget (seconds), a memory budget (MiB), or both")
    check_steps(steps)
    check_optimizer(optimizer)
    layers = _check_layers(style_layers, content_layers)
    image_shape(16, aspect)  # a valid aspect
    ratio = max(aspect, 1.0 / aspect)
    low = math.ceil(min_image_side(layers) * ratio) if minimum is None else minimum
    check_plan_size(low, aspect, layers)
    check_plan_size(maximum, aspect, layers)
    if low > maximum:
        raise ValueError(f"minimum {low} is larger than maximum {maximum}")
    if speed is None:
        speed = measure_machine(device=device)

    def plan(size: int) -> Plan:
        return predict(
            size,
            steps,
            style_layers=style_layers,
            content_layers=content_layers,
            optimizer=optimizer,
            aspect=aspect,
            speed=speed,
        )

    def fits(p: Plan) -> bool:
        return (budget_seconds is None or p.seconds <= budget_seconds) and (
            budget_mib is None or p.peak_mib <= budget_mib
        )

    best = plan(low)
    if not fits(best):
        raise ValueError(
            f"even {low} px does not fit: about {best.seconds:.1f} s and "
            f"{best.peak_mib:.0f} MiB for {steps} evaluations"
        )
    high = maximum
    while low < high:  # best = plan(low) fits; sizes above high do not
        middle = (low + high + 1) // 2
        candidate = plan(middle)
        if fits(candidate):
            low, best = middle, candidate
        else:
            high = middle - 1
    return best


def _processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key(device: torch.device) -> str:
    """What a measurement holds for: device, its model, torch's version and threads."""
    what = torch.cuda.get_device_name(device) if device.type == "cuda" else _processor()
    return (
        f"v{MODEL_VERSION} {device} {what}; torch {torch.__version__}; "
        f"{torch.get_num_threads()} threads"
    )


def _record_path(key: str) -> Path:
    return results_dir() / f"machine-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _status_kib(field_name: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


@contextmanager
def peak_memory(device: torch.device) -> Iterator[dict[str, float]]:
    """Measure how far the memory in use rises above its level at the start, in MiB.

    The dict yielded gets ``"mib"`` on leaving: on CUDA ``max_memory_allocated`` minus the
    memory allocated at the start; on Linux the resident set's high-water mark
    (``VmHWM``, reset to the current size through ``/proc/self/clear_refs``) minus the
    resident size at the start; elsewhere the growth of ``ru_maxrss``, which misses a
    peak lower than one the process reached before.
    """
    out: dict[str, float] = {}
    gc.collect()
    with reuse_freed_memory():  # on leaving, glibc's free memory goes back to the system
        pass
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        yield out
        torch.cuda.synchronize(device)
        out["mib"] = (torch.cuda.max_memory_allocated(device) - before) / MIB
        return
    rss = _status_kib("VmRSS")
    reset = False
    if rss is not None:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
                f.write("5")
            reset = True
        except OSError:
            pass
    if reset:
        yield out
        out["mib"] = max(0.0, ((_status_kib("VmHWM") or 0.0) - (rss or 0.0)) / 1024.0)
        return
    import resource  # not on Windows, where the growth is not measured

    scale = 1.0 if sys.platform == "darwin" else 1024.0  # bytes on macOS, KiB on Linux
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    yield out
    end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    out["mib"] = max(0.0, end - start) / MIB


def _history_speed(device: torch.device, floats: int = 1 << 20, pairs: int = 8) -> float:
    r""":math:`\eta`: seconds per pair and float of L-BFGS's two-loop recursion (as torch's
    LBFGS runs it), timed on ``pairs`` pairs of vectors of ``floats`` values (64 MiB: more
    than the caches hold, as the history of a real image)."""
    gen = torch.Generator().manual_seed(0)
    s = [torch.randn(floats, generator=gen).to(device) for _ in range(pairs)]
    y = [torch.randn(floats, generator=gen).to(device) for _ in range(pairs)]
    rho = [1.0 / float(a.dot(b)) for a, b in zip(s, y)]
    g = torch.randn(floats, generator=gen).to(device)
    best = math.inf
    for _ in range(5):
        synchronize(device)
        start = time.perf_counter()
        q = g.neg()
        al = [0.0] * pairs
        for i in range(pairs - 1, -1, -1):
            al[i] = float(s[i].dot(q)) * rho[i]
            q.add_(y[i], alpha=-al[i])
        r = q.mul(0.5)
        for i in range(pairs):
            be = float(y[i].dot(r)) * rho[i]
            r.add_(s[i], alpha=al[i] - be)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best / (pairs * floats)


def _time_run(size: int, evals: int, device: torch.device) -> dict[str, float]:
    """One :func:`~nst_teach.stylize.stylize` run of ``evals`` evaluations at ``size`` x
    ``size`` (seeded random images and weights): its median evaluation, its setup (time to
    the first evaluation, less that evaluation, and after the last) and its peak memory."""
    from ..stylize import stylize

    gen = torch.Generator().manual_seed(size)
    content = torch.rand(1, 3, size, size, generator=gen)
    style = torch.rand(1, 3, size, size, generator=gen)
    stamps: list[float] = []

    def stamp(*_: object) -> None:
        stamps.append(time.perf_counter())

    with peak_memory(device) as memory:
        start = time.perf_counter()
        stylize(content, style, size=size, steps=evals, weights="random", device=device,
                progress=False, callback=stamp)  # fmt: skip
        end = time.perf_counter()
    per_eval = statistics.median(b - a for a, b in itertools.pairwise(stamps))
    setup = (stamps[0] - start - per_eval) + (end - stamps[-1])
    return {"size": size, "seconds_per_eval": per_eval, "setup": setup, "peak_mib": memory["mib"]}


def _line(x: tuple[float, float], y: tuple[float, float]) -> tuple[float, float]:
    """Intercept and slope of the line through two points, both >= 0 (else a line through
    the origin, fitted by least squares)."""
    slope = (y[1] - y[0]) / (x[1] - x[0])
    intercept = y[0] - slope * x[0]
    if slope > 0 and intercept >= 0:
        return intercept, slope
    return 0.0, max((x[0] * y[0] + x[1] * y[1]) / (x[0] ** 2 + x[1] ** 2), 1e-30)


def _measure(device: torch.device, sizes: Sequence[int], evals: int, key: str) -> MachineSpeed:
    """Time and measure the runs, and fit the model's constants (module docstring)."""
    layers = _check_layers(PAPER_STYLE_LAYERS, PAPER_CONTENT_LAYERS)
    _time_run(sizes[0], 2, device)  # warm-up: the network built, the libraries loaded
    rounds = [[_time_run(size, evals, device) for size in sizes] for _ in range(MEASURE_ROUNDS)]
    # each size's quickest round (a busy moment slows one round, not both), and the memory
    # of the last round (the allocator settled)
    runs = [
        {**rounds[-1][i], "seconds_per_eval": min(r[i]["seconds_per_eval"] for r in rounds),
         "setup": min(r[i]["setup"] for r in rounds)}
        for i in range(len(sizes))
    ]  # fmt: skip
    flops = [evaluation_flops(s, s, PAPER_STYLE_LAYERS, PAPER_CONTENT_LAYERS) for s in sizes]
    total = tuple(float(f["total"]) for f in flops)
    a, inv_rate = _line(total, tuple(r["seconds_per_eval"] for r in runs))  # type: ignore[arg-type]
    setups = []
    for f, r in zip(flops, runs):
        share = (f["forward"] + f["gram_forward"]) / f["total"]
        setups.append(r["setup"] - SETUP_FORWARD_PASSES * share * (a + f["total"] * inv_rate))
    acts = tuple(float(activation_values(s, s, layers)) for s in sizes)
    grown = tuple(
        r["peak_mib"] - optimizer_state_bytes("lbfgs", evals, 3 * s * s) / MIB
        for s, r in zip(sizes, runs)
    )
    base, per_act = _line(acts, grown)  # type: ignore[arg-type]
    return MachineSpeed(
        device=str(device),
        eval_overhead_s=a,
        flops_per_s=1.0 / inv_rate,
        setup_s=max(0.0, sum(setups) / len(setups)),
        history_s=_history_speed(device),
        base_mib=base,
        bytes_per_activation=per_act * MIB,
        key=key,
        measured={
            "evals": evals,
            "runs": runs,
            "rounds": rounds,
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
    )


_MEASURED: dict[str, MachineSpeed] = {}


def measure_machine(
    *,
    device: str | torch.device | None = None,
    refresh: bool = False,
    sizes: Sequence[int] | None = None,
    evals: int = MEASURE_EVALS,
    log: Callable[[str], object] | None = None,
) -> MachineSpeed:
    """This machine's :class:`MachineSpeed` for ``device``, measured once and kept.

    The measurement (a warm-up, then ``evals`` evaluations at each of two ``sizes``,
    :data:`MEASURE_SIZES` by default, in :data:`MEASURE_ROUNDS` alternating rounds, and the
    L-BFGS recursion on its own) takes a few seconds on a CPU. It is kept for the session and, as JSON, in the result cache's folder
    (:func:`nst_teach.lab.cache.results_dir`: ``$NST_TEACH_CACHE_DIR`` or torch.hub's folder;
    not on disk when ``NST_TEACH_CACHE=0``), under a key of the device, the processor,
    torch's version and ``torch.get_num_threads()``: another machine, torch or thread count
    is measured anew. ``refresh=True`` measures again. ``log(message)`` is called before a
    measurement is made.
    """
    dev = pick_device(device)
    sizes = tuple(MEASURE_SIZES.get(dev.type, MEASURE_SIZES["cpu"]) if sizes is None else sizes)
    if len(sizes) != 2 or sizes[0] >= sizes[1]:
        raise ValueError(f"sizes must be two sizes, the smaller first, got {sizes!r}")
    for s in sizes:
        check_plan_size(s, 1.0, PAPER_STYLE_LAYERS)
    evals = check_steps(evals)
    if evals < 3:
        raise ValueError(f"evals must be at least 3, got {evals}")
    key = f"{machine_key(dev)}; sizes {sizes[0]},{sizes[1]}; {evals} evaluations"
    path = _record_path(key)
    if not refresh:
        if key in _MEASURED:
            return _MEASURED[key]
        if cache_enabled():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                if record.get("key") == key:
                    speed = MachineSpeed(**record)
                    _MEASURED[key] = speed
                    return speed
            except (OSError, ValueError, TypeError):  # missing or damaged: measure again
                pass
    if log is not None:
        log(
            f"measuring {dev} once ({MEASURE_ROUNDS} x {evals} evaluations at {sizes[0]} and "
            f"{sizes[1]} px)"
        )
    speed = _measure(dev, sizes, evals, key)
    _MEASURED[key] = speed
    if cache_enabled():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(dataclasses.asdict(speed), indent=1), encoding="utf-8")
            tmp.replace(path)
        except OSError:  # a read-only folder: kept for the session only
            pass
    return speed


def forget_measurements() -> None:
    """Forget the measurements kept for the session (those on disk stay)."""
    _MEASURED.clear()


__all__ = [
    "HISTORY",
    "LBFGS_HISTORY",
    "MEASURE_EVALS",
    "MEASURE_ROUNDS",
    "MEASURE_SIZES",
    "MachineSpeed",
    "Plan",
    "activation_values",
    "check_budget",
    "check_plan_size",
    "forget_measurements",
    "history_pair_sum",
    "image_shape",
    "largest_size",
    "machine_key",
    "measure_machine",
    "optimizer_state_bytes",
    "peak_memory",
    "predict",
    "weight_bytes",
]
