"""The language the classroom speaks: ``"en"`` or ``"zh"``, for the exercises and the figures.

One setting, read by :mod:`nst_teach.exercises` (messages of ``check()``, ``hint()``) and by
:mod:`nst_teach.lab.plotting` (figure texts), so that neither imports the other. The language
is :func:`set_language`'s, else the environment variable ``NST_TEACH_LANG``, else Chinese when
the kernel runs in a folder named ``zh`` (Jupyter starts a kernel in its notebook's folder, so
the lessons in ``notebooks/zh/`` speak Chinese with code cells identical to the English
ones), else English.

Examples:
    >>> set_language("zh"); get_language()
    'zh'
    >>> set_language(None)
"""

from __future__ import annotations

import os
from pathlib import Path

LANGUAGES = ("en", "zh")
_language: str | None = None


def set_language(language: str | None) -> None:
    """Make the exercises and figures speak ``"en"`` or ``"zh"``; ``None`` goes back to the default."""
    global _language
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    _language = language


def get_language() -> str:
    """The language: set_language's, NST_TEACH_LANG's, "zh" in a ``zh`` folder, or "en"."""
    if _language is not None:
        return _language
    env = os.environ.get("NST_TEACH_LANG", "").strip().lower()
    if env in LANGUAGES:
        return env
    session = os.environ.get("JPY_SESSION_NAME", "")  # the notebook's path, in recent Jupyter
    if session and Path(session).parent.name == "zh":
        return "zh"
    return "zh" if Path.cwd().name == "zh" else "en"


__all__ = ["LANGUAGES", "get_language", "set_language"]
