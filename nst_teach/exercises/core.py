"""Self-checking exercises in the style of Kaggle's learntools: ``check()``, ``hint()``, ``solution()``.

A check does not merely fail: it says what is wrong (a shape, a sign, a constant factor, a
transposition) by comparing the student's answer with the package's reference.

Examples:
    >>> import torch
    >>> diagnose(2 * torch.ones(3), torch.ones(3))
    'off by a constant factor: your values are 2 times the expected ones'
    >>> diagnose(-torch.arange(1.0, 4.0), torch.arange(1.0, 4.0))
    'the sign is flipped: your values are the negatives of the expected ones'
    >>> diagnose(torch.ones(2, 3), torch.ones(3, 2))
    'shape (2, 3) is the transpose of the expected (3, 2)'
    >>> diagnose(torch.ones(3), torch.ones(3)) is None
    True

Language. The messages of ``check()``, ``hint()`` and the diagnoses come in English or Chinese
(``nst_teach/exercises/zh.py`` holds the Chinese text; English is the fallback). The language is
:mod:`nst_teach.lab.language`'s (shared with the figures): :func:`set_language`'s, else the
environment variable ``NST_TEACH_LANG``, else Chinese when the kernel runs in a folder named
``zh``, else English.

    >>> set_language("zh"); diagnose(-torch.ones(2), torch.ones(2)); set_language(None)
    '符号反了：你的值是期望值的相反数'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import torch
from torch import Tensor

from ..lab.language import LANGUAGES, get_language, set_language


def tr(text: str, **fields: Any) -> str:
    """``text`` (an English message, a template if ``fields`` are given) in the current language.

    Examples:
        >>> tr("Correct: {name}.", name="x")
        'Correct: x.'
    """
    if get_language() == "zh":
        from .zh import ZH

        text = ZH.get(text, text)
    return text.format(**fields) if fields else text


class ExerciseFailed(AssertionError):
    """Raised by a failed check when ``NST_TEACH_STRICT_CHECKS`` is set (as in CI)."""


def _strict() -> bool:
    from ..flags import env_flag

    return env_flag("NST_TEACH_STRICT_CHECKS")


#: The diagnosis of a student function that changed one of the case tensors it was given.
INPUT_CHANGED = (
    "your function changed its input (argument {n}): compute a new tensor instead of "
    "changing the one you were given (no in-place operations such as mul_, sub_, +=, x[...] =)"
)


class InputChangedError(Exception):
    """The student's function changed an input it was given (the message says which)."""


def _copy(value: Any) -> Any:
    """A deep copy of the tensors in ``value`` (lists, tuples and dicts followed)."""
    if isinstance(value, Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, list | tuple):
        return type(value)(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
            return False
        a, b = a.detach(), b.detach()
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        return bool(
            torch.equal(a.isnan(), b.isnan()) and torch.equal(a.nan_to_num(), b.nan_to_num())
        )
    if isinstance(a, list | tuple | dict):
        if type(a) is not type(b) or len(a) != len(b):
            return False
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
        return all(_same(x, y) for x, y in zip(a, b))
    return True


def call_student(student: Callable[..., Any], *args: Any) -> Any:
    """Call ``student`` on copies of ``args``; raise :class:`InputChangedError` if it changed one.

    The checkers' own case tensors are never handed out, so a function that works in place
    can neither fool a check nor spoil the cases of the next one.

    Examples:
        >>> x = torch.ones(2)
        >>> call_student(lambda t: t * 2, x).tolist(), x.tolist()
        ([2.0, 2.0], [1.0, 1.0])
        >>> call_student(lambda t: t.mul_(2), x)
        Traceback (most recent call last):
        ...
        nst_teach.exercises.core.InputChangedError: your function changed its input (argument 1): ...
        >>> x.tolist()
        [1.0, 1.0]
    """
    given = _copy(list(args))
    saved = _copy(given)
    got = student(*given)
    for n, (now, before) in enumerate(zip(given, saved), start=1):
        if not _same(now, before):
            raise InputChangedError(tr(INPUT_CHANGED, n=n))
    return got


def _exception_text(exc: BaseException) -> str:
    """``str(exc)``, or a placeholder when even that raises."""
    try:
        return str(exc)
    except BaseException:
        return tr("(its message could not be printed)")


def _nice_factor(r: float) -> str:
    frac = Fraction(r).limit_denominator(64)
    if abs(float(frac) - r) < 1e-6 * max(1.0, abs(r)):
        return str(frac)
    return f"{r:.4g}"


def diagnose(got: Any, expected: Tensor, rtol: float = 1e-4, atol: float = 1e-6) -> str | None:
    """Describe how ``got`` differs from ``expected``, or return ``None`` if they agree."""
    if got is None:
        return tr("your function returned None: did you forget `return`?")
    if not isinstance(got, Tensor):
        try:
            got = torch.as_tensor(got, dtype=expected.dtype)
        except Exception:
            return tr("expected a tensor, got {kind}", kind=type(got).__name__)
    got = got.detach()
    expected = expected.detach()
    if got.shape != expected.shape:
        if got.numel() == expected.numel():
            if got.dim() == 2 and expected.dim() == 2 and got.shape == expected.shape[::-1]:
                return tr(
                    "shape {got} is the transpose of the expected {want}",
                    got=tuple(got.shape),
                    want=tuple(expected.shape),
                )
            return tr(
                "shape {got} should be {want} (same numbers, other layout?)",
                got=tuple(got.shape),
                want=tuple(expected.shape),
            )
        return tr("shape {got} should be {want}", got=tuple(got.shape), want=tuple(expected.shape))
    got, expected = got.double(), expected.double()
    if not torch.isfinite(got).all():
        return tr("your result contains NaN or infinity")
    if torch.allclose(got, expected, rtol=rtol, atol=atol):
        return None
    if torch.allclose(-got, expected, rtol=rtol, atol=atol):
        return tr("the sign is flipped: your values are the negatives of the expected ones")
    if (
        got.dim() == 2
        and got.shape[0] == got.shape[1]
        and torch.allclose(got.T, expected, rtol=rtol, atol=atol)
    ):
        return tr("your matrix is the transpose of the expected one")
    mask = expected.abs() > atol
    if mask.any():
        ratios = got[mask] / expected[mask]
        r = float(ratios.mean())
        if (
            r != 0
            and torch.allclose(ratios, torch.full_like(ratios, r), rtol=1e-3)
            and torch.allclose(got, r * expected, rtol=rtol, atol=atol)
        ):
            return tr(
                "off by a constant factor: your values are {factor} times the expected ones",
                factor=_nice_factor(r),
            )
    err = float((got - expected).abs().max())
    return tr("values differ from the expected ones (largest difference {err})", err=f"{err:.3g}")


@dataclass
class Exercise:
    """One exercise: a checker, a hint and a solution.

    Args:
        name: a short title.
        checker: called with the student's answer; returns ``None`` if right, or a message.
        hint_text: a nudge, not the answer.
        solution_text: the solution code, shown by :meth:`solution`.
    """

    name: str
    checker: Callable[[Any], str | None]
    hint_text: str
    solution_text: str
    passed: bool = field(default=False, init=False)

    def check(self, answer: Any) -> bool:
        """Check the student's answer and say what, if anything, is wrong."""
        try:
            problem = self.checker(answer)
        except KeyboardInterrupt:
            raise
        except InputChangedError as exc:
            problem = str(exc)
        except BaseException as exc:
            problem = tr(
                "calling your code raised {kind}: {exc}",
                kind=type(exc).__name__,
                exc=_exception_text(exc),
            )
        self.passed = problem is None
        if self.passed:
            print(tr("Correct: {name}.", name=tr(self.name)))
            return True
        message = tr(
            "Not yet: {name}: {problem}. (Call .hint() for a hint.)",
            name=tr(self.name),
            problem=problem,
        )
        print(message)
        if _strict():
            raise ExerciseFailed(message)
        return False

    def hint(self) -> None:
        """Print the hint."""
        print(tr("Hint: {hint}", hint=tr(self.hint_text)))

    def solution(self) -> None:
        """Print the solution."""
        print(tr("Solution:\n{solution}", solution=self.solution_text))


#: What :func:`function_checker` appends to a diagnosis: the shapes of the failing inputs.
SHAPES_SUFFIX = " (for inputs of shape "
SHAPES_END = ")"


def with_notes(
    check: Callable[[Any], str | None], notes: Sequence[tuple[str, str]]
) -> Callable[[Any], str | None]:
    """Wrap a checker: add a specific note for a known mistake to its message.

    ``notes`` pairs a phrase of the diagnosis (the message before the shapes of the inputs
    that :func:`function_checker` appends) with the note to add; the first match wins.

    Examples:
        >>> check = lambda f: f"shape (2,) should be ()" + SHAPES_SUFFIX + "(2,))"
        >>> with_notes(check, [("shape", "sum to one number")])(None)
        'shape (2,) should be () (for inputs of shape (2,)): sum to one number'
        >>> with_notes(lambda f: "sign flipped" + SHAPES_SUFFIX + "(2,))", [("shape", "x")])(None)
        'sign flipped (for inputs of shape (2,))'
    """

    def wrapped(student: Any) -> str | None:
        problem = check(student)
        if problem is None:
            return None
        diagnosis = problem.split(tr(SHAPES_SUFFIX), 1)[0]
        for phrase, note in notes:
            if tr(phrase) in diagnosis:
                return problem + tr(": {note}", note=tr(note))
        return problem

    return wrapped


def function_checker(
    reference: Callable[..., Tensor],
    cases: Sequence[tuple[Any, ...]],
    rtol: float = 1e-4,
    atol: float = 1e-6,
) -> Callable[[Callable[..., Any]], str | None]:
    """A checker that calls ``reference`` and then the student's function on each case.

    The reference is computed first, on copies; the student gets copies too
    (:func:`call_student`), and a function that changes its input is told so.

    Examples:
        >>> check = function_checker(lambda F: F @ F.T, [(torch.ones(2, 3),)])
        >>> check(lambda F: F.mul_(2) @ F.T)
        Traceback (most recent call last):
        ...
        nst_teach.exercises.core.InputChangedError: your function changed its input (argument 1): ...
        >>> check(lambda F: F @ F.T) is None
        True
    """

    def check(student: Callable[..., Any]) -> str | None:
        if not callable(student):
            return tr("expected a function, got {kind}", kind=type(student).__name__)
        for args in cases:
            want = reference(*_copy(tuple(args)))
            got = call_student(student, *args)
            problem = diagnose(got, want, rtol=rtol, atol=atol)
            if problem is not None:
                shapes = ", ".join(str(tuple(a.shape)) for a in args if isinstance(a, Tensor))
                return f"{problem}{tr(SHAPES_SUFFIX)}{shapes}{tr(SHAPES_END)}"
        return None

    return check


def value_checker(expected: Callable[[], Tensor] | Tensor, rtol: float = 1e-4, atol: float = 1e-6):
    """A checker that compares the student's value with ``expected``."""

    def check(answer: Any) -> str | None:
        target = expected() if callable(expected) else expected
        return diagnose(answer, target, rtol=rtol, atol=atol)

    return check


__all__ = [
    "LANGUAGES",
    "SHAPES_END",
    "SHAPES_SUFFIX",
    "Exercise",
    "ExerciseFailed",
    "diagnose",
    "function_checker",
    "get_language",
    "set_language",
    "tr",
    "value_checker",
    "with_notes",
]
