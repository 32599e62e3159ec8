"""The ``nst-teach`` command line: ``stylize``, ``demo``, ``doctor``, ``weights``,
``plan`` and ``references``.

Bad input ends with one line on stderr naming the input and the problem, and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .stylize import StyleResult

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like the rest of the command line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"nst-teach: error: {message} (see {self.prog} --help)\n")


#: torch's generators take seeds of 64 bits.
MAX_SEED = 2**64 - 1


def _seed(text: str) -> int:
    """``--seed``: an integer that torch's generator takes, 0 to 2**64 - 1.

    Examples:
        >>> _seed("7")
        7
        >>> _seed(str(2**64))
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: --seed must be an integer from 0 to 2**64 - 1, not 18446744073709551616
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be an integer, not {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"--seed must be an integer from 0 to 2**64 - 1, not {value}"
        )
    return value


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _floats(text: str) -> list[float]:
    try:
        return [float(part) for part in _names(text)]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected numbers separated by commas, got {text!r}"
        ) from exc


def build_parser() -> argparse.ArgumentParser:
    from .defaults import DEFAULT_ALPHA, DEFAULT_BETA
    from .layers import PAPER_CONTENT_LAYERS, PAPER_STYLE_LAYERS
    from .optimize import DEFAULT_OPTIMIZER, OPTIMIZERS
    from .samples import SAMPLE_NAMES

    parser = _Parser(
        prog="nst-teach",
        description="Neural style transfer as Gatys, Ecker and Bethge wrote it, for learning.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    st = sub.add_parser("stylize", help="paint CONTENT in the style of STYLE")
    st.add_argument(
        "content", help=f"content image: a file or a sample ({', '.join(SAMPLE_NAMES)})"
    )
    st.add_argument("style", help="style image: a file or a sample name")
    st.add_argument("-o", "--output", required=True, help="where to write the result (.png, .jpg)")
    st.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    st.add_argument("--size", type=int, default=256, help="longer side in pixels (256)")
    st.add_argument("--steps", type=int, default=300, help="objective evaluations (300)")
    st.add_argument("--alpha", type=float, default=DEFAULT_ALPHA, help="content weight")
    st.add_argument(
        "--beta",
        type=float,
        default=None,
        help=f"style weight ({DEFAULT_BETA:g} with trained weights; calibrated with random ones)",
    )
    st.add_argument(
        "--style-layers",
        type=_names,
        default=list(PAPER_STYLE_LAYERS),
        help=f"comma-separated ({','.join(PAPER_STYLE_LAYERS)}: the paper's)",
    )
    st.add_argument(
        "--content-layers",
        type=_names,
        default=list(PAPER_CONTENT_LAYERS),
        help=f"comma-separated ({','.join(PAPER_CONTENT_LAYERS)})",
    )
    st.add_argument("--layer-weights", type=_floats, default=None, help="w_l per style layer")
    st.add_argument("--init", choices=["content", "noise", "style"], default="content")
    st.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default=DEFAULT_OPTIMIZER,
        help=f"default {DEFAULT_OPTIMIZER}; lbfgs clips after each step, lbfgsb (scipy), "
        "projected-lbfgs and sigmoid-lbfgs keep the pixels in [0, 1] by construction",
    )
    st.add_argument("--lr", type=float, default=None, help="step size (optimizer's default)")
    st.add_argument("--tv-weight", type=float, default=0.0, help="total-variation weight")
    st.add_argument("--weights", default="imagenet", help="imagenet, random, or a .pth file")
    st.add_argument("--pooling", choices=["max", "avg"], default="max")
    st.add_argument("--seed", type=_seed, default=0, help="0 to 2**64 - 1")
    st.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    st.add_argument("--json", action="store_true", help="print one JSON line of results")
    st.add_argument("--quiet", action="store_true", help="no progress bar")

    demo = sub.add_parser("demo", help="stylise the built-in sample images, offline")
    demo.add_argument("-o", "--output", default=None, help="output file (a new name by default)")
    demo.add_argument("--size", type=int, default=128)
    demo.add_argument("--steps", type=int, default=50)
    demo.add_argument("--content", default="astronaut")
    demo.add_argument("--style", default="starry_night")
    demo.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    demo.add_argument("--quiet", action="store_true")

    sub.add_parser("doctor", help="versions, device and where the VGG-19 weights belong")

    wt = sub.add_parser("weights", help="where the ImageNet VGG-19 weights are; --download them")
    wt.add_argument(
        "--download", action="store_true", help="fetch (once, with progress) and verify them"
    )
    wt.add_argument("--force", action="store_true", help="download again even if verified")

    pl = sub.add_parser(
        "plan", help="predicted seconds and peak memory of a run; the largest size in a budget"
    )
    pl.add_argument("--size", type=int, default=None, help="longer side in pixels (256); "
                    "with a budget, the largest size considered (4096)")  # fmt: skip
    pl.add_argument("--steps", type=int, default=300, help="objective evaluations (300)")
    pl.add_argument("--budget-seconds", type=float, default=None, help="time budget in seconds")
    pl.add_argument("--budget-mib", type=float, default=None, help="memory budget in MiB")
    pl.add_argument("--aspect", type=float, default=1.0, help="width / height (1.0)")
    pl.add_argument(
        "--style-layers", type=_names, default=list(PAPER_STYLE_LAYERS), help="comma-separated"
    )
    pl.add_argument(
        "--content-layers", type=_names, default=list(PAPER_CONTENT_LAYERS), help="comma-separated"
    )
    pl.add_argument("--optimizer", choices=OPTIMIZERS, default=DEFAULT_OPTIMIZER)
    pl.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    pl.add_argument("--refresh", action="store_true", help="measure this machine again")
    pl.add_argument("--json", action="store_true", help="print one JSON line")

    ref = sub.add_parser(
        "references", help="the lessons' reference runs: list, --verify or --make them"
    )
    ref.add_argument("--json", action="store_true", help="one JSON object per reference")
    ref.add_argument("--verify", action="store_true", help="re-run the first evaluations of each")
    ref.add_argument("--evals", type=int, default=5, help="evaluations --verify re-runs")
    ref.add_argument("--make", action="store_true", help="make the missing ones (long; resumable)")
    ref.add_argument("--weights", choices=("random", "imagenet"), default="random")
    ref.add_argument("--only", default=None, help="names or prefixes, separated by commas")
    ref.add_argument("--out", default=None, help="the folder (default: where the set belongs)")
    ref.add_argument("--force", action="store_true", help="--make: make again those made")
    ref.add_argument(
        "--tiny",
        action="store_true",
        help="--make: 32 px, a few evaluations (checks the machinery)",
    )
    return parser


def _unique_path(stem: str, suffix: str = ".png") -> Path:
    path = Path(f"{stem}{suffix}")
    n = 1
    while path.exists():
        path = Path(f"{stem}-{n}{suffix}")
        n += 1
    return path


class OptionError(ValueError):
    """A command-line option's value is invalid (the message names the option)."""


def _check_option(
    option: str, value: object, check: Callable[..., object], *check_args: object
) -> None:
    """Run ``check(*check_args)``; a ``ValueError`` it raises becomes one naming ``option``
    and ``value``."""
    try:
        check(*check_args)
    except ValueError as exc:
        raise OptionError(f"{option} {value}: {exc}") from None


def _check_stylize_options(args: argparse.Namespace) -> None:
    """Every option checked before any file is read or any work is done."""
    from .device import pick_device
    from .layers import validate_layers
    from .objective import check_weight, resolve_layer_weights
    from .optimize import OPTIMIZERS, check_steps
    from .stylize import check_size

    _check_option("--size", args.size, check_size, args.size)
    _check_option("--steps", args.steps, check_steps, args.steps)
    for option in ("alpha", "beta", "tv_weight"):
        value = getattr(args, option)
        if value is None:  # --beta's default: chosen by stylize
            continue
        _check_option(f"--{option.replace('_', '-')}", value, check_weight, option, value)
    if args.lr is not None:
        _check_option("--lr", args.lr, _positive, "lr", args.lr)
    for option, names, what in (
        ("--style-layers", args.style_layers, "style layer"),
        ("--content-layers", args.content_layers, "content layer"),
    ):
        _check_option(option, repr(",".join(names)), validate_layers, names, what)
    if args.layer_weights is not None:
        shown = ",".join(map(str, args.layer_weights))
        _check_option(
            "--layer-weights", shown, resolve_layer_weights, args.style_layers, args.layer_weights
        )
    assert args.optimizer in OPTIMIZERS
    _check_option("--device", repr(args.device), pick_device, args.device)


def _positive(name: str, value: float) -> float:
    from .objective import check_weight

    if check_weight(name, value) == 0:
        raise ValueError(f"{name} must be greater than 0")
    return value


def _inputs(*specs: str) -> list[str]:
    """The arguments that name existing files (not sample names)."""
    return [spec for spec in specs if Path(spec).exists()]


def _stylize_and_save(
    output: Path,
    content: str,
    style: str,
    quiet_warnings: bool,
    overwrite: bool = False,
    next_name: Callable[[], Path] | None = None,
    **options: object,
) -> tuple[StyleResult, Path]:
    """Run :func:`stylize`, pass its warnings on (one line each), save the image atomically;
    return the result and where it went.

    Without ``overwrite`` an output file that appeared during the run is not replaced: the
    save fails (:class:`~nst_teach.images.OutputExistsError`), or, for a name the command
    chose itself (``next_name``), the image goes to the next free name, so that two runs at
    once keep both pictures. A loss that is not finite at the first evaluation raises
    (nothing is saved); one that turns non-finite later keeps the last finite image, which
    is saved, and the caller reports the error.
    """
    from .images import OutputExistsError, save_image
    from .optimize import NonFiniteLossWarning
    from .stylize import stylize

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = stylize(content, style, **options)  # type: ignore[arg-type]
    for w in caught:
        if issubclass(w.category, NonFiniteLossWarning):
            continue  # reported as the error, after saving
        if not quiet_warnings:
            print(f"nst-teach: warning: {w.message}", file=sys.stderr)
    while True:
        try:
            save_image(result.image, output, overwrite=overwrite)
            return result, output
        except OutputExistsError:
            if next_name is None:
                raise
            output = next_name()


def _non_finite_exit(result: StyleResult, output: Path) -> int:
    print(
        f"nst-teach: error: {result.stopped_early}; kept the last finite image in {output}",
        file=sys.stderr,
    )
    return EXIT_BAD_INPUT


def _run_stylize(args: argparse.Namespace) -> int:
    from .images import check_output_path
    from .optimize import STOP_NON_FINITE

    _check_stylize_options(args)
    output = check_output_path(
        args.output, overwrite=args.force, inputs=_inputs(args.content, args.style)
    )
    result, output = _stylize_and_save(
        output,
        args.content,
        args.style,
        quiet_warnings=False,
        overwrite=args.force,
        size=args.size,
        steps=args.steps,
        alpha=args.alpha,
        beta=args.beta,
        style_layers=args.style_layers,
        content_layers=args.content_layers,
        layer_weights=args.layer_weights,
        init=args.init,
        optimizer=args.optimizer,
        lr=args.lr,
        tv_weight=args.tv_weight,
        weights=args.weights,
        pooling=args.pooling,
        seed=args.seed,
        device=args.device,
        progress=not (args.quiet or args.json),
    )
    if args.json:
        print(
            json.dumps(
                {
                    "evals": result.evals,
                    "seconds": round(result.seconds, 4),
                    "seconds_per_eval": round(result.seconds_per_eval, 5),
                    "start_losses": {k: v[0] for k, v in result.history.items() if v},
                    "losses": result.losses,
                    "beta": result.settings.get("beta"),
                    "output": str(output),
                    "weights": result.weights,
                }
            )
        )
    if result.stop_reason == STOP_NON_FINITE:
        return _non_finite_exit(result, output)
    if not args.json:
        print(
            f"wrote {output} ({result.evals} evaluations, {result.seconds:.1f} s, "
            f"{result.seconds_per_eval:.3f} s per evaluation; weights: {result.weights})"
        )
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from .images import check_output_path
    from .optimize import STOP_NON_FINITE, check_steps
    from .stylize import check_size

    _check_option("--size", args.size, check_size, args.size)
    _check_option("--steps", args.steps, check_steps, args.steps)
    output = check_output_path(
        args.output or _unique_path("nst_teach_demo"),
        overwrite=args.force,
        inputs=_inputs(args.content, args.style),
    )
    result, output = _stylize_and_save(
        output,
        args.content,
        args.style,
        quiet_warnings=False,
        overwrite=args.force,
        next_name=None if args.output else lambda: _unique_path("nst_teach_demo"),
        size=args.size,
        steps=args.steps,
        progress=not args.quiet,
    )
    if result.stop_reason == STOP_NON_FINITE:
        return _non_finite_exit(result, output)
    print(
        f"wrote {output.resolve()}: {args.content!r} in the style of {args.style!r}, "
        f"{result.evals} evaluations in {result.seconds:.1f} s (weights: {result.weights})"
    )
    return 0


def doctor_report() -> dict[str, str]:
    """Versions, the device found, and whether the ImageNet weights are cached (and where)."""
    import torch

    from .device import pick_device
    from .machine import reuse_freed_memory
    from .weights import imagenet_weights_cached, imagenet_weights_path

    try:
        import torchvision

        tv_version = torchvision.__version__
    except Exception as exc:  # torchvision missing or broken: say so
        tv_version = f"not importable ({type(exc).__name__}: {exc})"
    from . import __version__

    with reuse_freed_memory() as reused:
        pass
    return {
        "nst-teach": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": tv_version,
        "device": str(pick_device()),
        "cpu threads": str(torch.get_num_threads()),
        "cpu vector instructions": torch.backends.cpu.get_cpu_capability(),
        "reuse freed memory": "yes (glibc's mmap threshold raised for the loop)"
        if reused
        else "no",
        "imagenet weights cached": "yes" if imagenet_weights_cached() else "no",
        "imagenet weights path": str(imagenet_weights_path()),
    }


def _run_doctor(_args: argparse.Namespace) -> int:
    report = doctor_report()
    width = max(map(len, report))
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")
    if report["imagenet weights cached"] == "no":
        print(
            "\nWithout the ImageNet weights nst-teach uses random ones (results differ from "
            "the paper's). Connect to the internet once and run any command, or copy "
            f"vgg19-dcbb9e9d.pth to {report['imagenet weights path']}."
        )
    return 0


def _run_weights(args: argparse.Namespace) -> int:
    """Where the weights belong; with ``--download`` fetch and verify them (TORCH_HOME aware)."""
    from .weights import download_imagenet_weights, imagenet_weights_path, verify_weights_file

    if args.download:
        path, what = download_imagenet_weights(progress=True, force=args.force)
        print(f"{what}: {path} (SHA-256 matches its name)")
        return 0
    path = imagenet_weights_path()
    if not path.is_file():
        print(f"missing: {path} (fetch it with: nst-teach weights --download)")
        return 1
    if not verify_weights_file(path):
        print(f"damaged: {path} (SHA-256 does not match; nst-teach weights --download --force)")
        return 1
    print(f"verified: {path}")
    return 0


def _run_plan(args: argparse.Namespace) -> int:
    """Check every option (before measuring), then predict, or search the budget."""
    from .device import pick_device
    from .lab import plan
    from .layers import validate_layers
    from .optimize import check_steps
    from .stylize import MAX_SIZE

    budget = args.budget_seconds is not None or args.budget_mib is not None
    size = args.size if args.size is not None else (MAX_SIZE if budget else 256)
    _check_option("--steps", args.steps, check_steps, args.steps)
    for option, value in (("--budget-seconds", args.budget_seconds),
                          ("--budget-mib", args.budget_mib)):  # fmt: skip
        if value is not None:
            _check_option(option, value, plan.check_budget, "the budget", value)
    _check_option("--aspect", args.aspect, plan.image_shape, 256, args.aspect)
    for option, names, what in (
        ("--style-layers", args.style_layers, "style layer"),
        ("--content-layers", args.content_layers, "content layer"),
    ):
        _check_option(option, repr(",".join(names)), validate_layers, names, what)
    layers = [*args.style_layers, *args.content_layers]
    _check_option("--size", size, plan.check_plan_size, size, args.aspect, layers)
    _check_option("--device", repr(args.device), pick_device, args.device)
    speed = plan.measure_machine(
        device=args.device,
        refresh=args.refresh,
        log=lambda message: print(f"nst-teach: {message}", file=sys.stderr),
    )
    options = dict(
        style_layers=args.style_layers,
        content_layers=args.content_layers,
        optimizer=args.optimizer,
        aspect=args.aspect,
        speed=speed,
    )
    if budget:
        result = plan.largest_size(
            args.budget_seconds, args.budget_mib, args.steps, maximum=size, **options
        )
    else:
        result = plan.predict(size, args.steps, **options)
    if args.json:
        report: dict[str, object] = {
            "seconds": round(result.seconds, 2),
            "peak_mib": round(result.peak_mib, 1),
        }
        if budget:
            report["size"] = result.size
        report.update(
            evals=result.evals,
            seconds_per_eval=round(result.seconds_per_eval, 4),
            height=result.height,
            width=result.width,
            device=result.device,
        )
        print(json.dumps(report))
        return 0
    limits = [f"{args.budget_seconds:g} s" if args.budget_seconds is not None else "",
              f"{args.budget_mib:g} MiB" if args.budget_mib is not None else ""]  # fmt: skip
    head = f"largest size within {' and '.join(x for x in limits if x)}: " if budget else ""
    print(
        f"{head}{result.width}x{result.height} px, {result.evals} evaluations ({args.optimizer}) "
        f"on {result.device}: about {result.seconds:.0f} s ({result.seconds_per_eval:.3f} s per "
        f"evaluation), peak memory about {result.peak_mib:.0f} MiB"
    )
    return 0


def _tiny(spec):  # type: ignore[no-untyped-def]
    import dataclasses

    kwargs = {**spec.kwargs, "size": 32, "steps": 12}
    return dataclasses.replace(spec, kwargs=kwargs, frames=(2, 5), window=3, min_evals=6)


def _run_references(args: argparse.Namespace) -> int:
    """List, verify or make the reference runs (:mod:`nst_teach.lab.references`)."""
    from .lab import references as refs

    if args.evals < 1:
        raise ValueError(f"--evals must be at least 1, got {args.evals}")
    folder = Path(args.out) if args.out else refs.reference_dir(args.weights)
    if args.make:
        specs = refs.catalogue(args.weights)
        if args.only:
            prefixes = _names(args.only)
            specs = [s for s in specs if any(s.name.startswith(p) for p in prefixes)]
            if not specs:
                raise ValueError(f"--only {args.only!r} names no reference")
        if args.tiny:
            if not args.out:
                raise ValueError("--tiny writes test references: give --out DIR")
            specs = [_tiny(s) for s in specs]
        if args.weights == "imagenet":
            from .weights import imagenet_weights_path, verify_weights_file

            path = imagenet_weights_path()
            if not (path.is_file() and verify_weights_file(path)):
                raise ValueError(
                    f"ImageNet weights not found at {path}: fetch them with "
                    "nst-teach weights --download"
                )
        folder.mkdir(parents=True, exist_ok=True)
        refs.make_references(specs, folder, weights=args.weights, force=args.force)
        return 0
    if args.verify:
        problems = refs.verify(folder, evals=args.evals)
        for line in problems:
            print(f"nst-teach: references: {line}", file=sys.stderr)
        if problems:
            return EXIT_BAD_INPUT
        print(f"{len(refs.list_references(folder))} references reproduce their first losses")
        return 0
    records = refs.list_references(folder)
    for r in records:
        if args.json:
            r = {**r, "frames": [f["path"] for f in r["frames"]]}
            print(json.dumps(r, sort_keys=True))
        else:
            h, w = r["shape"]
            print(
                f"{r['name']:28s} lesson {r['lesson']:6s} {w}x{h} px  {r['evals']:4d} evals "
                f"(plateau {r['plateau_eval']:4d})  {r['seconds']:7.1f} s  {r['weights']}"
            )
    if not args.json:
        made = {r["name"] for r in records}
        missing = [s.name for s in refs.catalogue() if s.name not in made]
        print(f"{len(records)} references in {folder}; {len(missing)} not made yet")
    return 0


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into ``KeyboardInterrupt`` while a command runs (in the main thread),
    so that a download or a save being written removes its temporary file, as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, OSError):  # no signals here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nst-teach``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed in one line
        return int(exc.code or 0)
    handlers = {
        "stylize": _run_stylize,
        "demo": _run_demo,
        "doctor": _run_doctor,
        "weights": _run_weights,
        "plan": _run_plan,
        "references": _run_references,
    }
    try:
        with _terminate_as_interrupt():
            return handlers[args.command](args)
    except (ValueError, OSError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the exception's text
        print(f"nst-teach: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("nst-teach: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = [
    "EXIT_BAD_INPUT",
    "OptionError",
    "build_parser",
    "doctor_report",
    "main",
]
