"""Statements of lessons 06-10 that were once wrong (issue 11) and must stay right.

Each test reads a lesson's text (markdown and code, no outputs) and checks that the wrong
phrase is gone and that the right value, computed from the package where possible, is there.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from nst_teach.extras.architecture import layer_table
from nst_teach.extras.conventions import CONVENTIONS, D2L_INDICES
from nst_teach.layers import LAYER_NAMES, TUTORIAL_STYLE_LAYERS, layer_channels

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MINE = [
    "06_full_transfer",
    "07_refinements",
    "08_control_and_conventions",
    "09_explorer",
    "10_beyond",
]


def cells(name: str) -> list[nbformat.NotebookNode]:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells


def text(name: str) -> str:
    return "\n".join(c.source for c in cells(name))


def test_alpha_beta_scale_is_a_heuristic_and_the_normalisation_is_named() -> None:
    """Issue 11, statement 3: 06 [7] and 05 [40] (now 08)."""
    for name in ("06_full_transfer", "08_control_and_conventions"):
        t = " ".join(text(name).split())
        assert "rough heuristic" in t, name
        assert "mean activation of each convolutional filter" in t, name
        assert re.search(r"trained again|different training", t, re.I), name
    assert "Features scale roughly with the input" not in text("06_full_transfer")


def test_tv_loss_is_the_squared_gradient_and_delta_is_defined() -> None:
    """Issue 11, statements 5 and 13 (Delta): 05 [41] and [2] (now 07)."""
    t = text("07_refinements")
    assert r"\sum(\Delta x)^2" not in t
    assert r"\lvert\nabla x\rvert^2" in t
    assert (
        r"(\Delta x)_{c,i,j} = x_{c,i-1,j} + x_{c,i+1,j} + x_{c,i,j-1} + x_{c,i,j+1} - 4x_{c,i,j}"
        in t
    )
    assert r"= -2\,(\Delta x)_{c,i,j}" in t


def test_gram_matrix_does_not_hold_the_means() -> None:
    """Issue 11, statement 6: 07 [15] (now 10)."""
    t = text("10_beyond")
    assert "The Gram matrix holds the means" not in t
    assert r"\vec\mu\vec\mu^\top" in t and "not recoverable" in t


def test_johnson_loss_is_described_as_it_is() -> None:
    """Issue 11, statement 7: 07 [10] (now 10)."""
    t = text("10_beyond")
    assert "the same perceptual loss" not in t
    for needle in ("VGG-16", "`relu2_2`", "`relu1_2`", "`relu3_3`", "`relu4_3`", "C_j H_j W_j"):
        assert needle in t, needle


def test_logit_is_defined_where_used() -> None:
    """Issue 11, statement 13: 07 (now 10) uses the logit."""
    t = text("10_beyond")
    assert r"\operatorname{logit}(p) = \log\frac{p}{1-p}" in t


def test_conv5_1_receptive_field_as_lesson_01_computes_it() -> None:
    """Issue 11, statement 8: 06 [10] (now 09) said about 200 pixels."""
    rf = layer_table(224, 224, ("conv5_1",))[-1]["receptive_field"]
    assert rf == 156
    t = text("09_explorer")
    assert "about 200 pixels" not in t
    assert f"patch of {rf} pixels" in t


def test_pytorch_tutorial_layer_weight_ratio() -> None:
    """Issue 11, statement 9: 05 [33] (now 08) named a 512-channel layer the tutorial lacks."""
    channels = [layer_channels(n) for n in TUTORIAL_STYLE_LAYERS]
    assert max(channels) == 256
    ratio = (max(channels) / min(channels)) ** 2
    t = text("08_control_and_conventions")
    assert "512-channel" not in t
    assert f"(256/64)^2 = {ratio:.0f}" in t


def test_d2l_row_in_the_lesson_matches_the_package() -> None:
    style, content = D2L_INDICES
    t = text("08_control_and_conventions")
    assert "indices " + ", ".join(map(str, style)) + "; " + ", ".join(map(str, content)) in t
    assert LAYER_NAMES[content[0]] == "conv4_4" and "relu4_4" in t
    d2l = CONVENTIONS["d2l"]
    assert f"1e3, 1 (TV {d2l.tv_weight:g}" in t and d2l.style_weight == 1e3


def test_paper_figures_are_cited_with_the_paper_named() -> None:
    t = text("06_full_transfer")
    assert "arXiv 1508.06576, Fig. 3" in t
    assert "the paper's Figure 3" not in t


@pytest.mark.parametrize("name", MINE)
def test_lesson_has_predict_prompts_notes_and_fits_45_minutes(name: str) -> None:
    cs = cells(name)
    assert any(
        c.cell_type == "markdown" and c.source.startswith("**Predict, then run.**") for c in cs
    )
    notes = [c for c in cs if c.metadata.get("slideshow", {}).get("slide_type") == "notes"]
    sections = [c for c in cs if c.cell_type == "markdown" and re.match(r"## \d\.", c.source)]
    assert len(notes) >= len(sections) >= 2, (len(notes), len(sections))
    for i, c in enumerate(cs):  # each section's slide is followed by its speaker notes
        if c in sections:
            assert cs[i + 1].metadata["slideshow"]["slide_type"] == "notes", (name, i)
    minutes = re.search(r"\*\*Time:\*\* about (\d+) minutes", cs[0].source)
    assert minutes and int(minutes.group(1)) <= 45, name
    for n in notes:
        assert re.search(r"minutes", n.source), (name, n.source[:60])


@pytest.mark.parametrize("name", MINE)
def test_paper_features_are_called_relu(name: str) -> None:
    """Issue 9: where the paper's features are meant, the lessons say relu."""
    t = text(name)
    for wrong in ("`conv1_1` ... `conv5_1`", "layer stays `conv4_2`", "content loss at `conv4_2`"):
        assert wrong not in t
