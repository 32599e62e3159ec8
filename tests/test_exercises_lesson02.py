"""Exercise 2.1's checker names the common slips (issue 11, item 12)."""

from __future__ import annotations

import torch

from nst_teach.exercises import lesson02


def test_plain_mean_gets_the_mean_diagnosis() -> None:
    # The PyTorch tutorial's form: F.mse_loss, i.e. a plain mean of the squared differences.
    problem = lesson02.content_loss.checker(lambda F, P: ((F - P) ** 2).mean())
    assert problem == lesson02.MEAN_NOTE
    assert "mean instead of a half sum" in problem


def test_mse_loss_gets_the_mean_diagnosis() -> None:
    problem = lesson02.content_loss.checker(torch.nn.functional.mse_loss)
    assert problem == lesson02.MEAN_NOTE


def test_half_mean_gets_the_mean_diagnosis() -> None:
    problem = lesson02.content_loss.checker(lambda F, P: 0.5 * ((F - P) ** 2).mean())
    assert problem == lesson02.MEAN_NOTE


def test_missing_half_and_missing_sum_get_their_own_notes() -> None:
    no_half = lesson02.content_loss.checker(lambda F, P: ((F - P) ** 2).sum())
    assert no_half is not None and "factor 1/2" in no_half and "2 times" in no_half
    no_sum = lesson02.content_loss.checker(lambda F, P: 0.5 * (F - P) ** 2)
    assert no_sum is not None and "single number" in no_sum


def test_right_answer_passes_and_mean_fails_check() -> None:
    assert lesson02.content_loss.checker(lambda F, P: 0.5 * ((F - P) ** 2).sum()) is None
    assert lesson02.content_loss.check(lambda F, P: ((F - P) ** 2).mean()) is False


def test_hint_is_not_the_solution() -> None:
    hint = lesson02.content_loss.hint_text
    assert ".sum()" not in hint and "0.5" not in hint and "1/2" not in hint
