"""Ratings and "which settings win" in a real Chromium.

As a file: stars and picks by click and keyboard kept in localStorage, old
favourites read as picks, export, then import in a fresh browser profile.
Served by the real ComfyUI: stars clicked in the sheet land in metadata.csv,
also while the sweep is running (and survive its later writes).
The metric picker's heatmap, best of seeds, top K and importance on a batch
whose score has a known shape."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.core.report.sheet import render_contact_sheet
from sheet_fixtures import write_synthetic_batch
from sheet_page import VIEWPORT, Sheet, launch_chromium
from test_contact_sheet_live import start_server_sweep, wait_for_sheet

pytestmark = pytest.mark.browser
MARKS = "window.contactSheet.data.runs.filter((r) => r.m.rating || r.pk).map((r) => [r.id, r.m.rating || 0, r.pk])"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as b:
        yield b


def quality(v: Any) -> float:
    """Best at cfg 5.5, ddim worse; seeds add nothing."""
    return max(0.0, 1 - abs(float(v["cfg"]) - 5.5) / 5) * (0.6 if v["sampler"] == "ddim" else 1.0)


@pytest.fixture
def scored(tmp_path: Path) -> Path:
    root = write_synthetic_batch(tmp_path / "scored", 120, seeds_per_sample=3, quality=quality,
                                 failed=[5], thumbnails=True)  # fmt: skip
    render_contact_sheet(root)
    return root


def cell(sheet: Sheet, run_id: int) -> Any:
    return sheet.page.locator(f'#grid-view .cell[data-run-id="{run_id}"]')


# ------------------------------------------------------------------ as a file
def test_file_marks_by_click_and_keys_persist_export_and_import(
    browser: Any, scored: Path, tmp_path: Path
) -> None:
    url = (scored / "contact_sheet.html").as_uri()
    key = json.loads((scored / "contact_sheet.json").read_text())["batch"]["key"]
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto(url)  # an older page's favourites (localStorage) become picks
    page.evaluate("([k]) => localStorage.setItem('comfy-sweep:favourites:' + k, '[7]')", [key])
    page.close()
    sheet = Sheet(ctx, url)
    page = sheet.page
    assert sheet.js(MARKS) == [[7, 0, True]]
    cell(sheet, 2).hover()
    cell(sheet, 2).locator('.marks button[data-stars="4"]').click()  # a star on the cell
    assert page.locator("#dialog").is_hidden()  # the click did not open the run
    page.locator("#grid-view").focus()
    page.keyboard.press("ArrowRight")  # focus run 1
    page.keyboard.press("3")
    page.keyboard.press("p")
    cell(sheet, 3).click()  # the dialog: star 5, then keys 0 (clears) and 2
    page.locator('#dialog .marks button[data-stars="5"]').click()
    assert page.locator("#dialog .marks .star.on").count() == 5
    page.keyboard.press("0")
    page.keyboard.press("2")
    page.keyboard.press("Escape")
    expected = [[1, 3, True], [2, 4, False], [3, 2, False], [7, 0, True]]
    assert sheet.js(MARKS) == expected
    page.reload()
    sheet.wait("window.contactSheet !== undefined")
    assert sheet.js(MARKS) == expected  # kept in localStorage
    page.select_option("#sort-key", "m:rating")
    page.click("#sort-dir")
    assert sheet.shown_ids()[:3] == [2, 1, 3]  # a rating sorts like a score
    page.locator("#filters details", has_text="ratings & picks").locator("summary").click()
    assert "kept in this browser" in page.locator("#filters .marks-io").inner_text()
    page.click("#export-marks")
    exported = json.loads(page.locator("#marks-export").input_value())
    assert exported["batch"] == key
    assert [[m["run_id"], m["rating"], m["picked"]] for m in exported["marks"]] == expected
    with page.expect_download() as dl:
        page.locator("#filters .marks-io a", has_text="download").click()
    saved = tmp_path / "ratings.json"
    dl.value.save_as(saved)
    assert json.loads(saved.read_text()) == exported
    sheet.shot("marks_file")
    sheet.assert_inert()
    ctx.close()

    fresh = browser.new_context(viewport=VIEWPORT)  # a fresh profile: nothing stored
    other = Sheet(fresh, url)
    assert other.js(MARKS) == []
    other.page.locator("#filters details", has_text="ratings & picks").locator("summary").click()
    other.page.set_input_files("#import-marks", str(saved))
    other.wait("document.getElementById('marks-status').textContent.startsWith('imported')")
    assert other.page.locator("#marks-status").inner_text() == "imported 4 mark(s)"
    assert other.js(MARKS) == expected
    other.page.reload()
    other.wait("window.contactSheet !== undefined")
    assert other.js(MARKS) == expected  # the import is stored too
    other.page.locator("#filters details", has_text="ratings & picks").locator("summary").click()
    other.page.fill("#marks-export", '{"batch": "another@batch", "marks": []}')
    other.page.click("#import-pasted")
    assert "not " + key in other.page.locator("#marks-status").inner_text()
    other.assert_inert()
    fresh.close()


# ------------------------------------------------------- which settings win
def test_heatmap_best_of_seeds_top_k_and_importance(browser: Any, scored: Path) -> None:
    sheet = Sheet(browser, (scored / "contact_sheet.html").as_uri())
    page = sheet.page
    page.select_option("#metric", "m:score_quality")
    assert page.locator("#metric-dir").inner_text() == "higher is better"
    heats = sheet.js("[...document.querySelectorAll('#grid-view .cell[data-heat]')].length")
    assert heats > 10  # cells on screen coloured by the score
    chip = page.locator('#grid-view .cell[data-run-id="1"] .badge.heat').inner_text()
    assert float(chip) == pytest.approx(
        quality(sheet.js("window.contactSheet.data.runs[0].v")), abs=1e-3
    )
    sheet.shot("heatmap_grid")

    page.click("#best-of")  # one run per sample (3 seeds each), the best one
    assert len(sheet.shown_ids()) == 40
    best = sheet.js("""(() => { const s = window.contactSheet, q = (r) => r.m.score_quality ?? -1;
      return s.shown.every((r) => s.data.runs.filter((o) => o.s === r.s).every((o) => q(o) <= q(r))); })()""")
    assert best is True
    assert page.locator("#grid-view .badge.best").first.inner_text() == "best of 3"
    page.click("#best-of")

    page.click("#view-xy")
    page.select_option("#xy-x", "p:cfg")
    page.select_option("#xy-y", "p:sampler")
    means = sheet.js(
        "[...document.querySelectorAll('table.xy td[data-mean]')].map((td) => [td.dataset.mean, td.style.background])"
    )
    assert len(means) > 10 and all(bg.startswith("rgba") for _, bg in means)
    sheet.shot("heatmap_xy")

    page.click("#view-top")
    page.fill("#top-k", "10")
    ranks = page.locator("#top-view .cell .badge.rank").all_inner_texts()
    assert ranks == [f"#{i}" for i in range(1, 11)]
    top = [float(x) for x in page.locator("#top-view .cell .badge.heat").all_inner_texts()]
    assert top == sorted(top, reverse=True) and top[0] == pytest.approx(max(
        quality(r["v"]) for r in json.loads((scored / "contact_sheet.json").read_text())["runs"]
        if r["status"] == "done"), abs=1e-3)  # fmt: skip
    share = page.locator("table.topshare").inner_text()
    assert "ddim" not in share  # the worse sampler is not among the best
    sheet.shot("top_k")

    page.click("#metric-dir")  # lower is better: the worst first
    low = [float(x) for x in page.locator("#top-view .cell .badge.heat").all_inner_texts()]
    assert low == sorted(low) and low[0] < top[-1]
    page.click("#metric-dir")

    page.click("#view-plot")
    assert page.locator("#plot-y").input_value() == "m:score_quality"  # follows the metric
    rows = page.locator(".importance tr").evaluate_all("(trs) => trs.map((t) => t.dataset.param)")
    assert rows[0] == "cfg" and rows[-1] in ("seed", "steps"), rows
    assert "η²" in page.locator('.importance tr[data-param="sampler"]').inner_text()
    sheet.shot("importance_plots")
    sheet.assert_inert()


# -------------------------------------------------------- the real ComfyUI
def metadata(root: Path) -> dict[int, dict[str, str]]:
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        return {int(r["run_id"]): r for r in csv.DictReader(f)}


def saved(sheet: Sheet, run_id: int) -> None:
    """Wait for the POST to be answered: the override is dropped once the
    server's data agrees, or the status line says why it failed."""
    sheet.wait(f"(() => {{ const r = window.contactSheet.data.runs.find((x) => x.id === {run_id});"
               f" return r && window.contactSheet.marks.message === ''; }})()")  # fmt: skip


@pytest.mark.comfy
def test_served_sheet_saves_ratings_into_metadata_while_the_sweep_runs(
    browser: Any, comfy_server: Any
) -> None:
    sweep_id = start_server_sweep(comfy_server, 1536)
    url = wait_for_sheet(comfy_server, sweep_id)
    root = comfy_server.output_dir / "sweeps" / sweep_id
    sheet = Sheet(browser, url)
    page = sheet.page
    assert sheet.js("window.contactSheet.data.batch.state") == "running"
    assert "saved in the sweep" in sheet.js(
        "document.querySelector('#filters .marks-io').textContent"
    )
    sheet.wait("window.contactSheet.data.runs[0].status === 'done'", timeout=120)  # live poll
    first = 1
    with page.expect_response(lambda r: r.url.endswith(f"/runs/{first}/rating")) as resp:
        cell(sheet, first).hover()
        cell(sheet, first).locator('.marks button[data-stars="4"]').click()
    assert resp.value.status == 200 and resp.value.json() == {
        "run_id": first,
        "rating": 4,
        "picked": False,
    }
    row = metadata(root)[first]
    assert row["rating"] == "4"  # on disk while the sweep is still running
    assert json.loads((root / "progress.json").read_text())["state"] == "running"
    with page.expect_response(lambda r: r.url.endswith(f"/runs/{first}/rating")):
        page.locator("#grid-view").focus()
        page.keyboard.press("ArrowRight")  # focus the first cell (run 1 in id order)
        page.keyboard.press("p")
    assert sheet.js("window.contactSheet.grid.flat[window.contactSheet.grid.focus].id") == first
    assert metadata(root)[first]["picked"] == "true"
    # The last run not finished when the page was drawn; it may finish meanwhile
    # on a fast machine, so the answer is judged against metadata.csv around it.
    pending = sheet.js("window.contactSheet.data.runs.filter((r) => r.status !== 'done').at(-1).id")
    before = pending in metadata(root)
    status = page.evaluate(
        "async ([id]) => (await fetch('../runs/' + id + '/rating', {method: 'POST', "
        "headers: {'Content-Type': 'application/json'}, body: JSON.stringify({rating: 2})})).status",
        [pending],
    )
    after = pending in metadata(root)
    if not after:
        assert status == 409  # not finished: nothing to rate yet
    elif before:
        assert status == 200

    deadline = time.monotonic() + 240
    while json.loads((root / "progress.json").read_text())["state"] == "running":
        assert time.monotonic() < deadline, "sweep did not finish"
        time.sleep(0.5)
    rows = metadata(root)
    assert len(rows) == 12 and (rows[first]["rating"], rows[first]["picked"]) == ("4", "true")
    sheet.wait(f"window.contactSheet.data.runs.find((r) => r.id === {first}).pk === true")
    page.reload()  # the re-rendered page carries the marks from metadata.csv
    sheet.wait("window.contactSheet !== undefined")
    assert [1, 4, True] in sheet.js(MARKS)
    assert sheet.js("localStorage.length") == 0  # served: nothing kept in the browser
    sheet.shot("marks_served")
    sheet.assert_inert()
