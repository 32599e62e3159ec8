"""Grep-able checks of the statements corrected in lessons 00-04 (issues 9 and 11).

Each test names the issue item it guards: a wrong phrase that must stay absent, or a right
value or citation that must stay present.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = {
    "00": "00_start_here.ipynb",
    "01": "01_images_and_vgg.ipynb",
    "02": "02_content.ipynb",
    "03": "03_gram_matrices.ipynb",
    "04": "04_textures.ipynb",
}


def _cells(lesson: str) -> list:
    return nbformat.read(NOTEBOOKS / LESSONS[lesson], as_version=4).cells


def _text(lesson: str, kind: str | None = None) -> str:
    """All cell sources of a lesson (of one cell type if given), whitespace collapsed."""
    sources = [c.source for c in _cells(lesson) if kind is None or c.cell_type == kind]
    return re.sub(r"\s+", " ", "\n".join(sources))


# ---------------------------------------------------------------- item 1: papers and numbering


def test_00_names_both_papers_and_the_numbering() -> None:
    text = _text("00")
    assert "*A Neural Algorithm of Artistic Style*, arXiv:1508.06576" in text
    assert "*Image Style Transfer Using Convolutional Neural Networks*, CVPR 2016" in text
    assert "no numbered sections" in text
    assert "number the equations as the arXiv paper does, (1) to (7)" in text


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_no_section_number_for_the_arxiv_paper(lesson: str) -> None:
    text = _text(lesson)
    assert "Gatys, Ecker and Bethge 2015, Sec." not in text
    assert "arXiv 1508.06576, Sec." not in text


def test_losses_docstring_has_no_arxiv_section_number() -> None:
    source = (ROOT / "nst_teach" / "losses.py").read_text()
    assert "arXiv 1508.06576, Sec. 2" not in source
    assert "the arXiv paper has no numbered sections" in source


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_figures_are_cited_with_their_paper(lesson: str) -> None:
    text = _text(lesson, "markdown")
    for match in re.finditer(r"(Figure|Fig\.) \d", text):
        before = text[max(0, match.start() - 30) : match.start()]
        assert "CVPR 2016" in before or "1508.06576" in before, (
            f"{lesson}: ...{before}{match.group()}"
        )


def test_02_reconstructions_cite_the_cvpr_figure() -> None:
    assert "CVPR 2016, Fig. 1, content reconstructions from `conv1_2` ... `conv5_2`" in _text("02")


# ---------------------------------------------------------------- item 2 and issue 9: rectified


def test_03_gram_pictures_and_loss_use_the_same_rectified_features() -> None:
    text = _text("03")
    assert "rectified as the paper's Caffe features were" not in text
    assert "torch.relu(fs[" not in text  # no rectifying by hand for the pictures only
    assert 'for c, layer in enumerate(["relu1_1", "relu3_1"])' in text


def test_02_does_not_say_torchvision_conv4_2_is_simply_before_the_relu() -> None:
    text = _text("02")
    assert (
        "In torchvision (and this kit) `conv4_2` is the convolution's output *before* the ReLU"
        not in text
    )
    assert "torchvision's own in-place ReLU would rectify a `conv4_2` tensor you had kept" in text


def test_01_says_once_why_the_features_are_rectified() -> None:
    text = _text("01", "markdown")
    for fact in (
        "`r11` ... `r51` and `r42`",
        "nn.ReLU(inplace=False)",
        "`block1_conv1`",
        "module 28 (`conv5_1`)",
        "0, 5, 10, 19, 28 (style) and 25 (content)",
    ):
        assert fact in text, fact
    code = _text("01", "code")
    assert 'VGG19Features(["conv4_2", "relu4_2"])' in code
    assert "torchvision.models.vgg19().features[:23]" in code
    for lesson in ("02", "03", "04"):  # the one place: the others refer back to it
        assert "Keras" not in _text(lesson)


@pytest.mark.parametrize("lesson", ["02", "03", "04"])
def test_paper_layers_are_rectified_in_code(lesson: str) -> None:
    code = _text(lesson, "code")
    for wrong in (
        '"conv1_1", "conv2_1"',
        '"conv1_2", "conv2_2"',
        '["conv3_1"]',
        '"conv1_1", "conv3_1"',
    ):
        assert wrong not in code


# ---------------------------------------------------------------- item 4: E_l and Eq. (6)


def test_03_E_l_not_comparable_and_eq6_forms_equal_only_where_positive() -> None:
    text = _text("03")
    assert "comparable across layers and image sizes" not in text
    assert "$E_l$ is *not* comparable across layers" in text
    assert "**equal only where $F^l_{ij} > 0$**" in text


# ---------------------------------------------------------------- items 10, 11, 13


def test_00_random_weights_paragraph_agrees_with_lesson_02() -> None:
    text = _text("00")
    assert "random weights lose more of the detail" not in text
    assert "He, Wang and Hopcroft, NeurIPS 2016" in text


@pytest.mark.parametrize("lesson", ["00", "04"])
def test_texture_paper_is_cited(lesson: str) -> None:
    text = _text(lesson)
    assert "Texture Synthesis Using Convolutional Neural Networks" in text
    assert "arXiv:1505.07376" in text


def test_00_lesson_table_is_the_final_list() -> None:
    cell = next(c.source for c in _cells("00") if c.source.startswith("## The lessons, in order"))
    rows = re.findall(r"^\| \*\*(\d\d)\*\* \| ([^|]+) \|", cell, flags=re.M)
    assert [n for n, _ in rows] == [f"{i:02d}" for i in range(12)]
    topics = dict(rows)
    assert topics["03"].strip() == "Gram matrices" and topics["04"].strip() == "Textures"
    assert topics["05"].strip() == "Build the loop"
    assert topics["11"].strip() == "Applications and FAQ"
    for name in LESSONS.values():
        assert (NOTEBOOKS / name).exists(), name


# ---------------------------------------------------------------- teaching conventions


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_predict_then_run_prompt(lesson: str) -> None:
    prompts = [
        c
        for c in _cells(lesson)
        if c.cell_type == "markdown" and c.source.startswith("**Predict, then run.**")
    ]
    assert prompts


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_speaker_notes_per_section_and_time(lesson: str) -> None:
    cells = _cells(lesson)
    minutes = 0
    for i, cell in enumerate(cells):
        heading = cell.cell_type == "markdown" and re.search(r"^## \d\.", cell.source, flags=re.M)
        if heading and cell.metadata.get("slideshow", {}).get("slide_type") == "slide":
            notes = cells[i + 1]
            assert notes.metadata.get("slideshow", {}).get("slide_type") == "notes", cell.source[
                :40
            ]
        if cell.metadata.get("slideshow", {}).get("slide_type") == "notes":
            found = re.search(r"\((\d+) min\)", cell.source)
            assert found, cell.source[:60]
            minutes += int(found.group(1))
            assert "[[code:" not in cell.source
    assert 0 < minutes <= 45


@pytest.mark.parametrize("lesson", sorted(LESSONS))
def test_exercises_have_solution_regions(lesson: str) -> None:
    exercises = [c for c in _cells(lesson) if "exercise" in c.metadata.get("tags", [])]
    assert exercises
    for cell in exercises:
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source


@pytest.mark.parametrize("module", ["lesson00", "lesson01", "lesson02", "lesson03", "lesson04"])
def test_no_hint_is_the_solution(module: str) -> None:
    import importlib

    from nst_teach.exercises.core import Exercise

    mod = importlib.import_module(f"nst_teach.exercises.{module}")
    exercises = [v for v in vars(mod).values() if isinstance(v, Exercise)]
    assert exercises
    for ex in exercises:
        code = [line.strip() for line in ex.solution_text.splitlines() if line.strip()]
        lines = [line.removeprefix("return ").split("#")[0].strip() for line in code[1:] or code]
        answer = max(lines, key=len)  # the line that does the work
        squeezed = re.sub(r"\s+", "", ex.hint_text)
        assert re.sub(r"\s+", "", answer) not in squeezed, (ex.name, answer)
