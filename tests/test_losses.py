"""The paper's losses: closed forms on tiny tensors, closed-form gradients against autograd."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck

from nst_teach.losses import (
    content_loss,
    content_loss_grad,
    gram_matrix,
    style_layer_loss,
    style_layer_loss_grad,
    style_loss,
    total_loss,
    total_variation_loss,
)

F2 = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]])  # N = 2 filters, M = 3 positions


def test_gram_matrix_closed_form():
    expected = torch.tensor([[5.0, 2.0], [2.0, 10.0]])
    assert torch.equal(gram_matrix(F2), expected)
    # the same numbers from a (B, N, H, W) activation with H * W = 3
    assert torch.equal(gram_matrix(F2.view(1, 2, 1, 3)), expected.unsqueeze(0))


@pytest.mark.parametrize(
    ("normalize", "divisor"), [("none", 1.0), ("positions", 3.0), ("elements", 6.0)]
)
def test_gram_normalisations(normalize, divisor):
    assert torch.allclose(gram_matrix(F2, normalize=normalize), gram_matrix(F2) / divisor)


def test_gram_is_symmetric_and_batched():
    feats = torch.randn(3, 4, 5, 6)
    gram = gram_matrix(feats)
    assert gram.shape == (3, 4, 4)
    assert torch.allclose(gram, gram.transpose(1, 2))
    assert torch.allclose(gram[1], gram_matrix(feats[1].reshape(4, 30)), atol=1e-5)


def test_gram_rejects_unknown_normalisation():
    with pytest.raises(ValueError, match="normalize must be one of"):
        gram_matrix(F2, normalize="mean")


def test_content_loss_closed_form():
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    p = torch.tensor([[0.0, 2.0], [1.0, 7.0]])
    # 1/2 (1 + 0 + 4 + 9) = 7
    assert content_loss(f, p).item() == pytest.approx(7.0)


def test_content_loss_shape_mismatch():
    with pytest.raises(ValueError, match="differ in shape"):
        content_loss(torch.zeros(2, 3), torch.zeros(3, 2))


def test_style_layer_loss_closed_form():
    # G = [[5, 2], [2, 10]], A = 0: sum G^2 = 25 + 4 + 4 + 100 = 133; 4 N^2 M^2 = 4 * 4 * 9
    assert style_layer_loss(F2, torch.zeros(2, 2)).item() == pytest.approx(133 / 144)
    assert style_layer_loss(F2, gram_matrix(F2)).item() == 0.0


def test_style_loss_weights_layers():
    feats = {"a": F2, "b": 2 * F2}
    grams = {"a": torch.zeros(2, 2), "b": torch.zeros(2, 2)}
    e_a, e_b = 133 / 144, 16 * 133 / 144  # doubling F multiplies G by 4, E by 16
    assert style_loss(feats, grams).item() == pytest.approx((e_a + e_b) / 2)
    assert style_loss(feats, grams, {"a": 1.0, "b": 0.25}).item() == pytest.approx(e_a + e_b / 4)


def test_total_variation_closed_form():
    img = torch.tensor([[[[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]]])
    # horizontal: 1 + 4 + 0 + 0 = 5, vertical: 4 + 1 + 1 = 6
    assert total_variation_loss(img).item() == pytest.approx(11.0)


def test_total_loss_combines():
    loss = total_loss(torch.tensor(2.0), torch.tensor(3.0), 0.5, 10.0, torch.tensor(4.0), 0.25)
    assert loss.item() == pytest.approx(0.5 * 2 + 10 * 3 + 0.25 * 4)


def test_content_gradient_matches_autograd():
    f = torch.randn(1, 4, 3, 5, dtype=torch.float64, requires_grad=True)
    p = torch.randn(1, 4, 3, 5, dtype=torch.float64)
    (grad,) = torch.autograd.grad(content_loss(f, p), f)
    assert torch.allclose(grad, content_loss_grad(f.detach(), p))


def test_content_gradient_paper_relu_case_split():
    """Eq. (2): the gradient reaching the pre-activation through a ReLU is zero where F < 0."""
    x = torch.randn(1, 4, 3, 5, dtype=torch.float64, requires_grad=True)
    p = torch.rand(1, 4, 3, 5, dtype=torch.float64)
    (grad_x,) = torch.autograd.grad(content_loss(torch.relu(x), p), x)
    masked = content_loss_grad(torch.relu(x).detach(), p, relu_mask=True)
    assert torch.allclose(grad_x, masked)


def test_style_gradient_matches_autograd():
    f = torch.randn(2, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    a = gram_matrix(torch.randn(1, 3, 4, 4, dtype=torch.float64))
    (grad,) = torch.autograd.grad(style_layer_loss(f, a), f)
    assert torch.allclose(grad, style_layer_loss_grad(f.detach(), a))


def test_style_gradient_paper_relu_case_split():
    x = torch.randn(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    a = gram_matrix(torch.rand(1, 3, 4, 4, dtype=torch.float64))
    (grad_x,) = torch.autograd.grad(style_layer_loss(torch.relu(x), a), x)
    masked = style_layer_loss_grad(torch.relu(x).detach(), a, relu_mask=True)
    assert torch.allclose(grad_x, masked)


def test_gradcheck_all_losses():
    f = torch.randn(1, 3, 3, 4, dtype=torch.float64, requires_grad=True)
    p = torch.randn(1, 3, 3, 4, dtype=torch.float64)
    a = gram_matrix(torch.randn(1, 3, 3, 4, dtype=torch.float64))
    assert gradcheck(lambda x: content_loss(x, p), (f,))
    assert gradcheck(lambda x: style_layer_loss(x, a), (f,))
    assert gradcheck(lambda x: gram_matrix(x), (f,))
    assert gradcheck(total_variation_loss, (f,))


def test_style_loss_rejects_wrong_target():
    with pytest.raises(ValueError, match="does not fit 2 feature channels"):
        style_layer_loss(F2, torch.zeros(3, 3))
