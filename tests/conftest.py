"""Shared test settings: never touch the network, keep torch to the machine's cores."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("NST_TEACH_OFFLINE", "1")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


@pytest.fixture(autouse=True)
def _fresh_weights_state(monkeypatch):
    """Each test starts as a new process would: no failed download remembered, no warning yet."""
    from nst_teach import weights

    weights.reset_download_state()
    yield
    weights.reset_download_state()
