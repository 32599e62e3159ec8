"""Set nst-teach up without make (Windows, macOS, Linux): venv, install, student copies, lab.

Run it from the repository's folder with the Python you want the kit to use::

    python tools/bootstrap.py                 # macOS / Linux
    py tools\\bootstrap.py                    # Windows
    python tools/bootstrap.py --torch cpu     # torch's CPU-only build (no CUDA, ~200 MB)
    python tools/bootstrap.py --solutions     # open the lessons with the solutions
    python tools/bootstrap.py --lang zh       # the Chinese edition (notebooks/zh), 中文版
    python tools/bootstrap.py --dry-run       # print the commands, run nothing

It does what ``make lab`` does: refuses a Python older than ``requires-python`` (one line
naming the fix), creates ``.venv``, installs the kit and its tools into it (``--torch cpu``
first installs torch from PyTorch's CPU index), registers the Jupyter kernel, sets up the
git filter that keeps notebook outputs out of commits, writes the student copies of the
lessons (never overwriting one) and opens JupyterLab on them. ``--lang zh`` does what
``make lab LANG=zh`` does: the same with the Chinese lessons, ``notebooks/zh``, whose student
copies go to ``notebooks/student/zh``.

``check-python`` and ``git-filter`` are the two steps the Makefile calls. This file imports
nothing outside the standard library and keeps to syntax old Pythons can parse, so that an
old one gets the message instead of a traceback.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
LAB_START = "00_start_here.ipynb"
LAB_DEFAULT_URL = [f"--LabApp.default_url=/lab/tree/{LAB_START}"]


def required_python(pyproject=None):
    """The minimum (major, minor) in pyproject.toml's ``requires-python = ">=X.Y"``."""
    path = pyproject or os.path.join(ROOT, "pyproject.toml")
    with open(path, encoding="utf-8") as f:
        match = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)', f.read(), re.MULTILINE)
    if not match:
        return (3, 10)
    return (int(match.group(1)), int(match.group(2)))


def python_problem(version=None, executable=None):
    """One line naming the fix when ``version`` is older than required; else None."""
    version = tuple(version or sys.version_info[:3])
    need = required_python()
    if version[:2] >= need:
        return None
    have = ".".join(str(v) for v in version[:3])
    want = f"{need[0]}.{need[1]}"
    return (
        f"nst-teach needs Python {want} or newer, but {executable or sys.executable} is Python "
        f"{have}: install a newer Python (python.org, `brew install python@3.12`, "
        "`sudo apt install python3.12-venv` or conda) and run `make lab PYTHON=python3.12` "
        "(without make: `python3.12 tools/bootstrap.py`)"
    )


def venv_python(venv):
    """The venv's interpreter: ``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere."""
    if os.name == "nt":
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def git_filter_commands(python):
    """``git config`` commands: nbstripout as the clean filter and the diff of notebooks.

    ``.gitattributes`` (committed) routes ``*.ipynb`` through the filter ``nbstripout``; these
    settings say what it runs. ``--keep-id`` keeps the cell ids the lessons are committed with.
    """
    quoted = '"{}" -m nbstripout'.format(python.replace("\\", "/"))
    return [
        ["git", "config", "filter.nbstripout.clean", quoted + " --keep-id"],
        ["git", "config", "filter.nbstripout.smudge", "cat"],
        ["git", "config", "diff.ipynb.textconv", quoted + " -t"],
    ]


def lesson_folders(lang="en"):
    """(the lessons, their student copies) for ``lang``: ``en`` or ``zh`` (the Chinese edition).

    A Chinese lesson's kernel runs in a folder named ``zh``, so its exercise checkers speak
    Chinese.
    """
    if lang == "zh":
        return os.path.join("notebooks", "zh"), os.path.join("notebooks", "student", "zh")
    return "notebooks", os.path.join("notebooks", "student")


def setup_commands(venv=".venv", torch="default", solutions=False, lab_args=(), lang="en"):
    """The commands of a setup, in order (each a list of arguments, run in the repository)."""
    python = venv_python(venv)
    steps = []
    if not os.path.exists(python):
        steps.append([sys.executable, "-m", "venv", venv])
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if torch == "cpu":
        steps.append([*pip, "--index-url", TORCH_CPU_INDEX, "torch", "torchvision"])
    steps.append([*pip, "-e", ".[dev]"])
    steps.append([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"])
    if os.path.isdir(os.path.join(ROOT, ".git")):
        steps.extend(git_filter_commands(python))
    lessons, student = lesson_folders(lang)
    folder = lessons if solutions else student
    if not solutions:
        steps.append(
            [python, os.path.join("tools", "notebooks.py"), "student", lessons, folder, "-k"]
        )
    steps.append(
        [python, "-m", "jupyter", "lab", f"--notebook-dir={folder}", *LAB_DEFAULT_URL, *lab_args]
    )
    return steps


def show(cmd):
    return " ".join(shlex.quote(c) for c in cmd)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tools/bootstrap.py", description=__doc__.split("\n")[0])
    parser.add_argument(
        "command", nargs="?", default="setup", choices=["setup", "check-python", "git-filter"]
    )
    parser.add_argument("--venv", default=".venv", help="the virtual environment (.venv)")
    parser.add_argument(
        "--torch", choices=["default", "cpu"], default="default", help="cpu: CPU-only build"
    )
    parser.add_argument("--solutions", action="store_true", help="lessons with the solutions")
    parser.add_argument(
        "--lang", choices=["en", "zh"], default="en", help="zh: the Chinese edition (notebooks/zh)"
    )
    parser.add_argument("--no-lab", action="store_true", help="install only; do not open lab")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    parser.add_argument("--python", default=None, help="git-filter: the venv's python")
    args, lab_args = parser.parse_known_args(argv)

    problem = python_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if args.command == "check-python":
        return 0
    if args.command == "git-filter":
        if subprocess.run(
            ["git", "rev-parse", "--git-dir"], cwd=ROOT, capture_output=True
        ).returncode:
            return 0  # not a git clone (a downloaded zip): nothing to configure
        steps = git_filter_commands(args.python or sys.executable)
    else:
        steps = setup_commands(args.venv, args.torch, args.solutions, lab_args, args.lang)
        if args.no_lab:
            steps = steps[:-1]
    for cmd in steps:
        print(show(cmd), flush=True)
        if args.dry_run:
            continue
        status = subprocess.call(cmd, cwd=ROOT)
        if status:
            print(f"failed (exit {status}): {show(cmd)}", file=sys.stderr)
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
