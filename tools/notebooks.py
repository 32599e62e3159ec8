r"""Notebook tooling for the lessons: student copies, clean commits, recorded checks, slides.

Run ``python tools/notebooks.py --help``. Subcommands:

``student SRC_DIR OUT_DIR``
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
``check-slides FILES``
    Exit 1 if a cell lacks ``metadata.slideshow.slide_type`` (or has an unknown one).
``slides FILES --out DIR [--vendor DIR] [--execute]``
    reveal.js decks ``DIR/<name>.slides.html`` and an ``index.html``. With ``--vendor`` pointing
    at an npm prefix holding ``reveal.js@4``, ``requirejs``, ``jquery`` and ``mathjax@2`` (what
    ``make slides`` installs when ``npm`` exists) the decks load everything from there and work
    offline; otherwise they load reveal.js, MathJax and friends from public CDNs.

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
#: Files under an npm prefix (``npm install --prefix DIR ...``) that make slides offline.
VENDOR_FILES = {
    "reveal": "node_modules/reveal.js",
    "require_js": "node_modules/requirejs/require.js",
    "jquery": "node_modules/jquery/dist/jquery.min.js",
    "mathjax": "node_modules/mathjax/MathJax.js",
}
CELL_METADATA_DROPPED = ("execution", "collapsed", "scrolled")


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


def make_student_copies(src_dir: Path, out_dir: Path) -> list[Path]:
    """Write a student copy of every notebook in ``src_dir`` into ``out_dir``; return the paths."""
    out_dir = Path(out_dir)
    written = []
    for path in lesson_files(src_dir):
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


def build_slides(
    files: Sequence[Path], out_dir: Path, vendor: Path | None = None, run: bool = False
) -> tuple[list[Path], bool]:
    """Write reveal.js decks of ``files`` into ``out_dir``; return (paths, whether offline)."""
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
        target.write_text(body, encoding="utf-8")
        written.append(target)
        entries.append((target.name, title_of(nb, path.stem)))
    items = "\n".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a></li>'
        for name, title in entries
    )
    (out_dir / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<title>nst-teach slides</title></head>\n<body style="font-family: sans-serif; '
        'max-width: 40em; margin: 3em auto">\n<h1>nst-teach: slides</h1>\n'
        "<p>One deck per lesson. Arrow keys move; <kbd>s</kbd> opens the speaker notes.</p>\n"
        f"<ol>\n{items}\n</ol>\n</body></html>\n",
        encoding="utf-8",
    )
    return written, urls is not None


# ---------------------------------------------------------------------------- command line


def _for_each(files: Iterable[str], check) -> int:  # type: ignore[no-untyped-def]
    bad = 0
    for name in files:
        problems = check(read(Path(name)))
        if problems:
            bad += 1
            print(f"{name}: {'; '.join(problems)}")
    return 1 if bad else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="tools/notebooks.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("student", help="student copies with solutions removed")
    p.add_argument("src_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    for name, text in [
        ("clean", "clear outputs in place"),
        ("check-clean", "exit 1 if a notebook has outputs"),
        ("record", "store checked cells' stdout in their metadata"),
        ("check-slides", "exit 1 if a cell has no slide type"),
    ]:
        p = sub.add_parser(name, help=text)
        p.add_argument("files", nargs="+")
        if name == "record":
            p.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p = sub.add_parser("slides", help="reveal.js decks")
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--out", type=Path, default=Path("slides"))
    p.add_argument("--vendor", type=Path, default=None, help="npm prefix with reveal.js & co")
    p.add_argument("--execute", action="store_true", help="run each lesson first (slow)")
    args = parser.parse_args(argv)

    try:
        if args.command == "student":
            written = make_student_copies(args.src_dir, args.out_dir)
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
        if args.command == "check-slides":
            return _for_each(args.files, slide_problems)
        if args.command == "record":
            for name in args.files:
                for note in record(Path(name), timeout=args.timeout):
                    print(note)
                print(f"recorded {name}")
            return 0
        if args.command == "slides":
            if not args.files:
                print("no lessons to turn into slides")
                return 0
            written, offline = build_slides(args.files, args.out, args.vendor, args.execute)
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
