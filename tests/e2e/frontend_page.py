"""The ComfyUI page in a real Chromium for the frontend browser tests:
which frontends are tested, fetching one from PyPI, opening the UI with the
settings a test depends on, console capture and screenshots.

Frontends: the one bundled with ComfyUI 0.3.75 (1.32.9, the oldest we
support) and NEWEST_FRONTEND, the newest comfyui-frontend-package on PyPI
when last bumped (`pip index versions comfyui-frontend-package`). The
newest replaced 1.53.6 rather than joining it: the two ends of the range
catch what a middle version would, at the cost of one server, not two.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from comfy_harness import CACHE, LINK_NAME, REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
NEWEST_FRONTEND = "1.58.1"
ARTIFACTS: Path = REPO / "test-artifacts" / "frontend"
EXAMPLE: Path = REPO / "examples" / "image_noise_blur.json"
TAB_BUTTON = ".comfy-sweep-tab-button, [data-testid='comfy-sweep-tab-button']"


def frontend_root(version: str) -> Path:
    """comfyui-frontend-package's static folder, fetched once into the cache."""
    dest: Path = CACHE / f"frontend-{version}"
    static = dest / "comfyui_frontend_package" / "static"
    if (static / "index.html").exists():
        return static
    wheels = dest / "wheel"
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels),
           f"comfyui-frontend-package=={version}"]  # fmt: skip
    try:
        subprocess.run(cmd, check=True, timeout=600, capture_output=True)
        with zipfile.ZipFile(next(wheels.glob("*.whl"))) as zf:
            members = [n for n in zf.namelist() if n.startswith("comfyui_frontend_package/static/")]
            zf.extractall(dest, members)
    except (subprocess.SubprocessError, StopIteration, OSError, zipfile.BadZipFile) as exc:
        pytest.skip(f"frontend {version} could not be obtained from PyPI: {exc}")
    return static


class Console:
    """Console messages and page errors; `ours()` keeps those from our code."""

    def __init__(self, page: Any) -> None:
        self.lines: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda err: self.lines.append(f"pageerror: {err}\n{err.stack}"))

    def _console(self, msg: Any) -> None:
        if msg.type in ("error", "warning"):
            self.lines.append(f"{msg.type}: {msg.text} @ {msg.location.get('url', '')}")

    def ours(self) -> list[str]:
        keys = ("comfy-sweep", LINK_NAME)
        return [ln for ln in self.lines if any(k in ln for k in keys)]


def shot(target: Any, label: str, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{label}-{name}.png"
    target.screenshot(path=str(path))
    return path


# Settings live on the server and the servers are shared: every test states
# the ones it depends on. A first start shows the template browser over the
# canvas; a returning user does not.
DEFAULT_SETTINGS = {
    "Comfy.TutorialCompleted": True,
    "Comfy.ColorPalette": "dark",
    "Comfy.VueNodes.Enabled": False,
    # ours (web/lib/settings.js), at their defaults: the form starts from them
    "comfy-sweep.DefaultStrategy": "sobol",
    "comfy-sweep.Samples": 8,
    "comfy-sweep.SeedsPerSample": 1,
    "comfy-sweep.QueueWindow": 3,
    "comfy-sweep.Toasts": True,
}


def open_ui(browser: Any, server: Any, **settings: Any) -> tuple[Any, Console]:
    for key, value in {**DEFAULT_SETTINGS, **settings}.items():
        server.post_json(f"/settings/{key}", value)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    console = Console(page)
    page.goto(server.url)
    page.wait_for_selector(TAB_BUTTON, timeout=90_000)
    page.wait_for_function("() => !!window.comfyAPI?.app?.app?.canvas")
    wf = json.loads(EXAMPLE.read_text())
    page.evaluate(
        "async (wf) => { await window.comfyAPI.app.app.loadApiJson(wf, 'image_noise_blur') }", wf
    )
    page.wait_for_function("() => window.comfyAPI.app.app.graph.getNodeById(3) != null")
    return page, console


def set_setting(page: Any, key: str, value: Any) -> None:
    page.evaluate(
        "async ([k, v]) => { await window.comfyAPI.app.app.extensionManager.setting.set(k, v) }",
        [key, value],
    )
