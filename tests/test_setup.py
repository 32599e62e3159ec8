"""The setup paths a student takes: make lab (old Python refused, CPU torch), the no-make script
(tools/bootstrap.py, the same steps in a dry run), the hosted-notebook cell (a no-op locally),
and the git filter that keeps notebook outputs out of commits. Nothing here installs anything
or uses the network: make runs with ``-n`` or stops at the Python check, the script with
``--dry-run``."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")


def _load(name: str, path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


boot = _load("nst_bootstrap", REPO / "tools" / "bootstrap.py")
nbt = _load("nst_notebook_tools_setup", REPO / "tools" / "notebooks.py")


def fake_python(tmp_path: Path, version: tuple[int, int, int]) -> Path:
    """An executable that runs scripts with this Python but reports ``version``."""
    script = tmp_path / f"python{version[0]}.{version[1]}"
    script.write_text(
        "#!/bin/sh\n"
        f'exec "{sys.executable}" -c "import runpy, sys; '
        f"sys.version_info = {(*version, 'final', 0)!r}; sys.argv = sys.argv[1:]; "
        'runpy.run_path(sys.argv[0], run_name=\'__main__\')" "$@"\n'
    )
    script.chmod(0o755)
    return script


def make(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(
        [MAKE, "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


# ---------------------------------------------------------------------------- old Python


def test_required_python_is_pyprojects() -> None:
    assert boot.required_python() == (3, 10)
    assert boot.python_problem((3, 10, 0)) is None and boot.python_problem((3, 13, 1)) is None


def test_old_python_gets_one_line_naming_the_fix() -> None:
    line = boot.python_problem((3, 9, 6), "/usr/bin/python3")
    assert "\n" not in line
    assert "needs Python 3.10 or newer" in line and "/usr/bin/python3 is Python 3.9.6" in line
    assert "make lab PYTHON=python3.12" in line


@pytest.mark.skipif(MAKE is None or os.name == "nt", reason="needs make and sh")
def test_make_lab_refuses_an_old_python_before_anything_else(tmp_path: Path) -> None:
    old = fake_python(tmp_path, (3, 9, 6))
    venv = tmp_path / "venv"
    result = make("lab", f"PYTHON={old}", f"VENV={venv}")
    assert result.returncode != 0
    lines = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("make")]
    assert len(lines) == 1, result.stderr
    assert "needs Python 3.10 or newer" in lines[0] and "Python 3.9.6" in lines[0]
    assert not venv.exists()  # refused before the venv was made
    # the same Python, reporting 3.12, passes the check
    assert make("check-python", f"PYTHON={fake_python(tmp_path, (3, 12, 1))}").returncode == 0


# ---------------------------------------------------------------------------- CPU torch


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_make_lab_torch_cpu_installs_from_the_cpu_index_first(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    cpu = make("-n", "lab", "TORCH=cpu", f"VENV={venv}").stdout
    default = make("-n", "lab", f"VENV={venv}").stdout
    index = "--index-url https://download.pytorch.org/whl/cpu torch torchvision"
    assert index in cpu and index not in default
    lines = cpu.splitlines()
    first_cpu = next(i for i, ln in enumerate(lines) if index in ln)
    editable = next(i for i, ln in enumerate(lines) if '-e ".[dev]"' in ln)
    assert first_cpu < editable  # torch is in place before pip resolves the kit's deps


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_make_lab_opens_student_copies_and_lab_solutions_the_lessons(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    lab = make("-n", "lab", f"VENV={venv}").stdout
    assert "notebooks.py student notebooks notebooks/student --keep-existing" in lab
    assert "--notebook-dir=notebooks/student" in lab
    solutions = make("-n", "lab-solutions", f"VENV={venv}").stdout
    assert "--notebook-dir=notebooks " in solutions and "notebooks/student" not in solutions


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_make_lab_lang_zh_opens_the_chinese_edition(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    lab = make("-n", "lab", "LANG=zh", f"VENV={venv}").stdout
    assert "notebooks.py student notebooks/zh notebooks/student/zh --keep-existing" in lab
    assert "--notebook-dir=notebooks/student/zh " in lab
    assert "--LabApp.default_url=/lab/tree/00_start_here.ipynb" in lab
    assert (REPO / "notebooks" / "zh" / "00_start_here.ipynb").is_file()  # what lab opens first
    solutions = make("-n", "lab-solutions", "LANG=zh", f"VENV={venv}").stdout
    assert "--notebook-dir=notebooks/zh " in solutions and "student" not in solutions
    assert (
        "--notebook-dir=notebooks/student/zh "
        in make("-n", "lab", "LAB_LANG=zh", f"VENV={venv}").stdout
    )
    # a Chinese locale in the environment leaves `make lab` as it was: English
    env = {**os.environ, "LANG": "zh_CN.UTF-8"}
    english = subprocess.run(
        [MAKE, "--no-print-directory", "-n", "lab", f"VENV={venv}"],
        cwd=REPO, capture_output=True, text=True, timeout=60, env=env,
    ).stdout  # fmt: skip
    assert "--notebook-dir=notebooks/student " in english and "/zh" not in english
    wrong = make("lab", "LAB_LANG=fr", f"VENV={venv}")
    assert wrong.returncode != 0 and not venv.exists()  # refused before installing anything
    assert "LAB_LANG=fr: the lessons exist in en and zh" in wrong.stderr


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_make_student_writes_both_editions(tmp_path: Path) -> None:
    student = make("-n", "student", f"VENV={tmp_path / 'venv'}").stdout
    assert "notebooks.py student notebooks notebooks/student\n" in student
    assert "notebooks.py student notebooks/zh notebooks/student/zh\n" in student


# ---------------------------------------------------------------------------- without make


def test_bootstrap_dry_run_prints_the_steps_of_make_lab(capsys) -> None:
    assert boot.main(["--dry-run", "--torch", "cpu", "--venv", "/nonexistent/venv"]) == 0
    out = capsys.readouterr().out.splitlines()
    python = boot.venv_python("/nonexistent/venv")
    assert out[0].endswith("-m venv /nonexistent/venv")
    assert f"{python} -m pip install" in out[1] and boot.TORCH_CPU_INDEX in out[1]
    assert out[2].endswith("-e '.[dev]'")
    assert "ipykernel install --sys-prefix" in out[3]
    assert any("notebooks.py student notebooks notebooks/student -k" in ln for ln in out)
    assert out[-1].startswith(f"{python} -m jupyter lab --notebook-dir=notebooks/student")


def test_bootstrap_solutions_and_no_lab(capsys) -> None:
    assert boot.main(["--dry-run", "--solutions", "--venv", "/nonexistent/venv"]) == 0
    out = capsys.readouterr().out
    assert "--notebook-dir=notebooks " in out and "notebooks/student" not in out
    assert boot.main(["--dry-run", "--no-lab", "--venv", "/nonexistent/venv"]) == 0
    assert "jupyter lab" not in capsys.readouterr().out


def test_bootstrap_lang_zh_opens_the_chinese_edition(capsys) -> None:
    assert boot.main(["--dry-run", "--lang", "zh", "--venv", "/nonexistent/venv"]) == 0
    out = capsys.readouterr().out.splitlines()
    lessons, student = (os.path.join("notebooks", "zh"), os.path.join("notebooks", "student", "zh"))
    assert any(f"notebooks.py student {lessons} {student} -k" in ln for ln in out)
    assert f"--notebook-dir={student} " in out[-1]
    assert boot.main(["--dry-run", "--lang", "zh", "--solutions", "--venv", "/nonexistent/v"]) == 0
    out = capsys.readouterr().out
    assert f"--notebook-dir={lessons} " in out and "student" not in out


def test_bootstrap_windows_venv_layout(monkeypatch) -> None:
    monkeypatch.setattr(boot.os, "name", "nt")
    assert boot.venv_python(".venv").replace("\\", "/").endswith("Scripts/python.exe")


def test_bootstrap_runs_the_steps_it_prints(tmp_path: Path, monkeypatch, capsys) -> None:
    """Not a dry run: each printed command is run, in order, until one fails."""
    ran = []
    monkeypatch.setattr(boot.subprocess, "call", lambda cmd, cwd: ran.append(cmd) or 0)
    assert boot.main(["--no-lab", "--venv", str(tmp_path / "v")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [boot.show(c) for c in ran] == printed
    ran.clear()
    monkeypatch.setattr(boot.subprocess, "call", lambda cmd, cwd: ran.append(cmd) or 3)
    assert boot.main(["--no-lab", "--venv", str(tmp_path / "v")]) == 3 and len(ran) == 1


# ---------------------------------------------------------------------------- hosted cell


def _run_hosted_cell(monkeypatch, environ: dict[str, str], modules: dict) -> list:
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append((a, k)))
    for key in [k for k in os.environ if k.startswith("BINDER_")]:
        monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    exec(compile(nbt.HOSTED_SOURCE, "<hosted cell>", "exec"), {})
    return calls


def test_hosted_cell_does_nothing_locally(monkeypatch) -> None:
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert _run_hosted_cell(monkeypatch, {}, {}) == []


def test_hosted_cell_installs_on_colab_when_the_kit_is_missing(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "nst_teach" else real(n, *a)
    )
    calls = _run_hosted_cell(monkeypatch, {}, {"google.colab": types.ModuleType("google.colab")})
    assert len(calls) == 1
    (cmd,), kwargs = calls[0]
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"] and kwargs == {"check": True}
    assert cmd[-1] == nbt.PIP_SOURCE
    calls = _run_hosted_cell(monkeypatch, {"BINDER_LAUNCH_HOST": "https://mybinder.org/"}, {})
    assert len(calls) == 1


def test_hosted_cell_uses_only_the_standard_library() -> None:
    imported = [ln for ln in nbt.HOSTED_SOURCE.splitlines() if ln.startswith("import")]
    assert imported == ["import importlib.util, os, subprocess, sys  # noqa: E401"]
    assert "nst_teach" not in "".join(imported)


# ---------------------------------------------------------------------------- git filter


def test_git_filter_commands_name_nbstripout_keeping_cell_ids() -> None:
    cmds = boot.git_filter_commands("/x/.venv/bin/python")
    clean = next(c for c in cmds if c[2] == "filter.nbstripout.clean")
    assert clean[3] == '"/x/.venv/bin/python" -m nbstripout --keep-id'
    assert "*.ipynb filter=nbstripout" in (REPO / ".gitattributes").read_text()


def test_nbstripout_leaves_a_run_lesson_as_committed(tmp_path: Path) -> None:
    """What the filter does to a lesson run in place is exactly `tools/notebooks.py clean`:
    outputs, counts, widget state and run metadata go; ids, tags, slide types and recorded
    expected outputs stay (so `check-clean` and nbval keep passing)."""
    pytest.importorskip("nbstripout")
    lesson = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))[0]
    nb = nbformat.read(lesson, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.execution_count = i + 1
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{i}\n")]
            cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    ran = tmp_path / lesson.name
    nbformat.write(nb, ran)
    clean = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--keep-id"],
        stdin=ran.open("rb"),
        capture_output=True,
        check=True,
    ).stdout.decode()
    stripped = nbformat.reads(clean, as_version=4)
    assert nbt.dirt(stripped) == []
    assert stripped == nbformat.read(lesson, as_version=4)
