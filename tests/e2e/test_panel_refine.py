"""Judge and narrow from the Sweep panel, in a real Chromium against the real
ComfyUI, on the bundled frontend (1.32.9) and the newest (tests/e2e/frontend_page.py):

- "Refine…" on a finished sweep scored by ``sharpness``: the box offers the
  score (a bad top K answers the route's 400 in the box, not swallowed), and
  "Refine into a new sweep" opens the form on the sweep's own workflow with
  the blur's sigma range narrowed around the sharpest runs; *Queue sweep*
  runs that new sweep (scored too: the form posts the metrics it carried).
- ``adaptive`` chosen in the form with a ``sharpness`` metric: the objective
  follows the metric, a similarity row asks for its reference, and the sweep
  runs to completion (6 samples: 4 planned, 2 proposed from the scores) with
  ``score_sharpness`` in metadata.csv.

Screenshots: test-artifacts/frontend/<frontend>-refine-*.png, -adaptive-*.png.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.request
from typing import Any

import pytest
from frontend_page import EXAMPLE, TAB_BUTTON, open_ui
from frontend_page import shot as _shot

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [pytest.mark.comfy, pytest.mark.browser]

SWEEP_TIMEOUT_MS = 180_000
SIGMA = "nodes.3.inputs.sigma"
# Sharpness falls as the blur's sigma grows (0.1-1 is its sensitive range):
# the sharpest runs sit at the low end, so refining must narrow toward it.
SCORED = {
    "sampling_strategy": "sobol",
    "num_samples": 8,
    "parameters": {"sigma": {"path": SIGMA, "type": "continuous", "min": 0.1, "max": 1.0}},
    "metrics": {"sharp": {"type": "sharpness"}},
}


def wait_done(server: Any, sweep_id: str, timeout_s: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        summary = server.get_json(f"/comfy-sweep/sweeps/{sweep_id}")
        if summary["state"] in ("done", "cancelled", "interrupted"):
            return dict(summary)
        time.sleep(0.5)
    raise AssertionError(f"sweep {sweep_id} did not finish")


def metadata(server: Any, sweep_id: str) -> list[dict[str, str]]:
    url = f"{server.url}/comfy-sweep/sweeps/{sweep_id}/files/metadata.csv"
    with urllib.request.urlopen(url, timeout=30) as r:
        return list(csv.DictReader(io.StringIO(r.read().decode("utf-8"))))


def scored_sweep(server: Any) -> str:
    prompt = json.loads(EXAMPLE.read_text())
    created = server.post_json(
        "/comfy-sweep/sweeps", {"prompt": prompt, "config": SCORED, "name": "blur"}
    )
    sweep_id = str(created["id"])
    assert wait_done(server, sweep_id)["state"] == "done"
    return sweep_id


def unexpected(console: Any, *expected: str) -> list[str]:
    """Our console lines, less the answers a test provokes on purpose (routes
    ending in ``expected``)."""
    return [
        ln
        for ln in console.ours()
        if not ("Failed to load resource" in ln and ln.endswith(expected))
    ]


def new_sweep_ids(server: Any, before: set[str]) -> list[str]:
    return [
        s["id"] for s in server.get_json("/comfy-sweep/sweeps")["sweeps"] if s["id"] not in before
    ]


def test_refine_from_a_scored_sweep_fills_the_form_and_queues(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    sweep_id = scored_sweep(ui_server)
    before = {s["id"] for s in ui_server.get_json("/comfy-sweep/sweeps")["sweeps"]}
    page, console = open_ui(browser, ui_server)
    try:
        page.locator(TAB_BUTTON).first.click()
        card = page.locator(f".comfy-sweep-card[data-sweep-id='{sweep_id}']")
        card.locator("[data-sweep-action=refine]").click()
        by = card.locator("[data-field=refine-by]")
        expect(by).to_have_value("score_sharp", timeout=30_000)
        # A slip the route names (top 0) shows in the box and a toast, then is fixed.
        card.locator("[data-field=refine-top]").fill("0")
        card.locator("[data-sweep-action=refine-run]").click()
        expect(card.locator("[data-refine-error]")).to_contain_text("top", timeout=30_000)
        _shot(page.locator(".comfy-sweep-panel"), label, "refine-box-error")
        card.locator("[data-field=refine-top]").fill("2")
        _shot(page.locator(".comfy-sweep-panel"), label, "refine-box")
        card.locator("[data-sweep-action=refine-run]").click()
        note = page.locator(f".comfy-sweep-refined[data-refined-from='{sweep_id}']")
        note.wait_for(timeout=60_000)
        expect(note).to_contain_text("top 2 of 8 runs with score_sharp (maximize)")
        row = page.locator(f".comfy-sweep-param.comfy-sweep-on[data-path='{SIGMA}']")
        lo = float(row.locator("[data-field=min]").input_value())
        hi = float(row.locator("[data-field=max]").input_value())
        assert 0.1 <= lo < hi < 1.0 and hi - lo < 0.6, (lo, hi)  # narrowed toward the sharp end
        assert page.locator(".comfy-sweep-metric[data-metric=sharp]").count() == 1  # metrics kept
        plan = page.locator(".comfy-sweep-plan[data-plan-state=ok]")
        plan.wait_for(timeout=90_000)
        _shot(page.locator(".comfy-sweep-panel"), label, "refine-form")
        page.locator("[data-sweep-action=queue]").click()
        page.locator(".comfy-sweep-card").nth(len(before)).wait_for(timeout=30_000)
        (new_id,) = new_sweep_ids(ui_server, before)
        summary = wait_done(ui_server, new_id)
        assert summary["state"] == "done" and summary["name"] == "blur refined"
        rows = metadata(ui_server, new_id)
        sigmas = [float(r["sigma"]) for r in rows]
        assert len(sigmas) == 8 and all(lo <= v <= hi for v in sigmas), sigmas
        assert all(float(r["score_sharp"]) > 0 for r in rows), rows  # the form's metrics, posted
        # The route's 400 for top 0, and the 404 of a sweep queued without a UI
        # graph (the refined sweep then runs without one).
        assert unexpected(console, "/refine", "/files/ui_workflow.json") == []
    except Exception:
        _shot(page, label, "refine-failure")
        print("\n".join(console.lines[-40:]))
        raise
    finally:
        page.close()


def sigma_form(page: Any, strategy: str) -> None:
    """The new-sweep form over the blur's sigma only (continuous 0.1-1), ``strategy``."""
    page.locator("[data-sweep-action=new]").click()
    page.locator(".comfy-sweep-param").first.wait_for(timeout=60_000)
    rows = page.locator(".comfy-sweep-param.comfy-sweep-on")
    for path in {rows.nth(i).get_attribute("data-path") for i in range(rows.count())} - {SIGMA}:
        page.locator(f".comfy-sweep-param[data-path='{path}'] input[type=checkbox]").click()
    if page.locator(f".comfy-sweep-param.comfy-sweep-on[data-path='{SIGMA}']").count() == 0:
        page.locator(f".comfy-sweep-param[data-path='{SIGMA}'] input[type=checkbox]").click()
    sigma = page.locator(f".comfy-sweep-param[data-path='{SIGMA}']")
    sigma.locator("select").select_option("continuous")
    sigma.locator("[data-field=min]").fill("0.1")
    sigma.locator("[data-field=max]").fill("1")
    page.locator(".comfy-sweep-settings select").select_option(strategy)


def build_adaptive_form(page: Any, label: str) -> None:
    sigma_form(page, "adaptive")
    expect(page.locator(".comfy-sweep-plan")).to_contain_text("adaptive needs a metric")
    page.locator("[data-sweep-action=add-metric]").click()
    expect(page.locator("[data-field=metric-type]")).to_have_value("sharpness")
    expect(page.locator("[data-field=objective-metric]")).to_have_value("sharpness")
    # A second row turned into similarity asks for its reference, then goes again.
    page.locator("[data-sweep-action=add-metric]").click()
    page.locator("[data-field=metric-type]").nth(1).select_option("similarity")
    expect(page.locator("[data-field=metric-name]").nth(1)).to_have_value("similarity")
    expect(page.locator(".comfy-sweep-plan")).to_contain_text(
        "metric similarity: give the reference image"
    )
    expect(page.locator("[data-field=metric-reference]")).to_be_visible()
    _shot(page.locator(".comfy-sweep-panel"), label, "adaptive-metrics-editor")
    page.locator("[data-sweep-action=remove-metric]").nth(1).click()
    expect(page.locator(".comfy-sweep-metric")).to_have_count(1)
    page.locator("[data-field=num_samples]").fill("6")


def test_adaptive_sweep_from_the_panel_scores_every_run(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest
) -> None:
    label = request.node.callspec.id
    before = {s["id"] for s in ui_server.get_json("/comfy-sweep/sweeps")["sweeps"]}
    page, console = open_ui(browser, ui_server)
    try:
        page.locator(TAB_BUTTON).first.click()
        build_adaptive_form(page, label)
        # The server's plan: the initial Sobol design, max(4, 6 / 4) samples; the
        # rest is proposed from the scores as runs finish.
        plan = page.locator(".comfy-sweep-plan[data-plan-state=ok]")
        expect(plan).to_contain_text("Planned: 4 runs", timeout=90_000)
        _shot(page.locator(".comfy-sweep-panel"), label, "adaptive-form")
        page.locator("[data-sweep-action=queue]").click()
        page.locator(".comfy-sweep-card").nth(len(before)).wait_for(timeout=30_000)
        (new_id,) = new_sweep_ids(ui_server, before)
        summary = wait_done(ui_server, new_id)
        assert summary["state"] == "done", json.dumps(summary)[:1500]
        rows = metadata(ui_server, new_id)
        assert len(rows) == 6 and all(r["status"] == "done" for r in rows), rows
        assert all(float(r["score_sharpness"]) > 0 for r in rows), rows
        page.locator(f".comfy-sweep-card[data-sweep-id='{new_id}'][data-state=done]").wait_for(
            timeout=30_000
        )
        _shot(page.locator(".comfy-sweep-panel"), label, "adaptive-done")
        assert console.ours() == []
    except Exception:
        _shot(page, label, "adaptive-failure")
        print("\n".join(console.lines[-40:]))
        raise
    finally:
        page.close()
