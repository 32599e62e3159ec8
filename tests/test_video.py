"""Frames of a pan, their warp, the flicker measure, the temporal loss and the frame loop."""

from __future__ import annotations

import itertools

import pytest
import torch

from nst_teach.extras.video import (
    frame_differences,
    pan_frames,
    stylize_frames,
    temporal_loss,
    translate,
    warp_to_next,
    warping_error,
)
from nst_teach.vgg import VGG19Features


def test_pan_frames_are_the_crops_at_multiples_of_the_shift():
    img = torch.rand(1, 3, 30, 40, generator=torch.Generator().manual_seed(0))
    frames = pan_frames(img, 4, shift=(2, -3))
    assert all(f.shape == (1, 3, 24, 31) for f in frames)
    # dx < 0: the first crop starts at the right end of the travel (x = 9), y at 0
    assert torch.equal(frames[0], img[..., 0:24, 9:40])
    assert torch.equal(frames[3], img[..., 6:30, 0:31])


def test_pan_frames_refuses_too_long_a_pan():
    with pytest.raises(ValueError, match="smaller shift or fewer frames"):
        pan_frames(torch.rand(1, 3, 10, 10), 5, shift=(0, 3))
    with pytest.raises(ValueError, match="n_frames"):
        pan_frames(torch.rand(1, 3, 10, 10), 1)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        pan_frames(torch.rand(3, 10, 10), 2)


@pytest.mark.parametrize("shift", [(0, 3), (2, 0), (-1, 2), (3, -4)])
def test_warp_maps_each_frame_onto_the_next_exactly(shift):
    img = torch.rand(1, 3, 32, 36, generator=torch.Generator().manual_seed(1))
    frames = pan_frames(img, 3, shift=shift)
    for a, b in itertools.pairwise(frames):
        warped, mask = warp_to_next(a, shift)
        h, w = a.shape[-2:]
        assert int(mask.sum()) == (h - abs(shift[0])) * (w - abs(shift[1]))
        assert torch.equal(warped * mask, b * mask)
    assert warping_error(frames, shift).abs().max() == 0


def test_translate_fills_the_uncovered_strip_and_is_undone_by_the_opposite_move():
    img = torch.arange(12.0).view(1, 1, 3, 4)
    moved, mask = translate(img, 1, -1, fill=torch.full_like(img, -1.0))
    assert moved[0, 0].tolist() == [[-1, -1, -1, -1], [1, 2, 3, -1], [5, 6, 7, -1]]
    assert mask[0, 0].tolist() == [[0, 0, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0]]
    back, back_mask = translate(moved, -1, 1)
    assert torch.equal((back * back_mask)[0, 0, :2, 1:], img[0, 0, :2, 1:])
    # a move larger than the image leaves nothing
    empty, empty_mask = translate(img, 0, 5)
    assert empty.abs().sum() == 0 and empty_mask.sum() == 0


def test_warping_error_sees_flicker_that_plain_differences_confuse_with_motion():
    img = torch.rand(1, 3, 20, 30, generator=torch.Generator().manual_seed(2))
    frames = pan_frames(img, 3, shift=(0, 2))
    assert (frame_differences(frames) > 0.1).all()  # motion alone
    noisy = [f + 0.1 * (-1) ** i for i, f in enumerate(frames)]  # brightness flicker
    assert torch.allclose(warping_error(noisy, (0, 2)), torch.full((2,), 0.2))


def test_temporal_loss_closed_form_and_gradient():
    x = torch.rand(1, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    w = torch.rand(1, 3, 4, 5, dtype=torch.float64)
    mask = (torch.rand(1, 1, 4, 5, dtype=torch.float64) > 0.5).double()
    loss = temporal_loss(x, w, mask)
    assert torch.allclose(loss, (mask * (x - w) ** 2).sum() / 60)
    (grad,) = torch.autograd.grad(loss, x)
    assert torch.allclose(grad, 2 * mask * (x - w) / 60)
    assert torch.autograd.gradcheck(lambda y: temporal_loss(y, w, mask), (x,))


@pytest.fixture(scope="module")
def tiny():
    vgg = VGG19Features(["conv1_1", "conv2_1"], weights="random")
    img = torch.rand(1, 3, 16, 22, generator=torch.Generator().manual_seed(3))
    frames = pan_frames(img, 3, shift=(0, 3))
    style = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(4))
    kw = {"content_layers": ["conv2_1"], "style_layers": ["conv1_1", "conv2_1"], "beta": 1e4}
    return vgg, frames, style, kw


def test_stylize_frames_methods(tiny):
    vgg, frames, style, kw = tiny
    seen = []
    indep = stylize_frames(frames, style, vgg, shift=(0, 3), steps=4, callback=seen.append, **kw)
    assert seen == [0, 1, 2] and indep.method == "independent" and len(indep.frames) == 3
    assert all(run.evals == 4 for run in indep.runs)
    # independent content-started frames: frame t starts from frame t itself
    assert indep.runs[1].history["content"][0] == 0.0
    warm = stylize_frames(frames, style, vgg, shift=(0, 3), steps=4, method="warm", **kw)
    assert torch.equal(warm.frames[0], indep.frames[0])  # same start, same loop
    assert warm.runs[1].history["content"][0] > 0  # starts from the warped result
    temporal = stylize_frames(
        frames, style, vgg, shift=(0, 3), steps=4, method="temporal", temporal_weight=1e3, **kw
    )
    hist = temporal.runs[1].history
    assert hist["temporal"][0] == 0.0  # the start is the warped previous result itself
    assert hist["total"][1] == pytest.approx(
        hist["content"][1] + 1e4 * hist["style"][1] + 1e3 * hist["temporal"][1], rel=1e-5
    )
    assert temporal.seconds > 0


def test_stylize_frames_noise_starts_differ_per_frame(tiny):
    vgg, frames, style, kw = tiny
    out = stylize_frames(frames[:2], style, vgg, shift=(0, 3), steps=1, init="noise", **kw)
    assert out.runs[0].history["content"][0] > 0
    assert not torch.equal(out.frames[0], out.frames[1])


def test_stylize_frames_refuses_bad_arguments(tiny):
    vgg, frames, style, kw = tiny
    with pytest.raises(ValueError, match="method must be one of"):
        stylize_frames(frames, style, vgg, shift=(0, 3), steps=1, method="optical", **kw)
    with pytest.raises(ValueError, match="init must be"):
        stylize_frames(frames, style, vgg, shift=(0, 3), steps=1, init="style", **kw)
    with pytest.raises(ValueError, match="temporal_weight"):
        stylize_frames(frames, style, vgg, shift=(0, 3), steps=1, temporal_weight=-1, **kw)
    with pytest.raises(ValueError, match="no frames"):
        stylize_frames([], style, vgg, shift=(0, 3), steps=1, **kw)
