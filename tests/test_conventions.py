"""The four normalisation conventions and the exact conversion into the paper's weights."""

from __future__ import annotations

import pytest
import torch

from nst_teach.extras.conventions import (
    CONVENTIONS,
    beta_factor,
    content_term,
    content_term_factor,
    convention_loss,
    style_layer_term,
    style_term_factor,
    to_paper_weights,
)
from nst_teach.losses import content_loss, gram_matrix, style_layer_loss
from nst_teach.objective import StyleObjective
from nst_teach.vgg import VGG19Features

KEYS = list(CONVENTIONS)


def _feats(seed: int, shapes: dict[str, tuple[int, int, int]]) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {n: torch.rand(1, *s, generator=g, dtype=torch.float64) for n, s in shapes.items()}


SHAPES = {"a": (4, 6, 5), "b": (8, 3, 3), "c": (16, 2, 2)}


@pytest.mark.parametrize("key", KEYS)
def test_style_term_is_factor_times_paper_E(key: str) -> None:
    f, s = _feats(0, SHAPES), _feats(1, SHAPES)
    for name, (n, h, w) in SHAPES.items():
        e = style_layer_loss(f[name], gram_matrix(s[name]))
        got = style_layer_term(key, f[name], s[name], image_positions=900)
        factor = style_term_factor(key, n, h * w, image_positions=900)
        assert torch.allclose(got, factor * e, rtol=1e-12), (key, name)


@pytest.mark.parametrize("key", KEYS)
def test_content_term_is_factor_times_paper_content(key: str) -> None:
    f, p = _feats(2, SHAPES), _feats(3, SHAPES)
    for name, (n, h, w) in SHAPES.items():
        got = content_term(key, f[name], p[name])
        want = content_term_factor(key, n, h * w) * content_loss(f[name], p[name])
        assert torch.allclose(got, want, rtol=1e-12)


def test_known_factors() -> None:
    assert style_term_factor("paper", 64, 100) == 1.0
    assert style_term_factor("pytorch", 64, 100) == 4 / 64**2
    assert style_term_factor("tensorflow", 64, 100) == 4.0
    assert style_term_factor("keras", 64, 100, image_positions=400) == (64 * 100) ** 2 / (
        9 * 400**2
    )
    assert content_term_factor("keras", 5, 5) == 2.0
    assert content_term_factor("tensorflow", 512, 16) == 2 / (512 * 16)
    # The PyTorch tutorial's one style weight is a different beta for every layer:
    b1 = beta_factor("pytorch", 64, 4096, num_style_layers=5) * 1e6
    b3 = beta_factor("pytorch", 256, 256, num_style_layers=5) * 1e6
    assert b1 == pytest.approx(4882.8125) and b3 == pytest.approx(305.17578125)
    assert beta_factor("paper", 64, 10, num_style_layers=5) == 1.0


@pytest.mark.parametrize("key", KEYS)
def test_converted_weights_give_the_same_total(key: str) -> None:
    gen, con, sty = _feats(4, SHAPES), _feats(5, SHAPES), _feats(6, SHAPES)
    style_layers, content_layers = ["a", "b", "c"], ["b"]
    conv_total = convention_loss(
        key,
        gen,
        {n: con[n] for n in content_layers},
        {n: sty[n] for n in style_layers},
        image_positions=900,
    )["total"]
    w = to_paper_weights(
        key,
        {n: gen[n].shape for n in style_layers},
        {n: gen[n].shape for n in content_layers},
        image_positions=900,
    )
    assert sum(w.layer_weights.values()) == pytest.approx(1.0)
    paper_total = w.alpha * content_loss(gen["b"], con["b"]) + w.beta * sum(
        w.layer_weights[n] * style_layer_loss(gen[n], gram_matrix(sty[n])) for n in style_layers
    )
    assert torch.allclose(conv_total, paper_total, rtol=1e-10)


@pytest.mark.parametrize("key", KEYS)
def test_conversion_matches_style_objective_on_vgg(key: str) -> None:
    torch.manual_seed(0)
    vgg = VGG19Features(["conv1_1", "conv2_1", "conv2_2"], weights="random").double()
    content, style, image = (torch.rand(1, 3, 24, 20, dtype=torch.float64) for _ in range(3))
    style_layers, content_layers = ["conv1_1", "conv2_1"], ["conv2_2"]
    with torch.no_grad():
        fg, fc, fs = vgg(image), vgg(content), vgg(style)
    conv = convention_loss(
        key,
        fg,
        {n: fc[n] for n in content_layers},
        {n: fs[n] for n in style_layers},
        style_weight=3.0,
        content_weight=0.5,
        image_positions=24 * 20,
    )
    w = to_paper_weights(
        key,
        {n: fg[n].shape for n in style_layers},
        {n: fg[n].shape for n in content_layers},
        style_weight=3.0,
        content_weight=0.5,
        image_positions=24 * 20,
    )
    objective = StyleObjective(
        vgg,
        content,
        style,
        content_layers=content_layers,
        style_layers=style_layers,
        layer_weights=w.layer_weights,
        alpha=w.alpha,
        beta=w.beta,
    )
    with torch.no_grad():
        assert torch.allclose(objective(image)["total"], conv["total"], rtol=1e-9)


def test_tensorflow_conversion_is_layer_independent() -> None:
    w = to_paper_weights("tensorflow", {"x": (64, 4096), "y": (512, 16)}, {"z": (512, 16)})
    assert w.beta == pytest.approx(4 * 1e-2)
    assert w.layer_weights == {"x": 0.5, "y": 0.5}
    assert w.alpha == pytest.approx(1e4 * 2 / (512 * 16))


def test_errors() -> None:
    with pytest.raises(ValueError, match="unknown convention"):
        style_term_factor("caffe", 1, 1)
    with pytest.raises(ValueError, match="image_positions"):
        style_term_factor("keras", 1, 1)
    with pytest.raises(ValueError, match="different factors"):
        to_paper_weights("pytorch", {"a": (4, 4)}, {"b": (4, 4), "c": (8, 4)})


def test_d2l_row_matches_its_code() -> None:
    """d2l's gram(X) = X X^T / (c h w), style_loss = mean((gram - A)^2), content = mean, summed."""
    from nst_teach.extras.conventions import D2L_INDICES

    d2l = CONVENTIONS["d2l"]
    assert (d2l.content_weight, d2l.style_weight, d2l.tv_weight) == (1.0, 1e3, 10.0)
    assert not d2l.averages_style_layers and not d2l.averages_content_layers
    assert D2L_INDICES == ((0, 5, 10, 19, 28), (25,))
    assert d2l.style_layers[-1] == "conv5_1" and d2l.content_layers == ("relu4_4",)
    f, s = _feats(7, {"x": (4, 3, 5)}), _feats(8, {"x": (4, 3, 5)})
    x, y = f["x"][0].reshape(4, -1), s["x"][0].reshape(4, -1)
    gram = lambda z: z @ z.T / z.numel()  # noqa: E731  (d2l's gram)
    want = ((gram(x) - gram(y)) ** 2).mean()
    assert torch.allclose(style_layer_term("d2l", f["x"], s["x"]), want, rtol=1e-12)
    assert torch.allclose(content_term("d2l", f["x"], s["x"]), ((f["x"] - s["x"]) ** 2).mean())


def test_d2l_indices_are_these_torchvision_layers() -> None:
    from torchvision.models import vgg19

    from nst_teach.extras.conventions import D2L_INDICES
    from nst_teach.layers import LAYER_NAMES

    style, content = D2L_INDICES  # our names follow torchvision's features, one per module
    assert [LAYER_NAMES[i] for i in style] == [
        "conv1_1",
        "conv2_1",
        "conv3_1",
        "conv4_1",
        "conv5_1",
    ]
    assert [LAYER_NAMES[i] for i in content] == ["conv4_4"]
    features = vgg19(weights=None).features
    assert all(isinstance(features[i], torch.nn.Conv2d) for i in style + content)
    # in-place ReLUs follow every captured layer except the last one d2l keeps (index 28)
    assert all(features[i + 1].inplace for i in (0, 5, 10, 19, 25))


def test_every_convention_says_whether_its_features_are_rectified() -> None:
    for conv in CONVENTIONS.values():
        assert conv.rectified.startswith(("yes", "no")), conv.key
        rect = conv.rectified.startswith("yes")
        names = conv.style_layers + conv.content_layers
        if conv.key == "d2l":
            names = names[:-2] + names[-1:]  # its conv5_1 is the unrectified exception
        assert all(n.startswith("relu" if rect else "conv") for n in names), conv.key
