"""AdaIN statistics (Huang and Belongie 2017) against the Gram matrix."""

from __future__ import annotations

import pytest
import torch

from nst_teach.extras.adain import (
    AdaINObjective,
    MeanStdObjective,
    adain,
    channel_covariance,
    channel_mean,
    channel_mean_std,
    mean_std_loss,
    statistics_count,
)
from nst_teach.losses import gram_matrix
from nst_teach.optimize import optimize_pixels
from nst_teach.vgg import VGG19Features


def test_mean_std_closed_form() -> None:
    x = torch.tensor([1.0, 3.0, 5.0, 7.0], dtype=torch.float64).view(1, 1, 2, 2)
    mu, sd = channel_mean_std(x, eps=0.0)
    assert float(mu) == 4.0
    assert float(sd) == pytest.approx(5**0.5)  # population variance (9+1+1+9)/4 = 5
    assert mu.shape == sd.shape == (1, 1, 1, 1)


def test_adain_output_has_target_mean_and_std() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 6, 5, 7, generator=g, dtype=torch.float64)
    y = 3.0 + 2.5 * torch.randn(2, 6, 9, 4, generator=g, dtype=torch.float64)
    out = adain(x, y, eps=0.0)
    mu_o, sd_o = channel_mean_std(out, eps=0.0)
    mu_y, sd_y = channel_mean_std(y, eps=0.0)
    assert torch.allclose(mu_o, mu_y, atol=1e-12)
    assert torch.allclose(sd_o, sd_y, atol=1e-12)
    # the normalised pattern of x is kept: out is an affine function of x per channel
    z_x = (x - channel_mean(x)) / channel_mean_std(x, eps=0.0)[1]
    z_o = (out - channel_mean(out)) / sd_o
    assert torch.allclose(z_x, z_o, atol=1e-12)
    with pytest.raises(ValueError, match="same batch size and channels"):
        adain(x, y[:, :3])


def test_gram_is_covariance_plus_mean_outer_product() -> None:
    f = torch.rand(1, 5, 6, 6, dtype=torch.float64)
    mu = channel_mean(f).flatten()
    assert torch.allclose(
        gram_matrix(f, "positions")[0], channel_covariance(f)[0] + torch.outer(mu, mu)
    )
    _, sd = channel_mean_std(f, eps=0.0)
    assert torch.allclose(torch.diagonal(channel_covariance(f)[0]), sd.flatten() ** 2)


def test_mean_std_loss_ignores_what_gram_sees() -> None:
    # two channels perfectly correlated vs anti-correlated: same mean and std, different Gram
    a = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
    corr = torch.stack([a, a]).view(1, 2, 2, 2)
    anti = torch.stack([a, -a]).view(1, 2, 2, 2)
    assert float(mean_std_loss(corr, anti)) == pytest.approx(0.0, abs=1e-12)
    assert not torch.allclose(gram_matrix(corr), gram_matrix(anti))
    assert float(mean_std_loss(corr, corr + 1.0)) == pytest.approx(2.0)  # both means off by 1


def test_statistics_count() -> None:
    assert statistics_count(64) == {"gram": 2080, "mean_std": 128}


def test_mean_std_objective_decreases_and_matches_stats() -> None:
    torch.manual_seed(0)
    vgg = VGG19Features(["conv1_1", "conv2_1"], weights="random")
    c, s = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16) * 0.5
    obj = MeanStdObjective(
        vgg, c, s, content_layers=["conv2_1"], style_layers=["conv1_1"], alpha=0.0, beta=1.0
    )
    run = optimize_pixels(obj, c, steps=20, progress=False)
    assert run.history["style"][-1] < 0.1 * run.history["style"][0]


def test_adain_objective() -> None:
    vgg = VGG19Features(["relu1_1", "relu2_1"], weights="random")
    c, s = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    obj = AdaINObjective(vgg, c, s, target_layer="relu2_1", style_layers=["relu1_1", "relu2_1"])
    out = obj(c)
    assert set(out) == {"content", "style", "tv", "total"}
    assert float(out["total"]) > 0
    with pytest.raises(ValueError, match="does not compute"):
        AdaINObjective(vgg, c, s)  # relu4_1 is not computed
