"""pyproject.toml and environment.yml (a student's) / environment-dev.yml (a developer's
additions) declare the same dependencies; the licence is PEP 639's; the CLI is wired."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
# conda-forge spells a few packages differently from PyPI
CONDA_NAMES = {"torch": "pytorch"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment_deps(name: str = "environment.yml") -> tuple[set[str], set[str]]:
    """(conda dependencies, pip dependencies) named in an environment file."""
    env = yaml.safe_load((ROOT / name).read_text())
    conda, pip = set(), set()
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip |= {_name(r) for r in item["pip"] if not r.startswith("-e")}
        else:
            conda.add(_name(item))
    return conda, pip


def test_runtime_dependencies_agree():
    project = _pyproject()["project"]
    declared = {_name(r) for r in project["dependencies"]}
    declared |= {_name(r) for r in project["optional-dependencies"]["lab"]}
    conda, pip = _environment_deps()
    in_env = {({v: k for k, v in CONDA_NAMES.items()}).get(n, n) for n in conda} | pip
    in_env -= {"python", "pip"}
    assert declared == in_env, (declared, in_env)


def test_developer_environment_adds_the_dev_extra():
    conda, pip = _environment_deps("environment-dev.yml")
    assert conda <= {"pip"} and pip == set()
    assert "- -e .[dev]" in (ROOT / "environment-dev.yml").read_text()
    extras = _pyproject()["project"]["optional-dependencies"]
    assert {_name(r) for r in extras["lab"]} <= {_name(r) for r in extras["dev"]}


def test_license_is_pep_639():
    project = _pyproject()["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    requires = _pyproject()["build-system"]["requires"]
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d|\d{3})(\.\d+)*", r) for r in requires)


def test_environment_installs_the_package_and_python_version():
    text = (ROOT / "environment.yml").read_text()
    assert "- -e ." in text
    requires = _pyproject()["project"]["requires-python"]
    assert requires == ">=3.10"
    assert re.search(r"- python>=3\.1[0-9]", text)


def test_console_script_and_make_targets():
    assert _pyproject()["project"]["scripts"]["nst-teach"] == "nst_teach.cli:main"
    makefile = (ROOT / "Makefile").read_text()
    for target in (
        "lab:",
        "lab-solutions:",
        "test:",
        "demo:",
        "bench:",
        "book:",
        "slides:",
        "e2e:",
    ):
        assert f"\n{target}" in makefile, target
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme


def test_torch_is_not_pinned_to_the_local_wheel():
    deps = _pyproject()["project"]["dependencies"]
    torch_req = next(r for r in deps if _name(r) == "torch")
    assert "2.13.0" not in torch_req and "==" not in torch_req


def test_no_control_characters_in_sources():
    """A LaTeX docstring written without ``r""`` turns ``\\frac`` into a form feed and
    ``\\text`` into a tab: no source, lesson or document may carry such characters."""
    bad = re.compile("[\x00-\x08\x0b-\x1f]")  # tabs are fine only in .tsv files
    root = Path(__file__).resolve().parents[1]
    files = [
        p
        for pattern in ("nst_teach/**/*.py", "tools/*.py", "tests/**/*.py", "benchmarks/*.py")
        for p in root.glob(pattern)
    ]
    files += list(root.glob("notebooks/**/*.ipynb")) + list(root.glob("*.md"))
    found = [
        f"{p.relative_to(root)}:{n}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if bad.search(line)
    ]
    assert not found, f"control characters in {found[:10]}"


def test_no_control_characters_in_docstrings():
    """The same mistake seen at run time: ``\\top`` or ``\\tau`` in a docstring without ``r""``
    is a tab followed by ``op``/``au`` in the text that ``help()`` and the docs show."""
    import importlib
    import inspect
    import pkgutil

    import nst_teach

    bad = re.compile("[\x00-\x09\x0b-\x1f]")
    found = []
    for info in pkgutil.walk_packages(nst_teach.__path__, "nst_teach."):
        module = importlib.import_module(info.name)
        objects = [module, *(v for _, v in inspect.getmembers(module) if inspect.isfunction(v)
                             or inspect.isclass(v))]  # fmt: skip
        for obj in objects:
            if getattr(obj, "__module__", module.__name__) != module.__name__:
                continue
            if bad.search(obj.__doc__ or ""):  # not getdoc: it expands tabs
                found.append(f"{module.__name__}.{getattr(obj, '__qualname__', '')}")
    assert not found, f"control characters in the docstrings of {sorted(set(found))}"
