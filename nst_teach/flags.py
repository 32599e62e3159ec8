r"""The package's on/off environment variables, read by one parser.

``NST_TEACH_FAST``, ``NST_TEACH_OFFLINE``, ``NST_TEACH_CACHE``, ``NST_TEACH_STRICT_CHECKS``
... all accept the same spellings, case-insensitive and with spaces around ignored:

.. math::

    \{1, \text{true}, \text{yes}, \text{on}\} \mapsto \text{on}, \qquad
    \{0, \text{false}, \text{no}, \text{off}\} \mapsto \text{off}, \qquad
    \text{unset or empty} \mapsto \text{the default}

Anything else raises :class:`FlagError` (a ``ValueError``), in one line naming the variable,
rather than being taken silently for one or the other.

Examples:
    >>> parse_flag("NST_TEACH_OFFLINE", " On ")
    True
    >>> parse_flag("NST_TEACH_CACHE", "", default=True)
    True
    >>> parse_flag("NST_TEACH_FAST", "sometimes")
    Traceback (most recent call last):
    ...
    nst_teach.flags.FlagError: NST_TEACH_FAST='sometimes' is not a yes/no value: use 1, true, yes, on or 0, false, no, off
"""

from __future__ import annotations

import os

#: Spellings of "on" and of "off" (compared in lower case).
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


class FlagError(ValueError):
    """An environment flag holds a value that is neither on nor off."""


def parse_flag(name: str, value: str | None, default: bool = False) -> bool:
    """``value`` (of the variable ``name``) as a boolean; ``None`` or empty gives ``default``."""
    text = (value or "").strip().lower()
    if not text:
        return default
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise FlagError(
        f"{name}={value!r} is not a yes/no value: use 1, true, yes, on or 0, false, no, off"
    )


def env_flag(name: str, default: bool = False) -> bool:
    """The environment variable ``name`` as a boolean (:func:`parse_flag`).

    Examples:
        >>> env_flag("NST_TEACH_SURELY_UNSET_FLAG", default=True)
        True
    """
    return parse_flag(name, os.environ.get(name), default)


__all__ = ["FALSE", "TRUE", "FlagError", "env_flag", "parse_flag"]
