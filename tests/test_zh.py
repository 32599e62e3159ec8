"""The Chinese edition (notebooks/zh): the checks of ``tools/notebooks.py zh-check`` on tiny
synthetic notebooks, the committed Chinese lessons against their English originals, and the
exercise checkers' messages in both languages."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import string
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
ZH_LESSONS = sorted((REPO / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))


def _load_tools():
    spec = importlib.util.spec_from_file_location(
        "nst_notebook_tools_zh", REPO / "tools" / "notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tools = _load_tools()
GLOSSARY = [("Gram matrix", "格拉姆矩阵", ["克莱姆矩阵"]), ("style loss", "风格损失", ["风格代价"])]


def _pair():
    en = new_notebook(
        cells=[
            new_markdown_cell("# The Gram matrix", id="a"),
            new_code_cell("x = 1", id="b"),
            new_markdown_cell("The style loss.", id="c"),
        ]
    )
    zh = new_notebook(
        cells=[
            new_markdown_cell("# 格拉姆矩阵", id="a"),
            new_code_cell("x = 1", id="b"),
            new_markdown_cell("风格损失。", id="c"),
        ]
    )
    for z, e in zip(zh.cells, en.cells, strict=True):
        if z.cell_type == "markdown":
            z.metadata["nst_teach"] = {"source_sha256": tools.source_sha256(e.source)}
    return zh, en


def test_in_step_pair_passes():
    zh, en = _pair()
    assert tools.zh_problems(zh, en, GLOSSARY) == []


def test_code_cell_must_be_byte_identical():
    zh, en = _pair()
    zh.cells[1].source = "x = 1 "
    assert tools.zh_problems(zh, en, GLOSSARY) == ["code cell 2 differs from the English one"]


def test_cell_count_and_types_must_match():
    zh, en = _pair()
    zh.cells.pop()
    assert tools.zh_problems(zh, en) == ["2 cells, the English lesson has 3"]
    zh, en = _pair()
    zh.cells[1] = new_markdown_cell("x = 1", id="b")
    assert tools.zh_problems(zh, en)[0] == "cell 2 is markdown, the English one code"


def test_english_edit_makes_the_cell_stale():
    zh, en = _pair()
    en.cells[2].source = "The style loss, Eq. (5)."
    en.cells[0].source = "# Gram matrices"
    assert tools.zh_problems(zh, en, GLOSSARY) == [
        "stale cells (English changed since translation): 1, 3"
    ]


def test_untranslated_cell_is_listed():
    zh, en = _pair()
    del zh.cells[0].metadata["nst_teach"]
    assert tools.zh_problems(zh, en) == ["cells without a recorded source hash: 1"]


def test_glossary_variant_is_refused_and_the_term_itself_is_not():
    zh, en = _pair()
    zh.cells[2].source = "风格损失（也有人叫风格代价）。"
    assert tools.zh_problems(zh, en, GLOSSARY) == [
        "cell 3: '风格代价' (use '风格损失' for 'style loss')"
    ]
    # a variant contained in the glossary term is not flagged where the term is used
    assert tools.glossary_problems("内容损失", [("content loss", "内容损失", ["容损"])]) == []


def test_glossary_file_parses_and_has_the_d2l_terms():
    terms = {en: zh for en, zh, _ in tools.read_glossary()}
    for en, zh in [
        ("content loss", "内容损失"),
        ("style loss", "风格损失"),
        ("Gram matrix", "格拉姆矩阵"),
        ("feature map", "特征图"),
        ("total variation loss", "全变分损失"),
        ("style transfer", "风格迁移"),
        ("convolutional layer", "卷积层"),
        ("gradient descent", "梯度下降"),
    ]:
        assert terms[en] == zh
    # no term forbids itself
    for _, zh, variants in tools.read_glossary():
        assert zh not in variants


def test_bad_glossary_line_is_an_error(tmp_path):
    bad = tmp_path / "g.tsv"
    bad.write_text("# comment\nonly-english\n", encoding="utf-8")
    with pytest.raises(tools.NotebookToolError, match=r"g\.tsv:2"):
        tools.read_glossary(bad)


def test_zh_check_command_lists_stale_cells(tmp_path, capsys):
    zh, en = _pair()
    (tmp_path / "zh").mkdir()
    nbformat.write(en, tmp_path / "00_x.ipynb")
    nbformat.write(zh, tmp_path / "zh" / "00_x.ipynb")
    assert tools.main(["zh-check", str(tmp_path / "zh" / "00_x.ipynb")]) == 0
    en.cells[2].source = "changed"
    nbformat.write(en, tmp_path / "00_x.ipynb")
    assert tools.main(["zh-check", str(tmp_path / "zh" / "00_x.ipynb")]) == 1
    assert "stale cells (English changed since translation): 3" in capsys.readouterr().out


def test_chinese_notes_render_chinese_cell_numbers():
    nb = new_notebook(cells=[new_code_cell("import x"), new_code_cell("y = 2")])
    nb.metadata["nst_teach"] = {"language": "zh"}
    # no space between a Chinese character and 代码单元 (Chinese text writes none there)
    assert tools.rendered_notes(nb, "运行 [[code:y = ]]。") == "运行代码单元 2。"
    assert tools.rendered_notes(nb, "run `x` [[code:y = ]]") == "run `x` 代码单元 2"
    nb.metadata["nst_teach"] = {}
    assert tools.rendered_notes(nb, "run [[code:y = ]]") == "run code cell 2"


@pytest.mark.parametrize("path", ZH_LESSONS, ids=lambda p: p.name)
def test_committed_chinese_lesson_is_in_step(path):
    zh = nbformat.read(str(path), as_version=4)
    en = nbformat.read(str(tools.english_of(path)), as_version=4)
    assert tools.zh_problems(zh, en, tools.read_glossary()) == []
    assert tools.dirt(zh) == []
    assert tools.slide_problems(zh) == []
    assert tools.notes_problems(zh) == []
    assert zh.metadata["nst_teach"]["language"] == "zh"


def test_chinese_lessons_are_left_out_of_nbval_and_student_copies():
    conftest = (REPO / "notebooks" / "conftest.py").read_text(encoding="utf-8")
    assert '"zh"' in conftest
    assert all(p.parent.name == "notebooks" for p in tools.lesson_files(REPO / "notebooks"))


# ---------------------------------------------------------------------------- exercises


def _covered_messages():
    """Every literal message passed to ``tr`` and every Exercise name and hint, per covered module."""
    from nst_teach.exercises.zh import COVERED

    found = []
    for module in COVERED:
        path = REPO / "nst_teach" / "exercises" / f"{module}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id == "tr" and node.args and isinstance(node.args[0], ast.Constant):
                found.append((module, node.args[0].value))
            if node.func.id == "tr" and node.args and isinstance(node.args[0], ast.Name):
                value = getattr(
                    importlib.import_module(f"nst_teach.exercises.{module}"), node.args[0].id, None
                )
                if isinstance(value, str):  # a module constant such as MEAN_NOTE or SHAPES_SUFFIX
                    found.append((module, value))
            if node.func.id == "with_notes" and len(node.args) > 1:  # (phrase, note) pairs
                for pair in ast.walk(node.args[1]):
                    if isinstance(pair, ast.Constant) and isinstance(pair.value, str):
                        found.append((module, pair.value))
            if node.func.id == "Exercise":
                for kw in node.keywords:
                    if kw.arg in {"name", "hint_text"} and isinstance(kw.value, ast.Constant):
                        found.append((module, kw.value.value))
    return found


def test_every_covered_message_has_chinese_text_with_the_same_fields():
    from nst_teach.exercises.zh import ZH

    messages = _covered_messages()
    assert len(messages) >= 30
    for module, english in messages:
        assert english in ZH, f"{module}: no Chinese text for {english!r}"
        fields = {f for _, f, _, _ in string.Formatter().parse(english) if f}
        assert fields == {f for _, f, _, _ in string.Formatter().parse(ZH[english]) if f}, english


def test_every_translated_lesson_has_its_exercise_messages_translated():
    from nst_teach.exercises.zh import COVERED

    for path in ZH_LESSONS:
        module = f"lesson{path.name[:2]}"
        if (REPO / "nst_teach" / "exercises" / f"{module}.py").exists():
            assert module in COVERED, f"{path.name} is translated but {module}'s messages are not"


@pytest.fixture
def language():
    from nst_teach.exercises import core

    yield core
    core.set_language(None)


def test_check_hint_and_diagnosis_speak_chinese(language, capsys, monkeypatch):
    from nst_teach.exercises import lesson00

    monkeypatch.delenv("NST_TEACH_STRICT_CHECKS", raising=False)
    language.set_language("zh")
    assert lesson00.m_conv3_1.check(256 * 256) is False
    out = capsys.readouterr().out
    assert out.startswith("还不对：256 x 256 图像上 conv3_1 的 M_l：这是像素的个数")
    lesson00.m_conv3_1.hint()
    assert capsys.readouterr().out.startswith("提示：一层之前的每次汇聚")
    assert lesson00.flatten_features.check(lambda a: -a[0].flatten(1)) is False
    assert "符号反了" in capsys.readouterr().out
    assert lesson00.m_conv3_1.check(64 * 64) is True
    assert capsys.readouterr().out == "正确：256 x 256 图像上 conv3_1 的 M_l。\n"
    language.set_language("en")
    lesson00.m_conv3_1.check(64 * 64)
    assert capsys.readouterr().out == "Correct: M_l of conv3_1 at 256 x 256.\n"


def test_language_defaults(language, monkeypatch, tmp_path):
    monkeypatch.delenv("NST_TEACH_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert language.get_language() == "en"
    (tmp_path / "zh").mkdir()
    monkeypatch.chdir(tmp_path / "zh")  # a kernel started for a lesson in notebooks/zh/
    assert language.get_language() == "zh"
    monkeypatch.setenv("NST_TEACH_LANG", "en")
    assert language.get_language() == "en"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NST_TEACH_LANG")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "zh" / "00_start_here.ipynb"))
    assert language.get_language() == "zh"
    language.set_language("en")
    assert language.get_language() == "en"
    with pytest.raises(ValueError, match="language must be one of"):
        language.set_language("fr")


def test_untranslated_message_falls_back_to_english(language):
    language.set_language("zh")
    assert language.tr("no such message {x}", x=1) == "no such message 1"


def test_book_pages_link_the_two_languages(tmp_path):
    """Unexecuted lessons suffice to check the links (nbconvert renders them as they are)."""
    name = ZH_LESSONS[0].name
    page = name.replace(".ipynb", ".html")
    tools.build_book([REPO / "notebooks" / name], tmp_path / "book", None)
    tools.build_book([ZH_LESSONS[0]], tmp_path / "book" / "zh", None, lang="zh")
    english = (tmp_path / "book" / page).read_text(encoding="utf-8")
    chinese = (tmp_path / "book" / "zh" / page).read_text(encoding="utf-8")
    assert f'href="zh/{page}"' in english
    assert f'href="../{page}"' in chinese and "本页在快速设置下运行" in chinese
    assert 'href="zh/index.html"' in (tmp_path / "book" / "index.html").read_text(encoding="utf-8")
    index = (tmp_path / "book" / "zh" / "index.html").read_text(encoding="utf-8")
    assert 'href="../index.html"' in index and page in index


def test_zh_stamp_marks_an_updated_translation_as_current(tmp_path, capsys):
    zh, en = _pair()
    (tmp_path / "zh").mkdir()
    en.cells[2].source = "The style loss, Eq. (5)."
    nbformat.write(en, tmp_path / "00_x.ipynb")
    nbformat.write(zh, tmp_path / "zh" / "00_x.ipynb")
    target = str(tmp_path / "zh" / "00_x.ipynb")
    assert tools.main(["zh-check", target]) == 1
    assert tools.main(["zh-stamp", target, "3"]) == 0
    assert tools.main(["zh-check", target]) == 0
    assert tools.main(["zh-stamp", target, "2"]) == 1  # a code cell
    assert "cell 2 is not a markdown cell" in capsys.readouterr().err


def test_line_break_inside_a_chinese_sentence_is_refused():
    zh, en = _pair()
    zh.cells[2].source = "风格\n损失。"
    assert tools.zh_problems(zh, en) == [
        "cell 3: a line break between Chinese characters (renders as a space)"
    ]
    zh.cells[2].source = "风格损失。\n\n新的段落。\n- 列表"
    assert tools.zh_problems(zh, en) == []


# ---------------------------------------------------------------------------- zh-sync-code


def _lessons_on_disk(tmp_path, zh, en, name="00_x.ipynb"):
    (tmp_path / "zh").mkdir(exist_ok=True)
    nbformat.write(en, tmp_path / name)
    nbformat.write(zh, tmp_path / "zh" / name)
    return tmp_path / "zh" / name


def test_sync_code_copies_source_metadata_and_outputs_of_the_english_code_cells():
    zh, en = _pair()
    en.cells[1].source = "x = 2  # changed in English"
    en.cells[1].metadata = {
        "tags": ["exercise"],
        "slideshow": {"slide_type": "fragment"},
        "nst_teach": {"expected_output": "2\n"},
    }
    zh.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale\n")]
    zh.cells[1].execution_count = 4
    markdown = zh.cells[2].source
    assert tools.zh_sync_code(zh, en) == ([2], False)
    assert zh.cells[1] == en.cells[1] and zh.cells[1] is not en.cells[1]
    assert zh.cells[1].outputs == [] and zh.cells[1].execution_count is None  # as the English
    assert zh.cells[2].source == markdown  # the translation is left alone
    assert tools.zh_problems(zh, en, GLOSSARY) == []
    assert tools.zh_sync_code(zh, en) == ([], False)  # nothing left to copy


def test_sync_code_re_renders_the_chinese_speaker_notes():
    en = new_notebook(
        cells=[
            new_code_cell("import a", id="a"),
            new_code_cell("y = 1", id="b"),
            new_markdown_cell("Run code cell 2.", id="n"),
        ]
    )
    zh = nbformat.reads(nbformat.writes(en), as_version=4)
    zh.metadata["nst_teach"] = {"language": "zh"}
    zh.cells[2].metadata["nst_teach"] = {"notes_template": "运行 [[code:y = ]]。"}
    tools.sync_notes(zh)
    assert zh.cells[2].source == "运行代码单元 2。"
    en.cells[0].source = "import a\ny = 0"  # the English code now says `y = ` first
    assert tools.zh_sync_code(zh, en) == ([1], True)
    assert zh.cells[2].source == "运行代码单元 1。"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda zh: zh.cells.pop(), "2 cells, the English lesson has 3"),
        (lambda zh: zh.cells.insert(1, new_code_cell("z = 0", id="z")), "4 cells"),
        (
            lambda zh: zh.cells.__setitem__(1, new_markdown_cell("x = 1", id="b")),
            "cell 2 is markdown, the English one code",
        ),
        (
            lambda zh: zh.cells.insert(0, zh.cells.pop(1)),
            "cell 1 is code, the English one markdown",
        ),
        (
            lambda zh: setattr(zh.cells[1], "id", "other"),
            "cell 2 has id 'other', the English one 'b'",
        ),
    ],
)
def test_sync_code_refuses_cells_that_do_not_line_up(change, reason):
    zh, en = _pair()
    en.cells[1].source = "x = 2"
    change(zh)
    before = nbformat.writes(zh)
    with pytest.raises(tools.NotebookToolError, match="do not line up") as err:
        tools.zh_sync_code(zh, en)
    assert reason in str(err.value)
    assert nbformat.writes(zh) == before  # nothing copied


def test_sync_code_command_reports_and_refuses_in_one_line(tmp_path, capsys):
    zh, en = _pair()
    en.cells[1].source = "x = 2"
    good = _lessons_on_disk(tmp_path, zh, en)
    assert tools.main(["zh-sync-code", str(good)]) == 0
    out = capsys.readouterr().out
    assert (
        out
        == f"{good}: copied code cells 2 from {Path(os.path.relpath(tmp_path / '00_x.ipynb'))}\n"
    )
    assert nbformat.read(good, as_version=4).cells[1].source == "x = 2"
    assert tools.main(["zh-sync-code", str(good)]) == 0
    assert "code cells already as in" in capsys.readouterr().out
    assert tools.main(["zh-check", str(good)]) == 0

    # a second lesson whose cells do not line up: refused, and neither file is written
    en.cells[1].source = "x = 3"
    nbformat.write(en, tmp_path / "00_x.ipynb")
    zh2, en2 = _pair()
    en2.cells.append(new_code_cell("extra", id="e"))
    bad = _lessons_on_disk(tmp_path, zh2, en2, "01_y.ipynb")
    texts = good.read_text(), bad.read_text()
    assert tools.main(["zh-sync-code", str(good), str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith(f"error: {bad}: ")
    assert "3 cells, the English lesson has 4" in captured.err
    assert "nothing was written" in captured.err
    assert (good.read_text(), bad.read_text()) == texts


def test_sync_code_command_wants_a_chinese_lesson(tmp_path, capsys):
    zh, en = _pair()
    good = _lessons_on_disk(tmp_path, zh, en)
    assert tools.main(["zh-sync-code", str(tmp_path / "00_x.ipynb")]) == 1
    assert "no English lesson at" in capsys.readouterr().err
    assert tools.main(["zh-sync-code", str(good.with_name("07_none.ipynb"))]) == 1
    assert "no such notebook" in capsys.readouterr().err


@pytest.mark.parametrize("path", ZH_LESSONS, ids=lambda p: p.name)
def test_committed_chinese_lesson_has_the_english_code_cells_and_a_safe_student_copy(path):
    """zh-sync-code would change nothing (code cells with the English metadata too), and the
    student copy drops the solutions exactly as the English one does."""
    zh = nbformat.read(str(path), as_version=4)
    en = nbformat.read(str(tools.english_of(path)), as_version=4)
    synced = nbformat.reads(nbformat.writes(zh), as_version=4)
    assert tools.zh_sync_code(synced, en) == ([], False)
    student, english = tools.student_copy(zh), tools.student_copy(en)
    assert [i for i, c in enumerate(student.cells) if tools.marker_lines(c.source)] == []
    assert [c.source for c in student.cells if c.cell_type == "code"] == [
        c.source for c in english.cells if c.cell_type == "code"
    ]
    assert [c.get("id") for c in student.cells] == [c.get("id") for c in english.cells]


def test_student_copies_of_the_chinese_lessons(tmp_path):
    written = tools.make_student_copies(REPO / "notebooks" / "zh", tmp_path / "student" / "zh")
    assert [p.name for p in written] == [p.name for p in ZH_LESSONS]
    for path in written:
        assert "### BEGIN SOLUTION\n" not in path.read_text(encoding="utf-8")
        assert nbformat.read(str(path), as_version=4).metadata["nst_teach"]["language"] == "zh"


# ---------------------------------------------------------------------------- slides


def test_slides_link_the_two_languages(tmp_path):
    """Unexecuted lessons suffice (nbconvert renders them as they are), as for the book."""
    name = ZH_LESSONS[0].stem
    deck = f"{name}.slides.html"
    vendor = tmp_path / "slides" / "vendor"
    for rel in tools.VENDOR_FILES.values():
        (vendor / rel).parent.mkdir(parents=True, exist_ok=True)
        (vendor / rel).write_text("")
    en_written, _ = tools.build_slides(
        [REPO / "notebooks" / f"{name}.ipynb"], tmp_path / "slides", vendor
    )
    zh_written, offline = tools.build_slides(
        [ZH_LESSONS[0]], tmp_path / "slides" / "zh", vendor, lang="zh"
    )
    assert offline and [p.name for p in zh_written] == [deck]
    english = en_written[0].read_text(encoding="utf-8")
    chinese = zh_written[0].read_text(encoding="utf-8")
    assert f'class="nst-lang" href="zh/{deck}" lang="zh">中文版</a>' in english
    assert f'class="nst-lang" href="../{deck}" lang="en">English</a>' in chinese
    assert '<html lang="zh">' in chinese and '<html lang="en">' in english
    # the shared vendor folder, one level up; nothing from a CDN
    assert 'src="../vendor/node_modules/requirejs/require.js"' in chinese
    assert "../vendor/node_modules/reveal.js/dist/reveal.js" in chinese
    assert "unpkg.com" not in chinese and "cdnjs" not in chinese
    # the speaker notes are the Chinese lesson's
    notes = re.findall(r'<aside class="notes">(.*?)</aside>', chinese, flags=re.S)
    assert notes and all("讲者备注" in n for n in notes)
    assert "Speaker notes" not in chinese
    index = (tmp_path / "slides" / "zh" / "index.html").read_text(encoding="utf-8")
    assert 'href="../index.html"' in index and f'href="{deck}"' in index
    assert tools.title_of(nbformat.read(str(ZH_LESSONS[0]), as_version=4), "") in index
    english_index = (tmp_path / "slides" / "index.html").read_text(encoding="utf-8")
    assert 'href="zh/index.html"' in english_index


def test_english_deck_without_a_chinese_lesson_has_no_language_link(tmp_path, capsys):
    nb = new_notebook(cells=[new_markdown_cell("# 99", id="a")])
    nbformat.write(nb, tmp_path / "99_untranslated.ipynb")
    (written,), _ = tools.build_slides([tmp_path / "99_untranslated.ipynb"], tmp_path / "out")
    assert "nst-lang" not in written.read_text(encoding="utf-8")
    assert tools.main(["slides", "--lang", "zh", "--out", str(tmp_path / "zh"),
                       str(tmp_path / "99_untranslated.ipynb")]) == 0  # fmt: skip
    assert 'href="../99_untranslated.slides.html"' in (
        tmp_path / "zh" / "99_untranslated.slides.html"
    ).read_text(encoding="utf-8")
    assert "1 decks in" in capsys.readouterr().out
