"""The checkers of nst_teach.exercises: students' functions get copies, and whatever they do
(change their input, raise SystemExit, raise an exception that cannot be printed) the check
ends with a message."""

from __future__ import annotations

import pytest
import torch

from nst_teach.exercises import core, lesson02, lesson03, lesson07


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.delenv("NST_TEACH_STRICT_CHECKS", raising=False)
    core.set_language("en")
    yield
    core.set_language(None)


def _cases_snapshot():
    return [
        [t.clone() for t in case]
        for case in (*lesson03.F_CASES, *lesson03.FA_CASES, *lesson02.CASES)
    ]


@pytest.mark.parametrize(
    ("exercise", "student"),
    [
        (lesson03.gram, lambda F: (F.mul_(2), F @ F.T)[1]),  # 4x the Gram matrix
        (lesson03.gram, lambda F: F.zero_() @ F.T),
        (lesson02.content_grad, lambda F, P: F.zero_()),
        (lesson02.content_loss, lambda F, P: 0.5 * (F.sub_(P) ** 2).sum()),  # right, in place
        (lesson07.tv_loss, lambda x: x.zero_().sum()),
    ],
)
def test_function_changing_its_input_is_told_so(capsys, exercise, student):
    before = _cases_snapshot()
    assert exercise.check(student) is False
    out = capsys.readouterr().out
    assert "changed its input (argument 1)" in out
    assert "Correct" not in out and "factor" not in out
    after = _cases_snapshot()
    assert all(torch.equal(a, b) for x, y in zip(before, after) for a, b in zip(x, y))


def test_zero_function_fails_after_an_in_place_one(capsys):
    lesson03.gram.check(lambda F: F.zero_() @ F.T)
    assert lesson03.gram.check(lambda F: torch.zeros(F.shape[0], F.shape[0])) is False
    assert lesson02.content_grad.check(lambda F, P: F.zero_()) is False
    assert lesson02.content_grad.check(lambda F, P: torch.zeros_like(F)) is False
    assert lesson02.content_grad.check(lambda F, P: F - P) is True


def test_reference_is_computed_before_the_student_runs():
    calls = []

    def reference(x):
        calls.append("reference")
        return 2 * x

    def student(x):
        calls.append("student")
        return 2 * x

    x = torch.ones(3)
    assert core.function_checker(reference, [(x,)])(student) is None
    assert calls == ["reference", "student"]
    assert torch.equal(x, torch.ones(3))


def test_changed_input_in_chinese(capsys):
    core.set_language("zh")
    lesson03.gram.check(lambda F: F.mul_(2) @ F.T)
    assert "修改了它的输入（第 1 个参数）" in capsys.readouterr().out


def test_system_exit_and_unprintable_exception_become_messages(capsys):
    def leaves(F):
        raise SystemExit(3)

    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError("no")

    def unprintable(F):
        raise Unprintable

    assert lesson03.gram.check(leaves) is False
    assert "raised SystemExit: 3" in capsys.readouterr().out
    assert lesson03.gram.check(unprintable) is False
    assert "raised Unprintable: (its message could not be printed)" in capsys.readouterr().out


def test_keyboard_interrupt_still_stops_a_check():
    def interrupted(F):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        lesson03.gram.check(interrupted)


def test_call_student_copies_nested_inputs():
    s = [torch.ones(2)]
    with pytest.raises(core.InputChangedError, match="argument 2"):
        core.call_student(lambda a, b: b[0].add_(1), torch.ones(1), s)
    assert s[0].tolist() == [1.0, 1.0]
    assert core.call_student(lambda a, b: a + b[0], torch.ones(1), s).tolist() == [2.0, 2.0]
