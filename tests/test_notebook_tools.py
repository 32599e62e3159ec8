"""Tests of tools/notebooks.py (student copies, clean commits, recorded checks, slides), and of
the committed lessons: clean, with slide metadata on every cell, no solution in student copies."""

from __future__ import annotations

import doctest
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load_tools():
    spec = importlib.util.spec_from_file_location(
        "nst_notebook_tools", REPO / "tools" / "notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


nbt = _load_tools()

EXERCISE = (
    "def gram(F):\n"
    "    # F has shape (N, M)\n"
    "    ### BEGIN SOLUTION\n"
    "    G = F @ F.T\n"
    "    return G\n"
    "    ### END SOLUTION\n"
    "\n"
    "class Loss:\n"
    "    def __call__(self, x):\n"
    "        ### BEGIN SOLUTION\n"
    "        return 0.5 * (x**2).sum()\n"
    "        ### END SOLUTION"
)


def slide(cell, kind: str = "-"):
    cell.metadata["slideshow"] = {"slide_type": kind}
    return cell


def teacher_notebook() -> nbformat.NotebookNode:
    """A small teacher's notebook: an exercise, a solution cell, outputs, widget state."""
    ran = new_code_cell("print('hi')", execution_count=3)
    ran.outputs = [new_output("stream", name="stdout", text="hi\n")]
    ran.metadata["execution"] = {"iopub.status.busy": "2024-01-01T00:00:00Z"}
    nb = new_notebook(
        cells=[
            slide(new_markdown_cell("# Lesson 9: *Gram* matrices\n\nText."), "slide"),
            slide(ran),
            slide(new_code_cell(EXERCISE, metadata={"tags": ["exercise"]})),
            slide(
                new_code_cell(
                    "G_ref = F @ F.T  # the teacher's answer", metadata={"tags": ["solution"]}
                )
            ),
            slide(
                new_markdown_cell("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
                "fragment",
            ),
            slide(new_markdown_cell("Instructor notes"), "notes"),
        ]
    )
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


# ---------------------------------------------------------------------------- solutions


def test_doctests_of_the_tool() -> None:
    result = doctest.testmod(nbt, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 2
    assert result.failed == 0


def test_strip_solutions_keeps_indentation_and_the_rest() -> None:
    out = nbt.strip_solutions(EXERCISE)
    assert out == (
        "def gram(F):\n"
        "    # F has shape (N, M)\n"
        '    raise NotImplementedError("your code here")\n'
        "\n"
        "class Loss:\n"
        "    def __call__(self, x):\n"
        '        raise NotImplementedError("your code here")'
    )
    compile(out, "<student>", "exec")  # still valid Python


def test_strip_solutions_whole_cell_and_no_markers() -> None:
    assert nbt.strip_solutions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n") == (
        'raise NotImplementedError("your code here")\n'
    )
    assert nbt.strip_solutions("x = 1\n") == "x = 1\n"


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\nx = 1\n",
        "x = 1\n### END SOLUTION\n",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
    ],
)
def test_strip_solutions_rejects_unbalanced_markers(source: str) -> None:
    with pytest.raises(nbt.NotebookToolError):
        nbt.strip_solutions(source)


def test_student_copy_strips_solutions_drops_solution_cells_and_clears_outputs() -> None:
    teacher = teacher_notebook()
    student = nbt.student_copy(teacher)
    sources = [c.source for c in student.cells]
    assert len(student.cells) == len(teacher.cells) - 1  # the `solution` cell is gone
    assert not any("G_ref" in s for s in sources)
    text = "\n".join(sources)
    assert "F @ F.T" not in text and "0.5 * (x**2)" not in text and "Because." not in text
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert text.count('raise NotImplementedError("your code here")') == 2
    assert "YOUR ANSWER HERE" in sources[3]
    assert all(
        c.outputs == [] and c.execution_count is None
        for c in student.cells
        if c.cell_type == "code"
    )
    assert "widgets" not in student.metadata
    assert student.cells[2].metadata["tags"] == ["exercise"]  # tags and slides survive
    assert student.cells[3].metadata["slideshow"]["slide_type"] == "fragment"
    # the teacher's notebook itself is untouched
    assert teacher.cells[1].outputs and "BEGIN SOLUTION" in teacher.cells[2].source


def test_student_command_writes_copies(tmp_path: Path, capsys) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    nbformat.write(teacher_notebook(), src / "09_gram.ipynb")
    (src / "conftest.py").write_text("# not a notebook\n")
    assert nbt.main(["student", str(src), str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["09_gram.ipynb"]
    written = (out / "09_gram.ipynb").read_text()
    assert "BEGIN SOLUTION" not in written and "your code here" in written
    assert "1 student notebooks" in capsys.readouterr().out


def test_student_command_names_the_broken_notebook(tmp_path: Path, capsys) -> None:
    nb = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nx = 1")])
    nbformat.write(nb, tmp_path / "01_broken.ipynb")
    assert nbt.main(["student", str(tmp_path), str(tmp_path / "out")]) == 1
    assert "01_broken.ipynb" in capsys.readouterr().err


# ---------------------------------------------------------------------------- clean


def test_check_clean_then_clean(tmp_path: Path, capsys) -> None:
    path = tmp_path / "dirty.ipynb"
    nbformat.write(teacher_notebook(), path)
    assert nbt.main(["check-clean", str(path)]) == 1
    report = capsys.readouterr().out
    assert "dirty.ipynb" in report and "outputs in cells [1]" in report and "widget state" in report
    assert nbt.main(["clean", str(path)]) == 0
    assert nbt.main(["check-clean", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None
    assert "execution" not in nb.cells[1].metadata and "widgets" not in nb.metadata
    assert "BEGIN SOLUTION" in nb.cells[2].source  # cleaning keeps the solutions
    mtime = path.stat().st_mtime_ns
    assert nbt.main(["clean", str(path)]) == 0
    assert path.stat().st_mtime_ns == mtime  # a clean notebook is not rewritten


def test_check_slides(tmp_path: Path, capsys) -> None:
    good, bad = tmp_path / "good.ipynb", tmp_path / "bad.ipynb"
    nbformat.write(teacher_notebook(), good)
    nb = teacher_notebook()
    del nb.cells[1].metadata["slideshow"]
    nb.cells[2].metadata["slideshow"]["slide_type"] = "title"
    nbformat.write(nb, bad)
    assert nbt.main(["check-slides", str(good)]) == 0
    assert nbt.main(["check-slides", str(good), str(bad)]) == 1
    report = capsys.readouterr().out
    assert "good.ipynb" not in report
    assert "bad.ipynb" in report and "cells [1]" in report and "'title'" in report


# ---------------------------------------------------------------------------- record


def checked_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(
        cells=[
            new_code_cell("import os\nx = 6 * 7"),
            new_code_cell(
                "# NBVAL_CHECK_OUTPUT\nprint(x)\nprint(os.environ.get('NST_TEACH_FAST'))"
            ),
            new_code_cell("print('not checked')"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def test_record_stores_checked_stdout_and_keeps_the_file_clean(tmp_path: Path) -> None:
    path = tmp_path / "checked.ipynb"
    nbformat.write(checked_notebook(), path)
    assert nbt.main(["record", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].metadata["nst_teach"]["expected_output"] == "42\n1\n"  # the fast setting
    assert "nst_teach" not in nb.cells[0].metadata and "nst_teach" not in nb.cells[2].metadata
    assert nbt.dirt(nb) == []


def test_recorded_output_is_what_nbval_checks(tmp_path: Path) -> None:
    """record, then nbval with notebooks/conftest.py: the right output passes, a wrong one fails."""
    shutil.copy(REPO / "notebooks" / "conftest.py", tmp_path / "conftest.py")
    path = tmp_path / "checked.ipynb"
    nbformat.write(checked_notebook(), path)
    nbt.record(path)

    def nbval() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider",
             "--nbval-lax", "--nbval-current-env", "--rootdir", str(tmp_path), path.name],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
            env={**__import__("os").environ, "NST_TEACH_FAST": "1"},
        )  # fmt: skip

    ok = nbval()
    assert ok.returncode == 0, ok.stdout[-3000:]
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].metadata["nst_teach"]["expected_output"] = "41\n1\n"
    nbformat.write(nb, path)
    wrong = nbval()
    assert wrong.returncode == 1, wrong.stdout[-3000:]


# ---------------------------------------------------------------------------- slides


def test_slides_use_local_javascript_when_vendored(tmp_path: Path) -> None:
    path = tmp_path / "09_gram.ipynb"
    nbformat.write(teacher_notebook(), path)
    vendor = tmp_path / "slides" / "vendor"
    for rel in nbt.VENDOR_FILES.values():
        (vendor / rel).parent.mkdir(parents=True, exist_ok=True)
        (vendor / rel).write_text("")
    written, offline = nbt.build_slides([path], tmp_path / "slides", vendor)
    assert offline and [p.name for p in written] == ["09_gram.slides.html"]
    html = written[0].read_text()
    assert 'src="vendor/node_modules/requirejs/require.js"' in html
    assert "vendor/node_modules/reveal.js/dist/reveal.js" in html
    assert "vendor/node_modules/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe" in html
    assert "./vendor/mermaid-stub.js" in html
    assert "unpkg.com" not in html and "cdnjs" not in html
    index = (tmp_path / "slides" / "index.html").read_text()
    assert '<a href="09_gram.slides.html">Lesson 9: *Gram* matrices</a>' in index


def test_slides_fall_back_to_cdns_without_vendor(tmp_path: Path) -> None:
    path = tmp_path / "09_gram.ipynb"
    nbformat.write(teacher_notebook(), path)
    written, offline = nbt.build_slides([path], tmp_path / "out", tmp_path / "missing")
    assert not offline
    assert "https://unpkg.com/reveal.js" in written[0].read_text()


# ---------------------------------------------------------------------------- execute, book


def lesson_notebook(title: str, code: str, links: str = "") -> nbformat.NotebookNode:
    nb = new_notebook(
        cells=[
            slide(new_markdown_cell(f"# {title}\n\n$$G = F F^\\top$$ {links}"), "slide"),
            slide(new_code_cell(code)),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def test_execute_runs_each_lesson_once_in_the_fast_setting(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "data.txt").write_text("from the lesson's folder")
    nbformat.write(
        lesson_notebook(
            "One",
            "import os\nprint(os.environ['NST_TEACH_FAST'], os.environ['NST_TEACH_OFFLINE'],"
            " open('data.txt').read())",
        ),
        src / "01_one.ipynb",
    )
    assert nbt.main(["execute", str(src / "01_one.ipynb"), "--out", str(tmp_path / "ran")]) == 0
    ran = nbformat.read(tmp_path / "ran" / "01_one.ipynb", as_version=4)
    assert nbt.stdout_of(ran.cells[1]) == "1 1 from the lesson's folder\n"
    assert nbt.dirt(nbformat.read(src / "01_one.ipynb", as_version=4)) == []  # source untouched


def test_execute_names_the_failing_lesson(tmp_path: Path, capsys) -> None:
    nbformat.write(lesson_notebook("Bad", "1 / 0"), tmp_path / "02_bad.ipynb")
    assert nbt.main(["execute", str(tmp_path / "02_bad.ipynb"), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "02_bad.ipynb: execution failed" in err and "ZeroDivisionError" in err


def test_rewrite_lesson_links() -> None:
    body = (
        '<a href="03_gram_and_style.ipynb">3</a> <a href="./04_full.ipynb#eq-7">4</a> '
        '<a href="https://x.org/05_a.ipynb">web</a> <a href="notes.ipynb">n</a>'
    )
    assert nbt.rewrite_lesson_links(body) == (
        '<a href="03_gram_and_style.html">3</a> <a href="04_full.html#eq-7">4</a> '
        '<a href="https://x.org/05_a.ipynb">web</a> <a href="notes.ipynb">n</a>'
    )


def test_book_pages_contents_links_and_local_mathjax(tmp_path: Path) -> None:
    ran = tmp_path / "executed"
    ran.mkdir()
    names = ["00_start.ipynb", "01_next.ipynb", "02_last.ipynb"]
    for i, name in enumerate(names):
        nb = lesson_notebook(f"Lesson {i}", "print(1)", links="see [next](01_next.ipynb)")
        nb.cells[1].outputs = [new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
        nb.cells.insert(
            1, slide(new_code_cell(nbt.HOSTED_SOURCE, metadata={"tags": ["hosted-install"]}))
        )
        nbformat.write(nb, ran / name)
    vendor = tmp_path / "book" / "vendor"
    for rel in nbt.BOOK_VENDOR_FILES.values():
        (vendor / rel).parent.mkdir(parents=True, exist_ok=True)
        (vendor / rel).write_text("")
    written, offline = nbt.build_book(sorted(ran.glob("*.ipynb")), tmp_path / "book", vendor)
    assert offline and [p.name for p in written] == [
        "00_start.html",
        "01_next.html",
        "02_last.html",
    ]
    index = (tmp_path / "book" / "index.html").read_text()
    order = [index.index(f'href="{p.name}"') for p in written]
    assert order == sorted(order) and "NST_TEACH_FAST=1" in index
    page = written[1].read_text()
    assert 'src="vendor/node_modules/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"' in page
    assert 'src="vendor/node_modules/requirejs/require.js"' in page
    assert "cdnjs" not in page and "unpkg" not in page
    assert "NST_TEACH_FAST=1" in page  # the fast setting is stated on every page
    assert 'href="00_start.html" rel="prev"' in page and 'href="02_last.html" rel="next"' in page
    assert 'href="01_next.html"' in page and 'href="01_next.ipynb"' not in page
    assert "data:image/png;base64,iVBORw0KGgo=" in page
    assert "$$G = F F^\\top$$" in page  # left for MathJax
    assert "google.colab" not in page  # the hosted-install cell is not part of the book


def test_book_without_vendor_uses_a_cdn(tmp_path: Path) -> None:
    nbformat.write(lesson_notebook("Only", "1"), tmp_path / "00_only.ipynb")
    written, offline = nbt.build_book([tmp_path / "00_only.ipynb"], tmp_path / "book", None)
    assert not offline and "mathjax" in written[0].read_text().lower()


# ---------------------------------------------------------------------------- hosted cell


def test_sync_hosted_puts_one_identical_cell_first_and_check_hosted_finds_drift(
    tmp_path: Path, capsys
) -> None:
    path = tmp_path / "00_a.ipynb"
    nbformat.write(lesson_notebook("A", "x = 1"), path)
    assert nbt.main(["check-hosted", str(path)]) == 1
    assert "no 'hosted-install' cell" in capsys.readouterr().out
    assert nbt.main(["sync-hosted", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == nbt.HOSTED_SOURCE and code[1].source == "x = 1"
    assert code[0].metadata["slideshow"]["slide_type"] == "skip"
    assert nbt.main(["check-hosted", str(path)]) == 0
    text = path.read_text()
    assert nbt.main(["sync-hosted", str(path)]) == 0 and path.read_text() == text  # idempotent
    code[0].source += "\n# edited"
    nbformat.write(nb, path)
    assert nbt.main(["check-hosted", str(path)]) == 1
    assert "differs" in capsys.readouterr().out


def test_student_keep_existing_never_overwrites_a_students_work(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(teacher_notebook(), src / "01_a.ipynb")
    nbformat.write(teacher_notebook(), src / "02_b.ipynb")
    out = tmp_path / "student"
    out.mkdir()
    (out / "01_a.ipynb").write_text("my answers")
    written = nbt.make_student_copies(src, out, keep_existing=True)
    assert [p.name for p in written] == ["02_b.ipynb"]
    assert (out / "01_a.ipynb").read_text() == "my answers"


# ---------------------------------------------------------------------------- the lessons


def test_lessons_exist_or_skip() -> None:
    if not LESSONS:
        pytest.skip("no lessons in notebooks/ yet")
    assert LESSONS[0].name.startswith("00_")


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_committed_lesson_is_clean_with_slides_and_a_safe_student_copy(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert nbt.dirt(nb) == [], f"run: python tools/notebooks.py clean {path.relative_to(REPO)}"
    assert nbt.slide_problems(nb) == []
    assert nbt.hosted_cell_problems(nb) == []
    student = nbt.student_copy(nb)
    left = [i for i, c in enumerate(student.cells) if nbt.marker_lines(c.source)]
    assert left == [], f"solution markers left in the student copy, cells {left}"
    teacher_code = {c.source for c in nb.cells if nbt.marker_lines(c.source)}
    assert not teacher_code & {c.source for c in student.cells}
    unrecorded = [
        i
        for i, c in enumerate(nb.cells)
        if nbt.is_checked(c) and "expected_output" not in c.metadata.get("nst_teach", {})
    ]
    assert unrecorded == [], (
        f"# NBVAL_CHECK_OUTPUT cells {unrecorded} have no recorded output: "
        f"python tools/notebooks.py record {path.relative_to(REPO)}"
    )


def test_speaker_notes_renumbered_after_a_cell_is_inserted() -> None:
    note = new_markdown_cell("", metadata={"nst_teach": {"notes_template": "Run [[code:b = 2]]."}})
    nb = new_notebook(cells=[new_code_cell("a = 1"), new_code_cell("b = 2"), note])
    nbt.sync_notes(nb)
    assert note.source == "Run code cell 2."
    assert nbt.notes_problems(nb) == []
    nb.cells.insert(0, new_code_cell("# hosted"))
    assert nbt.notes_problems(nb)
    nbt.sync_notes(nb)
    assert note.source == "Run code cell 3."
    note.metadata["nst_teach"]["notes_template"] = "[[code:missing]]"
    assert "none has it" in nbt.notes_problems(nb)[0]
