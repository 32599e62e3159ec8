r"""Notebook tooling for the lessons: student copies, clean commits, recorded checks, slides.

Run ``python tools/notebooks.py --help``. Subcommands:

``student SRC_DIR OUT_DIR [--keep-existing]``
    Student copies (nbgrader style): in code cells, each region from a line
    ``### BEGIN SOLUTION`` to a line ``### END SOLUTION`` becomes
    ``raise NotImplementedError("your code here")`` at the indentation of the ``BEGIN`` line
    (in markdown cells it becomes ``YOUR ANSWER HERE``); cells tagged ``solution`` are
    dropped; outputs are cleared.
``clean FILES``
    Clear outputs, execution counts and widget state in place.
``check-clean FILES``
    Exit 1, naming them, if any notebook has outputs, execution counts or widget state.
``record FILES``
    Execute each notebook (``NST_TEACH_FAST=1 NST_TEACH_OFFLINE=1``) and store the stdout of
    every ``# NBVAL_CHECK_OUTPUT`` cell in its metadata ``nst_teach.expected_output``, which
    ``notebooks/conftest.py`` hands to nbval. The file stays without outputs.
``sync-hosted FILES`` / ``check-hosted FILES``
    Put (or check) the hosted-notebook cell, :data:`HOSTED_SOURCE`, as the first code cell of
    each lesson, tagged ``hosted-install``, identical in every lesson: on Colab or Binder it
    installs the kit; on a student's own computer it does nothing. It imports only the
    standard library, since the package is not installed yet when it runs.
``check-slides FILES``
    Exit 1 if a cell lacks ``metadata.slideshow.slide_type`` (or has an unknown one).
``execute FILES --out DIR``
    Run each lesson once (fast setting, ``NST_TEACH_FAST=1 NST_TEACH_OFFLINE=1``, in the
    lesson's own folder) and write the executed copy to ``DIR``; ``book`` and ``slides`` are
    built from those copies, so ``make book slides`` runs every lesson once.
``book FILES --out DIR [--vendor DIR]``
    A static HTML site of executed lessons: one page per lesson (nbconvert's HTML exporter,
    figures inline, links ``NN_name.ipynb`` rewritten to ``NN_name.html``, a note that the page
    ran in the fast setting, previous/contents/next links) and ``index.html``, the contents in
    lesson order. With ``--vendor`` holding ``mathjax@2`` and ``requirejs`` the pages need
    nothing from the internet and open from ``file://``.
``slides FILES --out DIR [--vendor DIR] [--execute] [--lang zh]``
    reveal.js decks ``DIR/<name>.slides.html`` and an ``index.html``. With ``--vendor`` pointing
    at an npm prefix holding ``reveal.js@4``, ``requirejs``, ``jquery`` and ``mathjax@2`` (what
    ``make slides`` installs when ``npm`` exists) the decks load everything from there and work
    offline; otherwise they load reveal.js, MathJax and friends from public CDNs. Each deck links
    to the same lesson's deck in the other language when there is one: an English deck to
    ``zh/<name>.slides.html``; a Chinese deck (``--lang zh``, built into ``DIR/zh``) to
    ``../<name>.slides.html``.
``zh-check FILES`` / ``zh-stamp FILE CELLS`` / ``zh-sync-code FILES``
    The Chinese edition (``notebooks/zh``), kept in step with the English lessons: list what is
    out of step; record that markdown cells translate the current English text; copy the
    English code cells into the Chinese lessons (see :func:`zh_sync_code`).

Example (a solution region in a code cell):

    >>> print(strip_solutions(
    ...     "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"))
    def f(x):
        raise NotImplementedError("your code here")
    <BLANKLINE>
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
#: The Chinese edition of the lessons (same file names as the English ones).
ZH_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "zh"
CODE_STUB = 'raise NotImplementedError("your code here")'
MARKDOWN_STUB = "YOUR ANSWER HERE"
SOLUTION_TAG = "solution"
CHECK_MARKER = "NBVAL_CHECK_OUTPUT"
SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
#: Environment for ``record`` (and ``slides --execute`` adds the fast setting only if set).
RECORD_ENV = {
    "NST_TEACH_FAST": "1",
    "NST_TEACH_OFFLINE": "1",
    "NST_TEACH_STRICT_CHECKS": "1",
    "MPLBACKEND": "Agg",
}
#: Where hosted notebooks (Colab) install the kit from; the cell reads NST_TEACH_PIP first.
PIP_SOURCE = "nst-teach @ git+https://github.com/nst-teach/nst-teach"
HOSTED_TAG = "hosted-install"
#: The first code cell of every lesson (``sync-hosted`` writes it, ``check-hosted`` checks it).
HOSTED_SOURCE = f"""\
# On Colab or Binder this installs nst-teach first; on your own computer it does nothing.
import importlib.util, os, subprocess, sys  # noqa: E401

hosted = "google.colab" in sys.modules or any(k.startswith("BINDER_") for k in os.environ)
if hosted and importlib.util.find_spec("nst_teach") is None:
    source = os.environ.get("NST_TEACH_PIP", "{PIP_SOURCE}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", source], check=True)"""
#: The fast setting the book and slides are executed in (stated on every page).
BUILD_ENV = {"NST_TEACH_FAST": "1", "NST_TEACH_OFFLINE": "1", "MPLBACKEND": "Agg"}
#: The environment of each setting the book can be built in (``execute --setting``).
SETTING_ENV = {
    "fast": BUILD_ENV,
    "default": {"NST_TEACH_FAST": "0", "NST_TEACH_OFFLINE": "1", "MPLBACKEND": "Agg"},
}
#: Files under an npm prefix (``npm install --prefix DIR ...``) that make slides offline.
VENDOR_FILES = {
    "reveal": "node_modules/reveal.js",
    "require_js": "node_modules/requirejs/require.js",
    "jquery": "node_modules/jquery/dist/jquery.min.js",
    "mathjax": "node_modules/mathjax/MathJax.js",
}
CELL_METADATA_DROPPED = ("execution", "collapsed", "scrolled")
#: Files under an npm prefix that make the book offline (MathJax 2, as the slides use).
BOOK_VENDOR_FILES = {
    "require_js": "node_modules/requirejs/require.js",
    "mathjax": "node_modules/mathjax/MathJax.js",
}


class NotebookToolError(Exception):
    """A problem with a notebook's content, reported as one line naming the file."""


# ---------------------------------------------------------------------------- solutions


def strip_solutions(source: str, stub: str = CODE_STUB) -> str:
    r"""Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by ``stub``.

    The stub keeps the indentation of the ``BEGIN`` line; text outside the regions is kept as is.

    Raises:
        NotebookToolError: an unmatched or nested marker.

    Examples:
        >>> strip_solutions("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION\nz = 3")
        'x = 1\nraise NotImplementedError("your code here")\nz = 3'
    """
    out: list[str] = []
    indent = None  # the BEGIN line's indentation while inside a region
    for line in source.splitlines(keepends=True):
        marker = line.strip()
        if marker == BEGIN:
            if indent is not None:
                raise NotebookToolError(f"nested {BEGIN!r}")
            indent = line[: len(line) - len(line.lstrip())]
        elif marker == END:
            if indent is None:
                raise NotebookToolError(f"{END!r} without {BEGIN!r}")
            out.append(indent + stub + ("\n" if line.endswith("\n") else ""))
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise NotebookToolError(f"{BEGIN!r} without {END!r}")
    return "".join(out)


def marker_lines(source: str) -> list[str]:
    """The lines of ``source`` that are solution markers (text merely naming them is fine)."""
    return [line for line in source.splitlines() if line.strip() in (BEGIN, END)]


def has_tag(cell: NotebookNode, tag: str) -> bool:
    """Whether ``cell`` carries the tag ``tag`` in ``metadata.tags``."""
    return tag in (cell.get("metadata", {}).get("tags") or [])


def student_copy(nb: NotebookNode) -> NotebookNode:
    """A student's copy of ``nb``: solutions replaced by stubs, solution cells gone, clean."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if has_tag(cell, SOLUTION_TAG):
            continue
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, CODE_STUB)
        elif cell.cell_type == "markdown":
            cell.source = strip_solutions(cell.source, MARKDOWN_STUB)
        cells.append(cell)
    nb.cells = cells
    clean_notebook(nb)
    return nb


def lesson_files(src_dir: Path) -> list[Path]:
    """The notebooks directly inside ``src_dir`` (no checkpoints, no subfolders), sorted."""
    return sorted(p for p in Path(src_dir).glob("*.ipynb") if p.is_file())


def make_student_copies(src_dir: Path, out_dir: Path, keep_existing: bool = False) -> list[Path]:
    """Write a student copy of every notebook in ``src_dir`` into ``out_dir``; return the paths.

    With ``keep_existing`` a copy already in ``out_dir`` (a student's work) is left alone.
    """
    out_dir = Path(out_dir)
    written = []
    for path in lesson_files(src_dir):
        if keep_existing and (out_dir / path.name).exists():
            continue
        nb = read(path)
        try:
            student = student_copy(nb)
        except NotebookToolError as err:
            raise NotebookToolError(f"{path}: {err}") from None
        leftover = [i for i, c in enumerate(student.cells) if marker_lines(c.source)]
        if leftover:
            raise NotebookToolError(f"{path}: solution markers left in cells {leftover}")
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / path.name
        nbformat.write(student, target)
        written.append(target)
    return written


# ---------------------------------------------------------------------------- clean


def dirt(nb: NotebookNode) -> list[str]:
    """What keeps ``nb`` from being clean: cells with outputs or counts, widget state."""
    problems = []
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("outputs")]
    counted = [
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.get("execution_count")
    ]
    if with_outputs:
        problems.append(f"outputs in cells {with_outputs}")
    if counted:
        problems.append(f"execution counts in cells {counted}")
    if "widgets" in nb.metadata:
        problems.append("widget state in metadata")
    timed = [i for i, c in enumerate(nb.cells) if "execution" in c.get("metadata", {})]
    if timed:
        problems.append(f"execution timings in cells {timed}")
    return problems


def clean_notebook(nb: NotebookNode) -> NotebookNode:
    """Clear outputs, execution counts, widget state and run metadata of ``nb`` in place."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in CELL_METADATA_DROPPED:
            cell.get("metadata", {}).pop(key, None)
    nb.metadata.pop("widgets", None)
    return nb


def read(path: Path) -> NotebookNode:
    """Read a notebook as nbformat 4."""
    return nbformat.read(str(path), as_version=4)


def write_if_changed(nb: NotebookNode, path: Path) -> bool:
    """Write ``nb`` to ``path`` unless the file already holds exactly that; True if written."""
    text = nbformat.writes(nb) + "\n"
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


# ---------------------------------------------------------------------------- hosted cell


def hosted_cell_problems(nb: NotebookNode) -> list[str]:
    """Whether the first code cell is exactly the hosted-install cell, and the only one."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(nb.cells) if has_tag(c, HOSTED_TAG)]
    if not tagged:
        return [f"no {HOSTED_TAG!r} cell (run: python tools/notebooks.py sync-hosted FILES)"]
    problems = []
    if len(tagged) > 1:
        problems.append(f"{HOSTED_TAG!r} cells {tagged}: keep one")
    if code and tagged[0] != code[0]:
        problems.append(f"the {HOSTED_TAG!r} cell {tagged[0]} is not the first code cell")
    if nb.cells[tagged[0]].source != HOSTED_SOURCE:
        problems.append(f"the {HOSTED_TAG!r} cell differs from tools/notebooks.py's (sync-hosted)")
    return problems


def sync_hosted_cell(nb: NotebookNode) -> NotebookNode:
    """Make the first code cell of ``nb`` the hosted-install cell (insert or update it)."""
    tagged = [c for c in nb.cells if has_tag(c, HOSTED_TAG)]
    if tagged:
        cell = tagged[0]
        nb.cells = [c for c in nb.cells if not has_tag(c, HOSTED_TAG)]
    else:
        cell = nbformat.v4.new_code_cell(metadata={"tags": [HOSTED_TAG]})
    cell.source = HOSTED_SOURCE
    cell.metadata["slideshow"] = {"slide_type": "skip"}
    first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(first, cell)
    return nb


# ---------------------------------------------------------------------------- speaker notes

NOTES_REF = re.compile(r"\[\[code:(.*?)\]\]")


def code_cell_number(nb: NotebookNode, prefix: str) -> int:
    """The 1-based number, among code cells, of the first whose source contains ``prefix``
    (the ``[N]`` a Run All gives it), so that speaker notes can say "code cell N"."""
    number = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            number += 1
            if prefix in cell.source:
                return number
    raise NotebookToolError(f"speaker notes refer to a code cell with {prefix!r}: none has it")


def rendered_notes(nb: NotebookNode, template: str) -> str:
    """A notes template with each ``[[code:PREFIX]]`` replaced by "code cell N" (in a Chinese
    lesson, whose metadata has ``nst_teach.language == "zh"``: "代码单元 N", with no space
    between it and a Chinese character before it, as Chinese text writes it)."""
    zh = nb.metadata.get("nst_teach", {}).get("language") == "zh"
    word = "代码单元 " if zh else "code cell "
    if zh:
        template = CJK_BEFORE_REF.sub("", template)
    return NOTES_REF.sub(lambda m: f"{word}{code_cell_number(nb, m[1])}", template)


#: Spaces between a Chinese character (or full-width punctuation) and a ``[[code:`` reference.
CJK_BEFORE_REF = re.compile(r"(?<=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]) +(?=\[\[code:)")


def _notes_cells(nb: NotebookNode) -> list[tuple[NotebookNode, str]]:
    out = []
    for cell in nb.cells:
        template = cell.metadata.get("nst_teach", {}).get("notes_template")
        if template:
            out.append((cell, template))
    return out


def sync_notes(nb: NotebookNode) -> NotebookNode:
    """Rewrite speaker notes from their templates (after cells were added or moved)."""
    for cell, template in _notes_cells(nb):
        cell.source = rendered_notes(nb, template)
    return nb


def notes_problems(nb: NotebookNode) -> list[str]:
    """Speaker notes whose cell numbers no longer match their templates."""
    try:
        stale = [c for c, t in _notes_cells(nb) if c.source != rendered_notes(nb, t)]
    except NotebookToolError as err:
        return [str(err)]
    if stale:
        return [f"{len(stale)} speaker-notes cells cite stale cell numbers (run sync-notes)"]
    return []


# ---------------------------------------------------------------------------- record


def is_checked(cell: NotebookNode) -> bool:
    """Whether nbval compares this cell's output (a ``# NBVAL_CHECK_OUTPUT`` comment or tag)."""
    if cell.cell_type != "code":
        return False
    if has_tag(cell, "nbval-check-output"):
        return True
    for line in cell.source.splitlines():
        line = line.strip()
        if line.startswith("#") and line.lstrip("#").strip() == CHECK_MARKER:
            return True
    return False


def stdout_of(cell: NotebookNode) -> str:
    r"""The text the cell printed on stdout, streams joined (``\r`` overwrites resolved)."""
    text = "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.output_type == "stream" and o.get("name") == "stdout"
    )
    return re.sub(r"^.*\r(?=[^\n])", "", text, flags=re.MULTILINE)


def other_outputs(cell: NotebookNode) -> list[str]:
    """Kinds of output besides stdout (nbval would compare those too, and fail)."""
    kinds = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream" and o.get("name") == "stdout":
            continue
        kinds.append(o.get("name", o.output_type))
    return kinds


def execute(nb: NotebookNode, cwd: Path, timeout: int = 600, env: dict | None = None) -> None:
    """Run ``nb`` in place with nbclient in directory ``cwd``, ``env`` added to the environment."""
    from nbclient import NotebookClient

    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
        NotebookClient(
            nb, timeout=timeout, kernel_name=kernel, resources={"metadata": {"path": str(cwd)}}
        ).execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def record(path: Path, timeout: int = 600) -> list[str]:
    """Execute ``path`` in the fast setting and store each checked cell's stdout; return notes."""
    path = Path(path)
    nb = read(path)
    ran = copy.deepcopy(nb)
    execute(ran, path.parent.resolve(), timeout=timeout, env=RECORD_ENV)
    notes = []
    for i, (cell, done) in enumerate(zip(nb.cells, ran.cells)):
        if not is_checked(cell):
            continue
        text = stdout_of(done)
        meta = cell.metadata.setdefault("nst_teach", {})
        if meta.get("expected_output") != text:
            notes.append(f"{path}: cell {i}: recorded {text!r}")
        meta["expected_output"] = text
        extra = other_outputs(done)
        if extra:
            notes.append(f"{path}: cell {i}: WARNING also writes {extra}; nbval will compare those")
        if not text:
            notes.append(f"{path}: cell {i}: WARNING printed nothing on stdout")
    clean_notebook(nb)
    write_if_changed(nb, path)
    return notes


# ---------------------------------------------------------------------------- slides


def slide_problems(nb: NotebookNode) -> list[str]:
    """Cells without a known ``metadata.slideshow.slide_type``."""
    missing, unknown = [], []
    for i, cell in enumerate(nb.cells):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if kind is None:
            missing.append(i)
        elif kind not in SLIDE_TYPES:
            unknown.append(f"{i}:{kind!r}")
    problems = []
    if missing:
        problems.append(f"no slideshow.slide_type in cells {missing}")
    if unknown:
        problems.append(f"unknown slide_type in cells {unknown} (use one of {SLIDE_TYPES})")
    return problems


def vendor_urls(vendor: Path | None, out_dir: Path) -> dict[str, str] | None:
    """URLs, relative to ``out_dir``, of the local JavaScript under ``vendor``; None if absent."""
    if vendor is None:
        return None
    vendor = Path(vendor)
    if not all((vendor / rel).exists() for rel in VENDOR_FILES.values()):
        return None
    rel = Path(os.path.relpath(vendor.resolve(), Path(out_dir).resolve())).as_posix()
    urls = {key: f"{rel}/{sub}" for key, sub in VENDOR_FILES.items()}
    urls["mathjax"] += "?config=TeX-AMS_CHTML-full,Safe"
    # the reveal template imports mermaid as an ES module; no lesson draws mermaid diagrams,
    # so a local stub keeps the deck from reaching for a CDN.
    stub = vendor / "mermaid-stub.js"
    if not stub.exists():
        stub.write_text("export default { initialize() {}, run() {} };\n", encoding="utf-8")
    urls["mermaid"] = f"./{rel}/mermaid-stub.js"  # a module path needs ./
    return urls


def title_of(nb: NotebookNode, default: str) -> str:
    """The first markdown heading of ``nb`` (without ``#`` and markup), else ``default``."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip().replace("**", "").replace("`", "")
    return default


#: The link from a deck to the same deck in the other language (reveal.js leaves it alone).
SLIDES_LANG_STYLE = (
    "<style>.nst-lang{position:fixed;top:0.6em;right:0.9em;z-index:40;font:15px sans-serif;"
    "padding:0.2em 0.6em;background:#f3f6fa;border:1px solid #d0d7de;border-radius:6px}</style>"
)


def build_slides(
    files: Sequence[Path],
    out_dir: Path,
    vendor: Path | None = None,
    run: bool = False,
    lang: str = "en",
) -> tuple[list[Path], bool]:
    """Write reveal.js decks of ``files`` into ``out_dir``; return (paths, whether offline).

    ``lang`` is the lessons' language: ``"zh"`` for the Chinese edition, whose decks go into a
    ``zh`` folder beside the English ones (``make slides`` writes ``slides/zh``). Every deck
    links to the same lesson's deck in the other language, when that lesson exists, as the
    book's pages do; the speaker notes are the lesson's own (in Chinese in a Chinese lesson).
    """
    from nbconvert import SlidesExporter

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    urls = vendor_urls(vendor, out_dir)
    exporter = SlidesExporter()
    exporter.reveal_scroll = True  # long derivations scroll instead of being cut off
    exporter.reveal_number = "c/t"
    if urls:
        exporter.reveal_url_prefix = urls["reveal"]
        exporter.require_js_url = urls["require_js"]
        exporter.jquery_url = urls["jquery"]
        exporter.mathjax_url = urls["mathjax"]
        exporter.mermaid_js_url = urls["mermaid"]
    written, entries = [], []
    for path in files:
        path = Path(path)
        nb = read(path)
        if run:
            execute(nb, path.parent.resolve())
        nb.metadata.pop("widgets", None)  # live widgets need a kernel; slides show the code
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out_dir / f"{path.stem}.slides.html"
        link = _language_link(lang, path.stem, target.name)
        if link:
            link = link.replace("<a ", '<a class="nst-lang" ', 1)
            start = re.search(r"<body[^>]*>", body)
            if start:
                body = body[: start.end()] + SLIDES_LANG_STYLE + link + body[start.end() :]
        if lang == "zh":
            body = body.replace('<html lang="en">', '<html lang="zh">', 1)
            body = body.replace(
                f"<title>{path.stem} slides</title>", f"<title>{path.stem} 幻灯片</title>", 1
            )
        target.write_text(body, encoding="utf-8")
        written.append(target)
        entries.append((target.name, title_of(nb, path.stem)))
    items = "\n".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a></li>'
        for name, title in entries
    )
    if lang == "zh":
        (out_dir / "index.html").write_text(
            '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
            '<title>nst-teach 幻灯片</title></head>\n<body style="font-family: sans-serif; '
            'max-width: 40em; margin: 3em auto">\n'
            '<p><a href="../index.html" lang="en">English</a></p>\n'
            "<h1>nst-teach：幻灯片</h1>\n"
            "<p>每课一套幻灯片。用方向键翻页；按 <kbd>s</kbd> 打开讲者备注。</p>\n"
            f"<ol>\n{items}\n</ol>\n</body></html>\n",
            encoding="utf-8",
        )
        return written, urls is not None
    chinese = _chinese_index_link()
    (out_dir / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<title>nst-teach slides</title></head>\n<body style="font-family: sans-serif; '
        f'max-width: 40em; margin: 3em auto">\n{chinese}<h1>nst-teach: slides</h1>\n'
        "<p>One deck per lesson. Arrow keys move; <kbd>s</kbd> opens the speaker notes.</p>\n"
        f"<ol>\n{items}\n</ol>\n</body></html>\n",
        encoding="utf-8",
    )
    return written, urls is not None


# ---------------------------------------------------------------------------- execute, book


def execute_lessons(
    files: Sequence[Path], out_dir: Path, timeout: int = 600, setting: str = "fast"
) -> list[Path]:
    """Run each notebook once in ``setting`` (``"fast"`` or ``"default"``, what a student
    sees); write the executed copies into ``out_dir``.

    Each runs in its own folder (relative paths work as in JupyterLab); widget state is dropped
    (live widgets need a kernel).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files:
        path = Path(path)
        nb = read(path)
        try:
            execute(nb, path.parent.resolve(), timeout=timeout, env=SETTING_ENV[setting])
        except Exception as err:  # nbclient's CellExecutionError carries the traceback
            raise NotebookToolError(f"{path}: execution failed: {err}") from None
        nb.metadata.pop("widgets", None)
        target = out_dir / path.name
        nbformat.write(nb, target)
        written.append(target)
    return written


def book_vendor_urls(vendor: Path | None, out_dir: Path) -> dict[str, str] | None:
    """URLs, relative to ``out_dir``, of MathJax and require.js under ``vendor``; None if absent."""
    if vendor is None:
        return None
    vendor = Path(vendor)
    if not all((vendor / rel).exists() for rel in BOOK_VENDOR_FILES.values()):
        return None
    rel = Path(os.path.relpath(vendor.resolve(), Path(out_dir).resolve())).as_posix()
    urls = {key: f"{rel}/{sub}" for key, sub in BOOK_VENDOR_FILES.items()}
    urls["mathjax"] += "?config=TeX-AMS_CHTML-full,Safe"
    # the lab template imports mermaid (only for mermaid diagrams, which no lesson draws)
    stub = vendor / "mermaid-stub.js"
    if not stub.exists():
        stub.write_text("export default { initialize() {}, run() {} };\n", encoding="utf-8")
    urls["mermaid"] = f"./{rel}/mermaid-stub.js"
    return urls


def rewrite_lesson_links(body: str) -> str:
    """Point links to other lessons (``NN_name.ipynb``, with or without ``#anchor``) at pages.

    Examples:
        >>> rewrite_lesson_links('<a href="03_gram.ipynb#eq-4">x</a> <a href="x.ipynb">y</a>')
        '<a href="03_gram.html#eq-4">x</a> <a href="x.ipynb">y</a>'
    """
    return re.sub(
        r"""href=(["'])(?:\./)?(\d\d_[^"'/#?]+)\.ipynb(#[^"']*)?\1""",
        lambda m: f"href={m[1]}{m[2]}.html{m[3] or ''}{m[1]}",
        body,
    )


FAST_NOTE = (
    "This page was executed in the fast setting (<code>NST_TEACH_FAST=1</code>: small images, "
    "few steps; <code>NST_TEACH_OFFLINE=1</code>: without downloading the ImageNet weights, so "
    "VGG-19 may have seeded random weights). Run the lesson yourself for the full-size pictures."
)
FAST_NOTE_ZH = (
    "本页在快速设置下运行（<code>NST_TEACH_FAST=1</code>：小图像、少步数；"
    "<code>NST_TEACH_OFFLINE=1</code>：不下载 ImageNet 权重，因此 VGG-19 可能使用带种子的随机权重）。"
    "亲自运行本课可以得到全尺寸的图片。"
)
BOOK_STYLE = (
    "<style>.nst-nav{font-family:sans-serif;max-width:1100px;margin:0.8em auto;padding:0.6em 1em;"
    "background:#f3f6fa;border:1px solid #d0d7de;border-radius:6px;font-size:0.95em}"
    ".nst-nav a{margin-right:1.2em}.nst-fast{color:#555;margin-top:0.4em}</style>"
)


def _nav(prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    links = ['<a href="index.html">Contents</a>']
    if prev:
        links.insert(0, f'<a href="{prev[0]}" rel="prev">&larr; {html.escape(prev[1])}</a>')
    if nxt:
        links.append(f'<a href="{nxt[0]}" rel="next">{html.escape(nxt[1])} &rarr;</a>')
    return " ".join(links)


def _chinese_index_link() -> str:
    """The English index pages' link to the Chinese edition (empty while none is translated)."""
    if any(ZH_DIR.glob("[0-9][0-9]_*.ipynb")):
        return '<p><a href="zh/index.html" lang="zh">中文版</a></p>\n'
    return ""


def _language_link(lang: str, stem: str, page: str) -> str:
    """The link from the page ``page`` (a book page or a deck) of lesson ``stem`` to the same
    page in the other language, if that lesson exists: the Chinese pages sit in ``zh/``."""
    if lang == "zh":
        return f'<a href="../{html.escape(page)}" lang="en">English</a>'
    if (ZH_DIR / f"{stem}.ipynb").exists():
        return f'<a href="zh/{html.escape(page)}" lang="zh">中文版</a>'
    return ""


def build_book(
    files: Sequence[Path], out_dir: Path, vendor: Path | None = None, lang: str = "en"
) -> tuple[list[Path], bool]:
    """Write one HTML page per (executed) lesson and a contents page; return (paths, offline).

    The book is nbconvert's HTML exporter (``lab`` template) with local MathJax 2: it is
    already installed with the developer tools, needs no extra toolchain (jupyter-book 2 and
    mystmd need node plus their own packages, quarto a separate binary), and its pages open
    from ``file://``. Figures are in the executed outputs as data URIs; images that markdown
    cells reference are embedded too (``embed_images``).
    """
    from nbconvert import HTMLExporter

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    urls = book_vendor_urls(vendor, out_dir)
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    if urls:
        exporter.mathjax_url = urls["mathjax"]
        exporter.require_js_url = urls["require_js"]
        exporter.mermaid_js_url = urls["mermaid"]
        exporter.mermaid_layout_elk_js_url = ""
    lessons = []
    for path in files:
        path = Path(path)
        nb = read(path)
        nb.metadata.pop("widgets", None)
        nb.cells = [c for c in nb.cells if not has_tag(c, HOSTED_TAG)]  # nothing to see here
        lessons.append((path, nb, f"{path.stem}.html", title_of(nb, path.stem)))
    written = []
    for i, (path, nb, name, title) in enumerate(lessons):
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": title, "path": str(path.parent)}}
        )
        prev = lessons[i - 1][2:] if i > 0 else None
        nxt = lessons[i + 1][2:] if i + 1 < len(lessons) else None
        fast = FAST_NOTE_ZH if lang == "zh" else FAST_NOTE
        header = (
            f'{BOOK_STYLE}<nav class="nst-nav">{_nav(prev, nxt)}{_language_link(lang, path.stem, name)}'
            f'<div class="nst-fast">{fast}</div></nav>'
        )
        footer = f'<nav class="nst-nav">{_nav(prev, nxt)}</nav>'
        body = rewrite_lesson_links(body)
        start = re.search(r"<body[^>]*>", body)
        if start:
            body = body[: start.end()] + header + body[start.end() :]
        body = body.replace("</body>", footer + "</body>", 1)
        target = out_dir / name
        target.write_text(body, encoding="utf-8")
        written.append(target)
    items = "\n".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a></li>'
        for _, _, name, title in lessons
    )
    if lang == "zh":
        (out_dir / "index.html").write_text(
            '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
            '<title>nst-teach：课程</title></head>\n<body style="font-family: sans-serif; '
            'max-width: 44em; margin: 3em auto; line-height: 1.6">\n'
            '<p><a href="../index.html" lang="en">English</a></p>\n'
            "<h1>nst-teach：神经风格迁移，一课一课地学</h1>\n"
            "<p>Gatys、Ecker 和 Bethge 的神经风格迁移的数学原理：推导、与自动微分对照、运行，"
            "一课一课地学。可以在这里按顺序阅读，也可以用 <code>make lab</code> 亲自运行。</p>\n"
            f'<p class="nst-fast">{FAST_NOTE_ZH}</p>\n'
            f'<ol style="list-style: none; padding-left: 1em">\n{items}\n</ol>\n'
            "</body></html>\n",
            encoding="utf-8",
        )
        return written, urls is not None
    chinese = _chinese_index_link()
    (out_dir / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<title>nst-teach: the lessons</title></head>\n<body style="font-family: sans-serif; '
        'max-width: 44em; margin: 3em auto; line-height: 1.5">\n'
        f"{chinese}<h1>nst-teach: neural style transfer, the lessons</h1>\n"
        "<p>The mathematics of Gatys, Ecker &amp; Bethge's neural style transfer, derived, "
        "checked against autograd and run, one lesson at a time. Read them here in order, or "
        "run them yourself with <code>make lab</code>.</p>\n"
        f'<p class="nst-fast">{FAST_NOTE.replace("This page was", "These pages were")}</p>\n'
        f'<ol style="list-style: none; padding-left: 1em">\n{items}\n</ol>\n'
        '<p><a href="../slides/index.html">Slides</a> (after <code>make slides</code>)</p>\n'
        "</body></html>\n",
        encoding="utf-8",
    )
    return written, urls is not None


# ---------------------------------------------------------------------------- Chinese edition

#: The glossary of the Chinese edition: English term, Chinese term, and the variants that
#: must not appear in a Chinese lesson (comma-separated), tab-separated, one term a line.
GLOSSARY = ZH_DIR / "GLOSSARY.tsv"


#: A line break inside a Chinese sentence: Markdown renders it as a space between characters.
CJK_BREAK = re.compile("[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]\n[ ]*[\u3400-\u9fff]")


def source_sha256(source: str) -> str:
    """The hash a translated cell records of the English cell it translates.

    Examples:
        >>> source_sha256("# Title")[:12]
        '79aeaf7ba450'
    """
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def read_glossary(path: Path = GLOSSARY) -> list[tuple[str, str, list[str]]]:
    """``(english, chinese, forbidden variants)`` for each line of the glossary (``#`` comments)."""
    terms = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            raise NotebookToolError(
                f"{path}:{number}: expected 'english<TAB>chinese[<TAB>variants]'"
            )
        variants = [v.strip() for v in parts[2].split(",") if v.strip()] if len(parts) > 2 else []
        terms.append((parts[0].strip(), parts[1].strip(), variants))
    return terms


def glossary_problems(text: str, glossary: Sequence[tuple[str, str, list[str]]]) -> list[str]:
    """The forbidden variants found in ``text``, each with the glossary's term to use instead.

    A variant that is part of the glossary's own term (e.g. "风格损" inside "风格损失") is
    ignored where it occurs as part of that term.

    Examples:
        >>> glossary_problems("格拉姆矩阵与克莱姆矩阵", [("Gram matrix", "格拉姆矩阵", ["克莱姆矩阵"])])
        ["'克莱姆矩阵' (use '格拉姆矩阵' for 'Gram matrix')"]
    """
    out = []
    for english, chinese, variants in glossary:
        masked = text.replace(chinese, "\0")
        for variant in variants:
            if variant in masked:
                out.append(f"{variant!r} (use {chinese!r} for {english!r})")
    return out


def zh_problems(
    zh: NotebookNode, en: NotebookNode, glossary: Sequence[tuple[str, str, list[str]]] = ()
) -> list[str]:
    """What keeps a Chinese lesson from being in step with its English original.

    Code cells must be byte-identical (same count and order), each markdown cell must record
    in ``metadata.nst_teach.source_sha256`` the hash of the English cell at its position (a
    mismatch means the English text changed since translation: the cell is stale), and the
    Chinese text must use the glossary's terms.
    """
    if len(zh.cells) != len(en.cells):
        return [f"{len(zh.cells)} cells, the English lesson has {len(en.cells)}"]
    out: list[str] = []
    stale, untranslated = [], []
    for number, (z, e) in enumerate(zip(zh.cells, en.cells, strict=True), 1):
        if z.cell_type != e.cell_type:
            out.append(f"cell {number} is {z.cell_type}, the English one {e.cell_type}")
            continue
        if z.get("id") != e.get("id"):
            out.append(f"cell {number} has id {z.get('id')!r}, the English one {e.get('id')!r}")
        if z.cell_type == "code":
            if z.source != e.source:
                out.append(f"code cell {number} differs from the English one")
            continue
        recorded = z.metadata.get("nst_teach", {}).get("source_sha256")
        if recorded is None:
            untranslated.append(number)
        elif recorded != source_sha256(e.source):
            stale.append(number)
        for found in glossary_problems(z.source, glossary):
            out.append(f"cell {number}: {found}")
        if CJK_BREAK.search(z.source):
            out.append(
                f"cell {number}: a line break between Chinese characters (renders as a space)"
            )
    if untranslated:
        out.append(f"cells without a recorded source hash: {', '.join(map(str, untranslated))}")
    if stale:
        out.append(f"stale cells (English changed since translation): {', '.join(map(str, stale))}")
    return out


def zh_stamp(zh: NotebookNode, en: NotebookNode, numbers: Sequence[int]) -> list[int]:
    """Record, in the Chinese cells ``numbers`` (1-based), the hash of the English cell at the
    same position: run it after updating their translation. Returns the numbers stamped."""
    if len(zh.cells) != len(en.cells):
        raise NotebookToolError(f"{len(zh.cells)} cells, the English lesson has {len(en.cells)}")
    stamped = []
    for number in numbers:
        if not 1 <= number <= len(zh.cells) or zh.cells[number - 1].cell_type != "markdown":
            raise NotebookToolError(f"cell {number} is not a markdown cell")
        meta = zh.cells[number - 1].metadata.setdefault("nst_teach", {})
        meta["source_sha256"] = source_sha256(en.cells[number - 1].source)
        stamped.append(number)
    return stamped


def zh_alignment_problem(zh: NotebookNode, en: NotebookNode) -> str | None:
    """Why the cells of a Chinese lesson do not line up with the English ones (same number,
    and at each position the same type and id), or None when they do."""
    if len(zh.cells) != len(en.cells):
        return f"{len(zh.cells)} cells, the English lesson has {len(en.cells)}"
    for number, (z, e) in enumerate(zip(zh.cells, en.cells, strict=True), 1):
        if z.cell_type != e.cell_type:
            return f"cell {number} is {z.cell_type}, the English one {e.cell_type}"
        if z.get("id") != e.get("id"):
            return f"cell {number} has id {z.get('id')!r}, the English one {e.get('id')!r}"
    return None


def zh_sync_code(zh: NotebookNode, en: NotebookNode) -> tuple[list[int], bool]:
    """Copy every English code cell into the Chinese lesson ``zh``, in place, at the same
    position: source, metadata (tags, slide type, recorded ``expected_output``), outputs and
    execution count, all as the English cell has them; then re-render the speaker notes, whose
    "代码单元 N" follow the code. Markdown cells are left alone (``zh-check`` lists those whose
    English text changed). Returns (the 1-based numbers of the code cells that changed,
    whether the speaker notes changed).

    Raises:
        NotebookToolError: the cells do not line up (a cell added, removed or moved in one
            lesson only: do that by hand first), or a speaker note cites code no cell has.

    Examples:
        >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
        >>> en = new_notebook(cells=[new_markdown_cell("# A", id="m"), new_code_cell("x = 2", id="c")])
        >>> zh = new_notebook(cells=[new_markdown_cell("# 甲", id="m"), new_code_cell("x = 1", id="c")])
        >>> zh_sync_code(zh, en), zh.cells[1].source
        (([2], False), 'x = 2')
    """
    problem = zh_alignment_problem(zh, en)
    if problem:
        raise NotebookToolError(f"the cells do not line up with the English lesson: {problem}")
    changed = []
    for number, (z, e) in enumerate(zip(zh.cells, en.cells, strict=True), 1):
        if z.cell_type != "code":
            continue
        english = copy.deepcopy(e)
        if english != z:
            zh.cells[number - 1] = english
            changed.append(number)
    before = [cell.source for cell, _ in _notes_cells(zh)]
    sync_notes(zh)
    return changed, before != [cell.source for cell, _ in _notes_cells(zh)]


def english_of(zh_path: Path) -> Path:
    """The English lesson a Chinese one translates: same name, one folder up."""
    return zh_path.resolve().parent.parent / zh_path.name


# ---------------------------------------------------------------------------- command line


def _for_each(files: Iterable[str], check, with_name: bool = False) -> int:  # type: ignore[no-untyped-def]
    bad = 0
    for name in files:
        nb = read(Path(name))
        problems = check(nb, name) if with_name else check(nb)
        if problems:
            bad += 1
            print(f"{name}: {'; '.join(problems)}")
    return 1 if bad else 0


def _zh_sync_code_command(files: Sequence[Path]) -> int:
    """``zh-sync-code``: every file is checked before any is written (all or nothing)."""
    planned = []
    for path in files:
        english = english_of(path)
        if not path.is_file():
            raise NotebookToolError(f"{path}: no such notebook")
        if path.resolve() == english.resolve() or not english.is_file():
            raise NotebookToolError(
                f"{path}: no English lesson at {english} (name a Chinese lesson, notebooks/zh/NN_*.ipynb)"
            )
        zh = read(path)
        try:
            changed, renotes = zh_sync_code(zh, read(english))
        except NotebookToolError as err:
            raise NotebookToolError(
                f"{path}: {err} (add, remove or move those cells in the Chinese lesson first); "
                "nothing was written"
            ) from None
        planned.append((path, english, zh, changed, renotes))
    for path, english, zh, changed, renotes in planned:
        english = Path(os.path.relpath(english))  # as the user named the Chinese lesson
        if write_if_changed(zh, path):
            what = (
                [f"copied code cells {', '.join(map(str, changed))} from {english}"]
                if changed
                else []
            )
            what += ["re-rendered the speaker notes"] if renotes else []
            print(f"{path}: {'; '.join(what) or 'rewrote the file (formatting)'}")
        else:
            print(f"{path}: code cells already as in {english}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="tools/notebooks.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("student", help="student copies with solutions removed")
    p.add_argument("src_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    p.add_argument("-k", "--keep-existing", action="store_true", help="never overwrite a copy")
    for name, text in [
        ("clean", "clear outputs in place"),
        ("check-clean", "exit 1 if a notebook has outputs"),
        ("record", "store checked cells' stdout in their metadata"),
        ("check-slides", "exit 1 if a cell has no slide type"),
        ("sync-hosted", "write the hosted-install cell first in each lesson"),
        ("check-hosted", "exit 1 if a lesson's hosted-install cell is missing or differs"),
        ("sync-notes", "renumber the code cells that speaker notes cite"),
        ("check-notes", "exit 1 if speaker notes cite stale code-cell numbers"),
        ("zh-check", "exit 1 if a Chinese lesson is out of step with its English one"),
    ]:
        p = sub.add_parser(name, help=text)
        p.add_argument("files", nargs="+")
        if name == "record":
            p.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p = sub.add_parser("zh-stamp", help="record that Chinese cells translate the current English")
    p.add_argument("file", type=Path)
    p.add_argument("cells", nargs="+", type=int, help="cell numbers, as zh-check lists them")
    p = sub.add_parser(
        "zh-sync-code", help="copy the English code cells into Chinese lessons (same positions)"
    )
    p.add_argument("files", nargs="+", type=Path, help="Chinese lessons, notebooks/zh/NN_*.ipynb")
    p = sub.add_parser("slides", help="reveal.js decks")
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--out", type=Path, default=Path("slides"))
    p.add_argument("--vendor", type=Path, default=None, help="npm prefix with reveal.js & co")
    p.add_argument("--execute", action="store_true", help="run each lesson first (slow)")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="the lessons' language")
    p = sub.add_parser("execute", help="run each lesson once into a folder")
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--setting", choices=sorted(SETTING_ENV), default="fast")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p = sub.add_parser("book", help="a static HTML book of executed lessons")
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--out", type=Path, default=Path("book"))
    p.add_argument("--vendor", type=Path, default=None, help="npm prefix with mathjax@2 & co")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="the lessons' language")
    args = parser.parse_args(argv)

    try:
        if args.command == "student":
            written = make_student_copies(args.src_dir, args.out_dir, args.keep_existing)
            print(f"{len(written)} student notebooks in {args.out_dir}/")
            return 0
        if args.command == "clean":
            for name in args.files:
                if write_if_changed(clean_notebook(read(Path(name))), Path(name)):
                    print(f"cleaned {name}")
            return 0
        if args.command == "check-clean":
            status = _for_each(args.files, dirt)
            if status:
                print("run: python tools/notebooks.py clean FILES")
            return status
        if args.command == "check-hosted":
            return _for_each(args.files, hosted_cell_problems)
        if args.command == "sync-hosted":
            for name in args.files:
                if write_if_changed(sync_hosted_cell(read(Path(name))), Path(name)):
                    print(f"wrote the hosted-install cell into {name}")
            return 0
        if args.command == "sync-notes":
            for name in args.files:
                if write_if_changed(sync_notes(read(Path(name))), Path(name)):
                    print(f"renumbered the speaker notes of {name}")
            return 0
        if args.command == "check-notes":
            return _for_each(args.files, notes_problems)
        if args.command == "zh-check":
            glossary = read_glossary()
            return _for_each(
                args.files,
                lambda nb, name: zh_problems(nb, read(english_of(Path(name))), glossary),
                with_name=True,
            )
        if args.command == "zh-stamp":
            nb = read(args.file)
            stamped = zh_stamp(nb, read(english_of(args.file)), args.cells)
            write_if_changed(nb, args.file)
            print(f"{args.file}: recorded the English hash of cells {', '.join(map(str, stamped))}")
            return 0
        if args.command == "zh-sync-code":
            return _zh_sync_code_command(args.files)
        if args.command == "check-slides":
            return _for_each(args.files, slide_problems)
        if args.command == "record":
            for name in args.files:
                for note in record(Path(name), timeout=args.timeout):
                    print(note)
                print(f"recorded {name}")
            return 0
        if args.command == "execute":
            for path in args.files:
                print(f"executing {path} ({args.setting} setting)", flush=True)
                done = execute_lessons([path], args.out, timeout=args.timeout, setting=args.setting)
                for target in done:
                    print(f"wrote {target}")
            return 0
        if args.command == "book":
            if not args.files:
                print("no lessons for the book")
                return 0
            written, offline = build_book(args.files, args.out, args.vendor, args.lang)
            where = "local MathJax (offline)" if offline else "MathJax from a CDN"
            print(f"{len(written)} pages in {args.out}/ ({where}); open {args.out}/index.html")
            return 0
        if args.command == "slides":
            if not args.files:
                print("no lessons to turn into slides")
                return 0
            written, offline = build_slides(
                args.files, args.out, args.vendor, args.execute, args.lang
            )
            where = (
                "local reveal.js/MathJax (offline)" if offline else "reveal.js/MathJax from CDNs"
            )
            print(f"{len(written)} decks in {args.out}/ ({where}); open {args.out}/index.html")
            return 0
    except NotebookToolError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
