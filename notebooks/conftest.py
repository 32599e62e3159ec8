"""nbval support: checked cells keep their expected output in metadata, not in outputs.

Notebooks are committed without outputs. A cell whose printed result must not drift starts
with ``# NBVAL_CHECK_OUTPUT`` and stores the exact text it prints in its metadata, under
``nst_teach.expected_output``; this hook hands that text to nbval as the reference output.
``python tools/notebooks.py record`` fills it in.
"""

from __future__ import annotations

import nbformat

# `make student` writes copies without the solutions here; their exercises are meant to fail
# until a student fills them in, so the test run leaves them out.
# The Chinese lessons (zh/) have code cells byte-identical to the English ones (`make lint` checks
# it with `tools/notebooks.py zh-check`), so nbval does not run them a second time.
collect_ignore = ["student", "zh"]


def pytest_collection_modifyitems(items):  # type: ignore[no-untyped-def]
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is None:
            continue
        expected = cell.get("metadata", {}).get("nst_teach", {}).get("expected_output")
        if expected is not None:
            cell.execution_count = cell.get("execution_count") or 1  # nbval skips "unrun" cells
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=expected)]
