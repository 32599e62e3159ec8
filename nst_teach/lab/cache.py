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

import contextlib
import dataclasses
import enum
import functools
import hashlib
import os
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..atomic import atomic_torch_save
from ..device import pick_device
from ..optimize import OptimizationRun, optimize_pixels
from ..samples import image_or_sample
from ..stylize import StyleResult, stylize

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
    from ..flags import env_flag

    return env_flag("NST_TEACH_CACHE", default=True)


class Unkeyable(TypeError):
    """A value whose content cannot be hashed with certainty: the run is not cached."""


#: Top-level packages whose functions and classes are keyed by name: their code is fixed by
#: the versions in the key (nst-teach's sources, torch's version) or by the Python installed.
_BY_NAME = frozenset({"nst_teach", "torch", "torchvision", "numpy", "PIL", "builtins"})
_PLAIN = (type(None), bool, int, float, complex, str, bytes, range, slice, type(Ellipsis))


def _library(module: str | None) -> bool:
    root = (module or "").split(".", 1)[0]
    if root == "__main__" or not root:
        return False
    if root in _BY_NAME or root in sys.stdlib_module_names or root.startswith("_"):
        return True
    found = sys.modules.get(root)
    where = str(getattr(found, "__file__", "") or "")
    return "site-packages" in where or "dist-packages" in where


def _names(code: types.CodeType) -> set[str]:
    """The global names a code object (and the code nested in it) may read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _update_code(h: Any, code: types.CodeType, seen: frozenset[int]) -> None:
    h.update(f"K{code.co_argcount},{code.co_kwonlyargcount},{code.co_flags}:".encode())
    h.update(code.co_code)
    _update(h, (code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars), seen)
    h.update(f"k{len(code.co_consts)}".encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _update_code(h, const, seen)
        else:
            _update(h, const, seen)


def _update_function(h: Any, fn: types.FunctionType, seen: frozenset[int]) -> None:
    """A function by what determines its result: its code, closure, globals and defaults."""
    h.update(f"F{fn.__module__}.{fn.__qualname__}".encode())
    if _library(fn.__module__):
        return
    _update_code(h, fn.__code__, seen)
    cells = []
    for cell in fn.__closure__ or ():
        try:
            cells.append(("cell", cell.cell_contents))
        except ValueError:  # a cell not yet filled
            cells.append(("empty",))
    _update(h, cells, seen)
    _update(h, (fn.__defaults__, fn.__kwdefaults__, dict(vars(fn))), seen)
    used = {n: fn.__globals__[n] for n in sorted(_names(fn.__code__)) if n in fn.__globals__}
    _update(h, used, seen)


def _update_class(h: Any, cls: type, seen: frozenset[int]) -> None:
    """A class by name when a library's; a class of the lesson or the student by its body."""
    h.update(f"Y{cls.__module__}.{cls.__qualname__}".encode())
    if _library(cls.__module__) or id(cls) in seen:
        return
    seen = seen | {id(cls)}
    body = {k: v for k, v in vars(cls).items() if k not in {"__dict__", "__weakref__"}}
    _update(h, body, seen)
    for base in cls.__bases__:
        _update_class(h, base, seen)


def _update(h: Any, value: object, _seen: frozenset[int] = frozenset()) -> None:
    """Feed ``value`` into the hash ``h``, unambiguously (type tags, lengths).

    Tensors and numpy arrays by their bytes (whole); functions by their code, closure cells,
    the globals they name, defaults and keyword defaults (:func:`_update_function`);
    ``functools.partial`` by its function and arguments; a bound method by its function and
    its object; a module by its class, its state dict and every attribute (``_private``
    ones too); another object by its class (a class of the lesson or the student by its
    body) and its attributes. Objects already on the path are marked, so cycles end.

    Raises:
        Unkeyable: for a value that cannot be hashed by its content (an open file, a lock,
            an object of a C extension): such a run is not cached.
    """
    if isinstance(value, _PLAIN):
        text = repr(value).encode()  # float repr round-trips exactly
        h.update(f"{type(value).__name__}:{len(text)}:".encode() + text)
        return
    if id(value) in _seen:
        h.update(b"<cycle>")
        return
    seen = _seen | {id(value)}
    if isinstance(value, Tensor):
        t = value.detach().cpu().contiguous()
        if t.is_complex() or t.dtype == torch.bfloat16:
            t = t.view(torch.uint8) if t.dim() else t.reshape(1).view(torch.uint8)
        h.update(f"T{tuple(value.shape)}{value.dtype}".encode())
        h.update(t.numpy().tobytes())
    elif isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            h.update(f"A{value.shape}".encode())
            _update(h, value.tolist(), seen)
        else:
            h.update(f"A{value.shape}{value.dtype.str}".encode())
            h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.generic):
        _update(h, (value.dtype.str, value.item()), seen)
    elif isinstance(value, torch.dtype | torch.device | torch.memory_format | torch.layout):
        h.update(f"t{value}".encode())
    elif isinstance(value, enum.Enum):
        h.update(f"E{type(value).__module__}.{type(value).__qualname__}.{value.name}".encode())
    elif isinstance(value, PurePath):
        h.update(f"P{value}".encode())
    elif isinstance(value, Mapping):
        h.update(f"M{type(value).__name__}{len(value)}".encode())
        for k in sorted(value, key=repr):
            _update(h, k, seen)
            _update(h, value[k], seen)
    elif isinstance(value, list | tuple):
        h.update(f"L{type(value).__name__}{len(value)}".encode())
        for v in value:
            _update(h, v, seen)
    elif isinstance(value, set | frozenset):
        parts = []
        for v in value:
            sub = hashlib.sha256()
            _update(sub, v, seen)
            parts.append(sub.hexdigest())
        h.update(f"S{len(parts)}:{''.join(sorted(parts))}".encode())
    elif isinstance(value, types.ModuleType):
        h.update(f"m{value.__name__}".encode())
    elif isinstance(value, type):
        _update_class(h, value, seen)
    elif isinstance(value, types.FunctionType):
        _update_function(h, value, seen)
    elif isinstance(value, types.CodeType):
        _update_code(h, value, seen)
    elif isinstance(value, functools.partial):
        h.update(b"partial")
        _update(h, (value.func, value.args, value.keywords, dict(vars(value))), seen)
    elif isinstance(value, types.MethodType):
        h.update(b"method")
        _update(h, (value.__func__, value.__self__), seen)
    elif isinstance(value, types.BuiltinFunctionType | types.BuiltinMethodType):
        owner = getattr(value, "__self__", None)
        h.update(f"B{getattr(value, '__module__', '')}.{value.__qualname__}".encode())
        if owner is not None and not isinstance(owner, types.ModuleType):
            _update(h, owner, seen)
    elif isinstance(value, torch.Generator):
        _update(h, (str(value.device), value.get_state()), seen)
    elif isinstance(value, torch.nn.Module):
        _update_class(h, type(value), seen)
        _update(h, dict(vars(value)), seen)  # _parameters, _buffers, _modules, hooks, the rest
    elif dataclasses.is_dataclass(value):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        h.update(b"D")
        _update_class(h, type(value), seen)
        _update(h, (fields, dict(getattr(value, "__dict__", {}))), seen)
    elif hasattr(value, "__dict__") or hasattr(type(value), "__slots__"):
        h.update(b"O")
        _update_class(h, type(value), seen)
        slots = [
            (name, getattr(value, name, "<unset>"))
            for klass in type(value).__mro__
            for name in getattr(klass, "__slots__", ())
            if isinstance(name, str) and name not in {"__dict__", "__weakref__"}
        ]
        _update(h, (dict(getattr(value, "__dict__", {})), slots), seen)
    else:
        raise Unkeyable(f"a {type(value).__module__}.{type(value).__qualname__}")


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of the package's Python sources: any change of code or defaults changes keys."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]  # nst_teach/, not only lab/
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _image_for_key(image: Tensor | str | Path) -> object:
    """A tensor as it is; a file by its bytes (not decoded: a 48 MP photo costs no memory
    here); a sample name by its pixels."""
    if isinstance(image, Tensor):
        return image
    path = Path(image)
    if path.is_file():
        from ..weights import sha256_of

        return ("file", sha256_of(path))
    return image_or_sample(image)


def _weights_for_key(weights: str) -> object:
    """What decides the weights: a file's size and time; for ImageNet, the cached file's."""
    if weights == "random":
        return weights
    if weights == "imagenet":
        from ..weights import imagenet_weights_path

        path = imagenet_weights_path()
    else:
        path = Path(weights)
    try:
        st = path.stat()
    except OSError:
        return (weights, "missing")
    return (weights, str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)


def _header(kind: str) -> tuple[object, ...]:
    import nst_teach

    return (kind, nst_teach.__version__, code_digest(), torch.__version__, CACHE_VERSION)


def stylize_key(content: Tensor | str | Path, style: Tensor | str | Path, **kwargs: Any) -> str:
    """The hex SHA-256 key of a :func:`~nst_teach.stylize.stylize` call with these arguments.

    Raises:
        Unkeyable: an argument cannot be hashed by its content.
    """
    h = hashlib.sha256()
    _update(h, ("nst-teach", *_header("stylize")[1:]))
    _update(h, _image_for_key(content))
    _update(h, _image_for_key(style))
    _update(h, _weights_for_key(str(kwargs.get("weights", "imagenet"))))
    _update(h, str(pick_device(kwargs.get("device"))))
    _update(h, {k: v for k, v in kwargs.items() if k not in _NOT_IN_KEY | {"device"}})
    return h.hexdigest()


_FIELDS = ("image", "history", "evals", "seconds", "weights", "stopped_early", "settings",
           "stop_reason")  # fmt: skip
_RUN_FIELDS = ("image", "history", "evals", "seconds", "stopped_early", "stop_reason")


def _file_name(kind: str, key: str) -> str:
    """``<kind>-<code version>-<key>.pt``: files of other code versions can be told apart."""
    return f"{kind}-{code_digest()[:12]}-{key}.pt"


def _note(what: str, reason: str) -> None:
    """One line on stderr: the result is computed, not cached."""
    print(f"nst-teach: {what} not cached: {reason}", file=sys.stderr)


def _load(path: Path) -> Any:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # missing, unreadable, damaged or from another version: run again
        return None


def _evict(folder: Path, kind: str) -> None:
    """Remove the files of ``kind`` that other code versions stored (they are never read)."""
    current = f"{kind}-{code_digest()[:12]}-"
    with contextlib.suppress(OSError):
        for old in folder.glob(f"{kind}-*.pt"):
            if not old.name.startswith(current):
                with contextlib.suppress(OSError):
                    old.unlink()


def _is_image(value: object) -> bool:
    return (
        isinstance(value, Tensor)
        and value.dim() == 4
        and value.shape[:2] == (1, 3)
        and value.is_floating_point()
        and bool(torch.isfinite(value).all())
    )


def _is_history(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, float) for x in v)
        for k, v in value.items()
    )


def _valid_run(data: object, shape: tuple[int, ...] | None) -> bool:
    """Whether ``data`` holds an optimisation run's fields, its image of ``shape``."""
    return (
        isinstance(data, dict)
        and all(k in data for k in _RUN_FIELDS)
        and _is_image(data["image"])
        and (shape is None or tuple(data["image"].shape) == tuple(shape))
        and _is_history(data["history"])
        and isinstance(data["evals"], int)
        and isinstance(data["seconds"], float | int)
    )


def _stylize_shape(content: Tensor | str | Path, size: object) -> Callable[[Tensor], bool]:
    """What the result image of a stylize call must look like: long side ``size``, or the
    content's size when ``size`` is ``None`` and the content is a tensor."""

    def fits(image: Tensor) -> bool:
        if isinstance(size, int):
            return max(image.shape[-2:]) == size
        if size is None and isinstance(content, Tensor):
            return tuple(image.shape[-2:]) == tuple(content.shape[-2:])
        return True

    return fits


def cached_stylize(
    content: Tensor | str | Path,
    style: Tensor | str | Path,
    *,
    cache_dir: str | Path | None = None,
    **kwargs: Any,
) -> StyleResult:
    r""":func:`~nst_teach.stylize.stylize` with its result kept on disk under its key.

    What is read back is checked (the fields, their types, an image :math:`(1, 3, H, W)` of
    the size asked for); a file that fails the check is ignored and the run done again.
    Arguments that cannot be keyed by their content are run without the cache (one line on
    stderr says so).

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
    try:
        key = stylize_key(content, style, **kwargs)
    except Unkeyable as exc:
        _note("this stylize run is", f"its arguments hold {exc}")
        return stylize(content, style, **kwargs)
    folder = Path(cache_dir) if cache_dir is not None else results_dir()
    path = folder / _file_name("stylize", key)
    fits = _stylize_shape(content, kwargs.get("size", 256))

    def valid(data: object) -> bool:
        return (
            _valid_run(data, None)
            and all(k in data for k in _FIELDS)  # type: ignore[operator]
            and fits(data["image"])  # type: ignore[index]
            and isinstance(data["settings"], dict)  # type: ignore[index]
            and isinstance(data["weights"], str)  # type: ignore[index]
        )

    stored = _load(path)
    if valid(stored):
        return StyleResult(**{k: stored[k] for k in _FIELDS})
    result = stylize(content, style, **kwargs)
    data = {k: getattr(result, k) for k in _FIELDS}
    if valid(data) and atomic_torch_save(data, path):
        _evict(folder, "stylize")
    return result


def optimize_key(loss_fn: Callable[..., Any], image: Tensor, **kwargs: Any) -> str:
    """The hex SHA-256 key of an :func:`~nst_teach.optimize.optimize_pixels` call.

    Raises:
        Unkeyable: the objective or an argument cannot be hashed by its content.
    """
    h = hashlib.sha256()
    _update(h, _header("optimize"))
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
        loss_fn: the objective (a :class:`~nst_teach.objective.StyleObjective`, a function,
            a ``functools.partial``, a bound method, a module of the student's: whatever
            determines its loss is hashed, see :func:`_update`; what cannot be hashed is run
            without the cache, with a one-line note).
        image: the starting image :math:`(1, 3, H, W)`.
        cache_dir: where results are stored (default: :func:`results_dir`).
        **kwargs: the keyword arguments of :func:`~nst_teach.optimize.optimize_pixels`.

    Returns:
        the :class:`~nst_teach.optimize.OptimizationRun`, stored or new; a stored one is used
        only if its image has the starting image's shape.
    """
    if kwargs.get("callback") is not None or not cache_enabled():
        return optimize_pixels(loss_fn, image, **kwargs)
    try:
        key = optimize_key(loss_fn, image, **kwargs)
    except Unkeyable as exc:
        _note("this optimisation is", f"the objective or an argument holds {exc}")
        return optimize_pixels(loss_fn, image, **kwargs)
    folder = Path(cache_dir) if cache_dir is not None else results_dir()
    path = folder / _file_name("optimize", key)
    stored = _load(path)
    if _valid_run(stored, tuple(image.shape)):
        return OptimizationRun(**{k: stored[k] for k in _RUN_FIELDS})
    run = optimize_pixels(loss_fn, image, **kwargs)
    data = {k: getattr(run, k) for k in _RUN_FIELDS}
    if _valid_run(data, tuple(image.shape)) and atomic_torch_save(data, path):
        _evict(folder, "optimize")
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
    parameters and every keyword argument, with the package's code. A stored result is used
    only if it has one frame of the right shape for each frame given.

    Args:
        frames, style, extractor: as for :func:`~nst_teach.video.stylize_frames`.
        cache_dir: where results are stored (default: :func:`results_dir`).
        **kwargs: the keyword arguments of :func:`~nst_teach.video.stylize_frames`.

    Returns:
        the :class:`~nst_teach.video.VideoResult`, stored or new.
    """
    from ..extras.video import VideoResult, stylize_frames

    if kwargs.get("callback") is not None or not cache_enabled():
        return stylize_frames(frames, style, extractor, **kwargs)
    frames = list(frames)
    h = hashlib.sha256()
    try:
        _update(h, _header("frames"))
        _update(h, (frames, style, extractor, kwargs))
    except Unkeyable as exc:
        _note("this video is", f"an argument holds {exc}")
        return stylize_frames(frames, style, extractor, **kwargs)
    folder = Path(cache_dir) if cache_dir is not None else results_dir()
    path = folder / _file_name("frames", h.hexdigest())
    shapes = [tuple(f.shape) if isinstance(f, Tensor) else None for f in frames]

    def valid(data: object) -> bool:
        return (
            isinstance(data, dict)
            and isinstance(data.get("frames"), list)
            and isinstance(data.get("runs"), list)
            and isinstance(data.get("method"), str)
            and len(data["frames"]) == len(shapes)
            and all(
                _is_image(f) and (s is None or tuple(f.shape) == s)
                for f, s in zip(data["frames"], shapes, strict=True)
            )
            and all(_valid_run(r, None) for r in data["runs"])
        )

    stored = _load(path)
    if valid(stored):
        runs = [OptimizationRun(**{k: r[k] for k in _RUN_FIELDS}) for r in stored["runs"]]
        return VideoResult(frames=list(stored["frames"]), runs=runs, method=stored["method"])
    result = stylize_frames(frames, style, extractor, **kwargs)
    data = {
        "frames": list(result.frames),
        "runs": [{k: getattr(r, k) for k in _RUN_FIELDS} for r in result.runs],
        "method": result.method,
    }
    if valid(data) and atomic_torch_save(data, path):
        _evict(folder, "frames")
    return result


__all__ = [
    "CACHE_VERSION",
    "Unkeyable",
    "cache_enabled",
    "cached_optimize",
    "cached_stylize",
    "cached_stylize_frames",
    "code_digest",
    "optimize_key",
    "results_dir",
    "stylize_key",
]
