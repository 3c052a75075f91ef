"""The ComfyUI frontend's own UI → API conversion, for comparing ours with it.

Opens the bundled frontend of a running ComfyServer in Chromium, loads each UI
workflow with ``app.loadGraphData`` and returns ``(await app.graphToPrompt()).output``
(or the error the frontend raised). Used by tests/e2e/test_ui_convert_frontend.py
and benchmarks/bench_ui_convert.py.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
# Settings the comparison depends on: no template browser over the canvas, no
# validation dialogs, sort-by-id off (as a fresh install).
SETTINGS = {
    "Comfy.TutorialCompleted": True,
    "Comfy.Workflow.ShowMissingNodesWarning": False,
    "Comfy.Workflow.ShowMissingModelsWarning": False,
    "Comfy.VueNodes.Enabled": False,
}
TEMPLATES_GLOB = "comfyui_workflow_templates*/templates/*.json"

_READY_JS = """() => {
  const app = window.comfyAPI?.app?.app;
  return !!(app && app.positionConversion && app.graph && app.graph.nodes.length > 0);
}"""
_CONVERT_JS = """async (wf) => {
  const app = window.comfyAPI.app.app;
  try {
    await app.loadGraphData(wf, true, false, null, {showMissingNodesDialog: false,
                                                    showMissingModelsDialog: false});
    const p = await app.graphToPrompt();
    return {output: JSON.parse(JSON.stringify(p.output))};
  } catch (e) {
    return {error: String(e && e.message || e)};
  }
}"""


def post_setting(url: str, key: str, value: Any) -> None:
    req = urllib.request.Request(
        f"{url}/settings/{key}", data=json.dumps(value).encode(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=30):
        pass


def object_info(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/object_info", timeout=120) as r:
        data: dict[str, Any] = json.loads(r.read())
    return data


@contextmanager
def frontend_page(url: str) -> Iterator[Any]:
    """A Chromium page with the ComfyUI app loaded and ready."""
    from playwright.sync_api import sync_playwright

    for key, value in SETTINGS.items():
        post_setting(url, key, value)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            # app.setup() ends by setting positionConversion (node types are registered
            # by then); the start-up workflow (the default graph) loads after it, so
            # wait for it too or it could replace the first graph we load.
            page.wait_for_function(_READY_JS, timeout=120_000)
            page.wait_for_timeout(500)
            yield page
        finally:
            browser.close()


def frontend_prompt(page: Any, workflow: dict[str, Any]) -> dict[str, Any]:
    """``{"output": {...}}`` from the frontend's graphToPrompt, or ``{"error": "..."}``."""
    result: dict[str, Any] = page.evaluate(_CONVERT_JS, workflow)
    return result


def template_files(site_packages: Path) -> list[Path]:
    """Every UI-format template JSON of the comfyui-workflow-templates packages."""
    files = []
    for path in sorted(site_packages.glob(TEMPLATES_GLOB)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("nodes"), list):
            files.append(path)
    return files


def comfy_site_packages(python: Path) -> Path:
    """The site-packages folder of ComfyUI's venv (its python is .../bin/python)."""
    found = sorted((python.parent.parent / "lib").glob("python3*/site-packages"))
    if not found:
        raise FileNotFoundError(f"no site-packages beside {python}")
    return found[0]
