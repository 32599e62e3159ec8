"""Tests of nst_teach.extras.architecture: closed forms, and shapes against a real forward pass."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nst_teach import LAYER_NAMES, VGG19Features
from nst_teach.extras.architecture import evaluation_flops, format_layer_table, layer_table
from nst_teach.vgg import build_vgg19_features


def test_conv1_1_parameters_closed_form() -> None:
    row = layer_table(32, 32, ["conv1_1"])[0]
    assert row["params"] == 64 * 3 * 3 * 3 + 64 == 1792
    assert row["kind"] == "conv"


def test_receptive_fields_of_the_first_layers() -> None:
    rows = layer_table(32, 32, ["conv1_1", "relu1_1", "conv1_2", "pool1", "conv2_1"])
    assert [r["receptive_field"] for r in rows] == [3, 3, 5, 6, 10]


def test_receptive_field_recursion_to_pool5() -> None:
    # r_L = 1 + sum over layers of (k - 1) * (product of earlier strides)
    rows = layer_table(64, 64)
    assert rows[-1]["name"] == "pool5"
    assert rows[-1]["receptive_field"] == 268
    assert rows[-1]["jump"] == 32


def test_total_parameters_of_the_features() -> None:
    rows = layer_table(224, 224)
    assert len(rows) == len(LAYER_NAMES) == 37
    total = sum(r["params"] for r in rows)
    assert total == 20_024_384
    assert total == sum(p.numel() for p in build_vgg19_features().parameters())


def test_shapes_match_a_real_forward_pass() -> None:
    names = [n for n in LAYER_NAMES if n.startswith(("conv", "pool"))]
    vgg = VGG19Features(names, weights="random")
    height, width = 40, 56
    feats = vgg(torch.rand(1, 3, height, width))
    rows = {r["name"]: r for r in layer_table(height, width, names)}
    for name in names:
        assert rows[name]["out_shape"] == tuple(feats[name].shape[1:]), name


def test_macs_of_a_convolution() -> None:
    row = layer_table(32, 16, ["conv2_1"])[0]  # 64 -> 128 channels at 16 x 8
    assert row["macs"] == 16 * 8 * 128 * 64 * 9
    assert all(r["macs"] == 0 for r in layer_table(32, 32, ["relu1_1", "pool2"]))


def test_macs_against_hooks_on_a_real_model() -> None:
    model = build_vgg19_features(len(LAYER_NAMES))
    counted: list[int] = []

    def hook(module: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
        assert isinstance(module, nn.Conv2d)
        counted.append(output[0].numel() * module.in_channels * module.weight[0, 0].numel())

    for m in model:
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.rand(1, 3, 32, 48))
    expected = [r["macs"] for r in layer_table(32, 48) if r["kind"] == "conv"]
    assert counted == expected


def test_rows_in_the_order_given() -> None:
    assert [r["name"] for r in layer_table(32, 32, ["conv2_1", "conv1_1"])] == [
        "conv2_1",
        "conv1_1",
    ]


def test_errors() -> None:
    with pytest.raises(ValueError, match="conv6_1"):
        layer_table(32, 32, ["conv6_1"])
    with pytest.raises(ValueError, match="conv5_1"):
        layer_table(8, 8, ["conv5_1"])
    with pytest.raises(ValueError, match="height"):
        layer_table(0, 32)
    with pytest.raises(ValueError, match="at least one"):
        evaluation_flops(32, 32, [], [])
    # a small image is fine for shallow layers
    assert layer_table(8, 8, ["conv3_1"])[0]["out_shape"] == (256, 2, 2)


def test_evaluation_flops_closed_form() -> None:
    h = w = 16
    macs = h * w * 64 * 3 * 9
    f = evaluation_flops(h, w, ["conv1_1"], ["conv1_1"])
    n, m = 64, h * w
    assert f["forward"] == f["backward_input"] == 2 * macs
    assert f["gram_forward"] == 2 * n * n * m
    assert f["gram_backward"] == 4 * n * n * m
    assert f["weight_grads"] == 0
    assert f["total"] == 4 * macs + 6 * n * n * m
    g = evaluation_flops(h, w, ["conv1_1"], ["conv1_1"], weight_grads=True)
    assert g["total"] - f["total"] == 2 * macs == g["weight_grads"]


def test_evaluation_flops_depth_and_content_only() -> None:
    rows = layer_table(64, 64)
    f = evaluation_flops(64, 64, [], ["conv4_2"])
    macs = sum(r["macs"] for r in rows[: LAYER_NAMES.index("conv4_2") + 1])
    assert f["convs"] == 10
    assert f["forward"] == 2 * macs
    assert f["gram_forward"] == f["gram_backward"] == 0
    assert f["total"] == 4 * macs
    # style layers add Gram costs: N^2 M for each
    s = evaluation_flops(64, 64, ["conv1_1", "conv4_2"], ["conv4_2"])
    assert s["gram_forward"] == 2 * (64**2 * 64 * 64 + 512**2 * 8 * 8)


def test_evaluation_flops_grows_with_image_area() -> None:
    layers = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
    small = evaluation_flops(64, 64, layers, ["conv4_2"])
    big = evaluation_flops(128, 128, layers, ["conv4_2"])
    assert big["total"] == 4 * small["total"]


def test_format_layer_table() -> None:
    text = format_layer_table(layer_table(32, 32, ["conv1_1"]))
    assert "conv1_1" in text and "1,792" in text and "64 x 32 x 32" in text
    html = format_layer_table(layer_table(32, 32, ["conv1_1"]), html_table=True)
    assert html.startswith("<table>") and "<td" in html
