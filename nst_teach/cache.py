r"""An on-disk cache of :func:`~nst_teach.stylize.stylize` results, for the lessons' sweeps.

A lesson's sweep (the Fig. 3 grid of lesson 06: 20 optimisations) takes long; run once
before class, it should come back at once when the lesson is presented.
:func:`cached_stylize` takes the arguments of :func:`~nst_teach.stylize.stylize`, and
returns the stored result when a run with the same key was stored before, otherwise runs
:func:`~nst_teach.stylize.stylize` and stores what it returns. The key is the SHA-256 of
everything that determines the result:

.. math::

    \text{key} = \operatorname{sha256}\big(\text{content pixels}, \text{style pixels},
    \text{every keyword argument}, \text{the weights file}, \text{device},
    \text{nst-teach's code}, \text{torch's version}\big)

(the pixels of a tensor :math:`(1, 3, H, W)`, or of the file or sample it names; the source
of every module of the package, so that a change of code or of a default starts afresh; for
``weights="imagenet"`` the cached ImageNet file's size and time, since without it
:func:`~nst_teach.stylize.stylize` falls back to random weights). The cache is never needed
for correctness: a missing, damaged or unwritable cache only means the run is done again.
It lives outside the repository, in ``<torch.hub dir>/nst_teach/results`` (``torch.hub``'s
folder honours ``TORCH_HOME``), or in ``$NST_TEACH_CACHE_DIR``; ``NST_TEACH_CACHE=0`` turns
it off. Runs with a ``callback`` are not cached (the callback must see the run).

:func:`cached_optimize` does the same for :func:`~nst_teach.optimize.optimize_pixels` with an
objective built in the lesson (blended Gram targets, masks): its key hashes the objective's
state, every tensor, number and name it holds (its targets, weights and layers, and the
extractor's parameters), the starting image and the keyword arguments;
:func:`cached_stylize_frames` for :func:`~nst_teach.video.stylize_frames` (lesson 11's video).

Examples:
    >>> import tempfile, torch
    >>> c, s = torch.rand(1, 3, 24, 24), torch.rand(1, 3, 24, 24)
    >>> kw = dict(size=24, steps=3, weights="random", style_layers=["conv1_1"],
    ...           content_layers=["conv1_2"], progress=False)
    >>> folder = tempfile.mkdtemp()
    >>> first = cached_stylize(c, s, cache_dir=folder, **kw)
    >>> again = cached_stylize(c, s, cache_dir=folder, **kw)  # read from disk, not run
    >>> torch.equal(first.image, again.image), first.history == again.history
    (True, True)
    >>> stylize_key(c, s, **kw) == stylize_key(c, s, **{**kw, "steps": 4})
    False
    >>> from nst_teach import StyleObjective, VGG19Features
    >>> vgg = VGG19Features(["conv1_1", "conv1_2"], weights="random")
    >>> objective = StyleObjective(vgg, c, s, content_layers=["conv1_2"], style_layers=["conv1_1"])
    >>> run = cached_optimize(objective, c, steps=3, progress=False, cache_dir=folder)
    >>> torch.equal(run.image, cached_optimize(objective, c, steps=3, cache_dir=folder).image)
    True
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .device import pick_device
from .optimize import OptimizationRun, optimize_pixels
from .samples import image_or_sample
from .stylize import StyleResult, stylize

#: Bump when what is stored, or how the key is formed, changes.
CACHE_VERSION = 1
#: Arguments of :func:`~nst_teach.stylize.stylize` that do not change the result.
_NOT_IN_KEY = {"progress"}


def results_dir() -> Path:
    """The folder of stored results: ``$NST_TEACH_CACHE_DIR`` or ``<torch.hub dir>/nst_teach/results``."""
    env = os.environ.get("NST_TEACH_CACHE_DIR", "").strip()
    return Path(env) if env else Path(torch.hub.get_dir()) / "nst_teach" / "results"


def cache_enabled() -> bool:
    """``False`` when ``NST_TEACH_CACHE`` is ``0``, ``false``, ``no`` or ``off``."""
    from .flags import env_flag

    return env_flag("NST_TEACH_CACHE", default=True)


def _update(h: Any, value: object, _seen: frozenset[int] = frozenset()) -> None:
    """Feed ``value`` into the hash ``h``, unambiguously (type tags, lengths).

    Tensors by their bytes; a module by its class, ``repr`` and parameters and buffers; a
    dataclass or another object by its class and attributes (objects already on the path are
    skipped, so cycles end).
    """
    if id(value) in _seen:
        h.update(b"<cycle>")
        return
    if isinstance(value, Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{tuple(t.shape)}{t.dtype}".encode())
        h.update(t.numpy().tobytes())
    elif isinstance(value, Mapping):
        h.update(f"M{len(value)}".encode())
        for k in sorted(value, key=str):
            _update(h, str(k), _seen)
            _update(h, value[k], _seen)
    elif isinstance(value, (list, tuple)):
        h.update(f"L{len(value)}".encode())
        for v in value:
            _update(h, v, _seen)
    elif isinstance(value, torch.nn.Module):
        h.update(f"N{type(value).__qualname__}:{value!r}".encode())
        _update(h, value.state_dict(), _seen | {id(value)})
        extra = {k: v for k, v in vars(value).items() if not k.startswith("_") and k != "training"}
        _update(h, extra, _seen | {id(value)})
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        h.update(f"D{type(value).__qualname__}".encode())
        _update(h, fields, _seen | {id(value)})
    elif hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
        h.update(f"O{type(value).__module__}.{type(value).__qualname__}".encode())
        _update(h, dict(vars(value)), _seen | {id(value)})
    elif callable(value) and hasattr(value, "__dict__") and not isinstance(value, type):
        name = getattr(value, "__qualname__", type(value).__qualname__)
        h.update(f"C{getattr(value, '__module__', '')}.{name}".encode())
        _update(h, dict(vars(value)), _seen | {id(value)})
    else:
        text = repr(value).encode()  # float repr round-trips exactly
        h.update(f"{type(value).__name__}:{len(text)}:".encode() + text)


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of the package's Python sources: any change of code or defaults changes keys."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        h.update(path.relative_to(Path(__file__).resolve().parent).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _image_for_key(image: Tensor | str | Path) -> Tensor:
    return image if isinstance(image, Tensor) else image_or_sample(image)


def _weights_for_key(weights: str) -> object:
    """What decides the weights: a file's size and time; for ImageNet, the cached file's."""
    if weights == "random":
        return weights
    if weights == "imagenet":
        from .weights import imagenet_weights_path

        path = imagenet_weights_path()
    else:
        path = Path(weights)
    try:
        st = path.stat()
    except OSError:
        return (weights, "missing")
    return (weights, str(path.resolve()), st.st_size, st.st_mtime_ns)


def stylize_key(content: Tensor | str | Path, style: Tensor | str | Path, **kwargs: Any) -> str:
    """The hex SHA-256 key of a :func:`~nst_teach.stylize.stylize` call with these arguments."""
    import nst_teach

    h = hashlib.sha256()
    _update(
        h, ("nst-teach", nst_teach.__version__, code_digest(), torch.__version__, CACHE_VERSION)
    )
    _update(h, _image_for_key(content))
    _update(h, _image_for_key(style))
    _update(h, _weights_for_key(str(kwargs.get("weights", "imagenet"))))
    _update(h, str(pick_device(kwargs.get("device"))))
    _update(h, {k: v for k, v in kwargs.items() if k not in _NOT_IN_KEY | {"device"}})
    return h.hexdigest()


_FIELDS = ("image", "history", "evals", "seconds", "weights", "stopped_early", "settings",
           "stop_reason")  # fmt: skip


def _read(path: Path) -> StyleResult | None:
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        return StyleResult(**{k: data[k] for k in _FIELDS})
    except Exception:  # missing, unreadable, damaged or from another version: run again
        return None


def _write(path: Path, result: StyleResult) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save({k: getattr(result, k) for k in _FIELDS}, tmp)
        tmp.replace(path)
    except Exception:  # a read-only folder or an unpicklable setting: not cached
        pass


def cached_stylize(
    content: Tensor | str | Path,
    style: Tensor | str | Path,
    *,
    cache_dir: str | Path | None = None,
    **kwargs: Any,
) -> StyleResult:
    r""":func:`~nst_teach.stylize.stylize` with its result kept on disk under its key.

    Args:
        content, style: as for :func:`~nst_teach.stylize.stylize` (a tensor
            :math:`(1, 3, H, W)` in :math:`[0, 1]`, a file path or a sample name).
        cache_dir: where results are stored (default: :func:`results_dir`).
        **kwargs: the keyword arguments of :func:`~nst_teach.stylize.stylize`.

    Returns:
        the :class:`~nst_teach.stylize.StyleResult` of the run, stored or new; a stored one
        reports the ``seconds`` its run took when it was made.
    """
    if kwargs.get("callback") is not None or not cache_enabled():
        return stylize(content, style, **kwargs)
    folder = Path(cache_dir) if cache_dir is not None else results_dir()
    path = folder / f"stylize-{stylize_key(content, style, **kwargs)}.pt"
    stored = _read(path)
    if stored is not None:
        return stored
    result = stylize(content, style, **kwargs)
    _write(path, result)
    return result


_RUN_FIELDS = ("image", "history", "evals", "seconds", "stopped_early", "stop_reason")


def optimize_key(loss_fn: Callable[..., Any], image: Tensor, **kwargs: Any) -> str:
    """The hex SHA-256 key of an :func:`~nst_teach.optimize.optimize_pixels` call."""
    import nst_teach

    h = hashlib.sha256()
    _update(h, ("optimize", nst_teach.__version__, code_digest(), torch.__version__, CACHE_VERSION))
    _update(h, loss_fn)
    _update(h, image)
    _update(h, {k: v for k, v in kwargs.items() if k not in _NOT_IN_KEY})
    return h.hexdigest()


def cached_optimize(
    loss_fn: Callable[..., Any],
    image: Tensor,
    *,
    cache_dir: str | Path | None = None,
    **kwargs: Any,
) -> OptimizationRun:
    r""":func:`~nst_teach.optimize.optimize_pixels` with its result kept on disk under its key.

    Args:
        loss_fn: the objective (a :class:`~nst_teach.objective.StyleObjective` or another
            object whose state determines the loss: its tensors, numbers and names are hashed).
        image: the starting image :math:`(1, 3, H, W)`.
        cache_dir: where results are stored (default: :func:`results_dir`).
        **kwargs: the keyword arguments of :func:`~nst_teach.optimize.optimize_pixels`.

    Returns:
        the :class:`~nst_teach.optimize.OptimizationRun`, stored or new.
    """
    if kwargs.get("callback") is not None or not cache_enabled():
        return optimize_pixels(loss_fn, image, **kwargs)
    folder = Path(cache_dir) if cache_dir is not None else results_dir()
    path = folder / f"optimize-{optimize_key(loss_fn, image, **kwargs)}.pt"
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        return OptimizationRun(**{k: data[k] for k in _RUN_FIELDS})
    except Exception:  # missing or damaged: run again
        pass
    run = optimize_pixels(loss_fn, image, **kwargs)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save({k: getattr(run, k) for k in _RUN_FIELDS}, tmp)
        tmp.replace(path)
    except Exception:  # a read-only folder: not cached
        pass
    return run


def cached_stylize_frames(
    frames: Any,
    style: Tensor,
    extractor: torch.nn.Module,
    *,
    cache_dir: str | Path | None = None,
    **kwargs: Any,
) -> Any:
    r""":func:`~nst_teach.video.stylize_frames` with its result kept on disk under its key.

    The key hashes the frames (each :math:`(1, 3, H, W)`), the style image, the extractor's
    parameters and every keyword argument, with the package's code.

    Args:
        frames, style, extractor: as for :func:`~nst_teach.video.stylize_frames`.
        cache_dir: where results are stored (default: :func:`results_dir`).
        **kwargs: the keyword arguments of :func:`~nst_teach.video.stylize_frames`.

    Returns:
        the :class:`~nst_teach.video.VideoResult`, stored or new.
    """
    from .video import VideoResult, stylize_frames

    if kwargs.get("callback") is not None or not cache_enabled():
        return stylize_frames(frames, style, extractor, **kwargs)
    import nst_teach

    h = hashlib.sha256()
    _update(h, ("frames", nst_teach.__version__, code_digest(), torch.__version__, CACHE_VERSION))
    _update(h, (list(frames), style, extractor, kwargs))
    folder = Path(cache_dir) if cache_dir is not None else results_dir()
    path = folder / f"frames-{h.hexdigest()}.pt"
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        runs = [OptimizationRun(**{k: r[k] for k in _RUN_FIELDS}) for r in data["runs"]]
        return VideoResult(frames=list(data["frames"]), runs=runs, method=data["method"])
    except Exception:  # missing or damaged: run again
        pass
    result = stylize_frames(frames, style, extractor, **kwargs)
    stored = {
        "frames": list(result.frames),
        "runs": [{k: getattr(r, k) for k in _RUN_FIELDS} for r in result.runs],
        "method": result.method,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save(stored, tmp)
        tmp.replace(path)
    except Exception:  # a read-only folder: not cached
        pass
    return result
