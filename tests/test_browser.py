"""The explorer in a real browser: JupyterLab on localhost, driven in Chromium by Playwright.

A learner's path through ``weight_init.explore()``: JupyterLab serves a notebook that calls
it, Chromium opens the notebook and runs it, the explorer's figure appears; then the
initializer (a dropdown) and the gain (a slider's text field) are changed through the
widgets as a person would, and after each change the figure must be redrawn (a new image)
with no error or stderr output anywhere in the notebook.

Needs Debian's ``chromium`` (``apt-get install chromium``), the ``playwright`` Python
package (its own browser download is not used: ``executable_path`` points at Chromium) and
``jupyterlab``; ``.ci/browser-deps`` installs all three. The test is skipped, saying which
is missing, only where one of them cannot be found. Run it alone with
``python -m pytest -m browser``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
#: Where Debian's package puts Chromium; $CHROMIUM overrides it.
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: Seconds allowed for each wait (server start, kernel, a redraw); generous for 2 busy cores.
WAIT_S = 90

NOTEBOOK_CELLS = [
    f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n%matplotlib inline",
    "import weight_init\n\nweight_init.explore(depth=6, width=200)",
]


def _chromium() -> str | None:
    for path in (os.environ.get("CHROMIUM"), *CHROMIUM_PATHS, shutil.which("chromium")):
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: Path) -> None:
    cells = [
        {"cell_type": "code", "metadata": {}, "source": src, "outputs": [], "execution_count": None}
        for src in NOTEBOOK_CELLS
    ]
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 (free port, random token, temporary folders)."""
    chromium = _chromium()
    if chromium is None:
        pytest.skip(
            "Chromium not found (looked for $CHROMIUM, " + ", ".join(CHROMIUM_PATHS) + "); "
            "install it with: apt-get install chromium (or run .ci/browser-deps)"
        )
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install playwright")
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed: pip install jupyterlab")
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed: pip install ipywidgets")

    home = tmp_path_factory.mktemp("lab")
    notebooks = home / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / "explore.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    env.pop("MPLBACKEND", None)  # the notebook's %matplotlib inline decides
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={notebooks}",
            f"--LabApp.user_settings_dir={home / 'settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # CI containers
        ],
        cwd=notebooks,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            if server.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited ({server.returncode}):\n{(home / 'lab.log').read_text()[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"JupyterLab did not answer within {WAIT_S} s:\n{(home / 'lab.log').read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield {"url": url, "token": token, "chromium": chromium, "log": home / "lab.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _figure(page) -> str:
    """The ``src`` of the explorer's figure (a data: URL of its PNG), '' while none is shown."""
    images = page.locator(".jp-OutputArea-output img")
    return images.first.get_attribute("src") if images.count() else ""


def _wait_for_new_figure(page, old: str) -> str:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        src = _figure(page)
        if src and src != old:
            return src
        page.wait_for_timeout(250)
    raise AssertionError(f"the explorer's figure did not change within {WAIT_S} s")


def _errors(page) -> list[str]:
    """Text of every error or stderr output of the notebook."""
    bad = page.locator(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
    )
    return [bad.nth(k).inner_text() for k in range(bad.count())]


def test_the_explorer_redraws_when_the_initializer_and_the_gain_change(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=lab["chromium"], headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            console_errors: list[str] = []
            page.on("pageerror", lambda exc: console_errors.append(str(exc)))
            page.goto(f"{lab['url']}/lab/tree/explore.ipynb?token={lab['token']}", timeout=WAIT_S * 1000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=WAIT_S * 1000)
            page.wait_for_function(
                "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                " && window.jupyterapp.shell.currentWidget.sessionContext"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                timeout=WAIT_S * 1000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")

            # the widgets and the first figure
            init = page.locator(".widget-dropdown").filter(has_text="init").locator("select")
            init.wait_for(timeout=WAIT_S * 1000)
            first = _wait_for_new_figure(page, "")
            assert init.input_value() == "xavier"
            assert _errors(page) == []

            # the initializer, through its dropdown
            init.select_option("he_normal")
            second = _wait_for_new_figure(page, first)
            assert _errors(page) == []

            # the gain, typed into the slider's text field as a person would
            readout = page.locator(".widget-slider").filter(has_text="gain").locator(".widget-readout")
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type("2.5")
            page.keyboard.press("Enter")
            third = _wait_for_new_figure(page, second)
            assert readout.inner_text().strip() == "2.50"
            assert third not in (first, second)
            assert len(page.locator(".jp-OutputArea-output img").all()) == 1  # redrawn, not added
            assert _errors(page) == []
            assert console_errors == []
        finally:
            browser.close()
