"""The rendered book (``make book``) and the slides (``make slides``) in headless Chromium.

Skipped unless ``NST_TEACH_E2E=1``; ``make e2e`` sets it and builds both first, from the
lessons executed once in the fast setting. What it checks:

1. the book's contents page, opened from ``file://`` (no server, as a student opens it from a
   download), lists every lesson of ``notebooks/[0-9][0-9]_*.ipynb`` in order, and every local
   link of every page leads to a file that exists (links between lessons point at pages);
2. a lesson page with a figure and an equation: every image loaded (``naturalWidth > 0``),
   MathJax typeset the equations (its output elements are there, no raw ``$$`` or ``\\(`` is
   left in the text), nothing failed to load; screenshots of the figure and of an equation;
3. a slide with a figure and a slide with an equation (reveal.js moved to each), screenshots.

Screenshots go to ``.e2e/screenshots/book`` (``NST_TEACH_E2E_SHOTS`` + ``/book``). Knobs:
``NST_TEACH_E2E_BOOK`` (default ``book``), ``NST_TEACH_E2E_SLIDES`` (default ``slides``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from test_e2e_browser import (  # the same browser, server and polling as the lab test
    REPO,
    SHOTS,
    SLIDES,
    browser,  # noqa: F401 (a fixture)
    log,
    pytestmark,  # noqa: F401 (skipped unless NST_TEACH_E2E=1)
    slides_server,  # noqa: F401 (a fixture)
    wait_for,
)

BOOK = Path(os.environ.get("NST_TEACH_E2E_BOOK", REPO / "book"))
BOOK_SHOTS = SHOTS / "book"
LESSONS = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))

#: Display math in a lesson (the template's MathJax configuration says '$$', quoted).
DISPLAY_MATH = r"\$\$[^$',\]]"
#: MathJax 2 finished: its queue is empty and it has started (the Hub exists).
JS_MATHJAX_DONE = (
    "const q = window.MathJax && MathJax.Hub && MathJax.Hub.queue;"
    "return !!q && q.pending === 0 && q.running === 0;"
)
#: What a page shows: images (loaded or not), MathJax output, raw TeX left in the text.
JS_PAGE = r"""
const imgs = [...document.querySelectorAll('img')];
const texts = [...document.querySelectorAll('.jp-RenderedMarkdown, .jp-MarkdownOutput')]
  .map(e => e.innerText);
const raw = texts.filter(t => t.includes('$$') || t.includes('\\(') || t.includes('\\['))
  .map(t => t.slice(0, 200));
return {
  images: imgs.length,
  broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80)),
  math: document.querySelectorAll('.MathJax_CHTML, .MathJax_Display, mjx-container').length,
  display: document.querySelectorAll('.MJXc-display, .MathJax_Display').length,
  errors: document.querySelectorAll('.MathJax_Error, merror, mjx-merror').length,
  raw: raw,
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
};
"""


@pytest.fixture(scope="module")
def shots() -> Path:
    BOOK_SHOTS.mkdir(parents=True, exist_ok=True)
    for old in BOOK_SHOTS.glob("*.png"):
        old.unlink()
    yield BOOK_SHOTS
    log(f"book and slide screenshots in {BOOK_SHOTS}")


def book_pages() -> list[Path]:
    if not (BOOK / "index.html").is_file():
        pytest.skip(f"no book in {BOOK}: run `make book`")
    return [BOOK / f"{stem}.html" for stem in LESSONS]


def page_with_figure_and_equation(pages: list[Path]) -> Path:
    """The first lesson page holding both an inline PNG figure and display math."""
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if "data:image/png;base64" in text and re.search(DISPLAY_MATH, text):
            return page
    pytest.fail("no page of the book has both a figure and an equation")


def local_file(url: str) -> Path | None:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def load(driver: Any, page: Path) -> dict:
    driver.get_log("browser")  # forget earlier pages' messages
    driver.get(page.resolve().as_uri())
    wait_for(lambda: driver.execute_script(JS_MATHJAX_DONE), 90, f"MathJax on {page.name}")
    time.sleep(0.5)
    return driver.execute_script(JS_PAGE)


def failed_loads(driver: Any) -> list[str]:
    return [
        e["message"]
        for e in driver.get_log("browser")
        if ("Failed to load" in e["message"] or "ERR_FILE_NOT_FOUND" in e["message"])
        and "favicon.ico" not in e["message"]
    ]


def test_contents_page_lists_every_lesson_in_order(browser: Any, shots: Path) -> None:  # noqa: F811
    pages = book_pages()
    browser.get((BOOK / "index.html").resolve().as_uri())
    hrefs = browser.execute_script(
        "return [...document.querySelectorAll('ol a')].map(a => a.getAttribute('href'));"
    )
    browser.save_screenshot(str(shots / "book-contents.png"))
    assert hrefs == [p.name for p in pages], hrefs
    for page in pages:
        assert page.is_file(), page


def test_book_page_with_figure_and_equation(browser: Any, shots: Path) -> None:  # noqa: F811
    page = page_with_figure_and_equation(book_pages())
    state = load(browser, page)
    log(
        f"{page.name}: {state['images']} images, {state['math']} MathJax elements, "
        f"{len(state['links'])} links"
    )
    assert state["images"] >= 1 and not state["broken"], state["broken"]
    assert state["math"] >= 1 and state["display"] >= 1, "MathJax produced no (display) output"
    assert state["errors"] == 0, "MathJax reported TeX errors"
    assert not state["raw"], f"raw TeX left in the text: {state['raw']}"
    assert not failed_loads(browser), failed_loads(browser)
    # the figure, then an equation, on screen
    browser.execute_script(
        "document.querySelector('.jp-OutputArea-output img').scrollIntoView({block: 'center'});"
    )
    time.sleep(0.5)
    browser.save_screenshot(str(shots / f"book-{page.stem}-figure.png"))
    browser.execute_script(
        "(document.querySelector('.MJXc-display, .MathJax_Display') ||"
        " document.querySelector('.MathJax_CHTML'))"
        ".scrollIntoView({block: 'center'});"
    )
    time.sleep(0.5)
    browser.save_screenshot(str(shots / f"book-{page.stem}-equation.png"))


def test_every_local_link_of_the_book_resolves(browser: Any) -> None:  # noqa: F811
    pages = book_pages()
    broken = []
    for page in [BOOK / "index.html", *pages]:
        browser.get(page.resolve().as_uri())
        for url in browser.execute_script("return [...document.links].map(a => a.href);"):
            path = local_file(url.split("#")[0])
            if path is None or path == page.resolve():
                continue
            if path.suffix == ".ipynb" and re.match(r"\d\d_", path.name):
                broken.append(f"{page.name}: a link to a notebook, not a page: {url}")
            elif not path.exists() and "slides" not in path.parts:
                broken.append(f"{page.name}: {url}")
    assert not broken, broken


# ---------------------------------------------------------------------------- slides

#: Move reveal.js (loaded by require.js, so not a global) to the first slide holding
#: ``arguments[0]``, through its URL hash ``#/h/v``; return [h, v].
JS_GOTO = """
const sel = arguments[0];
const columns = [...document.querySelectorAll('.reveal .slides > section')];
for (let h = 0; h < columns.length; h++) {
  const stack = [...columns[h].querySelectorAll(':scope > section')];
  const slides = stack.length ? stack : [columns[h]];
  for (let v = 0; v < slides.length; v++) {
    if (slides[v].querySelector(sel)) {
      location.hash = '#/' + h + '/' + v;
      return [h, v];
    }
  }
}
return null;
"""
JS_CURRENT = """
const s = document.querySelector('.reveal .slides section.present section.present')
  || document.querySelector('.reveal .slides section.present');
const imgs = [...s.querySelectorAll('img')];
const box = s.getBoundingClientRect();
return {images: imgs.length,
        broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).length,
        math: s.querySelectorAll('.MathJax_CHTML, .MathJax_Display').length,
        visible: box.width > 0 && box.height > 0};
"""


def deck_with(selector_in_html: str) -> Path:
    decks = sorted(SLIDES.glob("*.slides.html"))
    if not decks:
        pytest.skip(f"no slide decks in {SLIDES}: run `make slides`")
    for deck in decks:
        if re.search(selector_in_html, deck.read_text(encoding="utf-8")):
            return deck
    pytest.fail(f"no deck holds {selector_in_html!r}")


def open_deck(driver: Any, server: str, deck: Path) -> None:
    driver.get(f"{server}/{deck.name}")
    wait_for(
        lambda: driver.execute_script("return !!document.querySelector('.reveal.ready')"),
        60,
        "reveal.js to start",
    )
    wait_for(lambda: driver.execute_script(JS_MATHJAX_DONE), 60, "MathJax to typeset")


@pytest.mark.parametrize(
    ("what", "marker", "selector"),
    [
        ("figure", r"data:image/png;base64", ".jp-OutputArea-output img"),
        ("equation", DISPLAY_MATH, 'script[type="math/tex; mode=display"]'),
    ],
)
def test_slide_with(
    what: str,
    marker: str,
    selector: str,
    browser: Any,  # noqa: F811
    slides_server: str,  # noqa: F811
    shots: Path,
) -> None:
    deck = deck_with(marker)
    open_deck(browser, slides_server, deck)
    idx = browser.execute_script(JS_GOTO, selector)
    assert idx is not None, f"{deck.name}: no slide with {selector}"
    time.sleep(1.5)  # reveal's transition
    state = browser.execute_script(JS_CURRENT)
    log(f"{deck.name} slide {idx}: {state}")
    browser.save_screenshot(str(shots / f"slide-{what}-{deck.stem.replace('.slides', '')}.png"))
    assert state["visible"], state
    if what == "figure":
        assert state["images"] >= 1 and state["broken"] == 0, state
    else:
        assert state["math"] >= 1, state
    notes = browser.execute_script("return document.querySelectorAll('aside.notes').length;")
    assert notes >= 1, f"{deck.name} has no speaker notes"


def test_chinese_deck_opens_with_chinese_notes_and_links_to_the_english_one(
    browser: Any,  # noqa: F811
    slides_server: str,  # noqa: F811
    shots: Path,
) -> None:
    """The Chinese edition's first deck (``slides/zh``, from ``make slides``): reveal.js and
    MathJax start from the shared vendor folder one level up, the speaker notes are Chinese,
    and its language link opens the English deck of the same lesson, which links back."""
    decks = sorted((SLIDES / "zh").glob("*.slides.html"))
    if not decks:
        pytest.skip(f"no Chinese decks in {SLIDES / 'zh'}: run `make slides`")
    deck = decks[0]
    if "unpkg.com/reveal.js" in deck.read_text(encoding="utf-8"):
        pytest.skip(f"{deck.name} loads reveal.js from a CDN (npm was missing at `make slides`)")
    browser.get_log("browser")  # forget earlier pages' messages
    open_deck(browser, f"{slides_server}/zh", deck)
    time.sleep(1.0)
    browser.save_screenshot(str(shots / f"slide-zh-{deck.stem.replace('.slides', '')}.png"))
    state = browser.execute_script(
        "const a = document.querySelector('a.nst-lang');"
        "const box = a && a.getBoundingClientRect();"
        "return {lang: document.documentElement.lang,"
        " link: a && a.getAttribute('href'), shown: !!box && box.width > 0 && box.height > 0,"
        " slides: document.querySelectorAll('.reveal .slides > section').length,"
        " notes: [...document.querySelectorAll('aside.notes')].map(n => n.textContent)};"
    )
    log(f"zh/{deck.name}: {state['slides']} slides, {len(state['notes'])} speaker notes")
    assert state["lang"] == "zh" and state["slides"] >= 1, state
    assert state["link"] == f"../{deck.name}" and state["shown"], state
    assert state["notes"] and all("讲者备注" in n for n in state["notes"]), state["notes"][:2]
    missing = [m for m in failed_loads(browser) if "127.0.0.1" in m]
    assert not missing, f"the Chinese deck misses local files: {missing}"
    browser.find_element("css selector", "a.nst-lang").click()
    wait_for(
        lambda: (
            browser.execute_script("return !!document.querySelector('.reveal.ready')")
            and browser.current_url.split("#")[0].endswith(f"/{deck.name}")
            and "/zh/" not in browser.current_url
        ),
        60,
        "the English deck to open",
    )
    back = browser.execute_script(
        "const a = document.querySelector('a.nst-lang'); return a && a.getAttribute('href');"
    )
    assert back == f"zh/{deck.name}", back
