"""The small Johnson et al. (2016) transformation network and its training loop."""

from __future__ import annotations

import pytest
import torch

from nst_teach.extras.feedforward import (
    PerceptualLoss,
    TransformNet,
    random_crops,
    stylize_fast,
    train_transform_net,
)
from nst_teach.losses import content_loss, gram_matrix, style_layer_loss
from nst_teach.samples import sample_image
from nst_teach.vgg import VGG19Features


def test_output_shape_and_range() -> None:
    net = TransformNet()
    for h, w in ((32, 32), (30, 45), (17, 9)):
        with torch.no_grad():
            out = net(torch.rand(2, 3, h, w))
        assert out.shape == (2, 3, h, w)
        assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        net(torch.rand(3, 8, 8))


def test_identity_start() -> None:
    x = 0.1 + 0.8 * torch.rand(1, 3, 16, 16)
    assert torch.allclose(TransformNet()(x), x, atol=1e-5)
    johnson = TransformNet(identity_start=False)(x)  # as in the paper: not the identity
    assert not torch.allclose(johnson, x, atol=1e-2)


def test_instance_norm_makes_net_contrast_invariant_inside() -> None:
    # instance norm after the first conv: the downsampling path ignores a global gain
    net = TransformNet(identity_start=False).eval()
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        a, b = net.down(x - 0.5), net.down(2.0 * (x - 0.5))
    assert torch.allclose(a, b, atol=1e-3)


def test_random_crops() -> None:
    img = torch.rand(1, 3, 40, 30)
    crops = random_crops(img, n=5, size=12, seed=3)
    assert crops.shape == (5, 3, 12, 12)
    assert torch.equal(crops, random_crops(img, n=5, size=12, seed=3))
    assert not torch.equal(crops, random_crops(img, n=5, size=12, seed=4))
    full = random_crops(img[..., :30, :], n=1, size=30, scale=(1.0, 1.0), seed=0)
    assert torch.allclose(full, img[..., :30, :]) or torch.allclose(full, img[..., :30, :].flip(-1))


@pytest.fixture(scope="module")
def vgg() -> VGG19Features:
    return VGG19Features(["conv1_1", "conv2_1"], weights="random")


def test_perceptual_loss_is_per_image_mean(vgg: VGG19Features) -> None:
    style = torch.rand(1, 3, 16, 16)
    loss = PerceptualLoss(
        vgg, style, content_layers=["conv2_1"], style_layers=["conv1_1"], alpha=2.0, beta=10.0
    )
    x, y = torch.rand(3, 3, 16, 16), torch.rand(3, 3, 16, 16)
    out = loss(y, x)
    with torch.no_grad():
        fx, fy = vgg(x), vgg(y)
        a = gram_matrix(vgg(style)["conv1_1"])
        content = (
            sum(content_loss(fy["conv2_1"][i : i + 1], fx["conv2_1"][i : i + 1]) for i in range(3))
            / 3
        )
        style_l = sum(style_layer_loss(fy["conv1_1"][i : i + 1], a) for i in range(3)) / 3
    assert torch.allclose(out["content"], content, rtol=1e-5)
    assert torch.allclose(out["style"], style_l, rtol=1e-5)
    assert torch.allclose(out["total"], 2.0 * content + 10.0 * style_l, rtol=1e-5)


def test_training_decreases_the_loss(vgg: VGG19Features) -> None:
    torch.manual_seed(0)
    style = sample_image("swirls", 16)
    images = random_crops(sample_image("hopper", 48), n=4, size=16)
    loss = PerceptualLoss(
        vgg, style, content_layers=["conv2_1"], style_layers=["conv1_1", "conv2_1"], beta=1e6
    )
    net = TransformNet(channels=(4, 8, 8), n_residual=1)
    with torch.no_grad():
        before = loss(net(images), images)
    run = train_transform_net(net, loss, images, steps=30, batch_size=4, lr=2e-3, progress=False)
    with torch.no_grad():
        after = loss(net(images), images)
    assert run.steps == 30 and len(run.history["total"]) == 30
    assert float(before["content"]) < 1e-6  # the identity start
    assert float(after["style"]) < 0.5 * float(before["style"])
    assert float(after["total"]) < float(before["total"])
    assert not net.training
    out, seconds = stylize_fast(net, images[:1])
    assert out.shape == (1, 3, 16, 16) and seconds >= 0


def test_training_callback_stops(vgg: VGG19Features) -> None:
    style = torch.rand(1, 3, 16, 16)
    loss = PerceptualLoss(vgg, style, content_layers=["conv2_1"], style_layers=["conv1_1"])
    run = train_transform_net(
        TransformNet(channels=(4, 4, 4), n_residual=1),
        loss,
        torch.rand(2, 3, 16, 16),
        steps=10,
        progress=False,
        callback=lambda step, losses: step == 3,
    )
    assert run.steps == 3
