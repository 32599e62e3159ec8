"""tools/timings.py: per-cell times of a tiny synthetic notebook, the README block, flags."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "timings.py"


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("timings_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["timings_tool"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny lesson"),
        nbformat.v4.new_code_cell("import os\nfast = os.environ.get('NST_TEACH_FAST')"),
        nbformat.v4.new_code_cell("# NBVAL_CHECK_OUTPUT\nimport time\ntime.sleep(0.6)"),
        nbformat.v4.new_code_cell("assert fast is None, fast  # the default setting"),
    ]
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_timings_table_and_flags(
    notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _tool()
    monkeypatch.setenv("NST_TEACH_FAST", "1")  # the tool runs lessons without it
    readme = tmp_path / "README.md"
    readme.write_text("# Lessons\n\nSome text.\n")
    out = tmp_path / "timings.json"
    before = notebook.read_text()
    args = [str(notebook), "--readme", str(readme), "--json", str(out)]
    assert tool.main([*args, "--cell-limit", "0.5", "--lesson-limit", "0.3"]) == 0
    assert notebook.read_text() == before  # the lesson file is left alone
    data = json.loads(out.read_text())
    (lesson,) = data["lessons"]
    assert lesson["name"] == "01_tiny" and lesson["errors"] == [] and not data["errors"]
    assert [c["index"] for c in lesson["cells"]] == [1, 2, 3]
    sleep = lesson["cells"][1]
    assert 0.6 <= sleep["seconds"] < 5.0 and sleep["first_line"] == "import time"
    assert lesson["slow_cells"] == [2]
    assert lesson["seconds"] == pytest.approx(sum(c["seconds"] for c in lesson["cells"]))
    text = readme.read_text()
    assert text.startswith("# Lessons\n\nSome text.\n")
    assert text.count(tool.START) == 1 and text.count(tool.END) == 1
    assert "| 01_tiny |" in text and "over 0.3 s" in text and "1 slow cells" in text
    assert "**" in text.split("| 01_tiny |")[1].splitlines()[0]  # the total is flagged

    # a second run with generous limits replaces the block, keeps the text around it
    readme.write_text(text + "\nAfter.\n")
    assert tool.main([*args, "--cell-limit", "60", "--lesson-limit", "300"]) == 0
    text = readme.read_text()
    assert text.count(tool.START) == 1 and text.endswith("After.\n")
    assert "| ok |" in text and "⚠" not in text


def test_timings_records_errors_and_refuses_missing_files(tmp_path: Path) -> None:
    tool = _tool()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell("1 / 0"), nbformat.v4.new_code_cell("x = 2")]
    path = tmp_path / "02_broken.ipynb"
    nbformat.write(nb, path)
    record = tool.summarise(tool.time_notebook(path), cell_limit=60.0)
    assert record["errors"] == [0] and record["cells"][1]["error"] is False
    assert all(c["seconds"] is not None for c in record["cells"])
    assert tool.main([str(tmp_path / "missing.ipynb"), "--json", str(tmp_path / "t.json")]) == 2


def test_cell_seconds_from_kernel_timestamps() -> None:
    tool = _tool()
    cell = {"metadata": {"execution": {"iopub.execute_input": "2026-11-25T10:00:00.000000Z",
                                       "shell.execute_reply": "2026-11-25T10:01:02.500000Z"}}}  # fmt: skip
    assert tool.cell_seconds(cell) == pytest.approx(62.5)
    assert tool.cell_seconds({"metadata": {}}) is None


def test_first_run_has_an_empty_cache_and_second_run_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run with a fresh, empty NST_TEACH_CACHE_DIR; the second run sees what it left."""
    tool = _tool()
    user_cache = tmp_path / "user-cache"
    user_cache.mkdir()
    (user_cache / "done").write_text("a result from an earlier session")
    monkeypatch.setenv("NST_TEACH_CACHE_DIR", str(user_cache))  # must not be used
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os, pathlib, time\n"
            "marker = pathlib.Path(os.environ['NST_TEACH_CACHE_DIR']) / 'done'\n"
            "if not marker.exists():\n"
            "    time.sleep(0.6)\n"
            "    marker.write_text('cached')"
        )
    ]
    path = tmp_path / "03_cached.ipynb"
    nbformat.write(nb, path)
    out, readme = tmp_path / "t.json", tmp_path / "README.md"
    assert tool.main([str(path), "--json", str(out), "--readme", str(readme)]) == 0
    (lesson,) = json.loads(out.read_text())["lessons"]
    assert lesson["seconds"] >= 0.6  # the first run computed
    assert lesson["second_run"]["seconds"] < 0.5  # the second found the result
    assert (user_cache / "done").read_text() == "a result from an earlier session"
    assert len(list(user_cache.iterdir())) == 1
    row = next(ln for ln in readme.read_text().splitlines() if ln.startswith("| 03_cached |"))
    assert row.count("|") == 10  # first run, ..., second run, measured, load, flags
    # --runs first: no second run
    assert tool.main([str(path), "--json", str(out), "--readme", str(readme), "--runs",
                      "first"]) == 0  # fmt: skip
    (lesson,) = json.loads(out.read_text())["lessons"]
    assert "second_run" not in lesson and lesson["seconds"] >= 0.6
