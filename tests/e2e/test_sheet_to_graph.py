"""'Load into graph' from a contact sheet, in a real Chromium against the real
ComfyUI: the ComfyUI UI in one tab, the served contact sheet of a finished
server sweep in another tab of the same browser; a click in the sheet's run
dialog sets that run's values in the graph (over the BroadcastChannel
"comfy-sweep", no network). Opened as a local file the sheet shows no button
and says why. Screenshots go to test-artifacts/contact_sheet/."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_harness import REPO
from comfy_sweep.core.report.sheet import render_contact_sheet
from sheet_fixtures import write_synthetic_batch
from sheet_page import ARTIFACTS, Sheet, launch_chromium

pytestmark = pytest.mark.browser

EXAMPLE = REPO / "examples" / "image_noise_blur.json"
TAB_BUTTON = ".comfy-sweep-tab-button, [data-testid='comfy-sweep-tab-button']"
SWEEP_NAME = "blur study"
LOADED = "loaded into the ComfyUI tab"
NO_TAB = "open ComfyUI in this browser to load runs"
FILE_NOTE = "Load into graph: open this sheet from ComfyUI's Sweep panel"
GRID = {
    "sampling_strategy": "grid",
    "parameters": {
        "strength": {"path": "nodes.Noise.inputs.strength", "type": "values", "values": [0.2, 0.9]},
        "blur_radius": {"path": "nodes.3.inputs.blur_radius", "type": "values", "values": [1, 7]},
    },
}
# Read the graph's widgets in the ComfyUI page: node 2 is Noise, node 3 is Blur.
READ_WIDGETS = """() => {
  const g = window.comfyAPI.app.app.graph, w = (id, n) => g.getNodeById(id).widgets.find((x) => x.name === n).value;
  return {strength: w(2, 'strength'), blur_radius: w(3, 'blur_radius')};
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as b:
        yield b


def _post(server: Any, path: str, body: Any) -> Any:
    req = urllib.request.Request(
        server.url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def finished_sweep(comfy_server: Any) -> dict[str, Any]:
    """A named 4-run grid sweep over strength and blur_radius, run to done."""
    prompt = json.loads(EXAMPLE.read_text())
    body = {"prompt": prompt, "config": GRID, "name": SWEEP_NAME, "client_id": "sheet-e2e"}
    sid = _post(comfy_server, "/comfy-sweep/sweeps", body)["id"]
    deadline = time.monotonic() + 180
    while True:
        status = comfy_server.get_json(f"/comfy-sweep/sweeps/{sid}?limit=10")
        if status["state"] == "done":
            break
        assert status["state"] in ("queued", "running"), status
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    assert (status["done"], status["failed"]) == (4, 0), status
    return dict(status)


class _InContext:
    """Lets sheet_page.Sheet open its page in a given browser context (the
    ComfyUI tab's), where BroadcastChannel messages reach."""

    def __init__(self, context: Any) -> None:
        self.context = context

    def new_page(self, **_: Any) -> Any:
        return self.context.new_page()


def open_comfy(context: Any, server: Any, errors: list[str]) -> Any:
    """The ComfyUI UI with the example workflow loaded (default widget values);
    page errors and console errors are appended to ``errors``."""
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"{e}\n{e.stack}"))
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} @ {m.location}") if m.type == "error" else None,
    )
    page.goto(server.url)
    page.wait_for_selector(TAB_BUTTON, timeout=90_000)
    page.wait_for_function("() => !!window.comfyAPI?.app?.app?.canvas")
    wf = json.loads(EXAMPLE.read_text())
    page.evaluate(
        "async (wf) => { await window.comfyAPI.app.app.loadApiJson(wf, 'noise_blur') }", wf
    )
    page.wait_for_function("() => window.comfyAPI.app.app.graph.getNodeById(3) != null")
    return page


def open_sheet_dialog(sheet: Sheet, run_id: int) -> None:
    sheet.page.locator(f'.cell[data-run-id="{run_id}"]').click()
    sheet.wait(f"document.getElementById('dialog').dataset.runId === '{run_id}'")


def click_load(sheet: Sheet, expect: str, timeout: float = 15.0) -> None:
    sheet.page.locator("#dialog button.load-graph").click()
    sheet.wait(
        f"document.querySelector('#dialog .load-status').textContent === {expect!r}", timeout
    )


@pytest.mark.comfy
def test_load_into_graph_from_the_served_sheet(
    browser: Any, comfy_server: Any, finished_sweep: dict[str, Any]
) -> None:
    for key, value in {"Comfy.TutorialCompleted": True, "Comfy.VueNodes.Enabled": False}.items():
        comfy_server.post_json(f"/settings/{key}", value)
    context = browser.new_context(viewport={"width": 1300, "height": 850})
    try:
        # Two ComfyUI tabs: exactly one of them must load the run.
        errors: list[str] = []
        tabs = [open_comfy(context, comfy_server, errors) for _ in range(2)]
        before = [t.evaluate(READ_WIDGETS) for t in tabs]
        assert before == [{"strength": 0.5, "blur_radius": 3}] * 2
        run = next(
            r for r in finished_sweep["runs"] if r["values"] == {"strength": 0.9, "blur_radius": 7}
        )
        url = f"{comfy_server.url}/api/comfy-sweep/sweeps/{finished_sweep['id']}/files/contact_sheet.html"
        sheet = Sheet(_InContext(context), url)
        csp = []
        sheet.page.on(
            "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
        )
        assert sheet.js("document.title") == f"{SWEEP_NAME} · contact sheet"
        assert sheet.js("document.getElementById('batch-name').textContent") == SWEEP_NAME
        assert sheet.js("document.getElementById('batch-id').textContent") == finished_sweep["id"]

        open_sheet_dialog(sheet, run["run_id"])
        click_load(sheet, LOADED)
        sheet.shot("sheet-load-into-graph")
        after = [t.evaluate(READ_WIDGETS) for t in tabs]
        assert sorted(after, key=json.dumps) == sorted(
            [{"strength": 0.9, "blur_radius": 7}, before[0]], key=json.dumps
        ), after  # one tab has the run's exact values, the other is untouched
        loaded = tabs[after.index({"strength": 0.9, "blur_radius": 7})]
        toast = loaded.locator(".p-toast-message", has_text=f"Run {run['run_id']} loaded")
        toast.wait_for(timeout=5000)
        assert "strength=0.9" in toast.inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        loaded.screenshot(path=str(ARTIFACTS / "comfy-tab-after-sheet-load.png"))
        assert [e for e in errors if "comfy-sweep" in e] == []
        assert sheet.js("document.querySelector('#dialog .load-status').dataset.ok") == "true"
        assert sheet.errors == [] and csp == []
    finally:
        context.close()


@pytest.mark.comfy
def test_without_a_comfy_tab_the_sheet_says_so(
    browser: Any, comfy_server: Any, finished_sweep: dict[str, Any]
) -> None:
    context = browser.new_context(viewport={"width": 1300, "height": 850})
    try:
        url = (
            f"{comfy_server.url}/comfy-sweep/sweeps/{finished_sweep['id']}/files/contact_sheet.html"
        )
        sheet = Sheet(_InContext(context), url)  # the route without the /api prefix
        open_sheet_dialog(sheet, finished_sweep["runs"][0]["run_id"])
        t0 = time.monotonic()
        click_load(sheet, NO_TAB)
        assert time.monotonic() - t0 >= 1.2  # it waited for a claim (~1.5 s)
        assert sheet.js("document.querySelector('#dialog .load-status').dataset.ok") == "false"
    finally:
        context.close()


def test_a_local_file_has_no_button_and_says_why(browser: Any, tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 3)
    progress = json.loads((root / "progress.json").read_text())
    (root / "progress.json").write_text(json.dumps({**progress, "label": "<b>my sweep</b>"}))
    sheet = Sheet(browser, render_contact_sheet(root).as_uri())
    assert sheet.js("document.getElementById('batch-name').textContent") == "<b>my sweep</b>"
    open_sheet_dialog(sheet, 2)
    assert sheet.page.locator("#dialog button.load-graph").count() == 0
    note = sheet.page.locator("#dialog .bridge-note")
    assert note.count() == 1 and note.inner_text().startswith(FILE_NOTE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    sheet.shot("sheet-file-no-load-button")
    assert sheet.errors == []
