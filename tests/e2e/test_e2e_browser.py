"""The lessons in a real JupyterLab, driven by a real (headless) Chromium.

Skipped unless ``NST_TEACH_E2E=1``; ``make e2e`` sets it, installs Chromium when missing and
builds the slides first. What it does:

1. copies ``notebooks/`` to a temporary folder (so JupyterLab's autosave can never write
   outputs into the committed lessons) and starts JupyterLab there on ``127.0.0.1``, a free
   port, a random token, temporary Jupyter config/data/runtime folders, and the fast setting
   (``NST_TEACH_FAST=1 NST_TEACH_OFFLINE=1 NST_TEACH_STRICT_CHECKS=1``) in the kernel's
   environment;
2. opens ``00_start_here`` and the explorer ``06_*`` in Chromium, runs every cell through the
   menu (Run > Run All Cells), waits until every cell ran, and fails on any error output;
3. drags a slider of the explorer and checks that the widget output changes;
4. opens the first slide deck from ``make slides`` and checks that reveal.js started;
5. saves screenshots to ``.e2e/screenshots`` (printed at the end) and stops JupyterLab.

Chromium may not reach the internet (``--host-resolver-rules``): whatever a page needs must come
from JupyterLab or the slides folder, as on an offline laptop.

Environment knobs: ``NST_TEACH_E2E_NOTEBOOKS`` (folder of lessons, default ``notebooks``),
``NST_TEACH_E2E_SLIDES`` (default ``slides``), ``NST_TEACH_E2E_SHOTS`` (default
``.e2e/screenshots``), ``NST_TEACH_E2E_UI`` (``lab``, default, or ``notebook`` for Jupyter
Notebook 7 when that package is importable), ``NST_TEACH_E2E_TIMEOUT`` (seconds per notebook,
default 300), ``NST_TEACH_CHROMIUM`` / ``NST_TEACH_CHROMEDRIVER`` (default ``/usr/bin/...``).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("NST_TEACH_E2E", "") != "1",
    reason="browser test: run `make e2e` (or set NST_TEACH_E2E=1)",
)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = Path(os.environ.get("NST_TEACH_E2E_NOTEBOOKS", REPO / "notebooks"))
SLIDES = Path(os.environ.get("NST_TEACH_E2E_SLIDES", REPO / "slides"))
SHOTS = Path(os.environ.get("NST_TEACH_E2E_SHOTS", REPO / ".e2e" / "screenshots"))
UI = os.environ.get("NST_TEACH_E2E_UI", "lab")
TIMEOUT = float(os.environ.get("NST_TEACH_E2E_TIMEOUT", "300"))
CHROMIUM = os.environ.get("NST_TEACH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NST_TEACH_CHROMEDRIVER", "/usr/bin/chromedriver")
START = "00_start_here.ipynb"
ERROR_MIME = "application/vnd.jupyter.error"
WINDOW = (1366, 900)

#: JupyterLab settings for the run: no autosave, no news prompt over the page, every cell in
#: the DOM (no virtual scrolling) so the test sees all prompts and outputs.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
#: Chromium: headless, offline, no background traffic, a fresh profile (added per run).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
]


def log(message: str) -> None:
    """Progress on the terminal, also under pytest's capture (``make e2e`` runs with ``-s``)."""
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception as err:  # a page in the middle of rendering; try again
            value, last = None, err
        else:
            last = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {timeout:.0f}s waiting for {what}"
                + (f" ({last})" if last else "")
            )
        time.sleep(interval)


def explorer_name(folder: Path) -> str | None:
    names = sorted(p.name for p in folder.glob("06_*.ipynb"))
    return names[0] if names else None


# ---------------------------------------------------------------------------- JupyterLab


class Jupyter:
    """A Jupyter server (JupyterLab or Notebook 7) in a process group of its own."""

    def __init__(self, root: Path, state: Path, ui: str) -> None:
        self.root, self.state, self.ui = root, state, ui
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = state / "jupyter.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        config, data, runtime, ipython = (
            self.state / n for n in ("config", "data", "runtime", "ipython")
        )
        for name, values in LAB_SETTINGS.items():
            target = config / "lab" / "user-settings" / f"{name}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values), encoding="utf-8")
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_DATA_DIR=str(data),
            JUPYTER_RUNTIME_DIR=str(runtime),
            IPYTHONDIR=str(ipython),
            NST_TEACH_FAST="1",
            NST_TEACH_OFFLINE="1",
            NST_TEACH_STRICT_CHECKS="1",
        )
        env.pop("MPLBACKEND", None)  # the lessons draw inline
        module = "jupyterlab" if self.ui == "lab" else "notebook"
        cmd = [
            sys.executable,
            "-m",
            module,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root}",
            f"--IdentityProvider.token={self.token}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers and CI often run as root
        log(f"starting {module} on {self.base} (log: {self.log_path})")
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kernels are stopped with it
        )
        wait_for(self._up, 90, "the Jupyter server to answer")

    def _up(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            pytest.fail(f"Jupyter server exited ({self.proc.returncode}):\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(
                f"{self.base}/api/status?token={self.token}", timeout=5
            ) as r:
                return r.status == 200
        except OSError:
            return False

    def url(self, notebook: str) -> str:
        path = "lab/tree" if self.ui == "lab" else "notebooks"
        return f"{self.base}/{path}/{notebook}?token={self.token}"

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(OSError):  # a clean stop: kernels first, then the server
            req = urllib.request.Request(
                f"{self.base}/api/shutdown?token={self.token}", method="POST", data=b""
            )
            urllib.request.urlopen(req, timeout=10).close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # kernels live in the server's process group; make sure none is left behind
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        log("Jupyter server stopped")


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    yield SHOTS
    log(f"screenshots in {SHOTS}")


@pytest.fixture(scope="module")
def jupyter() -> Iterator[Jupyter]:
    if not (NOTEBOOKS / START).exists():
        pytest.skip(f"no {START} in {NOTEBOOKS}")
    if UI == "notebook":
        pytest.importorskip("notebook", reason="Jupyter Notebook 7 is not installed")
    state = Path(tempfile.mkdtemp(prefix="nst-teach-e2e-"))
    root = state / "notebooks"
    shutil.copytree(
        NOTEBOOKS,
        root,
        ignore=shutil.ignore_patterns(
            "student", ".ipynb_checkpoints", "__pycache__", "conftest.py"
        ),
    )
    server = Jupyter(root, state, UI)
    try:
        server.start()
        yield server
    except BaseException:
        log(f"Jupyter log tail:\n{server.log_tail()}")
        raise
    finally:
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).is_file():
            pytest.fail(
                f"{path} is missing: `make e2e` installs Debian's chromium and chromium-driver"
            )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="nst-teach-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: Selenium Manager never runs, nothing is downloaded
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_window_size(*WINDOW)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# ---------------------------------------------------------------------------- page helpers

JS_STATE = (
    """
const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
const code = cells.filter(c => c.classList.contains('jp-CodeCell'));
const prompts = code.map(c => {
  const p = c.querySelector('.jp-InputArea-prompt');
  return p ? p.textContent.trim() : '';
});
const empty = code.map(c => {
  const e = c.querySelector('.cm-content');
  return !e || e.textContent.trim() === '';
});
const errors = [...document.querySelectorAll('.jp-Notebook [data-mime-type="%s"]')]
  .map(e => e.textContent.slice(0, 2000));
const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
return {cells: cells.length, prompts, empty, errors,
        status: indicator ? indicator.getAttribute('data-status') : null};
"""
    % ERROR_MIME
)


def notebook_state(driver: Any) -> dict:
    return driver.execute_script(JS_STATE)


def open_notebook(driver: Any, jupyter: Jupyter, name: str) -> dict:
    log(f"opening {name}")
    driver.get(jupyter.url(name))
    state = wait_for(
        lambda: (s := notebook_state(driver))["cells"] > 0 and s["status"] in (None, "idle") and s,
        120,
        f"{name} to open with an idle kernel",
    )
    # the kernel: a status indicator that reads idle after the kernel started
    wait_for(lambda: kernel_idle(driver), 120, f"the kernel of {name} to start")
    driver.execute_script(
        "const n = document.querySelector('.jp-WindowedPanel-outer, .jp-Notebook');"
        "if (n) n.scrollTop = 0;"
    )
    time.sleep(1.0)  # let MathJax typeset the first screen
    return state


def kernel_idle(driver: Any) -> bool:
    return bool(
        driver.execute_script(
            "const i = document.querySelector('.jp-Notebook-ExecutionIndicator');"
            "if (i) return i.getAttribute('data-status') === 'idle';"
            "const s = document.querySelector('.jp-NotebookKernelStatus, .jp-KernelStatus');"
            "return s ? /idle/i.test(s.getAttribute('data-status') || s.title || s.textContent) : true;"
        )
    )


def click_menu(driver: Any, menu: str, label: str) -> None:
    """Open a menu of the menu bar by its label, then click the item labelled ``label``."""
    from selenium.webdriver.common.by import By

    bar = wait_for(
        lambda: [
            el
            for el in driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
            if el.text.strip() == menu
        ],
        30,
        f"the {menu!r} menu",
    )
    bar[0].click()
    item = wait_for(
        lambda: [
            el
            for el in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-item")
            if el.find_element(By.CSS_SELECTOR, ".lm-Menu-itemLabel").text.strip() == label
        ],
        10,
        f"the menu item {menu} > {label}",
    )
    item[0].click()


def run_all(driver: Any, name: str) -> dict:
    """Run > Run All Cells, then wait until every non-empty code cell shows its count."""
    t0 = time.monotonic()
    click_menu(driver, "Run", "Run All Cells")

    def finished() -> dict | None:
        s = notebook_state(driver)
        if s["errors"]:
            return s  # an error stops "run all"; report it below
        todo = [p for p, e in zip(s["prompts"], s["empty"]) if not e]
        done = all(re.fullmatch(r"\[\d+\]:", p) for p in todo)
        return s if done and s["status"] in (None, "idle") and kernel_idle(driver) else None

    state = wait_for(finished, TIMEOUT, f"all cells of {name} to run", interval=1.0)
    log(f"{name}: ran {len(state['prompts'])} code cells in {time.monotonic() - t0:.0f}s")
    return state


def assert_no_errors(state: dict, name: str) -> None:
    assert not state["errors"], f"{name} shows an error output:\n" + "\n---\n".join(state["errors"])


def scroll_top(driver: Any) -> None:
    driver.execute_script(
        "for (const el of document.querySelectorAll('.jp-WindowedPanel-outer, .jp-Notebook'))"
        "  el.scrollTop = 0;"
    )
    time.sleep(0.5)


def widget_outputs(driver: Any) -> str:
    """Everything the notebook's ipywidgets Output areas show (HTML, images included)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('.jp-Notebook .widget-output')]"
        ".map(e => e.innerHTML).join('\\n<!-- next -->\\n');"
    )


# ---------------------------------------------------------------------------- the tests


def test_start_here_runs_without_errors(jupyter: Jupyter, browser: Any, shots: Path) -> None:
    open_notebook(browser, jupyter, START)
    browser.save_screenshot(str(shots / "00_start_here-first-screen.png"))
    state = run_all(browser, START)
    scroll_top(browser)
    browser.save_screenshot(str(shots / "00_start_here-after-run.png"))
    assert_no_errors(state, START)


def test_explorer_slider_updates_the_figure(jupyter: Jupyter, browser: Any, shots: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    name = explorer_name(jupyter.root)
    if name is None:
        pytest.skip("no 06_*.ipynb explorer notebook yet")
    stem = Path(name).stem
    open_notebook(browser, jupyter, name)
    browser.save_screenshot(str(shots / f"{stem}-first-screen.png"))
    state = run_all(browser, name)
    assert_no_errors(state, name)

    handles = wait_for(
        lambda: browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .widget-slider .noUi-handle"),
        60,
        "an ipywidgets slider",
    )
    wait_for(lambda: widget_outputs(browser).strip(), 60, "the explorer's first output")
    handle = handles[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    time.sleep(1.0)
    readout = handle.find_element(By.XPATH, "ancestor::*[contains(@class,'widget-slider')][1]")
    before_value = readout.text
    before = widget_outputs(browser)
    browser.save_screenshot(str(shots / f"{stem}-slider-before.png"))

    # drag the handle to the right, as a student would; then make sure the value moved
    track = handle.find_element(By.XPATH, "ancestor::*[contains(@class,'noUi-target')][1]")
    offset = max(20, int(track.size["width"] * 0.3))
    ActionChains(browser).click_and_hold(handle).move_by_offset(offset, 0).release().perform()
    time.sleep(0.5)
    if readout.text == before_value:  # a slider with few steps: use the keyboard instead
        handle.send_keys(Keys.ARROW_RIGHT)
    log(f"slider: {before_value!r} -> {readout.text!r}")
    assert readout.text != before_value, "the slider did not move"

    after = wait_for(
        lambda: (html := widget_outputs(browser)) != before and kernel_idle(browser) and html,
        TIMEOUT,
        "the widget output to change after moving the slider",
    )
    time.sleep(1.0)
    after = widget_outputs(browser)
    browser.save_screenshot(str(shots / f"{stem}-slider-after.png"))
    assert after != before
    assert ERROR_MIME not in after, "the widget output shows an error after moving the slider"
    assert_no_errors(notebook_state(browser), name)


@pytest.fixture(scope="module")
def slides_server() -> Iterator[str]:
    decks = sorted(SLIDES.glob("*.slides.html"))
    if not decks:
        pytest.skip(f"no slide decks in {SLIDES}: run `make slides`")
    handler = functools.partial(_QuietHandler, directory=str(SLIDES))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
        pass


def test_first_slide_deck_renders(slides_server: str, browser: Any, shots: Path) -> None:
    decks = sorted(SLIDES.glob("*.slides.html"))
    deck = next((d for d in decks if d.name.startswith("00_")), decks[0])
    text = deck.read_text(encoding="utf-8")
    if re.search(r"""src=["']https?://[^"']*reveal""", text) or "unpkg.com/reveal.js" in text:
        pytest.skip(f"{deck.name} loads reveal.js from a CDN (npm was missing at `make slides`)")
    browser.get_log("browser")  # forget earlier pages' messages
    browser.get(f"{slides_server}/{deck.name}")
    wait_for(
        lambda: browser.execute_script("return !!document.querySelector('.reveal.ready')"),
        60,
        "reveal.js to start",
    )
    wait_for(
        lambda: browser.execute_script(
            "const q = window.MathJax && MathJax.Hub && MathJax.Hub.queue;"
            "return !!q && q.pending === 0 && q.running === 0;"
        ),
        60,
        "MathJax to typeset",
    )
    time.sleep(1.0)
    browser.save_screenshot(str(shots / f"{deck.name.replace('.html', '')}-first-slide.png"))
    total = browser.execute_script("return Reveal.getTotalSlides();")
    log(f"{deck.name}: {total} slides")
    assert total >= 1
    missing = [
        e["message"]
        for e in browser.get_log("browser")
        if "Failed to load resource" in e["message"] and "127.0.0.1" in e["message"]
    ]
    assert not missing, f"the deck misses local files: {missing}"
