"""One parser for the NST_TEACH_* on/off variables: the same spellings everywhere, and a
one-line error naming the variable for anything else."""

from __future__ import annotations

import pytest

from nst_teach import flags, weights
from nst_teach.cli import main
from nst_teach.lab import cache, settings


@pytest.mark.parametrize("value", ["1", "true", "YES", " On "])
def test_every_on_spelling_is_on_for_every_flag(monkeypatch, value):
    for name in ("NST_TEACH_OFFLINE", "NST_TEACH_FAST", "NST_TEACH_CACHE"):
        monkeypatch.setenv(name, value)
    assert weights._offline() and settings.fast_mode() and cache.cache_enabled()


@pytest.mark.parametrize("value", ["0", "false", "No", "OFF"])
def test_every_off_spelling_is_off_for_every_flag(monkeypatch, value):
    for name in ("NST_TEACH_OFFLINE", "NST_TEACH_FAST", "NST_TEACH_CACHE"):
        monkeypatch.setenv(name, value)
    assert not weights._offline() and not settings.fast_mode() and not cache.cache_enabled()


def test_offline_on_does_not_try_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("NST_TEACH_OFFLINE", "on")
    monkeypatch.setattr(weights, "download_imagenet_state_dict", lambda: pytest.fail("network"))
    with pytest.warns(weights.WeightsUnavailableWarning, match="NST_TEACH_OFFLINE"):
        state, _ = weights.load_imagenet_state_dict()
    assert state is None


def test_an_unknown_value_is_an_error_naming_the_flag(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NST_TEACH_FAST", "sometimes")
    with pytest.raises(flags.FlagError, match=r"NST_TEACH_FAST='sometimes'.*1, true, yes, on"):
        settings.fast_mode()
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("NST_TEACH_OFFLINE", "maybe")
    code = main(["stylize", "hopper", "stripes", "-o", str(tmp_path / "o.png"), "--size", "32",
                 "--steps", "1", "--quiet"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "NST_TEACH_OFFLINE='maybe'" in err
