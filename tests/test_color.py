"""Colour control (Gatys et al. 2017, Sec. 5): luminance-only transfer and colour matching."""

from __future__ import annotations

import pytest
import torch

from nst_teach.extras.color import (
    MATCH_MODES,
    RGB_TO_YIQ,
    color_statistics,
    color_transfer_matrix,
    combine_luminance,
    luminance,
    luminance_only_inputs,
    match_color,
    match_luminance,
    rgb_to_yiq,
    yiq_to_rgb,
)


def _mid_image(seed: int, h: int = 12, w: int = 10) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.3 + 0.4 * torch.rand(1, 3, h, w, generator=g)


@pytest.mark.parametrize("space", ["yiq", "yuv"])
def test_round_trip_is_exact(space: str) -> None:
    img = torch.rand(2, 3, 5, 7, dtype=torch.float64)
    assert torch.allclose(yiq_to_rgb(rgb_to_yiq(img, space), space), img, atol=1e-12)


def test_luminance_weights_and_grey_has_no_chroma() -> None:
    assert torch.allclose(RGB_TO_YIQ[0], torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64))
    grey = torch.full((1, 3, 2, 2), 0.37, dtype=torch.float64)
    yiq = rgb_to_yiq(grey)
    assert torch.allclose(yiq[:, 0], torch.full((1, 2, 2), 0.37, dtype=torch.float64))
    assert torch.allclose(yiq[:, 1:], torch.zeros(1, 2, 2, 2, dtype=torch.float64), atol=1e-12)
    assert luminance(grey).shape == (1, 1, 2, 2)


@pytest.mark.parametrize("space", ["yiq", "yuv"])
def test_luminance_transfer_keeps_content_chroma_exactly(space: str) -> None:
    content = torch.rand(1, 3, 9, 11, dtype=torch.float64)
    stylized = torch.rand(1, 3, 9, 11, dtype=torch.float64)
    out = combine_luminance(stylized, content, space=space, clamp=False)
    assert torch.allclose(
        rgb_to_yiq(out, space)[:, 1:], rgb_to_yiq(content, space)[:, 1:], atol=1e-12
    )
    assert torch.allclose(luminance(out), luminance(stylized), atol=1e-12)


def test_luminance_transfer_adds_the_same_amount_to_rgb() -> None:
    content, stylized = _mid_image(0).double(), _mid_image(1).double()
    out = combine_luminance(stylized, content, clamp=False)
    delta = luminance(stylized) - luminance(content)
    assert torch.allclose(out, content + delta, atol=1e-12)
    # YIQ and YUV share Y and their chroma planes: the same image either way.
    assert torch.allclose(out, combine_luminance(stylized, content, space="yuv", clamp=False))


def test_combine_luminance_clamps_and_checks_sizes() -> None:
    content = torch.ones(1, 3, 2, 2)
    out = combine_luminance(torch.ones(1, 3, 2, 2), content * 0.9)
    assert float(out.max()) <= 1.0
    with pytest.raises(ValueError, match="differ in size"):
        combine_luminance(torch.ones(1, 3, 2, 2), torch.ones(1, 3, 3, 3))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        rgb_to_yiq(torch.ones(1, 4, 2, 2))


def test_match_luminance_gives_content_mean_and_std() -> None:
    s, c = (
        torch.rand(1, 1, 8, 8, dtype=torch.float64),
        0.5 + 0.1 * torch.rand(1, 1, 6, 5, dtype=torch.float64),
    )
    out = match_luminance(s, c)
    assert torch.allclose(out.mean(), c.mean())
    assert torch.allclose(out.std(unbiased=False), c.std(unbiased=False))


def test_luminance_only_inputs_are_grey() -> None:
    c, s = luminance_only_inputs(_mid_image(2), _mid_image(3, 16, 16))
    for img in (c, s):
        assert img.shape[1] == 3
        assert torch.equal(img[:, 0], img[:, 1]) and torch.equal(img[:, 1], img[:, 2])
    assert torch.allclose(s.mean(), c.mean(), atol=1e-5)


@pytest.mark.parametrize("mode", MATCH_MODES)
def test_match_color_gives_target_mean_and_covariance(mode: str) -> None:
    g = torch.Generator().manual_seed(4)
    source = torch.rand(1, 3, 20, 20, generator=g, dtype=torch.float64)
    mix = torch.tensor([[0.6, 0.3, 0.1], [0.1, 0.5, 0.2], [0.0, 0.2, 0.7]], dtype=torch.float64)
    target = torch.einsum(
        "ij,bjhw->bihw", mix, torch.rand(1, 3, 15, 17, generator=g, dtype=torch.float64)
    )
    out = match_color(source, target, mode=mode, eps=0.0, clamp=False)
    mu_o, cov_o = color_statistics(out)
    mu_t, cov_t = color_statistics(target)
    assert torch.allclose(mu_o, mu_t, atol=1e-10)
    assert torch.allclose(cov_o, cov_t, atol=1e-10)


def test_transfer_matrices_solve_the_covariance_equation() -> None:
    g = torch.Generator().manual_seed(5)
    a, b = (
        torch.randn(3, 3, generator=g, dtype=torch.float64),
        torch.randn(3, 3, generator=g, dtype=torch.float64),
    )
    cs, cc = (
        a @ a.T + 0.1 * torch.eye(3, dtype=torch.float64),
        b @ b.T + 0.1 * torch.eye(3, dtype=torch.float64),
    )
    mats = {mode: color_transfer_matrix(cs, cc, mode) for mode in MATCH_MODES}
    for mode, m in mats.items():
        assert torch.allclose(m @ cs @ m.T, cc, atol=1e-9), mode
    assert torch.allclose(torch.tril(mats["cholesky"]), mats["cholesky"])  # L_C L_S^-1: lower
    assert torch.allclose(mats["monge"], mats["monge"].T)  # the optimal-transport map is symmetric
    assert not torch.allclose(mats["eigen"], mats["cholesky"])  # different solutions


def test_match_color_with_singular_covariance_needs_eps() -> None:
    flat = torch.zeros(1, 3, 4, 4)
    flat[:, :, :, :2] = 1.0  # two colours only: covariance of rank 1
    out = match_color(flat, torch.rand(1, 3, 4, 4))
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError, match="mode"):
        match_color(flat, flat, mode="lab")
