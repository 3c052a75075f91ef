"""The panel's explore strategy and its "Continue exploring" button in a real
Chromium on the real ComfyUI (bundled frontend): the new-sweep form queues an
exploration (POST /comfy-sweep/explorations), its card waits for ratings, a
run is rated through the ratings route (as the contact sheet's stars do), and
the button moves the exploration on to its next phase. Screenshots go to
/tmp/explore-shots/."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from frontend_page import TAB_BUTTON, open_ui

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.comfy
SHOTS = Path("/tmp/explore-shots")
CARD = ".comfy-sweep-exploration"


def post(server: Any, path: str, body: Any) -> Any:
    req = urllib.request.Request(server.url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def shot(target: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    target.screenshot(path=str(SHOTS / f"{name}.png"))


def test_continue_exploring_button(browser: Any, comfy_server: Any) -> None:
    page, console = open_ui(browser, comfy_server)
    try:
        page.locator(TAB_BUTTON).first.click()
        page.locator("[data-sweep-action=new]").click()
        page.locator(".comfy-sweep-param").first.wait_for(timeout=60_000)
        strength = page.locator(".comfy-sweep-param[data-path='nodes.2.inputs.strength']")
        if "comfy-sweep-on" not in (strength.get_attribute("class") or ""):
            strength.locator("input[type=checkbox]").click()  # what the search varies
        page.locator(".comfy-sweep-settings select").select_option("explore")
        page.locator(".comfy-sweep-settings [data-field=num_samples]").fill("6")
        playwright_api.expect(page.locator(".comfy-sweep-plan")).to_contain_text(
            "Continue exploring", timeout=30_000
        )
        shot(page.locator(".comfy-sweep-panel"), "explore-form")
        page.locator("[data-sweep-action=queue]").click()
        card = page.locator(CARD).first
        card.wait_for(timeout=30_000)
        page.wait_for_function(
            f"() => document.querySelector('{CARD}')?.dataset.state === 'rate'", timeout=180_000
        )
        button = card.locator("[data-sweep-action=continue-exploring]")
        playwright_api.expect(button).to_be_visible()
        playwright_api.expect(card.locator(".comfy-sweep-waiting")).to_contain_text("search1")
        shot(page.locator(".comfy-sweep-panel"), "waiting-for-ratings")
        xid = card.get_attribute("data-exploration-id")
        status = comfy_server.get_json(f"/comfy-sweep/explorations/{xid}")
        sweep = status["waiting_sweep"]
        run = comfy_server.get_json(f"/comfy-sweep/sweeps/{sweep}")["runs"][1]
        post(
            comfy_server, f"/comfy-sweep/sweeps/{sweep}/runs/{run['run_id']}/rating", {"rating": 5}
        )
        button.click()
        page.wait_for_function(
            f"() => document.querySelector('{CARD}')?.dataset.state === 'rate'"
            f" && document.querySelector('{CARD} .comfy-sweep-waiting')?.textContent.includes('(seeds)')",
            timeout=180_000,
        )
        status = comfy_server.get_json(f"/comfy-sweep/explorations/{xid}")
        assert status["steps"][0]["winner"]["run_id"] == run["run_id"]
        shot(page.locator(".comfy-sweep-panel"), "next-phase-waiting")
        assert console.ours() == []
    except Exception:
        shot(page, "failure")
        print("\n".join(console.lines[-40:]))
        raise
    finally:
        page.close()
