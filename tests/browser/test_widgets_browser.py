"""The widgets in a real JupyterLab, driven through headless Debian chromium with Playwright.

Opens notebooks/05-widgets.ipynb (a copy, with the example recipes, in a temp dir), runs all
cells, then in the recipe form: picks a config and the local-slurm profile (previewing the sbatch
script), goes back to this machine, edits an override in the editor, previews, launches and waits
for the job monitor to say SUCCEEDED. Saves a screenshot to test-artifacts/ on failure, and the form
and monitor screenshots on success: into test-artifacts/, and into docs/img/ (the screenshots
of docs/notebook.md, tracked by git) when they are missing or NRS_DOCS_SCREENSHOTS=1.

Needs: apt-get install -y chromium (never `playwright install`). Run:
    .venv/bin/python -m pytest -m browser tests/browser -p no:cacheprovider
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Locator

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
DOCS_IMG = REPO / "docs" / "img"
UPDATE_DOCS = os.environ.get("NRS_DOCS_SCREENSHOTS") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


def _save_screenshot(locator: Locator, name: str) -> None:
    """Into test-artifacts/ always; into docs/img/ when missing or asked for."""
    ARTIFACTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / name))
    if UPDATE_DOCS or not (DOCS_IMG / name).exists():
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / name, DOCS_IMG / name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
        print(f"SKIP browser test: {reason}")
        pytest.skip(reason)
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(REPO / "notebooks" / "05-widgets.ipynb", root)
    shutil.copytree(
        REPO / "notebooks" / "recipes", root / "recipes", ignore=shutil.ignore_patterns(".nemotron")
    )
    env = dict(os.environ)
    for name, sub in (
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[name] = str(tmp_path / sub)
    env.pop("NEMOTRON_ENV_FILE", None)
    # No "get notified about Jupyter news?" toast over the widgets.
    notification = (
        tmp_path / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    )
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp_path / "lab.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            "--allow-root",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.port_retries=0",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(root),
    )
    server = Lab(f"http://127.0.0.1:{port}", token, root, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.api("GET", "/api/status")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"jupyter lab did not start: {(tmp_path / 'lab.log').read_text()}"
                    ) from None
                time.sleep(0.2)
        yield server
    finally:
        with contextlib.suppress(Exception):
            kernels = server.api("GET", "/api/kernels")
            for kernel in kernels if isinstance(kernels, list) else []:
                server.api("DELETE", f"/api/kernels/{kernel['id']}")
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def test_form_previews_launches_and_the_monitor_says_succeeded(
    lab: Lab, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{lab.url}/lab/tree/05-widgets.ipynb?token={lab.token}")
            expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=60_000)
            page.get_by_text("Run", exact=True).first.click()
            page.get_by_text("Run All Cells", exact=True).click()

            form = page.locator(".nrs-recipe-form").first
            expect(form).to_be_visible(timeout=60_000)
            # The notebook's own launch (the "demo" form) finishes before the last cell shows the browser.
            expect(page.locator(".nrs-artifact-browser").first).to_be_visible(timeout=120_000)
            validation = form.locator(".nrs-validation")
            output = form.locator(".nrs-form-output")

            form.locator(".nrs-config-dropdown select").select_option("tiny")
            form.locator(".nrs-profile-dropdown select").select_option("local-slurm")
            expect(validation).to_contain_text("runs on local-slurm (batch)", timeout=30_000)
            form.locator(".nrs-preview-button").click()
            expect(output).to_contain_text("sbatch script", timeout=60_000)

            form.locator(".nrs-profile-dropdown select").select_option("(this machine)")
            expect(validation).to_contain_text("runs on this machine (local)", timeout=30_000)
            form.locator(".nrs-section-data").click()
            rows = form.locator(".nrs-leaf-data-rows input")
            rows.fill("90")
            rows.press("Enter")
            expect(validation).to_contain_text("1 override(s)", timeout=30_000)
            form.locator(".nrs-preview-button").click()
            expect(output).to_contain_text("rows: 90", timeout=30_000)
            form.locator(".nrs-code-button").click()
            expect(output).to_contain_text("%%recipe recipes/prep/prep.py -c tiny", timeout=30_000)
            expect(output).to_contain_text("runspec run recipes/prep/prep.py -c tiny data.rows=90")
            _save_screenshot(form, "recipe-form.png")

            form.locator(".nrs-launch-button").click()
            monitor = form.locator(".nrs-form-monitor .nrs-job-monitor")
            expect(monitor.locator(".nrs-job-status")).to_contain_text("SUCCEEDED", timeout=120_000)
            expect(monitor.locator(".nrs-job-log")).to_contain_text(
                "prep: published tiny-data", timeout=30_000
            )
            _save_screenshot(monitor, "job-monitor.png")
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / f"{request.node.name}.png"
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
            raise
        finally:
            browser.close()
    from nemo_runspec_nb import jobs

    statuses = jobs(lab.root / "recipes" / ".nemotron" / "jobs").status.tolist()
    assert statuses == ["SUCCEEDED", "SUCCEEDED"]  # our launch, then the notebook's own (newest first)
