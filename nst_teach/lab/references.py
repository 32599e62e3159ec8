r"""Reference runs: the lessons' long optimisations, made once at full quality and shipped.

A live cell in a lesson must finish in about a minute on a laptop CPU, so its picture is small
and stops early. Beside it the lesson shows a **reference**: the same computation at a long
side of at least 256 pixels (192 for a tile of the Fig. 3 grid), run until the total loss
*plateaus*: the run stops at the first evaluation :math:`n \ge n_\min` with

.. math::

    \mathcal{L}_{n - w} - \mathcal{L}_n \le \tau\, \mathcal{L}_n + \epsilon\, \mathcal{L}_1
    \qquad (w = 50,\ \tau = 1\%,\ \epsilon = 10^{-4}),

that is, once the last :math:`w` evaluations gained less than 1% (or, for a loss that goes to
zero such as a content reconstruction's, less than :math:`10^{-4}` of the first loss), or at
the cap ``steps``; ``plateau_eval`` is then the first evaluation from which the loss stays
within 1% of its final value.

Each reference records the function that made it (a dotted path) and its exact keyword
arguments, so that calling it again with fewer ``steps`` reproduces the first losses
(:func:`verify` does that), with the seed, the weights, the code version, the evaluations,
the seconds, the device, the whole loss history, and JPEG frames at a few evaluations (a
flipbook) and at the end.

The shipped references (``nst_teach/data/references/random``) were made with the seeded
random VGG-19 weights that run everywhere without a download; ``make references
WEIGHTS=imagenet`` makes ImageNet ones in the user's cache (``<torch.hub dir>/nst_teach/
references/imagenet``, or ``$NST_TEACH_CACHE_DIR/references/imagenet``), and
:func:`load_reference` picks the set that matches the weights in use.

Examples:
    >>> import tempfile
    >>> spec = ReferenceSpec("tiny", "00", "nst_teach.synthesis.reconstruct", "a test",
    ...     {"image": "hopper", "layer": "relu1_2", "size": 32, "steps": 8, "seed": 0},
    ...     frames=(2, 4), window=3, min_evals=5)
    >>> folder = tempfile.mkdtemp()
    >>> record = make_reference(spec, folder, weights="random", progress=False)
    >>> record["evals"] <= 8, [f["eval"] for f in record["frames"]][:2]
    (True, [2, 4])
    >>> verify(folder, evals=3, names=["tiny"])
    []
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import Tensor

from ..images import tensor_to_image

__all__ = [
    "REFERENCE_KINDS",
    "SHIPPED_DIR",
    "Reference",
    "ReferenceSpec",
    "catalogue",
    "group_images",
    "list_references",
    "load_group",
    "load_reference",
    "make_reference",
    "make_references",
    "plateau_eval",
    "reference_dir",
    "verify",
]

#: The folder of the shipped (random-weight) references.
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "data" / "references" / "random"
#: The kinds of weights a reference set can be made with.
REFERENCE_KINDS = ("random", "imagenet")
#: Bump when what a record holds changes.
RECORD_VERSION = 1
#: The frames of every flipbook (and the last evaluation).
DEFAULT_FRAMES = (5, 20, 50, 100, 200)
_JPEG_QUALITY = 88


@dataclass(frozen=True)
class ReferenceSpec:
    """What one reference computes: ``function(**kwargs)`` with a plateau rule.

    Attributes:
        name: a file-safe name, e.g. ``"06-fig3-relu3_1-1e+02"``.
        lesson: the lesson it belongs to (``"06"``).
        function: the dotted path of the function that makes it.
        title: one line saying what it shows.
        kwargs: the function's keyword arguments (JSON values; ``steps`` is the cap).
        frames: the evaluations at which a frame is kept.
        window, tolerance, min_evals, floor: the plateau rule (the module's docstring).
    """

    name: str
    lesson: str
    function: str
    title: str
    kwargs: Mapping[str, Any]
    frames: Sequence[int] = DEFAULT_FRAMES
    window: int = 50
    tolerance: float = 0.01
    min_evals: int = 100
    floor: float = 1e-4
    group: str = ""
    labels: Mapping[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A short hash of what determines the result (function, arguments, rule)."""
        text = json.dumps(
            [self.function, dict(self.kwargs), self.window, self.tolerance, self.min_evals]
            + ([self.floor] if self.floor != 1e-4 else []),
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _sci(x: float) -> str:
    return f"{x:.0e}".replace("e+0", "e+").replace("e-0", "e-")


def catalogue(weights: str = "random") -> list[ReferenceSpec]:
    """Every reference the lessons show, in the order ``make references`` makes them.

    The Fig. 3 grid's columns depend on the weights: with random weights the calibrated style
    weight ``beta_relative`` (the layers balanced at the start, lesson 04), with ImageNet
    weights the paper's :math:`\\alpha/\\beta` with :math:`w_l = 1/5`.
    """
    specs: list[ReferenceSpec] = []
    style5 = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
    transfer = {"content": "astronaut", "style": "starry_night", "seed": 0}
    # 06: arXiv 1508.06576, Fig. 3: rows the deepest style layer, columns the style weight,
    # average pooling as in the paper's figures.
    if weights == "imagenet":
        columns = [(r, {"alpha": 1.0, "beta": 1.0 / r}, f"alpha/beta = {r:g}") for r in
                   (1e-8, 1e-7, 1e-6, 1e-5)]  # fmt: skip
    else:
        columns = [(r, {"beta_relative": r}, f"beta_rel = {r:g}") for r in (1e0, 1e1, 1e2, 1e3)]
    for k in range(1, 6):
        for col, col_kw, words in columns:
            kw = {**transfer, "size": 192, "steps": 400, "pooling": "avg", **col_kw}
            kw["style_layers"] = style5[:k]
            specs.append(
                ReferenceSpec(
                    f"06-fig3-{style5[k - 1]}-{_sci(col)}",
                    "06",
                    "nst_teach.stylize.stylize",
                    f"Fig. 3 tile: style layers up to {style5[k - 1]}, {words}",
                    kw,
                    group="06-fig3",
                    labels={"row": style5[k - 1], "col": col},
                )
            )
    # 07: total variation
    for lam in (0.0, 0.01, 0.03, 0.1):
        specs.append(
            ReferenceSpec(
                f"07-tv-{lam:g}",
                "07",
                "nst_teach.stylize.stylize",
                f"style transfer with lambda_TV = {lam:g}",
                {**transfer, "size": 256, "steps": 500, "tv_weight": lam},
                group="07-tv",
                labels={"tv_weight": lam},
            )
        )
    # 04: textures from white noise, growing layer sets
    for k in range(1, 6):
        specs.append(
            ReferenceSpec(
                f"04-texture-{style5[k - 1]}",
                "04",
                "nst_teach.synthesis.synthesize_texture",
                f"texture of The Starry Night, layers relu1_1 ... {style5[k - 1]}",
                {"source": "starry_night", "layers": style5[:k], "size": 256, "steps": 500},
                group="04-textures",
                labels={"deepest": style5[k - 1]},
            )
        )
    # 02: content reconstructions from white noise
    for layer in ("relu1_2", "relu2_2", "relu3_2", "relu4_2", "relu5_2"):
        specs.append(
            ReferenceSpec(
                f"02-reconstruction-{layer}",
                "02",
                "nst_teach.synthesis.reconstruct",
                f"content reconstruction of hopper from {layer}",
                {"image": "hopper", "layer": layer, "size": 256, "steps": 500},
                group="02-reconstructions",
                labels={"layer": layer},
            )
        )
    # 06: starting from white noise (the photo's start is readme-hero's run)
    for seed in (0, 1):
        specs.append(
            ReferenceSpec(
                f"06-start-noise-{seed}",
                "06",
                "nst_teach.stylize.stylize",
                f"style transfer from white noise, seed {seed}",
                {**transfer, "size": 256, "steps": 500, "init": "noise", "seed": seed},
                group="06-starts",
                labels={"seed": seed},
            )
        )
    # 07: coarse-to-fine (the single-scale run is readme-hero's); the rule waits for the fine scale
    specs.append(
        ReferenceSpec(
            "07-coarse-to-fine",
            "07",
            "nst_teach.stylize.stylize",
            "coarse-to-fine: half size, then full size",
            {**transfer, "size": 256, "steps": 600, "scales": [0.5, 1.0]},
            min_evals=300,
        )
    )
    specs.append(
        ReferenceSpec(
            "readme-hero",
            "README",
            "nst_teach.stylize.stylize",
            "the README's picture: astronaut in the style of The Starry Night",
            {**transfer, "size": 256, "steps": 500},
        )
    )
    return specs


def reference_dir(weights: str = "random") -> Path:
    """Where the references of ``weights`` live: the package's (random) or the user's."""
    if weights not in REFERENCE_KINDS:
        raise ValueError(f"weights must be one of {', '.join(REFERENCE_KINDS)}, got {weights!r}")
    if weights == "random":
        return SHIPPED_DIR
    env = os.environ.get("NST_TEACH_CACHE_DIR", "").strip()
    base = Path(env) if env else Path(torch.hub.get_dir()) / "nst_teach"
    return base / "references" / weights


def plateau_eval(losses: Sequence[float], tolerance: float = 0.01, floor: float = 0.0) -> int:
    """The first evaluation (from 1) from which every loss is within ``tolerance`` of the last
    (relative), or within ``floor`` times the first loss.

    Examples:
        >>> plateau_eval([10.0, 5.0, 2.0, 1.009, 1.005, 1.0])
        4
    """
    final = losses[-1]
    k = len(losses)
    slack = tolerance * abs(final) + floor * abs(losses[0])
    while k > 1 and abs(losses[k - 2] - final) <= slack:
        k -= 1
    return k


class _Recorder:
    """The callback of a reference run: keeps frames and stops at the plateau."""

    def __init__(self, spec: ReferenceSpec, bar: Any = None) -> None:
        self.spec = spec
        self.totals: list[tuple[int, float]] = []
        self.frames: dict[int, Tensor] = {}
        self.last: tuple[int, Tensor] | None = None
        self.bar = bar

    def __call__(self, evals: int, image: Tensor, losses: Mapping[str, float]) -> bool:
        total = float(losses["total"])
        self.totals.append((evals, total))
        for f in self.spec.frames:
            if f not in self.frames and evals >= f:
                self.frames[f] = image.detach().cpu().clone()
        if self.bar is not None:
            self.bar.set_postfix_str(f"eval {evals}, loss {total:.4g}", refresh=False)
            self.bar.update(evals - self.bar.n)
        return self._plateau(evals, total)

    def _plateau(self, evals: int, total: float) -> bool:
        if evals < self.spec.min_evals:
            return False
        before = [t for e, t in self.totals if e <= evals - self.spec.window]
        floor = self.spec.floor * self.totals[0][1]
        return bool(before) and before[-1] - total <= self.spec.tolerance * total + floor


def _function(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    if not module.startswith("nst_teach"):
        raise ValueError(f"a reference's function must be nst_teach's, got {path!r}")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0:
            return out.stdout.strip() or None
    return None


def _save_jpeg(image: Tensor, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tensor_to_image(image).save(tmp, format="JPEG", quality=_JPEG_QUALITY, optimize=True)
    os.replace(tmp, path)


def _write_json(data: object, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _rounded(history: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    return {k: [float(f"{v:.7g}") for v in vs] for k, vs in history.items()}


def make_reference(
    spec: ReferenceSpec,
    out_dir: str | os.PathLike[str],
    *,
    weights: str = "random",
    progress: bool = True,
) -> dict[str, Any]:
    """Run ``spec`` with ``weights`` and write its record and frames into ``out_dir/name``."""
    fn = _function(spec.function)
    folder = Path(out_dir) / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(spec.kwargs["steps"]), desc=spec.name, leave=False)
    recorder = _Recorder(spec, bar)
    kwargs = {**spec.kwargs, "weights": weights}
    try:
        result = fn(**kwargs, callback=recorder, progress=False)
    finally:
        if bar is not None:
            bar.close()
    frames = []
    for f in sorted(recorder.frames):
        if f < result.evals:
            _save_jpeg(recorder.frames[f], folder / f"frame-{f:04d}.jpg")
            frames.append({"eval": f, "file": f"{spec.name}/frame-{f:04d}.jpg"})
    _save_jpeg(result.image, folder / "final.jpg")
    frames.append({"eval": result.evals, "file": f"{spec.name}/final.jpg"})
    totals = result.history["total"]
    h, w = result.image.shape[-2:]
    record = {
        "version": RECORD_VERSION,
        "name": spec.name,
        "lesson": spec.lesson,
        "title": spec.title,
        "group": spec.group,
        "labels": dict(spec.labels),
        "function": spec.function,
        "kwargs": kwargs,
        "fingerprint": spec.fingerprint(),
        "rule": {
            "window": spec.window,
            "tolerance": spec.tolerance,
            "floor": spec.floor,
            "min_evals": spec.min_evals,
        },
        "seed": kwargs.get("seed", 0),
        "weights": weights,
        "weights_source": result.weights,
        "long_side": int(max(h, w)),
        "shape": [int(h), int(w)],
        "evals": int(result.evals),
        "plateau_eval": plateau_eval(totals, spec.tolerance, spec.floor),
        "plateaued": result.evals < int(spec.kwargs["steps"]),
        "seconds": round(float(result.seconds), 2),
        "device": str(result.settings.get("device", "cpu")),
        "machine": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "code": {"nst_teach": _package_version(), "commit": _commit()},
        "settings": _jsonable(result.settings),
        "losses": _rounded(result.history),
        "frames": frames,
        "made": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _write_json(record, folder / "record.json")
    write_manifest(out_dir)
    return record


def _package_version() -> str:
    from .. import __version__

    return __version__


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _records(folder: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(folder.glob("*/record.json")):
        with contextlib.suppress(OSError, ValueError):
            records.append(json.loads(path.read_text()))
    return records


def write_manifest(out_dir: str | os.PathLike[str]) -> Path:
    """Rewrite ``out_dir/manifest.json``: every record's name, lesson, sizes and files."""
    folder = Path(out_dir)
    keys = ("name", "lesson", "title", "group", "function", "long_side", "evals")
    keys += ("plateau_eval", "seconds", "weights", "fingerprint")
    entries = []
    for r in _records(folder):
        entry = {k: r.get(k) for k in keys}
        entry["files"] = [f["file"] for f in r.get("frames", [])]
        entries.append(entry)
    path = folder / "manifest.json"
    _write_json({"version": RECORD_VERSION, "references": entries}, path)
    return path


def list_references(folder: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """The full records of a reference set (default: the shipped one), with frame paths."""
    base = Path(folder) if folder is not None else SHIPPED_DIR
    records = _records(base) if base.is_dir() else []
    for r in records:
        for f in r["frames"]:
            f["path"] = str(base / f["file"])
    return records


@dataclass
class Reference:
    """A reference loaded for display: its record, frames and which set it came from."""

    record: dict[str, Any]
    folder: Path

    @property
    def name(self) -> str:
        return str(self.record["name"])

    @property
    def weights(self) -> str:
        return str(self.record["weights"])

    def frames(self) -> list[tuple[int, Tensor]]:
        """``[(evaluation, image (1, 3, H, W))]``, the last one the final image."""
        out = []
        for f in self.record["frames"]:
            with Image.open(self.folder / f["file"]) as im:
                arr = torch.frombuffer(bytearray(im.convert("RGB").tobytes()), dtype=torch.uint8)
                h, w = im.height, im.width
            out.append((int(f["eval"]), arr.view(h, w, 3).permute(2, 0, 1)[None].float() / 255))
        return out

    @property
    def image(self) -> Tensor:
        return self.frames()[-1][1]

    def caption(self) -> str:
        """Size, evaluations and weights, in words."""
        r = self.record
        h, w = r["shape"]
        return (
            f"reference: {w}x{h} px, {r['evals']} evaluations (within 1% of the final loss "
            f"from {r['plateau_eval']}), {r['weights']} weights"
        )


def load_reference(name: str, weights: str | None = None) -> Reference:
    """The reference ``name`` that matches ``weights`` (``"imagenet"`` or ``"random"``).

    With ImageNet weights in use and an ImageNet reference made (``make references
    WEIGHTS=imagenet``) that one is returned; otherwise the shipped random-weight one.
    """
    kinds = ["imagenet", "random"] if weights == "imagenet" else ["random"]
    for kind in kinds:
        folder = reference_dir(kind)
        path = folder / name / "record.json"
        if path.is_file():
            return Reference(json.loads(path.read_text()), folder)
    known = ", ".join(r["name"] for r in _records(SHIPPED_DIR)) or "none"
    raise KeyError(f"no reference named {name!r} (made so far: {known})")


def load_group(group: str, weights: str | None = None) -> list[Reference]:
    """Every reference of ``group`` (e.g. ``"06-fig3"``) that has been made, in the
    catalogue's order, each the one matching ``weights`` (see :func:`load_reference`)."""
    names = [s.name for s in catalogue() if s.group == group]
    if not names:
        raise KeyError(f"no reference group {group!r}")
    out = []
    for name in names:
        with contextlib.suppress(KeyError):
            out.append(load_reference(name, weights))
    return out


def group_images(group: str, weights: str | None = None) -> dict[Any, Tensor]:
    """The final images of a group, keyed by their labels: ``(row, col)`` for the Fig. 3
    grid, the one label's value otherwise (e.g. ``lambda_TV`` for ``"07-tv"``)."""
    out: dict[Any, Tensor] = {}
    for ref in load_group(group, weights):
        labels = ref.record.get("labels", {})
        if "row" in labels and "col" in labels:  # a grid (records keep their keys sorted)
            out[(labels["row"], labels["col"])] = ref.image
        else:
            (value,) = labels.values()
            out[value] = ref.image
    return out


def _pending(
    specs: Iterable[ReferenceSpec], folder: Path, weights: str, force: bool
) -> list[ReferenceSpec]:
    done = {r["name"]: r for r in _records(folder)} if folder.is_dir() else {}
    todo = []
    for spec in specs:
        r = done.get(spec.name)
        if (
            force
            or r is None
            or r.get("fingerprint") != spec.fingerprint()
            or r.get("weights") != weights
        ):
            todo.append(spec)
    return todo


def make_references(
    specs: Sequence[ReferenceSpec],
    out_dir: str | os.PathLike[str],
    *,
    weights: str = "random",
    force: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Make every reference of ``specs`` not yet in ``out_dir`` (resumable: each is written
    when done, and one whose spec is unchanged is skipped)."""
    folder = Path(out_dir)
    todo = _pending(specs, folder, weights, force)
    log(f"{len(specs) - len(todo)} of {len(specs)} references already made; {len(todo)} to make")
    made = []
    for i, spec in enumerate(todo, 1):
        start = time.perf_counter()
        record = make_reference(spec, folder, weights=weights, progress=progress)
        spent = time.perf_counter() - start
        per_eval = record["seconds"] / max(record["evals"], 1)
        log(
            f"[{i}/{len(todo)}] {spec.name}: {record['evals']} evaluations "
            f"(plateau at {record['plateau_eval']}) in {spent:.0f} s, {per_eval:.2f} s each"
        )
        made.append(record)
    return made


def verify(
    folder: str | os.PathLike[str] | None = None,
    *,
    evals: int = 5,
    rtol: float = 2e-3,
    names: Sequence[str] | None = None,
) -> list[str]:
    """Re-run the first ``evals`` evaluations of each reference and compare the losses.

    Returns one line per reference whose losses differ (empty when all agree).
    """
    problems = []
    for r in list_references(folder):
        if names is not None and r["name"] not in names:
            continue
        fn = _function(r["function"])
        kwargs = {**r["kwargs"], "steps": evals, "progress": False}
        got = fn(**kwargs).history["total"]
        want = r["losses"]["total"][: len(got)]
        for i, (a, b) in enumerate(zip(got, want), 1):
            if abs(a - b) > rtol * abs(b):
                problems.append(
                    f"{r['name']}: evaluation {i} gives loss {a:.7g}, the record has {b:.7g}"
                )
                break
    return problems
