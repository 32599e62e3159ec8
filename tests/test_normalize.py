"""The paper's normalised network: mean activation one per filter, same ReLU pattern."""

from __future__ import annotations

import pytest
import torch

from nst_teach import normalize
from nst_teach.normalize import calibration_images
from nst_teach.vgg import VGG19Features

LAYERS = ["conv1_2", "relu1_2", "relu2_1", "pool2"]


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    normalize.clear_memory_cache()
    yield
    normalize.clear_memory_cache()


def test_mean_activation_is_one_per_filter_on_the_calibration_images():
    vgg = VGG19Features(LAYERS, weights="random", normalize=True)
    assert vgg.normalized and vgg.weights_source.endswith(", normalised")
    images = calibration_images(64)  # the means are the calibration size's: compare at it
    normalize.clear_memory_cache()
    vgg64 = VGG19Features(LAYERS, weights="random", normalize=False)
    means = normalize.calibrated_means(vgg64.features, vgg64._preprocess, "max", size=64)
    normalize.normalize_features_(vgg64.features, means)
    with torch.no_grad():
        for name in ("relu1_2", "relu2_1"):
            m = torch.stack([vgg64(x)[name].double().mean(dim=(0, 2, 3)) for x in images])
            m = m.mean(dim=0)
            fires = m > 0
            assert fires.float().mean() > 0.9, name
            assert torch.allclose(m[fires], torch.ones_like(m[fires]), atol=1e-4), name


def test_features_are_positive_rescalings_of_the_original_ones():
    plain = VGG19Features(LAYERS, weights="random")
    normed = VGG19Features(LAYERS, weights="random", normalize=True)
    x = torch.rand(2, 3, 24, 20, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = plain(x), normed(x)
    for name in LAYERS:
        assert torch.equal(a[name] > 0, b[name] > 0) or name == "conv1_2", name
        # one positive factor per channel: b = a / c
        dims = (0, 2, 3)
        c = a[name].abs().sum(dim=dims) / b[name].abs().sum(dim=dims)  # NaN: zero on x
        assert (c[~c.isnan()] > 0).all(), name
        c = c.nan_to_num(1.0)
        scale = float(a[name].abs().max())
        assert torch.allclose(
            b[name] * c.view(1, -1, 1, 1), a[name], rtol=1e-3, atol=1e-5 * scale
        ), name
    # conv1_2 is before its ReLU: its sign pattern too is the original one
    assert torch.equal(a["conv1_2"] > 0, b["conv1_2"] > 0)


def test_means_are_cached_in_memory_and_on_disk(tmp_path, monkeypatch):
    VGG19Features(["relu1_1"], weights="random", normalize=True)
    files = list((tmp_path / "hub" / "nst_teach").glob("vgg19-means-*.pt"))
    assert len(files) == 1

    def no_computing(*args, **kwargs):
        raise AssertionError("the means must come from a cache")

    monkeypatch.setattr(normalize, "conv_mean_activations", no_computing)
    a = VGG19Features(["relu1_1"], weights="random", normalize=True)  # memory
    normalize.clear_memory_cache()
    b = VGG19Features(["relu1_1"], weights="random", normalize=True)  # disk
    assert torch.equal(a.features[0].weight, b.features[0].weight)
    # other weights, other key: computed again
    with pytest.raises(AssertionError, match="from a cache"):
        VGG19Features(["relu1_1"], weights="random", pooling="avg", normalize=True)


def test_formula_on_a_tiny_network():
    """W~_kj = W_kj c_j / c_k and b~_k = b_k / c_k, with c the original mean activations."""
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 2, 1), nn.ReLU())
    w0, b0, w2, b2 = (
        t.detach().clone() for t in (net[0].weight, net[0].bias, net[2].weight, net[2].bias)
    )
    images = [torch.rand(1, 3, 6, 6) for _ in range(3)]
    c = normalize.conv_mean_activations(net, images)
    normalize.normalize_features_(net, c)
    c0, c2 = c[0].float(), c[2].float()
    assert torch.allclose(net[0].weight, w0 / c0.view(-1, 1, 1, 1))
    assert torch.allclose(net[0].bias, b0 / c0)
    assert torch.allclose(net[2].weight, w2 * c0.view(1, -1, 1, 1) / c2.view(-1, 1, 1, 1))
    assert torch.allclose(net[2].bias, b2 / c2)


@pytest.mark.parametrize(
    "failure", [RuntimeError("[enforce fail at inline_container.cc] write failed"), OSError(28, "")]
)
def test_a_full_or_read_only_cache_keeps_the_means_in_memory(tmp_path, monkeypatch, failure):
    """torch.save raising RuntimeError (a full disk, a quota) or OSError: no traceback, no
    temporary file left, the network normalised all the same."""
    from nst_teach import atomic

    def half_then_fail(obj, f, *args, **kwargs):
        f.write(b"half")
        raise failure

    monkeypatch.setattr(atomic.torch, "save", half_then_fail)
    vgg = VGG19Features(["relu1_1"], weights="random", normalize=True)
    assert vgg.normalized and "normalised" in vgg.weights_source
    folder = tmp_path / "hub" / "nst_teach"
    assert [p.name for p in folder.iterdir()] == []
