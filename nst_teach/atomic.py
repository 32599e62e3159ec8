r"""Files that appear whole or not at all, and the leftovers of runs that were killed.

:func:`atomic_torch_save` writes ``torch.save``'s bytes to a unique temporary file beside the
target and renames it over the target (``os.replace``): two processes storing one file never
leave a partial one, the last rename wins whole. Any failure removes the temporary file.

A process killed outright (``SIGKILL``, a kernel restart) cannot remove its temporary file:
:func:`remove_stale` removes such leftovers, files matching a pattern whose last change is
older than :data:`STALE_AFTER_S` (a live writer touches its file far more often):

.. math::

    \text{stale}(f) \iff \text{now} - \operatorname{mtime}(f) > \text{STALE\_AFTER\_S}

Examples:
    >>> import tempfile, torch
    >>> folder = Path(tempfile.mkdtemp())
    >>> atomic_torch_save({"x": torch.ones(2)}, folder / "a.pt")
    True
    >>> sorted(p.name for p in folder.iterdir())
    ['a.pt']
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import torch

#: Seconds after its last change when a temporary file is taken for a killed run's leftover.
STALE_AFTER_S = 3600.0


def umask() -> int:
    """The process's umask, read from /proc where it can be (without changing it).

    Examples:
        >>> 0 <= umask() <= 0o777
        True
    """
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale(folder: Path, pattern: str, older_than_s: float = STALE_AFTER_S) -> int:
    """Remove the files of ``folder`` matching ``pattern`` unchanged for ``older_than_s``;
    return how many went (errors are ignored: a read-only folder keeps its files)."""
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for path in folder.glob(pattern):
            with contextlib.suppress(OSError):
                if now - path.lstat().st_mtime > older_than_s and path.is_file():
                    path.unlink()
                    removed += 1
    return removed


def atomic_torch_save(obj: object, path: Path) -> bool:
    """``torch.save(obj)`` to ``path`` through a unique temporary file; ``True`` if stored.

    The file gets the mode a new file gets (``0666`` less the umask, readable by a class
    sharing the folder). A read-only folder, a full disk or a quota (``OSError``, or torch's
    ``RuntimeError``), an unpicklable value or an interruption leave no temporary file;
    ``False`` is returned (an interruption is raised again).
    """
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path.parent, f".{path.name}.*.tmp")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
        tmp = None
        return True
    except Exception:  # a read-only folder, a full disk, an unpicklable value: not stored
        return False
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


__all__ = ["STALE_AFTER_S", "atomic_torch_save", "remove_stale", "umask"]
