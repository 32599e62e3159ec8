"""Guided Gram matrices, masked style objectives and Gram blending (Gatys et al. 2017, Sec. 4)."""

from __future__ import annotations

import pytest
import torch

from nst_teach.extras.spatial import (
    MaskedStyleObjective,
    StyleRegion,
    blend_grams,
    composite,
    ellipse_mask,
    guided_gram,
    guided_gram_targets,
    guided_style_layer_loss,
    half_mask,
    layer_mask,
)
from nst_teach.losses import gram_matrix, style_layer_loss
from nst_teach.objective import StyleObjective, style_gram_targets
from nst_teach.optimize import optimize_pixels
from nst_teach.vgg import VGG19Features


def test_guided_gram_with_full_mask_is_the_gram() -> None:
    f = torch.rand(2, 5, 6, 7, dtype=torch.float64)
    assert torch.allclose(
        guided_gram(f, torch.ones(1, 1, 6, 7, dtype=torch.float64)), gram_matrix(f)
    )
    # a constant mask is normalised away
    assert torch.allclose(
        guided_gram(f, 0.3 * torch.ones(1, 1, 12, 14, dtype=torch.float64)), gram_matrix(f)
    )


def test_guided_gram_of_binary_mask_is_region_gram_rescaled() -> None:
    f = torch.rand(1, 3, 4, 8, dtype=torch.float64)
    mask = half_mask(4, 8, "left").double()
    region = f[..., :4]  # left half: 16 of 32 positions
    assert torch.allclose(guided_gram(f, mask), gram_matrix(region) * 32 / 16)


def test_guided_loss_zero_for_matching_region() -> None:
    # left half holds a texture, right half something else; the guided loss sees only the left
    g = torch.Generator().manual_seed(0)
    left = torch.rand(1, 4, 6, 6, generator=g, dtype=torch.float64)
    f = torch.cat([left, 5 + torch.rand(1, 4, 6, 6, generator=g, dtype=torch.float64)], dim=-1)
    target = gram_matrix(left)  # the style "image" is the left texture (M = 36)
    mask = half_mask(6, 12, "left").double()
    # guided Gram scales to M = 72 positions; the style target must be per-area too: x 72/36
    loss = guided_style_layer_loss(f, target * 2, mask)
    assert float(loss) == pytest.approx(0.0, abs=1e-20)
    assert float(style_layer_loss(f, target * 2)) > 1e-3


def test_layer_mask_downsamples_by_area() -> None:
    m = torch.zeros(1, 1, 4, 4)
    m[..., :2, :] = 1.0
    m[..., 0, 0] = 0.0
    assert torch.allclose(layer_mask(m, 2, 2), torch.tensor([[[[0.75, 1.0], [0.0, 0.0]]]]))
    assert layer_mask(m, 8, 8).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match=r"\(1, 1, H, W\)"):
        layer_mask(torch.zeros(1, 4, 4), 2, 2)
    with pytest.raises(ValueError, match="empty"):
        guided_gram(torch.rand(1, 2, 4, 4), torch.zeros(1, 1, 4, 4))


def test_masks() -> None:
    assert half_mask(4, 6, "right").sum() == 12
    assert torch.equal(half_mask(4, 6, "left"), 1 - half_mask(4, 6, "right"))
    assert torch.equal(half_mask(6, 4, "top"), half_mask(4, 6, "left").transpose(-1, -2))
    soft = half_mask(1, 100, "right", feather=0.2)
    assert 0 < float(soft[0, 0, 0, 45]) < 1 and soft[0, 0, 0, 0] == 0 and soft[0, 0, 0, -1] == 1
    e = ellipse_mask(21, 21, radii=(0.25, 0.25))
    assert e[0, 0, 10, 10] == 1 and e[0, 0, 0, 0] == 0
    assert torch.equal(e, e.flip(-1)) and torch.equal(e, e.flip(-2))
    with pytest.raises(ValueError, match="side"):
        half_mask(2, 2, "middle")


def test_composite() -> None:
    a, b = torch.ones(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    out = composite(a, b, half_mask(4, 4, "right"))
    assert torch.equal(out[..., 2:], a[..., 2:]) and torch.equal(out[..., :2], b[..., :2])


def test_blend_is_weighted_sum_and_equivalent_objective() -> None:
    g = torch.Generator().manual_seed(1)
    a1 = {"x": torch.rand(3, 3, generator=g, dtype=torch.float64)}
    a2 = {"x": torch.rand(3, 3, generator=g, dtype=torch.float64)}
    blend = blend_grams([a1, a2], [1.0, 3.0])
    assert torch.allclose(blend["x"], 0.25 * a1["x"] + 0.75 * a2["x"])
    assert torch.allclose(
        blend_grams([a1, a2], [1, 3], normalize=False)["x"], a1["x"] + 3 * a2["x"]
    )
    # sum_k l_k ||G - A_k||^2 and ||G - A_bar||^2 differ by a constant: equal gradients
    f = torch.rand(3, 10, dtype=torch.float64, requires_grad=True)
    mixed = 0.25 * style_layer_loss(f, a1["x"]) + 0.75 * style_layer_loss(f, a2["x"])
    (g_mixed,) = torch.autograd.grad(mixed, f)
    (g_blend,) = torch.autograd.grad(style_layer_loss(f, blend["x"]), f)
    assert torch.allclose(g_mixed, g_blend, atol=1e-14)
    with pytest.raises(ValueError, match="one weight per style"):
        blend_grams([a1, a2], [1.0])
    with pytest.raises(ValueError, match="same layers"):
        blend_grams([a1, {"y": a2["x"]}], [1, 1])


@pytest.fixture(scope="module")
def vgg() -> VGG19Features:
    return VGG19Features(["conv1_1", "conv2_1"], weights="random")


def test_masked_objective_with_full_mask_equals_style_objective(vgg: VGG19Features) -> None:
    torch.manual_seed(0)
    c, s, x = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    layers = ["conv1_1", "conv2_1"]
    grams = style_gram_targets(vgg, s, layers)
    plain = StyleObjective(
        vgg, c, None, content_layers=["conv2_1"], style_layers=layers, style_grams=grams, beta=1e4
    )
    masked = MaskedStyleObjective(
        vgg,
        c,
        [StyleRegion(torch.ones(1, 1, 16, 16), grams)],
        content_layers=["conv2_1"],
        style_layers=layers,
        beta=1e4,
    )
    a, b = plain(x), masked(x)
    for k in ("content", "style", "total"):
        assert torch.allclose(a[k], b[k], rtol=1e-5), k


def test_masked_objective_styles_only_the_masked_half(vgg: VGG19Features) -> None:
    torch.manual_seed(0)
    content = torch.full((1, 3, 16, 16), 0.5)
    style = torch.rand(1, 3, 16, 16)
    mask = half_mask(16, 16, "right")
    grams = guided_gram_targets(vgg, style, ["conv1_1"])
    obj = MaskedStyleObjective(
        vgg,
        content,
        [StyleRegion(mask, grams)],
        content_layers=["conv2_1"],
        style_layers=["conv1_1"],
        beta=1e5,
    )
    run = optimize_pixels(obj, content, steps=15, progress=False)
    assert run.history["total"][-1] < run.history["total"][0]
    change = (run.image - content).abs().mean(dim=(0, 1, 2))  # per column
    assert float(change[12:].mean()) > 3 * float(change[:4].mean())


def test_masked_objective_errors(vgg: VGG19Features) -> None:
    c = torch.rand(1, 3, 16, 16)
    with pytest.raises(ValueError, match="at least one"):
        MaskedStyleObjective(vgg, c, [], content_layers=["conv2_1"], style_layers=["conv1_1"])
    with pytest.raises(ValueError, match="lacks"):
        MaskedStyleObjective(
            vgg,
            c,
            [StyleRegion(torch.ones(1, 1, 16, 16), {})],
            content_layers=["conv2_1"],
            style_layers=["conv1_1"],
        )
