r"""Evaluations each optimiser needs: to the tutorial loop's lowest loss, and to a plateau.

Evaluation counts are deterministic (same images, seeded random weights, float32 on the CPU),
so they can be measured on a busy machine; only seconds need a quiet one.

``--ttl``: the issue's target 1 counted in evaluations. The PyTorch tutorial's loop
(``tutorial_baseline.py``) runs 300 evaluations with the tutorial's layers; its lowest loss on
the way is the target; each optimiser of ``nst_teach`` then runs (the same loss, in the paper's
units, :func:`bench_stylize.ours_kwargs`) until its loss is at or below that target. The
baseline's losses are cached in ``benchmarks/results/ttl-baseline-<size>.json`` (they take
minutes at 512 px).

``--plateau``: target 2. With the kit's own defaults (:func:`nst_teach.stylize` at 256 px, the
paper's layers, its default weights, here the seeded random VGG-19), each optimiser runs
``--plateau-evals`` (1000) evaluations; reported is the first evaluation after which the total
loss stays within 1% of its value at the last evaluation.

Examples (from the repository root)::

    python benchmarks/optimizer_evals.py --ttl --sizes 256 512
    python benchmarks/optimizer_evals.py --plateau --optimizers lbfgs lbfgsb
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_stylize as bench  # noqa: E402

from nst_teach import bounded, stylize  # noqa: E402
from nst_teach.optimize import BOUNDED_OPTIMIZERS  # noqa: E402

RESULTS = HERE / "results"
ALL = ("lbfgs", *BOUNDED_OPTIMIZERS)


def baseline_losses(size: int, layers: str, evals: int, cache: bool = True) -> dict[str, Any]:
    """The tutorial loop's losses over ``evals`` evaluations (cached on disk)."""
    content, style, source = bench.load_pair(size)
    path = RESULTS / f"ttl-baseline-{size}-{layers}-{evals}.json"
    key = {"size": size, "layers": layers, "evals": evals, "images": source,
           "torch": torch.__version__}  # fmt: skip
    if cache and path.is_file():
        data = json.loads(path.read_text())
        if data.get("key") == key:
            return data
    t0 = time.perf_counter()
    run = bench.Baseline(content, style, layers).run(evals)
    data = {"key": key, "losses": run.losses, "seconds": time.perf_counter() - t0,
            "threads": torch.get_num_threads()}  # fmt: skip
    if cache:
        RESULTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(data) + "\n")
    return data


def evals_to_loss(
    size: int, layers: str, optimizer: str, target: float, max_evals: int
) -> dict[str, Any]:
    """Evaluations ``optimizer`` needs to reach ``target`` (the tutorial's loss, paper units)."""
    content, style, _ = bench.load_pair(size)
    seen: list[float] = []

    def callback(e: int, image: torch.Tensor, losses: dict[str, float]) -> bool:
        seen.append(losses["total"])
        return losses["total"] <= target

    t0 = time.perf_counter()
    res = bench.run_ours(content, style, layers, max_evals, optimizer=optimizer, callback=callback)
    hit = next((i + 1 for i, v in enumerate(seen) if v <= target), None)
    return {"optimizer": optimizer, "evals_to_target": hit, "evals_run": res.evals,
            "lowest": min(seen), "seconds": time.perf_counter() - t0,
            "s_per_eval": res.seconds_per_eval}  # fmt: skip


def plateau_eval(losses: Sequence[float], tol: float = 0.01) -> int:
    """The first evaluation (1-based) after which every loss is within ``tol`` of the last.

    Examples:
        >>> plateau_eval([10.0, 5.0, 1.02, 1.005, 1.0])
        3
    """
    final = losses[-1]
    k = len(losses)
    while k > 0 and abs(losses[k - 1] - final) <= tol * abs(final):
        k -= 1
    return k + 1


def plateau_run(optimizer: str, size: int, evals: int) -> dict[str, Any]:
    content, style, source = bench.load_pair(size)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stylize(content, style, size=None, steps=evals, optimizer=optimizer,
                      weights="random", progress=False)  # fmt: skip
    total = res.history["total"]
    return {"optimizer": optimizer, "size": size, "hw": list(content.shape[-2:]), "evals": evals,
            "images": source, "plateau_1pct": plateau_eval(total), "final": total[-1],
            "lowest": min(total), "seconds": time.perf_counter() - t0,
            "s_per_eval": res.seconds_per_eval, "threads": torch.get_num_threads(),
            "total": total}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ttl", action="store_true", help="evaluations to the tutorial's lowest loss")
    p.add_argument("--plateau", action="store_true", help="evaluations to within 1%% of final")
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    p.add_argument("--layers", default="tutorial", choices=bench.LAYER_SETS)
    p.add_argument("--baseline-evals", type=int, default=300)
    p.add_argument("--max-evals", type=int, default=300)
    p.add_argument("--optimizers", nargs="+", default=list(ALL))
    p.add_argument("--plateau-size", type=int, default=256)
    p.add_argument("--plateau-evals", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--history", type=int, default=None, help="L-BFGS memory m (bounded methods)")
    p.add_argument("--out", type=Path, default=None, help="append JSON lines to this file")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.history:
        for key in bounded.HISTORY_SIZE:
            bounded.HISTORY_SIZE[key] = args.history

    def emit(record: dict[str, Any]) -> None:
        short = {k: v for k, v in record.items() if k != "total"}
        print(json.dumps(short), flush=True)
        if args.out:
            with args.out.open("a") as fh:
                fh.write(json.dumps(record) + "\n")

    if args.ttl:
        for size in args.sizes:
            base = baseline_losses(size, args.layers, args.baseline_evals)
            losses = base["losses"]
            best = min(range(len(losses)), key=losses.__getitem__)
            emit({"size": size, "program": "tutorial", "lowest": losses[best],
                  "evals_to_lowest": best + 1, "first": losses[0], "last": losses[-1],
                  "seconds": base["seconds"]})  # fmt: skip
            for name in args.optimizers:
                rec = evals_to_loss(size, args.layers, name, losses[best], args.max_evals)
                rec.update(size=size, tutorial_evals=best + 1, history=args.history)
                emit(rec)
    if args.plateau:
        for name in args.optimizers:
            emit(plateau_run(name, args.plateau_size, args.plateau_evals))


if __name__ == "__main__":
    main()
