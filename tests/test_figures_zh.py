"""Figure texts in Chinese (issue 14): ``plotting.label`` and ``nst_teach/lab/figures_zh.py``.

English is unchanged by default and wherever no Chinese font is installed (as in CI); with
the language ``zh`` and a font, the package's figures carry the Chinese texts."""

from __future__ import annotations

import importlib.util
import string
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch

from nst_teach.lab import plotting
from nst_teach.lab.figures_zh import ZH_FIGURES
from nst_teach.lab.language import set_language

REPO = Path(__file__).resolve().parents[1]
HISTORY = {"total": [3.0, 2.0, 1.0], "content": [1.0, 1.0, 0.5], "style": [2.0, 1.0, 0.5]}


def _load_tools():
    spec = importlib.util.spec_from_file_location(
        "nst_notebook_tools_figs", REPO / "tools" / "notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def english(monkeypatch, tmp_path):
    """The default language: no set_language, no NST_TEACH_LANG, not in a zh folder."""
    monkeypatch.delenv("NST_TEACH_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    set_language(None)
    yield
    plt.close("all")


@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    set_language("zh")
    yield
    set_language(None)
    plt.close("all")


def _font(monkeypatch, name):
    monkeypatch.setattr(plotting, "cjk_font", lambda: name)


def test_english_is_unchanged_by_default_even_with_a_chinese_font(english, monkeypatch):
    _font(monkeypatch, "DejaVu Sans")
    fig = plotting.plot_losses(HISTORY, components=("content", "style"))
    ax = fig.axes[0]
    assert ax.get_title() == "Loss during optimisation"
    assert ax.get_xlabel() == "objective evaluations"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["content", "style"]
    assert plotting.label("from noise, seed 0") == "from noise, seed 0"


@pytest.mark.filterwarnings("ignore:Glyph")  # the stand-in font has no Chinese glyphs
def test_zh_with_a_font_gives_chinese_titles_labels_legends_and_suptitles(chinese, monkeypatch):
    _font(monkeypatch, "DejaVu Sans")
    fig = plotting.plot_losses({"L-BFGS": HISTORY, "Adam (lr 0.05)": HISTORY})
    ax = fig.axes[0]
    assert ax.get_title() == "优化过程中的损失"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("目标函数求值次数", "损失")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["L-BFGS", "Adam（学习率 0.05）"]
    # the font is added after the kit's family, as a fallback for the Chinese characters
    assert list(matplotlib.rcParams["font.family"]) == ["sans-serif", "DejaVu Sans"]
    # ... before the figure is made: an axes' title and labels get their font at creation
    assert list(ax.title.get_fontfamily()) == ["sans-serif", "DejaVu Sans"]
    assert list(ax.xaxis.label.get_fontfamily()) == ["sans-serif", "DejaVu Sans"]
    images = {"photo": torch.rand(1, 3, 4, 4), "from noise, seed 1": torch.rand(1, 3, 4, 4)}
    fig = plotting.show_images(images, suptitle="Starting from the photo or from white noise")
    assert [a.get_title() for a in fig.axes] == ["照片", "从 噪声，种子 1 出发"]
    assert fig._suptitle.get_text() == "从照片出发，还是从白噪声出发"
    fig = plotting.show_frame_rows({"warm start": [torch.rand(1, 3, 4, 4)] * 2})
    assert [a.get_title() for a in fig.axes] == ["第 0 帧", "第 1 帧"]
    assert fig.axes[0].get_ylabel() == "热启动"


def test_use_style_adds_the_font_only_in_chinese(english, monkeypatch):
    _font(monkeypatch, "DejaVu Sans")
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    plotting.use_style()
    assert list(matplotlib.rcParams["font.family"]) == ["sans-serif"]
    set_language("zh")
    try:
        plotting.use_style()
    finally:
        set_language(None)
    assert list(matplotlib.rcParams["font.family"]) == ["sans-serif", "DejaVu Sans"]


def test_zh_without_a_chinese_font_keeps_english(chinese, monkeypatch):
    _font(monkeypatch, None)
    fig = plotting.plot_losses(HISTORY, title="Training the transformation network")
    assert fig.axes[0].get_title() == "Training the transformation network"
    assert fig.axes[0].get_xlabel() == "objective evaluations"
    assert list(matplotlib.rcParams["font.family"]) == ["sans-serif"]


def test_untranslated_text_stays_english(chinese, monkeypatch):
    _font(monkeypatch, "DejaVu Sans")
    assert plotting.label("a title nobody translated") == "a title nobody translated"
    assert plotting.label("") == ""
    # a punctuation-only template needs a translated piece
    assert plotting.label("foo (bar)") == "foo (bar)"
    assert plotting.label("foo (style)") == "foo（风格）"


@pytest.mark.filterwarnings("ignore:Glyph")
@pytest.mark.parametrize(
    ("english_text", "chinese_text"),
    [
        ("lambda_TV = 0.01\nTV = 544", "lambda_TV = 0.01\n全变分 = 544"),
        ("max pooling (loss 1.23e+05)", "最大汇聚（损失 1.23e+05）"),
        ("optimisation (40 evaluations)", "优化（40 次求值）"),  # not "{run} ({component})"
        ("relu4_2 (content)", "relu4_2（内容）"),
        ("forward cost per convolution at 512 x 384", "每个卷积层的前向计算量（512 x 384 时）"),
        ("The 64 filters of conv1_1 (random weights)", "conv1_1 的 64 个滤波器（随机权重）"),
    ],
)
def test_templates_fill_numbers_into_the_chinese_text(
    chinese, monkeypatch, english_text, chinese_text
):
    _font(monkeypatch, "DejaVu Sans")
    assert plotting.label(english_text) == chinese_text


def test_template_matching_needs_every_fixed_part():
    assert plotting._match("noise, seed {seed}", "noise, seed 3") == {"seed": "3"}
    assert plotting._match("noise, seed {seed}", "noise, seed ") is None  # empty piece
    assert plotting._match("{a} ({b})", "x (y)") == {"a": "x", "b": "y"}
    assert plotting._match("{a} ({b})", "x y") is None
    assert plotting._match("photo", "photo") is None  # not a template


def test_every_chinese_figure_text_uses_the_glossary_terms():
    tools = _load_tools()
    glossary = tools.read_glossary()
    problems = {k: tools.glossary_problems(v, glossary) for k, v in ZH_FIGURES.items()}
    assert {k: p for k, p in problems.items() if p} == {}
    # the glossary's own terms, where the English text has them
    terms = {"Gram matrix": "格拉姆矩阵", "feature maps": "特征图", "style loss": "风格损失"}
    for key, zh in ZH_FIGURES.items():
        for en, term in terms.items():
            if en.lower() in key.lower():
                assert term in zh, (key, zh)


def test_chinese_texts_have_their_keys_fields_and_no_adjacent_fields():
    def fields(text):
        return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)

    for key, zh in ZH_FIGURES.items():
        assert fields(zh) == fields(key), key
        fixed, names = plotting._template_parts(key)
        assert len(set(names)) == len(names), key
        assert all(fixed[1:-1]), f"two fields side by side in {key!r}"
        assert zh != key, f"{key!r} is not translated"


def test_cjk_font_is_none_or_an_installed_font_with_chinese_glyphs():
    from matplotlib import font_manager, ft2font

    plotting.cjk_font.cache_clear()
    name = plotting.cjk_font()
    if name is not None:
        path = next(f.fname for f in font_manager.fontManager.ttflist if f.name == name)
        assert ft2font.FT2Font(path).get_char_index(ord("风")) != 0
    assert plotting.cjk_font() == name  # checked once, then cached


def test_every_figure_text_is_still_drawn_by_the_package_or_an_english_lesson():
    """A key whose English text left the lessons and the package is stale: each fixed part of
    every key must occur in nst_teach's source or in an English lesson's code cells."""
    import nbformat

    sources = [p.read_text(encoding="utf-8") for p in (REPO / "nst_teach").rglob("*.py")]
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        sources += [c.source for c in notebook.cells if c.cell_type == "code"]
    text = "\n".join(sources)
    built = {  # made by an f-string with a conditional in lesson 01
        "The 64 filters of conv1_1 (trained weights)",
        "The 64 filters of conv1_1 (random weights)",
    }
    missing = []
    for key in ZH_FIGURES:
        if key in built:
            assert "The 64 filters of conv1_1 (" in text
            continue
        for part in plotting._template_parts(key)[0]:
            escaped = part.replace("\n", "\\n")
            if part and part not in text and escaped not in text:
                missing.append((key, part))
    assert missing == []
