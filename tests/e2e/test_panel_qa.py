"""Regression tests for what a QA pass of the Sweep panel found, in a real
browser (Playwright + Debian's Chromium) on the real ComfyUI (bundled frontend):

- the form named slips the analyzer's bounds already tell (a letter in a
  numeric values list, a value out of range) only after a failed /plan
  request, one per keystroke in the console;
- a fixed slip kept showing its error until a slow plan answered;
- grid/linear showed an editable "samples" field they ignore;
- after "Explore parameter" scrolled to its row, the Queue button was out of
  view (the form header now sticks);
- at the sidebar's narrowest, run values broke inside numbers and a long
  current value pushed the parameter's name out;
- an interrupted sweep did not say why.
Screenshots go to test-artifacts/frontend/qa-*.png.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from typing import Any

import pytest
from frontend_page import EXAMPLE, TAB_BUTTON, open_ui
from frontend_page import shot as _shot

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.comfy

EXPECT = playwright_api.expect
SIGMA = ".comfy-sweep-param[data-path='nodes.3.inputs.sigma']"
PLAN = ".comfy-sweep-plan"


def open_form(page: Any) -> None:
    page.locator(TAB_BUTTON).first.click()
    page.locator("[data-sweep-action=new]").click()
    page.locator(f"{PLAN}[data-plan-state=ok]").wait_for(timeout=90_000)


def plan_requests(page: Any) -> list[int]:
    """Status codes of the /plan answers seen from now on (appended live)."""
    codes: list[int] = []
    page.on("response", lambda r: codes.append(r.status) if r.url.endswith("/plan") else None)
    return codes


def test_form_names_slips_before_any_request(browser: Any, comfy_server: Any) -> None:
    page, console = open_ui(browser, comfy_server)
    try:
        open_form(page)
        page.locator(f"{SIGMA} input[type=checkbox]").click()
        page.locator(f"{SIGMA} select").select_option("values")
        codes = plan_requests(page)
        box = page.locator(PLAN)
        for text, message in [
            ("1, abc", "'abc' is not a number"),
            ("1, 50", "50 is above the maximum"),
        ]:
            page.locator(f"{SIGMA} [data-field=values]").fill(text)
            EXPECT(box).to_contain_text(message)
        page.locator(f"{SIGMA} [data-field=values]").fill("1, 2")
        EXPECT(page.locator(".comfy-sweep-total")).to_contain_text(
            "Planned: 2 runs", timeout=60_000
        )
        assert 400 not in codes, codes  # the slips never reached the server
        stale_error_clears_at_once(page)
        grid_disables_samples(page)
        assert console.ours() == []
    except Exception:
        _shot(page, "qa", "form-failure")
        raise
    finally:
        page.close()


def stale_error_clears_at_once(page: Any) -> None:
    page.locator(f"{SIGMA} select").select_option("continuous")  # every sample distinct
    samples = page.locator("[data-field=num_samples]")
    samples.fill("-1")
    EXPECT(page.locator(PLAN)).to_contain_text("number of samples")
    # 20,000 samples plan for a second or more: the old error must go at once.
    samples.fill("20000")
    page.wait_for_function(
        "() => document.querySelector('.comfy-sweep-plan').dataset.planState !== 'error'",
        timeout=1_500,
    )
    assert "number of samples" not in page.locator(PLAN).inner_text()
    EXPECT(page.locator(".comfy-sweep-total")).to_contain_text(
        re.compile(r"Planned: \d{5} runs"), timeout=90_000
    )
    samples.fill("8")
    EXPECT(page.locator(".comfy-sweep-total")).to_contain_text("Planned: 8 runs", timeout=60_000)
    page.locator(f"{SIGMA} select").select_option("values")


def grid_disables_samples(page: Any) -> None:
    page.locator(".comfy-sweep-settings select").select_option("grid")
    EXPECT(page.locator("[data-field=num_samples]")).to_be_disabled()
    EXPECT(page.locator(".comfy-sweep-settings")).to_contain_text("not used by grid")
    EXPECT(page.locator(".comfy-sweep-total")).to_contain_text("Planned: 2 runs", timeout=60_000)


def test_queue_button_stays_in_view_while_rows_scroll(
    browser: Any,
    ui_server: Any,
    request: pytest.FixtureRequest,
) -> None:
    """On both frontends: the sidebar's own container scrolls the panel."""
    page, console = open_ui(browser, ui_server)
    try:
        # Scroll the open form to its last row, as Explore parameter does for a far row.
        page.set_viewport_size({"width": 1200, "height": 520})  # a form taller than the sidebar
        open_form(page)
        page.locator(".comfy-sweep-param").last.evaluate("(e) => e.scrollIntoView({block: 'end'})")
        assert (
            page.locator(".comfy-sweep-form").evaluate("(e) => e.getBoundingClientRect().top") < 0
        )
        hit = page.evaluate(
            """() => { const b = document.querySelector('[data-sweep-action=queue]').getBoundingClientRect();
              return document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2)?.dataset?.sweepAction ?? null; }"""
        )
        _shot(page, f"qa-{request.node.callspec.id}", "sticky-header")
        assert hit == "queue"
        assert console.ours() == []
    finally:
        page.close()


def post_json(url: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def finished_sweep(server: Any) -> str:
    prompt = json.loads(EXAMPLE.read_text())
    config = {
        "sampling_strategy": "grid",
        "parameters": {
            "blur_radius": {
                "path": "nodes.3.inputs.blur_radius",
                "type": "values",
                "values": [1, 3],
            },
            "sigma": {"path": "nodes.3.inputs.sigma", "type": "values", "values": [0.5, 1.25]},
        },
    }
    sid = post_json(
        server.url + "/comfy-sweep/sweeps",
        {"prompt": prompt, "config": config, "name": "qa narrow"},
    )["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.get_json(f"/comfy-sweep/sweeps/{sid}")["state"] == "done":
            return str(sid)
        time.sleep(0.5)
    raise TimeoutError(sid)


def test_narrow_panel_stays_readable(browser: Any, comfy_server: Any) -> None:
    sid = finished_sweep(comfy_server)
    page, console = open_ui(browser, comfy_server)
    message = "ComfyUI stopped while this sweep was running"

    def interrupted(route: Any) -> None:  # how the card of a cut-off sweep looks
        body = route.fetch().json()
        for s in body["sweeps"]:
            if s["id"] == sid:
                s.update(state="interrupted", message=message)
        route.fulfill(json=body)

    page.route("**/api/comfy-sweep/sweeps", interrupted)
    try:
        page.locator(TAB_BUTTON).first.click()
        panel = page.locator(".comfy-sweep-panel")
        panel.evaluate("(e) => { e.style.width = '200px'; }")  # the sidebar at its narrowest
        card = page.locator(f".comfy-sweep-card[data-sweep-id='{sid}']")
        EXPECT(card.locator(".comfy-sweep-message")).to_have_text(message)
        card.locator("[data-sweep-action=runs]").click()
        EXPECT(card.locator(".comfy-sweep-run")).to_have_count(4, timeout=15_000)
        lines = card.locator(".comfy-sweep-pair").evaluate_all(
            "(els) => els.map((e) => [e.textContent, e.getClientRects().length])"
        )
        assert lines and all(n == 1 for _, n in lines), lines  # no pair broken across lines
        _shot(panel, "qa", "narrow-runs")
        page.locator("[data-sweep-action=new]").click()
        page.locator(f"{PLAN}[data-plan-state=ok]").wait_for(timeout=90_000)
        name = page.locator(
            ".comfy-sweep-param[data-path='nodes.4.inputs.filename_prefix'] .comfy-sweep-param-name"
        )
        assert name.evaluate("(e) => e.getBoundingClientRect().width") >= 40
        _shot(panel, "qa", "narrow-form")
        assert console.ours() == []
    finally:
        page.close()
