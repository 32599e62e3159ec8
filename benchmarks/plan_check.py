"""Check ``nst-teach plan``'s predictions against measured stylize runs.

Measures this machine afresh (:func:`nst_teach.lab.plan.measure_machine`, ``refresh=True``),
then runs :func:`nst_teach.stylize` at each size (seeded random images and weights, the
network already built, as the prediction assumes) and prints the predicted and measured
seconds and peak memory (what the run adds to the process, its network's weights counted)
and their ratio. With ``--steps`` above 101 the L-BFGS history is full by the end.

    python benchmarks/plan_check.py                      # 128 and 256 px, 120 evaluations
    python benchmarks/plan_check.py --sizes 128,256 --steps 60 --layers paper,tutorial
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from nst_teach.lab import plan
from nst_teach.layers import (
    PAPER_CONTENT_LAYERS,
    PAPER_STYLE_LAYERS,
    TUTORIAL_CONTENT_LAYERS,
    TUTORIAL_STYLE_LAYERS,
)
from nst_teach.stylize import get_extractor, stylize

LAYER_SETS = {
    "paper": (PAPER_STYLE_LAYERS, PAPER_CONTENT_LAYERS),
    "tutorial": (TUTORIAL_STYLE_LAYERS, TUTORIAL_CONTENT_LAYERS),
}


def measured_run(
    size: int, steps: int, layers: str, device: torch.device, aspect: float
) -> tuple[float, float]:
    """Wall seconds of one stylize call and the peak memory it adds plus its weights (MiB)."""
    style_layers, content_layers = LAYER_SETS[layers]
    height, width = plan.image_shape(size, aspect)
    gen = torch.Generator().manual_seed(size)
    content = torch.rand(1, 3, height, width, generator=gen)
    style = torch.rand(1, 3, height, width, generator=gen)
    options = dict(size=size, weights="random", device=device, progress=False,
                   style_layers=style_layers, content_layers=content_layers)  # fmt: skip
    layer_names = tuple(dict.fromkeys([*style_layers, *content_layers]))
    get_extractor(layer_names, "random", "max", str(device), device.type == "cpu")  # kept
    with plan.peak_memory(device) as memory:
        start = time.perf_counter()
        stylize(content, style, steps=steps, **options)
        seconds = time.perf_counter() - start
    weights = plan.weight_bytes(layer_names) / plan.MIB
    return seconds, memory["mib"] + weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="128,256", help="longer sides (128,256)")
    parser.add_argument("--steps", type=int, default=120, help="evaluations per run (120)")
    parser.add_argument("--layers", default="paper", help="paper, tutorial or both (paper)")
    parser.add_argument("--aspect", type=float, default=1.0, help="width / height (1.0)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else None
    speed = plan.measure_machine(device=device, refresh=True)
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {os.getloadavg()[0]:.1f}")
    dev = torch.device(speed.device)
    runs = speed.measured["runs"]
    print(f"machine: {plan.machine_key(dev)}; {platform.machine()}")
    print(
        f"measured at {runs[0]['size']} and {runs[1]['size']} px: a = "
        f"{speed.eval_overhead_s * 1e3:.1f} ms, R = {speed.flops_per_s / 1e9:.1f} GFLOP/s, "
        f"s0 = {speed.setup_s:.2f} s, eta = {speed.history_s * 1e9:.2f} ns per pair and float, "
        f"c = {speed.base_mib:.1f} MiB, k = {speed.bytes_per_activation:.2f} bytes per value"
    )
    print(f"{'size':>9} {'layers':>8} {'evals':>5}  {'predicted s':>11} {'measured s':>10} "
          f"{'ratio':>5}  {'predicted MiB':>13} {'measured MiB':>12} {'ratio':>5}")  # fmt: skip
    for layers in args.layers.split(","):
        style_layers, content_layers = LAYER_SETS[layers]
        for size in (int(s) for s in args.sizes.split(",")):
            p = plan.predict(size, args.steps, style_layers=style_layers,
                             content_layers=content_layers, aspect=args.aspect, speed=speed)  # fmt: skip
            seconds, mib = measured_run(size, args.steps, layers, dev, args.aspect)
            print(
                f"{p.width:>4}x{p.height:<4} {layers:>8} {args.steps:>5}  {p.seconds:>11.2f} "
                f"{seconds:>10.2f} {p.seconds / seconds:>5.2f}  {p.peak_mib:>13.0f} "
                f"{mib:>12.0f} {p.peak_mib / mib:>5.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
