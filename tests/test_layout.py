"""The package layout: ARCHITECTURE.md names every module, and imports go one way.

Pipeline (``nst_teach/*.py``) <- extras (``nst_teach/extras/``) <- lab (``nst_teach/lab/``):
the pipeline imports neither extras nor lab, the extras do not import the lab, and
``lab/plotting.py`` does not import the exercises (the language is ``lab/language.py``).
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "nst_teach"
OLD_PATHS = {  # modules left at their old path: they re-export the new one (and may import it)
    *("architecture", "color", "spatial", "conventions", "adain", "feedforward", "video"),
    *("settings", "cache", "plotting", "widgets", "figures_zh", "perf"),
}


def expand(token: str) -> list[str]:
    """``a/{b,c}.py`` -> ``["a/b.py", "a/c.py"]`` (one pair of braces at most)."""
    match = re.fullmatch(r"(.*)\{([^}]*)\}(.*)", token)
    if match is None:
        return [token]
    head, alternatives, tail = match.groups()
    return [head + alt + tail for alt in alternatives.split(",")]


def named_paths(text: str) -> set[str]:
    tokens = re.findall(r"`(nst_teach/[^`\s]*\.py)`", text)
    return set(itertools.chain.from_iterable(expand(t) for t in tokens))


def package_modules() -> set[str]:
    return {p.relative_to(REPO).as_posix() for p in PACKAGE.rglob("*.py")}


def test_expand() -> None:
    assert expand("nst_teach/{a,b}.py") == ["nst_teach/a.py", "nst_teach/b.py"]
    assert expand("nst_teach/a.py") == ["nst_teach/a.py"]
    assert named_paths("`nst_teach/x.py` and `nst_teach/lab/{y,z}.py`") == {
        "nst_teach/x.py",
        "nst_teach/lab/y.py",
        "nst_teach/lab/z.py",
    }


def test_architecture_md_names_every_module_and_only_real_ones() -> None:
    named = named_paths((REPO / "ARCHITECTURE.md").read_text(encoding="utf-8"))
    modules = package_modules()
    assert len(modules) > 40
    assert sorted(named - modules) == []  # named but missing
    assert sorted(modules - named) == []  # present but not named


def _imports(path: Path) -> set[str]:
    """The ``nst_teach`` modules that ``path`` imports, as dotted names (relative ones resolved)."""
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found |= {module} | {f"{module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.startswith("nst_teach")}


def _room(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else "pipeline"


def test_imports_go_one_way() -> None:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        room = _room(path)
        if room == "pipeline" and (
            path.stem in OLD_PATHS or path.name in ("__init__.py", "cli.py")
        ):
            continue  # the old paths re-export; the front doors (__init__, cli) reach every room
        forbidden = {
            "pipeline": ("nst_teach.extras", "nst_teach.lab", "nst_teach.exercises"),
            "extras": ("nst_teach.lab", "nst_teach.exercises"),
            "lab": ("nst_teach.exercises",),
        }.get(room, ())
        bad += [f"{path.relative_to(REPO)} imports {m}" for m in _imports(path)
                if m.startswith(forbidden)]  # fmt: skip
    assert bad == []


def test_the_import_finder_resolves_relative_imports() -> None:
    assert "nst_teach.lab.language" in _imports(PACKAGE / "lab" / "plotting.py")
    assert "nst_teach.extras.video" in _imports(PACKAGE / "lab" / "cache.py")
    assert "nst_teach.fused" in _imports(PACKAGE / "objective.py")
    assert not any(
        m.startswith("nst_teach.exercises") for m in _imports(PACKAGE / "lab" / "plotting.py")
    )
