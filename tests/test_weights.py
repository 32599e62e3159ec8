"""Reading VGG-19 weights: the cached ImageNet file is verified (whole SHA-256 where known, once
per file identity), blank, wrongly-shaped or non-dict files are refused in one line naming the
path and the remedy, and the random fallback says why."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
import torch

from nst_teach import weights
from nst_teach.cli import main
from nst_teach.stylize import get_extractor
from nst_teach.vgg import VGG19Features


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    folder = tmp_path / "torch" / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    return folder


def _place(hub: Path, monkeypatch, state: object) -> Path:
    """``state`` at the ImageNet path, taken for the real file (its SHA-256 made the expected)."""
    path = hub / weights.IMAGENET_FILENAME
    torch.save(state, path)
    monkeypatch.setattr(weights, "IMAGENET_SHA256", weights.sha256_of(path))
    return path


def _fallback_reason(layers=("conv1_1",)) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vgg = VGG19Features(list(layers), weights="imagenet")
    assert not vgg.pretrained and "random" in vgg.weights_source
    (warning,) = [w for w in caught if issubclass(w.category, weights.WeightsUnavailableWarning)]
    return str(warning.message)


def test_weights_placed_after_the_fallback_are_used(hub, monkeypatch):
    """After the fallback, a weights file put where the warning says is picked up."""
    (hub / weights.IMAGENET_FILENAME).unlink(missing_ok=True)
    with pytest.warns(weights.WeightsUnavailableWarning):
        first = get_extractor(("conv1_1",), "imagenet", "max", "cpu")
    assert not first.pretrained
    weight = torch.full((64, 3, 3, 3), 0.125)
    _place(hub, monkeypatch, {"features.0.weight": weight, "features.0.bias": torch.zeros(64)})
    second = get_extractor(("conv1_1",), "imagenet", "max", "cpu")
    assert second.pretrained and "imagenet" in second.weights_source
    assert torch.equal(second.features[0].weight, weight)


def test_a_file_that_is_not_the_imagenet_one_is_refused(hub):
    path = hub / weights.IMAGENET_FILENAME
    torch.save({"features.0.weight": torch.ones(64, 3, 3, 3)}, path)  # hash does not match
    reason = _fallback_reason()
    assert str(path) in reason and "SHA-256 does not match" in reason
    assert "nst-teach weights --download --force" in reason


@pytest.mark.parametrize(
    ("state", "phrase"),
    [
        ({"features.0.weight": torch.zeros(64, 3, 3, 3), "features.0.bias": torch.zeros(64)},
         "all zeros"),
        ([torch.zeros(3)], "holds a list, not a state dict"),
        (torch.zeros(3), "holds a Tensor, not a state dict"),
    ],
)  # fmt: skip
def test_blank_or_non_dict_imagenet_file_falls_back_with_the_path(hub, monkeypatch, state, phrase):
    path = _place(hub, monkeypatch, state)
    reason = _fallback_reason()
    assert str(path) in reason and phrase in reason and "--download --force" in reason


def test_zero_byte_file_and_directory_have_a_reason(hub):
    path = hub / weights.IMAGENET_FILENAME
    path.write_bytes(b"")
    reason = _fallback_reason()
    assert str(path) in reason and "cannot be used: )" not in reason and ": ;" not in reason
    path.unlink()
    weights.reset_download_state()
    path.mkdir()
    reason = _fallback_reason()
    assert "is a directory" in reason and "does not exist" not in reason


@pytest.mark.parametrize(
    ("state", "phrase"),
    [
        ([torch.zeros(3)], "holds a list"),
        (torch.ones(3), "holds a Tensor"),
        ({"features.0.weight": torch.zeros(64, 3, 3, 3), "features.0.bias": torch.zeros(64)},
         "all zeros"),
        ({"features.0.weight": torch.ones(64, 3, 5, 5), "features.0.bias": torch.zeros(64)},
         "VGG-19 needs (64, 3, 3, 3)"),
        ({"classifier.0.weight": torch.ones(2, 2)}, "vgg19().state_dict()"),
    ],
)  # fmt: skip
def test_a_weights_file_of_the_user_is_refused_in_one_line(tmp_path, state, phrase):
    path = tmp_path / "mine.pth"
    torch.save(state, path)
    with pytest.raises(ValueError) as info:
        VGG19Features(["conv1_1"], weights=str(path))
    message = str(info.value)
    assert "\n" not in message and str(path) in message and phrase in message


def test_the_whole_file_is_hashed_once_per_identity(tmp_path, monkeypatch):
    path = tmp_path / f"w-{'0' * 8}.pth"
    path.write_bytes(b"abc")
    calls = []
    real = weights.sha256_of
    monkeypatch.setattr(weights, "sha256_of", lambda p: calls.append(p) or real(p))
    assert weights.verify_weights_file(path) is False
    assert weights.verify_weights_file(path) is False
    assert len(calls) == 1
    os.utime(path, ns=(1, 1))  # another modification time: hashed again
    weights.verify_weights_file(path)
    assert len(calls) == 2


def test_the_whole_digest_is_compared_when_known(tmp_path, monkeypatch):
    path = tmp_path / weights.IMAGENET_FILENAME
    path.write_bytes(b"abc")
    digest = weights.sha256_of(path)
    monkeypatch.setattr(
        weights, "IMAGENET_SHA256", digest[:-1] + ("0" if digest[-1] != "0" else "1")
    )
    assert weights.verify_weights_file(path) is False  # 63 of 64 digits are not enough
    weights.reset_download_state()
    monkeypatch.setattr(weights, "IMAGENET_SHA256", digest)
    assert weights.verify_weights_file(path) is True


@pytest.fixture
def pics(tmp_path):
    from PIL import Image

    content, style = tmp_path / "content.png", tmp_path / "style.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(content)
    Image.new("RGB", (50, 50), (30, 30, 200)).save(style)
    return content, style


TINY = ["--size", "32", "--steps", "3", "--weights", "random", "--quiet"]
SHALLOW = ["--style-layers", "conv1_1,conv2_1", "--content-layers", "conv2_1"]


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("nst-teach: error: "), err
    return err


@pytest.mark.parametrize(
    "state",
    [
        {"features.0.weight": "not a tensor", "features.0.bias": torch.zeros(64)},
        {"features.0.weight": torch.zeros(64, 3, 3, 3), "features.0.bias": [0.0] * 64},
        {0: torch.zeros(3), "features.0.weight": torch.zeros(64, 3, 3, 3)},
        [torch.zeros(3)],
    ],
)
def test_weights_file_with_non_tensor_entry_is_one_line(pics, tmp_path, capsys, state):
    """A weights file whose entries are not all tensors is refused in one line."""
    content, style = pics
    weights = tmp_path / "bad.pth"
    torch.save(state, weights)
    out = tmp_path / "o.png"
    args = ["stylize", str(content), str(style), "-o", str(out), *TINY, "--weights", str(weights)]
    assert main([*args, *SHALLOW]) == 2
    err = _one_line_error(capsys)
    assert "bad.pth" in err
    assert not out.exists()
