"""The weights of Eq. (7) are defined once (nst_teach/defaults.py) and every objective uses them."""

from __future__ import annotations

import inspect

import torch

from nst_teach import StyleObjective, VGG19Features, stylize, total_loss
from nst_teach.defaults import DEFAULT_ALPHA, DEFAULT_BETA
from nst_teach.extras.adain import MeanStdObjective
from nst_teach.extras.feedforward import PerceptualLoss
from nst_teach.extras.spatial import MaskedStyleObjective
from nst_teach.objective import LayerObjective


def test_the_defaults() -> None:
    assert (DEFAULT_ALPHA, DEFAULT_BETA) == (1.0, 1e6)


def test_every_gram_objective_defaults_to_them() -> None:
    for fn in (total_loss, LayerObjective, StyleObjective, MaskedStyleObjective, PerceptualLoss):
        params = inspect.signature(fn).parameters
        assert params["alpha"].default is DEFAULT_ALPHA, fn
        assert params["beta"].default is DEFAULT_BETA, fn
    # stylize: beta=None means DEFAULT_BETA with trained weights, a calibration with random ones
    assert inspect.signature(stylize).parameters["alpha"].default is DEFAULT_ALPHA
    assert inspect.signature(stylize).parameters["beta"].default is None
    # the mean/std loss has another scale (no 1 / (4 N^2 M^2)): its own default, said so
    assert inspect.signature(MeanStdObjective).parameters["beta"].default == 1.0
    assert "another scale" in MeanStdObjective.__doc__


def test_total_loss_and_objective_weigh_by_the_defaults() -> None:
    assert float(total_loss(torch.tensor(2.0), torch.tensor(3e-6))) == 2.0 + 3.0
    vgg = VGG19Features(["conv1_1", "conv2_1"], weights="random")
    g = torch.Generator().manual_seed(0)
    c, s, x = (torch.rand(1, 3, 16, 16, generator=g) for _ in range(3))
    kw = {"content_layers": ["conv2_1"], "style_layers": ["conv1_1"]}
    out = StyleObjective(vgg, c, s, **kw)(x)
    torch.testing.assert_close(out["total"], out["content"] + 1e6 * out["style"])
