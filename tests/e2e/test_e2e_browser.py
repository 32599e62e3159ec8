"""The lessons in a real JupyterLab, driven by a real (headless) Chromium.

Skipped unless ``NST_TEACH_E2E=1``; ``make e2e`` sets it, installs Chromium when missing and
builds the slides first. What it does:

1. copies ``notebooks/`` to a temporary folder (so JupyterLab's autosave can never write
   outputs into the committed lessons) and starts JupyterLab there on ``127.0.0.1``, a free
   port, a random token, temporary Jupyter config/data/runtime folders, and the fast setting
   (``NST_TEACH_FAST=1 NST_TEACH_OFFLINE=1 NST_TEACH_STRICT_CHECKS=1``) in the kernel's
   environment;
2. opens ``00_start_here`` and the explorer ``09_*`` in Chromium, runs every cell through the
   menu (Run > Run All Cells), waits until every cell ran, and fails on any error output;
3. drags a slider of the explorer and checks that the widget output changes;
4. opens every other lesson and screenshots its first screen (``NST_TEACH_E2E_RUN_ALL=1``: runs
   them all too);
5. opens the first slide deck from ``make slides`` and checks that reveal.js and MathJax ran;
6. saves screenshots to ``.e2e/screenshots`` (printed at the end) and stops JupyterLab.

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
#: ``NST_TEACH_E2E_RUN_ALL=1``: run every lesson, not only 00 and the explorer (slower).
RUN_ALL = os.environ.get("NST_TEACH_E2E_RUN_ALL", "") == "1"
OTHER_LESSONS = sorted(
    p.name
    for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")
    if p.name != START and not p.name.startswith("09_")
)
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
    names = sorted(p.name for p in folder.glob("09_*.ipynb"))
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
            "--expose-app-in-browser",  # window.jupyterapp: read outputs from the model
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

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.base}/api/{path}?token={self.token}", timeout=10) as r:
            return json.load(r)

    def kernel_ready(self, notebook: str) -> bool:
        """The notebook's kernel runs, is idle, and the browser holds a connection to it."""
        for session in self.api("sessions"):
            if Path(session.get("path", "")).name == notebook:
                kernel = session.get("kernel") or {}
                return kernel.get("execution_state") == "idle" and kernel.get("connections", 0) > 0
        return False

    def close_session(self, notebook: str) -> None:
        """Shut the notebook's kernel down (frees memory between lessons)."""
        for session in self.api("sessions"):
            if Path(session.get("path", "")).name == notebook:
                req = urllib.request.Request(
                    f"{self.base}/api/sessions/{session['id']}?token={self.token}", method="DELETE"
                )
                urllib.request.urlopen(req, timeout=30).close()

    def url(self, notebook: str) -> str:
        if self.ui == "lab":  # a fresh workspace: only this notebook open
            return f"{self.base}/lab/tree/{notebook}?reset&token={self.token}"
        return f"{self.base}/notebooks/{notebook}?token={self.token}"

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

#: The notebook panel on screen (other tabs stay in the DOM, hidden).
JS_PANEL = """
const panel = [...document.querySelectorAll('.jp-NotebookPanel')]
  .find(p => !p.classList.contains('lm-mod-hidden') && p.offsetParent !== null) || document;
"""
JS_STATE = (
    JS_PANEL
    + r"""
const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
const code = cells.filter(c => c.classList.contains('jp-CodeCell'));
const prompts = code.map(c => {
  const p = c.querySelector('.jp-InputArea-prompt');
  return p ? p.textContent.trim() : '';
});
const empty = code.map(c => {
  const e = c.querySelector('.cm-content');
  return !e || e.textContent.trim() === '';
});
// error outputs, from the notebook model when the app is exposed (exact), else from the page:
// JupyterLab renders a traceback like stderr, so look for its header line
const TRACEBACK = /^-{20,}\s*\n\s*\w*(Error|Exception|Interrupt|Exit)\b/m;
let errors = [];
const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
if (widget && widget.content && widget.content.model) {
  const list = widget.content.model.cells;
  for (let i = 0; i < list.length; i++) {
    const cell = list.get(i);
    if (cell.type !== 'code') continue;
    for (let j = 0; j < cell.outputs.length; j++) {
      const out = cell.outputs.get(j).toJSON();
      if (out.output_type === 'error')
        errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
    }
  }
}
errors = errors.concat(
  [...panel.querySelectorAll('.jp-Notebook .jp-OutputArea-output')]
    .filter(e => e.getAttribute('data-mime-type') === 'ERROR_MIME' ||
                 TRACEBACK.test(e.textContent))
    .map(e => e.textContent.slice(0, 2000)));
const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
return {cells: cells.length, prompts, empty, errors,
        status: indicator ? indicator.getAttribute('data-status') : null};
""".replace("ERROR_MIME", ERROR_MIME)
)


def notebook_state(driver: Any) -> dict:
    return driver.execute_script(JS_STATE)


def open_notebook(driver: Any, jupyter: Jupyter, name: str) -> dict:
    """Open a notebook and wait until its kernel is connected to the page and idle."""
    log(f"opening {name}")
    driver.get(jupyter.url(name))
    state = wait_for(
        lambda: (s := notebook_state(driver))["cells"] > 0 and s,
        120,
        f"{name} to show its cells",
    )
    # the page's status indicator reads "idle" before any kernel exists: ask the server
    wait_for(lambda: jupyter.kernel_ready(name), 120, f"the kernel of {name} to connect")
    scroll_top(driver)
    time.sleep(1.0)  # let MathJax typeset the first screen
    return state


def kernel_idle(driver: Any) -> bool:
    """The page's own kernel indicator (JupyterLab's toolbar), when there is one."""
    return bool(
        driver.execute_script(
            JS_PANEL + "const i = panel.querySelector('.jp-Notebook-ExecutionIndicator');"
            "return i ? i.getAttribute('data-status') === 'idle' : true;"
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


def run_all(driver: Any, jupyter: Jupyter, name: str) -> dict:
    """Run > Run All Cells, then wait until every non-empty code cell shows its count."""
    t0 = time.monotonic()
    click_menu(driver, "Run", "Run All Cells")

    def started() -> bool:
        prompts = notebook_state(driver)["prompts"]
        return any(p == "[*]:" or re.fullmatch(r"\[\d+\]:", p) for p in prompts)

    wait_for(started, 60, f"{name}'s cells to start running")

    def finished() -> dict | None:
        s = notebook_state(driver)
        if s["errors"]:
            return s  # an error stops "run all"; the caller reports it
        todo = [p for p, e in zip(s["prompts"], s["empty"]) if not e]
        if not all(re.fullmatch(r"\[\d+\]:", p) for p in todo):
            return None
        return s if kernel_idle(driver) and jupyter.kernel_ready(name) else None

    try:
        state = wait_for(finished, TIMEOUT, f"all cells of {name} to run", interval=1.0)
    except BaseException:
        log(f"{name}: prompts when giving up: {notebook_state(driver)['prompts']}")
        raise
    log(f"{name}: ran {len(state['prompts'])} code cells in {time.monotonic() - t0:.0f}s")
    return state


def assert_no_errors(state: dict, name: str) -> None:
    assert not state["errors"], f"{name} shows an error output:\n" + "\n---\n".join(state["errors"])


def scroll_top(driver: Any) -> None:
    driver.execute_script(
        JS_PANEL
        + "for (const el of panel.querySelectorAll('.jp-WindowedPanel-outer, .jp-Notebook'))"
        "  el.scrollTop = 0;"
    )
    time.sleep(0.5)


def scroll_to_first_figure(driver: Any) -> bool:
    """Scroll the first image output of the notebook on screen; False when there is none."""
    found = driver.execute_script(
        JS_PANEL + "const img = panel.querySelector('.jp-OutputArea-output img');"
        "if (img) img.scrollIntoView({block: 'center'}); return !!img;"
    )
    time.sleep(0.5)
    return bool(found)


def widget_view(driver: Any) -> str:
    """What the notebook's widgets show, sliders and buttons left out: Output areas (HTML,
    images), HTML and Label widgets and Image widgets (a new picture gets a new blob URL)."""
    return driver.execute_script(
        JS_PANEL
        + """
        const sel = '.widget-output, .widget-html-content, .widget-label, img.widget-image'
                  + ', .widget-image img';
        return [...panel.querySelectorAll(sel)]
          .map(e => e.tagName === 'IMG' ? 'img ' + e.src : e.innerHTML)
          .join('\\n<!-- next -->\\n');
        """
    )


def wait_for_new_view(driver: Any, jupyter: Jupyter, name: str, before: str, timeout: float) -> str:
    """Wait until the widgets show something else than ``before``, the kernel is idle again and
    the view has stopped changing; return the new view."""
    wait_for(
        lambda: widget_view(driver) != before and jupyter.kernel_ready(name),
        timeout,
        "the widgets to show something new",
    )
    last = widget_view(driver)
    for _ in range(30):  # settle: the same view twice in a row, kernel idle
        time.sleep(1.0)
        now = widget_view(driver)
        if now == last and jupyter.kernel_ready(name):
            break
        last = now
    return last


#: Sliders to try first in the explorer, by their description (then all the others in order).
PREFERRED_SLIDERS = [
    s.strip()
    for s in os.environ.get("NST_TEACH_E2E_SLIDERS", "channel,layer").split(",")
    if s.strip()
]


def sliders(driver: Any) -> list[tuple[str, Any]]:
    """``(description, handle)`` of every ipywidgets slider in the notebook, preferred first."""
    found = driver.execute_script(
        JS_PANEL
        + """
        return [...panel.querySelectorAll('.widget-slider')].map(s => {
          const label = s.querySelector('.widget-label');
          return [label ? label.textContent.trim() : '', s.querySelector('.noUi-handle')];
        }).filter(pair => pair[1]);
        """
    )
    rank = {name: i for i, name in enumerate(PREFERRED_SLIDERS)}
    return sorted(found, key=lambda pair: rank.get(pair[0], len(rank)))


def move_slider(driver: Any, handle: Any) -> tuple[str, str]:
    """Drag ``handle`` right as a student would (the keyboard if a drag does not move it);
    return the slider's readout before and after."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
    time.sleep(0.5)
    box = handle.find_element(By.XPATH, "ancestor::*[contains(@class,'widget-slider')][1]")
    readout = box.find_elements(By.CSS_SELECTOR, ".widget-readout")
    value = (lambda: readout[0].text) if readout else (lambda: box.text)
    before = value()
    track = handle.find_element(By.XPATH, "ancestor::*[contains(@class,'noUi-target')][1]")
    offset = max(20, int(track.size["width"] * 0.3))
    ActionChains(driver).click_and_hold(handle).move_by_offset(offset, 0).release().perform()
    time.sleep(0.5)
    for key in (Keys.ARROW_RIGHT, Keys.ARROW_LEFT):  # already at the right end: go left
        if value() != before:
            break
        handle.send_keys(key)
        time.sleep(0.5)
    return before, value()


# ---------------------------------------------------------------------------- the tests


def test_start_here_runs_without_errors(jupyter: Jupyter, browser: Any, shots: Path) -> None:
    open_notebook(browser, jupyter, START)
    browser.save_screenshot(str(shots / "00_start_here-first-screen.png"))
    state = run_all(browser, jupyter, START)
    assert_no_errors(state, START)
    scroll_top(browser)
    browser.save_screenshot(str(shots / "00_start_here-after-run.png"))
    if scroll_to_first_figure(browser):
        browser.save_screenshot(str(shots / "00_start_here-first-figure.png"))
    jupyter.close_session(START)


def test_explorer_slider_updates_the_figure(jupyter: Jupyter, browser: Any, shots: Path) -> None:
    from selenium.webdriver.common.by import By

    name = explorer_name(jupyter.root)
    if name is None:
        pytest.skip("no 09_*.ipynb explorer notebook yet")
    stem = Path(name).stem
    open_notebook(browser, jupyter, name)
    browser.save_screenshot(str(shots / f"{stem}-first-screen.png"))
    state = run_all(browser, jupyter, name)
    assert_no_errors(state, name)
    wait_for(lambda: sliders(browser), 60, "an ipywidgets slider in the explorer")
    wait_for(lambda: widget_view(browser).strip(), 60, "the explorer's first picture")

    # move sliders until one changes what the widgets show (some only take effect on "Run")
    tried = []
    for label, handle in sliders(browser)[:4]:
        before = widget_view(browser)
        if not tried:
            browser.save_screenshot(str(shots / f"{stem}-slider-before.png"))
        old, new = move_slider(browser, handle)
        log(f"slider {label!r}: {old!r} -> {new!r}")
        assert new != old, f"the slider {label!r} did not move"
        tried.append(label)
        try:
            after = wait_for_new_view(browser, jupyter, name, before, timeout=30)
        except pytest.fail.Exception:
            continue
        browser.save_screenshot(str(shots / f"{stem}-slider-after.png"))
        assert "Traceback" not in after and ERROR_MIME not in after, (
            f"the widgets show an error after moving the slider {label!r}"
        )
        break
    else:
        pytest.fail(f"moving the sliders {tried} changed nothing the widgets show")
    assert_no_errors(notebook_state(browser), name)

    # a "Run" button (the style explorer): press it and wait for the result
    buttons = [
        b
        for b in browser.find_elements(
            By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .widget-button"
        )
        if b.text.strip() == "Run" and b.is_displayed()
    ]
    if buttons:
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", buttons[0])
        before = widget_view(browser)
        t0 = time.monotonic()
        buttons[0].click()
        after = wait_for_new_view(browser, jupyter, name, before, timeout=TIMEOUT)
        log(f"Run button: new result after {time.monotonic() - t0:.0f}s")
        browser.save_screenshot(str(shots / f"{stem}-after-run-button.png"))
        assert "Traceback" not in after and ERROR_MIME not in after, "an error after Run"
        assert_no_errors(notebook_state(browser), name)
    jupyter.close_session(name)


@pytest.mark.parametrize("name", OTHER_LESSONS)
def test_first_screen_of_each_lesson(
    name: str, jupyter: Jupyter, browser: Any, shots: Path
) -> None:
    """Every other lesson opens with a live kernel; with NST_TEACH_E2E_RUN_ALL=1 it also runs."""
    stem = Path(name).stem
    open_notebook(browser, jupyter, name)
    browser.save_screenshot(str(shots / f"{stem}-first-screen.png"))
    if RUN_ALL:
        state = run_all(browser, jupyter, name)
        assert_no_errors(state, name)
        if scroll_to_first_figure(browser):
            browser.save_screenshot(str(shots / f"{stem}-first-figure.png"))
    jupyter.close_session(name)


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
    def log_message(self, format: str, *args: Any) -> None:
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
    total = browser.execute_script(
        "return document.querySelectorAll('.reveal .slides > section').length;"
    )
    log(f"{deck.name}: {total} slides")
    assert total >= 1
    missing = [
        e["message"]
        for e in browser.get_log("browser")
        if "Failed to load resource" in e["message"]
        and "127.0.0.1" in e["message"]
        and "favicon.ico" not in e["message"]
    ]
    assert not missing, f"the deck misses local files: {missing}"
