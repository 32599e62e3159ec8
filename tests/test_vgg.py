"""Layer names against torchvision, the extractor, and both paths of getting the weights."""

from __future__ import annotations

import warnings
from typing import ClassVar

import pytest
import torch
from torch import nn
from torchvision.models import vgg19

from nst_teach import weights as nst_weights
from nst_teach.layers import LAYER_INDEX, LAYER_NAMES, validate_layers
from nst_teach.vgg import VGG19Features, build_vgg19_features


@pytest.fixture(scope="module")
def tv_features() -> nn.Sequential:
    return vgg19(weights=None).features


def test_layer_names_match_torchvision_indices(tv_features):
    assert len(LAYER_NAMES) == len(tv_features) == 37
    kinds = {"conv": nn.Conv2d, "relu": nn.ReLU, "pool": nn.MaxPool2d}
    for name, index in LAYER_INDEX.items():
        assert isinstance(tv_features[index], kinds[name[:4]]), name
    # spot checks of the paper's layers
    assert (LAYER_INDEX["conv1_1"], LAYER_INDEX["conv4_2"], LAYER_INDEX["conv5_1"]) == (0, 21, 28)
    assert tv_features[LAYER_INDEX["conv3_1"]].out_channels == 256
    assert tv_features[LAYER_INDEX["conv3_1"]].in_channels == 128


def test_our_features_have_torchvision_shapes(tv_features):
    ours = build_vgg19_features()
    assert [type(m) for m in ours] == [type(m) for m in tv_features]
    assert {k: v.shape for k, v in ours.state_dict().items()} == {
        k: v.shape for k, v in tv_features.state_dict().items()
    }


def test_unknown_layer_lists_valid_ones():
    with pytest.raises(ValueError, match=r"unknown layer 'conv6_1'; valid layers are conv1_1, "):
        VGG19Features(["conv6_1"], weights="random")
    with pytest.raises(ValueError, match="no layers given"):
        validate_layers([])


def test_extractor_runs_no_deeper_than_needed_and_is_frozen():
    vgg = VGG19Features(["conv2_1", "conv1_1"], weights="random")
    assert len(vgg.features) == LAYER_INDEX["conv2_1"] + 1
    assert not any(p.requires_grad for p in vgg.parameters())
    out = vgg(torch.rand(2, 3, 20, 24))
    assert list(out) == ["conv2_1", "conv1_1"]
    assert out["conv1_1"].shape == (2, 64, 20, 24)
    assert out["conv2_1"].shape == (2, 128, 10, 12)


def test_captured_conv_outputs_are_not_overwritten_by_relu():
    """vgg19().features has in-place ReLUs; a captured conv output must keep its negatives."""
    vgg = VGG19Features(["conv1_1", "conv1_2"], weights="random")
    x = torch.rand(1, 3, 16, 16)
    out = vgg(x)
    assert (out["conv1_1"] < 0).any()
    normalised = (x - vgg.mean) / vgg.std
    expected = vgg.features[0](normalised)
    assert torch.allclose(out["conv1_1"], expected)


def test_extractor_matches_torchvision_forward(tv_features):
    """With the same weights, our features equal torchvision's at every named layer."""
    vgg = VGG19Features(["relu3_1", "conv4_2", "pool2"], weights="random")
    tv = tv_features[: LAYER_INDEX["conv4_2"] + 1]
    tv.load_state_dict(vgg.features.state_dict())
    x = torch.rand(1, 3, 32, 32)
    normalised = (x - vgg.mean) / vgg.std
    ours = vgg(x)
    captured = {}
    h = normalised
    for i, module in enumerate(tv):
        h = module(h.clone())
        captured[LAYER_NAMES[i]] = h
    for name in ours:
        assert torch.allclose(ours[name], captured[name], atol=1e-5), name


def test_paper_layers_are_rectified_and_match_torchvision(tv_features):
    """relu4_2 (the paper's content layer) is torchvision's features[:23] output; conv4_2, the
    convolution before its ReLU, is features[:22] and keeps its negative values."""
    from nst_teach.layers import PAPER_CONTENT_LAYERS, PAPER_STYLE_LAYERS

    assert PAPER_CONTENT_LAYERS == ("relu4_2",)
    assert PAPER_STYLE_LAYERS == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    vgg = VGG19Features(["conv4_2", "relu4_2"], weights="random")
    tv = tv_features[:23]
    tv.load_state_dict(vgg.features.state_dict())
    generator = torch.Generator().manual_seed(3)
    x = torch.rand(1, 3, 48, 40, generator=generator)
    normalised = (x - vgg.mean) / vgg.std
    ours = vgg(x)
    with torch.no_grad():
        pre = tv[:22](normalised.clone())
        post = tv[:23](normalised.clone())
    assert torch.allclose(ours["relu4_2"], post, atol=1e-5)
    assert torch.allclose(ours["conv4_2"], pre, atol=1e-5)
    assert (ours["conv4_2"] < 0).any() and (ours["relu4_2"] >= 0).all()
    assert torch.equal(ours["relu4_2"], ours["conv4_2"].clamp_min(0))
    # asked for alone, each name gives the same values
    alone = VGG19Features(["relu4_2"], weights="random")(x)["relu4_2"]
    assert torch.allclose(alone, post, atol=1e-5)
    alone = VGG19Features(["conv4_2"], weights="random")(x)["conv4_2"]
    assert torch.allclose(alone, pre, atol=1e-5)


def test_random_weights_are_seeded():
    a = VGG19Features(["conv1_2"], weights="random")
    b = VGG19Features(["conv1_2"], weights="random")
    assert torch.equal(a.features[2].weight, b.features[2].weight)
    assert a.weights_source == "random (seed 0)"
    assert not a.pretrained


def test_avg_pooling():
    vgg = VGG19Features(["pool1"], weights="random", pooling="avg")
    assert isinstance(vgg.features[4], nn.AvgPool2d)
    with pytest.raises(ValueError, match="pooling must be"):
        VGG19Features(["pool1"], weights="random", pooling="min")


def test_image_too_small_for_deepest_layer():
    vgg = VGG19Features(["conv5_1"], weights="random")
    with pytest.raises(ValueError, match="layer conv5_1 needs at least 16x16"):
        vgg(torch.rand(1, 3, 15, 40))


def _write_fake_imagenet_file(torch_home, monkeypatch, seed: int = 7) -> dict[str, torch.Tensor]:
    """A VGG-19 state dict in torchvision's format (features.* keys) at the cache path, taken
    for the ImageNet file (its SHA-256 made the expected one)."""
    torch.manual_seed(seed)
    feats = build_vgg19_features(LAYER_INDEX["conv2_1"] + 1)
    state = {f"features.{k}": v.clone() for k, v in feats.state_dict().items()}
    state["classifier.6.bias"] = torch.zeros(1000)  # extra keys of the full model are ignored
    path = torch_home / "hub" / "checkpoints" / nst_weights.IMAGENET_FILENAME
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    monkeypatch.setattr(nst_weights, "IMAGENET_SHA256", nst_weights.sha256_of(path))
    return state


def test_imagenet_weights_read_from_torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    state = _write_fake_imagenet_file(tmp_path, monkeypatch)

    def no_download():
        raise AssertionError("a cached file must not be downloaded again")

    monkeypatch.setattr(nst_weights, "download_imagenet_state_dict", no_download)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vgg = VGG19Features(["conv2_1"], weights="imagenet")
    assert vgg.pretrained
    assert vgg.weights_source.startswith("imagenet (cached file ")
    assert str(tmp_path) in vgg.weights_source
    assert torch.equal(vgg.features[5].weight, state["features.5.weight"])


def test_failed_download_falls_back_to_random_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("NST_TEACH_OFFLINE", raising=False)
    calls = []

    def failing_download():
        calls.append(1)
        raise OSError("<urlopen error [Errno -3] Temporary failure in name resolution>")

    monkeypatch.setattr(nst_weights, "download_imagenet_state_dict", failing_download)
    with pytest.warns(nst_weights.WeightsUnavailableWarning) as record:
        vgg = VGG19Features(["conv1_1"], weights="imagenet")
    message = str(record[0].message)
    assert "RANDOM weights" in message
    assert "the download failed" in message
    assert str(tmp_path / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth") in message
    assert not vgg.pretrained
    assert vgg.weights_source.startswith("random (seed 0")
    # same weights as asking for random ones outright
    assert torch.equal(
        vgg.features[0].weight, VGG19Features(["conv1_1"], "random").features[0].weight
    )
    # a second extractor in the same process neither downloads again nor warns again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        VGG19Features(["conv1_1"], weights="imagenet")
    assert calls == [1]


def test_offline_setting_skips_the_download(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("NST_TEACH_OFFLINE", "1")
    monkeypatch.setattr(
        nst_weights, "download_imagenet_state_dict", lambda: pytest.fail("no download offline")
    )
    with pytest.warns(nst_weights.WeightsUnavailableWarning, match="NST_TEACH_OFFLINE"):
        VGG19Features(["conv1_1"], weights="imagenet")


def test_download_is_checked_and_atomic(tmp_path, monkeypatch):
    """The download has a timeout of its own, is checked against the hash prefix in the
    file's name, and leaves no partial file when it fails."""
    import hashlib
    import io
    import urllib.request

    payload = b"weights" * 1000
    prefix = hashlib.sha256(payload).hexdigest()[:8]
    seen = []

    class Response(io.BytesIO):
        headers: ClassVar[dict[str, str]] = {"Content-Length": str(len(payload))}

    def fake_urlopen(url, timeout=None):
        seen.append(timeout)
        return Response(payload)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    good = tmp_path / f"vgg-{prefix}.pth"
    nst_weights._download("https://example.invalid/x", good, 5.0)
    assert good.read_bytes() == payload and seen == [5.0]
    bad = tmp_path / "sub" / "vgg-00000000.pth"
    with pytest.raises(OSError, match="does not match its hash"):
        nst_weights._download("https://example.invalid/x", bad, 5.0)
    assert not bad.exists() and list(bad.parent.iterdir()) == []


def test_weights_from_a_state_dict_file(tmp_path):
    feats = build_vgg19_features(LAYER_INDEX["conv1_2"] + 1)
    path = tmp_path / "my_vgg.pth"
    torch.save({f"features.{k}": v for k, v in feats.state_dict().items()}, path)
    vgg = VGG19Features(["conv1_2"], weights=str(path))
    assert vgg.pretrained and vgg.weights_source == f"file {path}"
    assert torch.equal(vgg.features[2].weight, feats[2].weight)


def test_bad_weights_arguments(tmp_path):
    with pytest.raises(ValueError, match="'imagenet', 'random' or the path"):
        VGG19Features(["conv1_1"], weights="imagnet")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        VGG19Features(["conv1_1"], weights=str(tmp_path / "missing.pth"))
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a readable torch state dict"):
        VGG19Features(["conv1_1"], weights=str(junk))
    wrong = tmp_path / "wrong.pth"
    torch.save({"foo": torch.zeros(1)}, wrong)
    with pytest.raises(ValueError, match="does not look like a VGG-19 state dict"):
        VGG19Features(["conv1_1"], weights=str(wrong))
