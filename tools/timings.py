r"""Time every lesson cell by cell, in the default setting, and write the table into a README.

``make timings`` runs ``python tools/timings.py notebooks/[0-9][0-9]_*.ipynb``: each lesson is
executed top to bottom with nbclient in its default setting (``NST_TEACH_FAST`` unset: what a
student or an instructor presenting live sees), each cell's wall time is taken from the
kernel's own timestamps (``metadata.execution``: from ``iopub.execute_input`` to
``shell.execute_reply``), and

- ``benchmarks/results/lesson-timings.json`` keeps the measurements (lessons not run this
  time keep their earlier record; ``make bench`` reads it for target 3);
- ``notebooks/README.md`` gets, between ``<!-- timings:start -->`` and
  ``<!-- timings:end -->`` (appended at the end when the markers are missing), a table of
  each lesson's total and slowest cell, flagging cells over 60 s and lessons over 5 minutes,
  and each lesson's per-cell times in a folded ``<details>`` block.

Each lesson runs twice by default: a *first run* with an empty result cache (its own fresh
``NST_TEACH_CACHE_DIR``: what a student who opens the lesson for the first time waits for) and
a *second run* with the cache the first one filled (what an instructor who ran the lesson
before class sees; :mod:`nst_teach.lab.cache`). The limits are checked on the first run, the
slower one; ``--runs first`` skips the second run.

The notebooks themselves are not changed. It takes as long as the lessons do (tens of minutes
for all of them); it is not part of ``make test``. Options: ``--help``.

Examples:
    >>> fmt_seconds(4.25), fmt_seconds(75.0), fmt_seconds(400.0)
    ('4.2 s', '75 s', '6.7 min')
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- timings:start -->", "<!-- timings:end -->"
CELL_LIMIT_S = 60.0
LESSON_LIMIT_S = 300.0
DEFAULT_README = ROOT / "notebooks" / "README.md"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "lesson-timings.json"


def fmt_seconds(s: float) -> str:
    """Seconds as a short string: ``4.2 s``, ``75 s``, ``6.7 min``."""
    if s < 10:
        return f"{s:.1f} s"
    if s < 300:
        return f"{s:.0f} s"
    return f"{s / 60:.1f} min"


def _parse_time(stamp: str) -> float:
    return _dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def cell_seconds(cell: dict[str, Any]) -> float | None:
    """A cell's wall time from the kernel's timestamps that nbclient records, or ``None``."""
    ex = cell.get("metadata", {}).get("execution", {})
    start = ex.get("iopub.execute_input") or ex.get("shell.execute_request")
    end = ex.get("shell.execute_reply")
    if not start or not end:
        return None
    return max(0.0, _parse_time(end) - _parse_time(start))


def _first_line(source: str) -> str:
    for line in source.splitlines():
        line = line.strip()
        if line and not line.startswith("# NBVAL"):
            return line[:60]
    return ""


@contextlib.contextmanager
def default_setting(extra_env: dict[str, str] | None = None) -> Iterator[None]:
    """The lessons' default setting: ``NST_TEACH_FAST`` unset, a non-interactive backend."""
    saved = dict(os.environ)
    os.environ.pop("NST_TEACH_FAST", None)
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.update(extra_env or {})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def time_notebook(path: Path, *, timeout: int = 1800, kernel: str | None = None) -> dict[str, Any]:
    """Execute ``path`` (in its own folder) and return each code cell's seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    kwargs: dict[str, Any] = {"timeout": timeout, "allow_errors": True, "record_timing": True}
    if kernel:
        kwargs["kernel_name"] = kernel
    client = NotebookClient(nb, resources={"metadata": {"path": str(path.parent)}}, **kwargs)
    t0 = time.perf_counter()
    error = None
    try:
        client.execute()
    except Exception as exc:  # a dead kernel or a timeout: report what ran
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc) else ''}"
    wall = time.perf_counter() - t0
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        cells.append(
            {
                "index": index,
                "first_line": _first_line(cell.source),
                "seconds": cell_seconds(cell),
                "error": errored,
            }
        )
    seconds = sum(c["seconds"] or 0.0 for c in cells)
    errors = [c["index"] for c in cells if c["error"]]
    return {"name": path.stem, "path": str(path), "seconds": seconds, "wall_seconds": wall,
            "cells": cells, "errors": errors, "failure": error}  # fmt: skip


def summarise(record: dict[str, Any], cell_limit: float) -> dict[str, Any]:
    timed = [c for c in record["cells"] if c["seconds"] is not None]
    slow = [c for c in timed if c["seconds"] > cell_limit]
    slowest = max(timed, key=lambda c: c["seconds"], default=None)
    return {**record, "slow_cells": [c["index"] for c in slow], "slowest": slowest}


def second_run_summary(record: dict[str, Any]) -> dict[str, Any]:
    """What the table keeps of a second run: its total, slowest cell, each cell's seconds."""
    return {
        "seconds": record["seconds"],
        "slowest": record["slowest"],
        "slow_cells": record["slow_cells"],
        "errors": record["errors"],
        "cells": {str(c["index"]): c["seconds"] for c in record["cells"]},
    }


def render(data: dict[str, Any]) -> str:
    """The markdown block between the markers."""
    cell_limit, lesson_limit = data["cell_limit_s"], data["lesson_limit_s"]
    lines = [
        START,
        "",
        f"**Lesson timings** in the default setting (not `NST_TEACH_FAST`), written by "
        f"`make timings` (`tools/timings.py`): {data['machine']}. *First run*: with an empty "
        "result cache, what a student opening the lesson waits for; *second run*: with the "
        "sweeps the first run cached (`nst_teach.lab.cache`), what an instructor who ran the lesson "
        "before class sees. *Load*: the 1-minute load average when the first run ended (above "
        "the number of cores, the times are inflated). Flagged (on the first run): lessons over "
        f"{fmt_seconds(lesson_limit)}, cells over {fmt_seconds(cell_limit)}.",
        "",
        "| Lesson | First run | Code cells | Slowest cell | Cells over "
        f"{fmt_seconds(cell_limit)} | Second run | Measured | Load | |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lesson in data["lessons"]:
        s = lesson["slowest"]
        slowest = f"{fmt_seconds(s['seconds'])} (cell {s['index']})" if s else "-"
        over = lesson["seconds"] > lesson_limit
        flags = []
        if over:
            flags.append(f"over {fmt_seconds(lesson_limit)}")
        if lesson["slow_cells"]:
            flags.append(f"{len(lesson['slow_cells'])} slow cells")
        if lesson["errors"] or lesson.get("failure"):
            flags.append("errors")
        total = fmt_seconds(lesson["seconds"])
        second = lesson.get("second_run")
        again = "-" if not second else fmt_seconds(second["seconds"])
        lines.append(
            f"| {lesson['name']} | {'**' + total + '**' if over else total} | "
            f"{len(lesson['cells'])} | {slowest} | "
            f"{', '.join(str(i) for i in lesson['slow_cells']) or '-'} | {again} | "
            f"{lesson['date']} | "
            f"{'-' if lesson.get('load') is None else format(lesson['load'], '.1f')} | "
            f"{'⚠ ' + '; '.join(flags) if flags else 'ok'} |"
        )
    lines.append("")
    for lesson in data["lessons"]:
        second = (lesson.get("second_run") or {}).get("cells", {})
        lines += [
            f"<details><summary>{lesson['name']}: per-cell times</summary>",
            "",
            "| Cell | Starts with | First run | Second run |",
            "|---|---|---|---|",
        ]
        for c in lesson["cells"]:
            t = "-" if c["seconds"] is None else fmt_seconds(c["seconds"])
            if c["seconds"] is not None and c["seconds"] > cell_limit:
                t = f"**{t}** ⚠"
            if c["error"]:
                t += " (error)"
            again = second.get(str(c["index"]))
            t2 = "-" if again is None else fmt_seconds(again)
            code = c["first_line"].replace("|", "\\|").replace("`", "'")
            lines.append(f"| {c['index']} | `{code}` | {t} | {t2} |")
        lines += ["", "</details>", ""]
    lines.append(END)
    return "\n".join(lines)


def write_readme(readme: Path, block: str) -> None:
    """Put ``block`` between the markers of ``readme`` (appended if they are missing)."""
    text = readme.read_text() if readme.is_file() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    readme.write_text(text)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and ":" in line:
                cpu = line.split(":", 1)[1].strip()
                break
    from nst_teach.flags import env_flag

    offline = env_flag("NST_TEACH_OFFLINE")
    return f"{cpu}, {os.cpu_count()} cores" + (", NST_TEACH_OFFLINE=1" if offline else "")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("notebooks", nargs="+", type=Path)
    p.add_argument("--readme", type=Path, default=DEFAULT_README)
    p.add_argument("--json", type=Path, default=DEFAULT_JSON)
    p.add_argument("--timeout", type=int, default=1800, help="per-cell limit of nbclient, s")
    p.add_argument("--cell-limit", type=float, default=CELL_LIMIT_S)
    p.add_argument("--lesson-limit", type=float, default=LESSON_LIMIT_S)
    p.add_argument("--kernel", default=None, help="kernel name (default: the notebook's)")
    p.add_argument(
        "--runs",
        choices=["both", "first"],
        default="both",
        help="time a first run (empty result cache) and a second run (default), or the first only",
    )
    args = p.parse_args(argv)
    for nb in args.notebooks:
        if not nb.is_file():
            print(f"timings: {nb}: no such notebook", file=sys.stderr)
            return 2
    old = json.loads(args.json.read_text()) if args.json.is_file() else {}
    lessons = {x["name"]: x for x in old.get("lessons", [])}
    now = _dt.datetime.now().astimezone()
    for nb in args.notebooks:
        # an empty result cache of its own: the first run computes every sweep
        with (
            tempfile.TemporaryDirectory(prefix="nst-teach-timings-") as cache,
            default_setting({"NST_TEACH_CACHE_DIR": cache, "NST_TEACH_CACHE": "1"}),
        ):
            print(f"[timings] {nb}: first run ...", file=sys.stderr, flush=True)
            rec = summarise(time_notebook(nb, timeout=args.timeout, kernel=args.kernel),
                            args.cell_limit)  # fmt: skip
            # how busy the machine was (1-minute load average over its cores): timings
            # on a shared machine are only as good as this
            rec["load"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
            if args.runs == "both":
                print(f"[timings] {nb}: second run ...", file=sys.stderr, flush=True)
                again = summarise(time_notebook(nb, timeout=args.timeout,
                                                kernel=args.kernel), args.cell_limit)  # fmt: skip
                rec["second_run"] = second_run_summary(again)
        rec["date"] = now.strftime("%Y-%m-%d")
        rec["path"] = str(nb)
        lessons[rec["name"]] = rec
        second = rec.get("second_run")
        print(f"[timings] {nb}: {fmt_seconds(rec['seconds'])}"
              + (f" (second run {fmt_seconds(second['seconds'])})" if second else "")
              + f", slow cells {rec['slow_cells'] or 'none'}, errors {rec['errors'] or 'none'}",
              file=sys.stderr, flush=True)  # fmt: skip
    data = {
        "date": now.isoformat(timespec="minutes"),
        "machine": machine(),
        "cell_limit_s": args.cell_limit,
        "lesson_limit_s": args.lesson_limit,
        "lessons": [lessons[k] for k in sorted(lessons)],
    }
    data["errors"] = [x["name"] for x in data["lessons"] if x["errors"] or x.get("failure")]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=1) + "\n")
    write_readme(args.readme, render(data))
    print(render(data).split("\n\n<details>")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
