"""The public API: what the lessons import is exported, and every module declares ``__all__``.

A lesson may import a name from ``nst_teach`` itself (in its ``__all__``) or from a public
module: ``nst_teach.lab.plotting``, ``widgets``, ``cache``, ``references``, ``observe``, ``plan``,
``nst_teach.extras.*`` and ``nst_teach.exercises*``, with the name in that module's ``__all__``.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import warnings
from pathlib import Path

import nbformat
import pytest

import nst_teach

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (REPO / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb")
)
PUBLIC_MODULES = (
    "nst_teach.lab.plotting",
    "nst_teach.lab.widgets",
    "nst_teach.lab.cache",
    "nst_teach.lab.references",
    "nst_teach.lab.observe",
    "nst_teach.lab.plan",
)
PUBLIC_PREFIXES = ("nst_teach.extras.", "nst_teach.exercises")
#: The old paths kept for students' copies: they re-export their new module and warn.
OLD_PATHS = {
    "architecture": "nst_teach.extras.architecture",
    "color": "nst_teach.extras.color",
    "spatial": "nst_teach.extras.spatial",
    "conventions": "nst_teach.extras.conventions",
    "adain": "nst_teach.extras.adain",
    "feedforward": "nst_teach.extras.feedforward",
    "video": "nst_teach.extras.video",
    "settings": "nst_teach.lab.settings",
    "cache": "nst_teach.lab.cache",
    "plotting": "nst_teach.lab.plotting",
    "widgets": "nst_teach.lab.widgets",
    "figures_zh": "nst_teach.lab.figures_zh",
    "perf": "nst_teach.fused",
}


def _public(module: str) -> bool:
    return module in PUBLIC_MODULES or module.startswith(PUBLIC_PREFIXES)


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def lesson_imports(path: Path) -> list[tuple[int, str, str | None]]:
    """``(cell, module, name)`` of every ``nst_teach`` import in a lesson's code cells
    (``name`` is ``None`` for ``import nst_teach.x``)."""
    found = []
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        lines = [
            "pass" if line.lstrip().startswith(("%", "!")) else line
            for line in cell.source.splitlines()
        ]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nst_teach"):
                found += [(index, node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [
                    (index, a.name, None) for a in node.names if a.name.startswith("nst_teach")
                ]
    return found


def import_problem(module: str, name: str | None) -> str | None:
    """Why ``from module import name`` (or ``import module``) is not public, or ``None``."""
    exported = module == "nst_teach" or _public(module)
    if name is not None and exported and name in importlib.import_module(module).__all__:
        return None  # `from nst_teach import stylize` is the function, not the module
    if name is not None and _is_module(f"{module}.{name}"):
        module, name = f"{module}.{name}", None  # `from nst_teach.lab import plotting`
    if name is None:
        if module == "nst_teach" or _public(module):
            return None
        return f"{module} is not a public module"
    if not exported:
        return f"{name} from {module}: import it from nst_teach or a public module"
    return f"{name} is not in {module}.__all__"


def test_the_checker_tells_public_from_private() -> None:
    assert import_problem("nst_teach", "stylize") is None
    assert import_problem("nst_teach", "cached_extractor") is None
    assert import_problem("nst_teach.lab", "plotting") is None
    assert import_problem("nst_teach.exercises", "lesson05") is None
    assert import_problem("nst_teach.extras.adain", "AdaINObjective") is None
    assert (
        import_problem("nst_teach", "get_extractor") == "get_extractor is not in nst_teach.__all__"
    )
    assert import_problem("nst_teach.stylize", "DEFAULT_BETA") == (
        "DEFAULT_BETA from nst_teach.stylize: import it from nst_teach or a public module"
    )
    assert import_problem("nst_teach.lab.plotting", "_prepare_fonts") == (
        "_prepare_fonts is not in nst_teach.lab.plotting.__all__"
    )
    assert import_problem("nst_teach.cache", None) == "nst_teach.cache is not a public module"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: str(p.relative_to(REPO / "notebooks")))
def test_lessons_import_only_public_names(path: Path) -> None:
    imports = lesson_imports(path)
    assert any(module == "nst_teach" for _, module, _ in imports)
    problems = [
        f"cell {cell}: {problem}"
        for cell, module, name in imports
        if (problem := import_problem(module, name)) is not None
    ]
    assert problems == []


def _package_modules() -> list[str]:
    return ["nst_teach"] + [
        info.name for info in pkgutil.walk_packages(nst_teach.__path__, "nst_teach.")
    ]


def test_every_module_declares_all() -> None:
    names = _package_modules()
    assert {"nst_teach.fused", "nst_teach.lab.language", "nst_teach.extras.video"} <= set(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # the old paths
        missing = [n for n in names if not hasattr(importlib.import_module(n), "__all__")]
        unknown = [
            f"{n}.{attr}"
            for n in names
            for attr in importlib.import_module(n).__all__
            if not hasattr(importlib.import_module(n), attr)
        ]
    assert missing == []
    assert unknown == []


def test_the_top_level_api_names_what_the_lessons_reach_for() -> None:
    for name in ("cached_extractor", "resize_cover", "record_projected_step"):
        assert name in nst_teach.__all__
    assert (nst_teach.DEFAULT_ALPHA, nst_teach.DEFAULT_BETA) == (1.0, 1e6)
    assert len(nst_teach.__all__) == len(set(nst_teach.__all__)) == 47


def test_cached_extractor_is_keyword_only_and_cached() -> None:
    first = nst_teach.cached_extractor(("conv1_1",), weights="random")
    assert nst_teach.cached_extractor(["conv1_1"], weights="random", device="cpu") is first
    assert first.layers == ("conv1_1",)
    with pytest.raises(TypeError):
        nst_teach.cached_extractor(("conv1_1",), "random")  # type: ignore[misc]


@pytest.mark.parametrize(("old", "new"), sorted(OLD_PATHS.items()))
def test_old_paths_reexport_and_warn(old: str, new: str) -> None:
    import sys

    sys.modules.pop(f"nst_teach.{old}", None)
    with pytest.warns(FutureWarning, match=rf"nst_teach\.{old} has moved: use {new}"):
        module = importlib.import_module(f"nst_teach.{old}")
    moved = importlib.import_module(new)
    assert set(moved.__all__) <= set(module.__all__)
    name = moved.__all__[0]
    assert getattr(module, name) is getattr(moved, name)


def test_old_perf_path_gives_both_halves() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from nst_teach import perf

    from nst_teach import fused, machine

    assert perf.fused_style_layer_loss is fused.fused_style_layer_loss
    assert perf.reuse_freed_memory is machine.reuse_freed_memory
    assert perf.ALLOCATOR is machine.ALLOCATOR  # not in fused: through the module's __getattr__
