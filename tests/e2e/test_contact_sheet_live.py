"""A running sweep's contact sheet fills in without a reload (sheet_live.js).

Synthetic batches served over HTTP (rewritten between polls, as the server's
refresher does) check that the user's sort, filters, scroll and dialog survive
an update; a server sweep on the real ComfyUI checks the real route."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.core.report.sheet import render_contact_sheet
from sheet_fixtures import write_synthetic_batch
from sheet_page import Sheet, launch_chromium, serve_folder

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
N = 120
LIVE = "document.getElementById('live-status')"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as b:
        yield b


def write(root: Path, done_upto: int, step: int, **kw: Any) -> None:
    """The batch with runs 1..done_upto recorded, as the refresher renders it."""
    write_synthetic_batch(root, N, pending=range(done_upto + 1, N + 1), thumbnails=True,
                          updated_at=f"2026-01-01T00:00:{step:02d}.000Z", **kw)  # fmt: skip
    render_contact_sheet(root)


def live(sheet: Sheet) -> tuple[str, str]:
    state, text = sheet.js(f"[{LIVE}.dataset.state, {LIVE}.textContent]")
    return str(state), str(text)


def data_fetches(sheet: Sheet) -> int:
    return sheet.js(  # type: ignore[no-any-return]
        "performance.getEntriesByType('resource')"
        ".filter((e) => e.name.endsWith('/contact_sheet.json')).length"
    )


def set_user_state(sheet: Sheet) -> int:
    """Sort, filter, scroll and open a pending run's dialog; return its id."""
    page = sheet.page
    page.select_option("#sort-key", "p:cfg")
    page.click("#sort-dir")
    page.locator('details[data-key="p:cfg"] summary').click()
    page.fill('details[data-key="p:cfg"] input.lo', "2")
    sheet.js("(() => { const v = document.getElementById('grid-view'); v.scrollTop = 700; "
             "v.dispatchEvent(new Event('scroll')); })()")  # fmt: skip
    sheet.page.wait_for_timeout(200)
    run_id = sheet.js("""(() => {
      const g = window.contactSheet.grid, on = [...document.querySelectorAll('#grid-view .cell')];
      const k = on.map((c) => Number(c.dataset.index)).find((i) => g.flat[i].status === 'pending');
      window.contactSheet.dialog.open(g.flat, k);
      return g.flat[k].id;
    })()""")
    assert sheet.page.locator("#dialog .media .ph").inner_text() == "pending"
    return int(run_id)


def test_open_page_merges_new_runs_and_keeps_the_users_view(browser: Any, tmp_path: Path) -> None:
    root = tmp_path / "live"
    write(root, 40, 1, scores=False)  # no score column yet: it appears with the update
    with serve_folder(root) as base:
        sheet = Sheet(browser, f"{base}/contact_sheet.html")
        assert live(sheet) == ("live", "● live · 40/120 done")
        sheet.js("window.__sameDocument = true")  # gone if the page reloads
        dialog_id = set_user_state(sheet)
        shown_before = sheet.shown_ids()
        write(root, N, 2, failed=[dialog_id])
        sheet.wait(f"{LIVE}.textContent.includes('119/120 done · 1 failed')", timeout=15)
        assert sheet.js("window.__sameDocument") is True
        assert sheet.js("[contactSheet.state.sort, contactSheet.state.desc]") == ["p:cfg", True]
        assert sheet.page.input_value('details[data-key="p:cfg"] input.lo') == "2"
        assert sheet.shown_ids() == shown_before  # same filter, same order
        assert sheet.js("document.getElementById('grid-view').scrollTop") == 700
        # the dialog stayed on its run and shows what became of it
        assert sheet.page.locator("#dialog").get_attribute("data-run-id") == str(dialog_id)
        assert "failed" in sheet.page.locator("#dialog h2").inner_text()
        # a new column (the score) and a new status are offered, ticked
        assert sheet.page.locator('#sort-key option[value="m:score_quality"]').count() == 1
        assert sheet.page.locator('details[data-key="m:score_quality"]').count() == 1
        assert sheet.page.is_checked("#f-status-failed")
        sheet.page.keyboard.press("Escape")
        sheet.wait("[...document.querySelectorAll('#grid-view .cell')].every((c) => "
                   "c.querySelector('img') || c.querySelector('.badge.st.failed'))")  # fmt: skip
        sheet.shot("live_after_update")
        write(root, N, 3, failed=[dialog_id], state="done")
        sheet.wait(f"{LIVE}.dataset.state === 'done'", timeout=15)
        assert live(sheet)[1] == "■ sweep done · 119/120 done · 1 failed"
        assert "done" in sheet.js("document.getElementById('batch-summary').textContent")
        fetches = data_fetches(sheet)
        sheet.page.wait_for_timeout(4500)  # two poll periods: polling has stopped
        assert data_fetches(sheet) == fetches
        sheet.assert_inert()


def test_unticked_status_stays_hidden_across_updates(browser: Any, tmp_path: Path) -> None:
    root = tmp_path / "live"
    write(root, 30, 1, failed=[3])
    with serve_folder(root) as base:
        sheet = Sheet(browser, f"{base}/contact_sheet.html")
        sheet.page.uncheck("#f-status-pending")
        assert set(sheet.js("contactSheet.shown.map((r) => r.status)")) == {"done", "failed"}
        write(root, 60, 2, failed=[3])
        sheet.wait(f"{LIVE}.textContent.includes('59/120')", timeout=15)
        assert not sheet.page.is_checked("#f-status-pending")
        shown = sheet.js("contactSheet.shown.map((r) => r.status)")
        assert len(shown) == 60 and set(shown) == {"done", "failed"}
        sheet.assert_inert()


def test_local_file_says_reload(browser: Any, tmp_path: Path) -> None:
    root = tmp_path / "live"
    write(root, 40, 1)
    sheet = Sheet(browser, (root / "contact_sheet.html").as_uri())
    assert live(sheet) == ("static", "sweep still running — reload to see new runs")
    sheet.page.wait_for_timeout(2500)
    assert data_fetches(sheet) == 0  # file:// pages never try to fetch
    sheet.assert_inert()


# ------------------------------------------------------------ real ComfyUI
GRID12 = {
    "sampling_strategy": "grid",
    "parameters": {
        "strength": {"path": "nodes.Noise.inputs.strength", "type": "values",
                     "values": [0.2, 0.4, 0.6]},
        "blur_radius": {"path": "nodes.3.inputs.blur_radius", "type": "values",
                        "values": [3, 9, 15, 21]},
    },
}  # fmt: skip
LOADED = "[...document.querySelectorAll('#grid-view .cell img')].filter((i) => i.naturalWidth > 0).length"


def start_server_sweep(server: Any, size: int) -> str:
    prompt = json.loads((EXAMPLES / "image_noise_blur.json").read_text())
    prompt["1"]["inputs"].update(width=size, height=size)  # slow enough to watch
    prompt["4"]["inputs"]["filename_prefix"] = "sheet-live/img"
    made = server.post_json("/comfy-sweep/sweeps", {"prompt": prompt, "config": GRID12})
    assert isinstance(made, dict) and made["total"] == 12, made
    return str(made["id"])


def wait_for_sheet(server: Any, sweep_id: str, timeout: float = 120) -> str:
    """The route serves the sheet once the first run has finished."""
    url = f"{server.url}/comfy-sweep/sweeps/{sweep_id}/contact-sheet"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                return str(resp.url)  # .../files/contact_sheet.html after the 302
        except urllib.error.HTTPError as err:
            assert err.code == 404 and time.monotonic() < deadline, err
        time.sleep(0.2)


@pytest.mark.comfy
def test_running_server_sweep_fills_in(browser: Any, comfy_server: Any) -> None:
    sweep_id = start_server_sweep(comfy_server, 1536)
    url = wait_for_sheet(comfy_server, sweep_id)
    sheet = Sheet(browser, url)
    sheet.js("window.__sameDocument = true")
    state, text = live(sheet)
    loaded = [sheet.js(LOADED)]
    assert state == "live" and loaded[0] < 12, (
        state,
        text,
        "the sweep ended before the page opened",
    )
    deadline = time.monotonic() + 180
    while live(sheet)[0] == "live":
        assert time.monotonic() < deadline, f"still live: {live(sheet)}"
        sheet.page.wait_for_timeout(250)
        loaded.append(sheet.js(LOADED))
    sheet.wait(f"{LOADED} === 12")  # the last images decode after the final update
    loaded.append(sheet.js(LOADED))
    assert live(sheet) == ("done", "■ sweep done · 12/12 done")
    assert sheet.js("window.__sameDocument") is True  # filled in without a reload
    assert loaded == sorted(loaded) and len(set(loaded)) > 2, loaded  # grew in steps
    assert sheet.all_cell_ids() == list(range(1, 13))
    sheet.shot("live_server_sweep_done")
    sheet.assert_inert()
