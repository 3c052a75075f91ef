"""The contact sheet in a real Chromium (Playwright): synthetic batches with
hostile parameter values, and image and video batches made by cr-batch on the
real ComfyUI. Screenshots go to test-artifacts/contact_sheet/ for review."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.contact_sheet import main as cr_contact_sheet
from sheet_fixtures import write_synthetic_batch
from sheet_page import Sheet, launch_chromium, serve_folder

BIN = Path(sys.executable).parent
HOSTILE = [
    "</script><script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 2">',
    "\"'><svg onload=alert(3)>",
    "plain",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launch_chromium() as b:
        yield b


@pytest.fixture
def hostile_batch(tmp_path: Path) -> Path:
    values = [
        {
            "cfg": 1.0 + (i % 7),
            "steps": [10, 20, 30][i % 3],
            "label": HOSTILE[i % 4],
            "seed": 2**60 + i,
        }
        for i in range(60)
    ]
    root = write_synthetic_batch(tmp_path / "hostile", 60, values=values, failed=[5, 17])
    assert CliRunner().invoke(cr_contact_sheet, [str(root)]).exit_code == 0
    return root


def test_every_run_has_a_cell_and_payloads_stay_text(browser: Any, hostile_batch: Path) -> None:
    sheet = Sheet(browser, (hostile_batch / "contact_sheet.html").as_uri())
    assert sheet.all_cell_ids() == list(range(1, 61))
    captions = sheet.js(
        "[...document.querySelectorAll('.cell .cap')].map((c) => c.textContent).join('\\n')"
    )
    assert "label=</script><script>window.__pwned = 1</script>" in captions
    assert 'label=<img src=x onerror="window.__pwned = 2">' in captions
    failed = sheet.js(
        "[...document.querySelectorAll('.cell')].filter((c) => c.querySelector('.badge.st.failed')).map((c) => c.dataset.runId)"
    )
    assert sorted(map(int, failed)) == [5, 17]
    assert "run 5 failed" in sheet.page.locator('.cell[data-run-id="5"] .err').inner_text()
    assert sheet.js("document.querySelector('.cell img').naturalWidth") > 0  # thumbnail loaded
    sheet.page.locator('.cell[data-run-id="2"]').click()  # a hostile value in the dialog too
    assert sheet.page.locator("#dialog td", has_text="<img src=x").count() == 1
    sheet.shot("hostile_grid_dialog")
    sheet.assert_inert()


def test_sort_filter_group(browser: Any, hostile_batch: Path) -> None:
    sheet = Sheet(browser, (hostile_batch / "contact_sheet.html").as_uri())
    data = json.loads(sheet.js("document.getElementById('sheet-data').textContent"))
    sheet.page.select_option("#sort-key", "p:cfg")
    sheet.page.click("#sort-dir")
    cfgs = [data["runs"][i - 1]["v"]["cfg"] for i in sheet.shown_ids()]
    assert cfgs == sorted(cfgs, reverse=True) and len(cfgs) == 60
    first = sheet.page.locator("#grid-view .cell").first.get_attribute("data-run-id")
    assert int(first or 0) == sheet.shown_ids()[0]
    sheet.page.locator('details[data-key="p:cfg"] summary').click()
    sheet.page.fill('details[data-key="p:cfg"] input.lo', "4")
    sheet.page.fill('details[data-key="p:cfg"] input.hi', "6")
    expect = sorted(r["id"] for r in data["runs"] if 4 <= r["v"]["cfg"] <= 6)
    assert sorted(sheet.shown_ids()) == expect and sorted(sheet.all_cell_ids()) == expect
    sheet.page.uncheck("#f-status-failed")
    assert all(data["runs"][i - 1]["status"] == "done" for i in sheet.shown_ids())
    sheet.page.locator('details[data-key="p:label"] summary').click()
    sheet.page.locator('details[data-key="p:label"] input[value="plain"]').uncheck()
    assert all(data["runs"][i - 1]["v"]["label"] != "plain" for i in sheet.shown_ids())
    sheet.page.select_option("#group-by", "p:steps")
    heads = sheet.page.locator(".ghead").all_inner_texts()
    assert [h.split()[0] for h in heads] == ["10", "20", "30"]
    sheet.shot("filtered_grouped")
    sheet.assert_inert()


def test_xy_view_is_a_labelled_matrix(browser: Any, hostile_batch: Path) -> None:
    sheet = Sheet(browser, (hostile_batch / "contact_sheet.html").as_uri())
    sheet.page.click("#view-xy")
    sheet.page.select_option("#xy-x", "p:steps")
    sheet.page.select_option("#xy-y", "p:label")
    cols = sheet.page.locator("table.xy thead th").all_inner_texts()[1:]
    rows = sheet.page.locator("table.xy tbody th").all_inner_texts()
    assert cols == ["10", "20", "30"] and sorted(rows) == sorted(HOSTILE)
    data = json.loads(sheet.js("document.getElementById('sheet-data').textContent"))
    for yi, label in enumerate(rows):
        for xi, steps in enumerate(cols):
            cell = (
                sheet.page.locator("table.xy tbody tr")
                .nth(yi)
                .locator("td")
                .nth(xi)
                .locator(".cell")
            )
            if cell.count():
                run = data["runs"][int(cell.get_attribute("data-run-id") or 0) - 1]
                assert (run["v"]["label"], str(run["v"]["steps"])) == (label, steps)
    sheet.shot("xy")
    sheet.assert_inert()


def test_dialog_keyboard_and_picks(browser: Any, hostile_batch: Path) -> None:
    sheet = Sheet(browser, (hostile_batch / "contact_sheet.html").as_uri())
    page = sheet.page
    page.locator("#grid-view").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    cols = sheet.js("window.contactSheet.grid.cols")
    assert sheet.js("window.contactSheet.grid.focus") == 1 + cols  # first key focuses cell 0
    page.keyboard.press("Enter")
    assert page.locator("#dialog").get_attribute("data-run-id") == str(2 + cols)
    params = json.loads(page.locator("#dialog pre.params-json").inner_text())
    assert params["run_id"] == 2 + cols and params["parameters"]["seed"] == str(2**60 + 1 + cols)
    page.keyboard.press("ArrowRight")
    assert page.locator("#dialog").get_attribute("data-run-id") == str(3 + cols)
    page.locator("#dialog .marks .pick").click()
    page.keyboard.press("Escape")
    assert page.locator("#dialog").is_hidden()
    page.reload()
    sheet.wait("window.contactSheet !== undefined")
    picks = "window.contactSheet.data.runs.filter((r) => r.pk).map((r) => r.id)"
    assert sheet.js(picks) == [3 + cols]  # kept in localStorage
    page.locator("#filters details", has_text="ratings & picks").last.locator("summary").click()
    page.click("#export-marks")
    exported = json.loads(page.locator("#marks-export").input_value())
    assert [(e["run_id"], e["picked"]) for e in exported["marks"]] == [(3 + cols, True)]
    page.check("#pick-only")
    assert sheet.shown_ids() == [3 + cols]
    sheet.shot("picks")
    sheet.assert_inert()


def test_plots_one_per_numeric_parameter(browser: Any, hostile_batch: Path) -> None:
    sheet = Sheet(browser, (hostile_batch / "contact_sheet.html").as_uri())
    sheet.page.click("#view-plot")
    sheet.page.select_option("#plot-y", "m:score_quality")
    titles = sheet.page.locator(".plot h3").all_inner_texts()
    assert titles == ["score_quality vs cfg", "score_quality vs steps", "score_quality vs seed"]
    assert sheet.page.locator(".plot canvas").count() == 3
    sheet.shot("plots")
    sheet.assert_inert()


def test_served_under_files_prefix(browser: Any, hostile_batch: Path) -> None:
    """Relative links work when the batch folder is served at .../files/."""
    with serve_folder(hostile_batch) as base:
        sheet = Sheet(browser, f"{base}/contact_sheet.html")
        sheet.wait("document.querySelector('.cell img')?.naturalWidth > 0")
        sheet.page.locator('.cell[data-run-id="1"]').click()
        sheet.wait("document.querySelector('#dialog img')?.naturalWidth > 0")
        assert sheet.js("document.getElementById('live-status').hidden")  # a finished batch
        sheet.assert_inert()


# ------------------------------------------------------------ real ComfyUI
def run_batch(server: Any, examples: Path, name: str, dest: Path) -> Path:
    data = yaml.safe_load((examples / "configs" / f"{name}.yaml").read_text())
    data["workflow_file"] = str((examples / "configs" / data["workflow_file"]).resolve())
    data["output"] = {**data.get("output", {}), "base_dir": str(dest / "output")}
    cfg = dest / f"{name}.yaml"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False))
    # Subprocesses: playwright's sync API keeps an event loop in this thread,
    # and these are the installed commands a user runs.
    cmd = [str(BIN / "cr-batch"), str(cfg), "--server", server.address, "--mode", "client"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    (batch,) = [p for p in (dest / "output").iterdir() if p.is_dir()]
    res = subprocess.run(
        [str(BIN / "cr-contact-sheet"), str(batch)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 0 and res.stdout.strip() == str(batch / "contact_sheet.html"), (
        res.stderr
    )
    return batch


@pytest.mark.comfy
def test_real_image_batch(
    browser: Any, comfy_server: Any, examples_dir: Path, tmp_path: Path
) -> None:
    batch = run_batch(comfy_server, examples_dir, "image_grid", tmp_path)
    n = len(json.loads((batch / "plan.json").read_text())["runs"])
    assert len(list((batch / "thumbnails").glob("thumb_*.jpg"))) == n
    sheet = Sheet(browser, (batch / "contact_sheet.html").as_uri())
    assert sheet.all_cell_ids() == list(range(1, n + 1))
    sheet.wait("[...document.querySelectorAll('.cell img')].every((i) => i.naturalWidth > 0)")
    sheet.page.click("#view-xy")
    assert sheet.page.locator("table.xy .cell").count() >= 1
    sheet.shot("real_image_xy")
    sheet.assert_inert()


@pytest.mark.comfy
def test_real_video_batch_plays(
    browser: Any, comfy_server: Any, examples_dir: Path, tmp_path: Path
) -> None:
    batch = run_batch(comfy_server, examples_dir, "video_grid", tmp_path)
    sheet = Sheet(browser, (batch / "contact_sheet.html").as_uri())
    assert sheet.all_cell_ids() == [1, 2, 3, 4]
    assert sheet.page.locator(".cell .badge.kind", has_text="video").count() == 4
    sheet.wait("[...document.querySelectorAll('.cell img')].every((i) => i.naturalWidth > 0)")
    widths = sheet.js("[...document.querySelectorAll('.cell img')].map((i) => i.naturalWidth)")
    assert widths == [518] * 4  # 4-frame strips (tests/unit/test_thumbnails.py)
    sheet.shot("real_video_grid")
    sheet.page.locator('.cell[data-run-id="2"]').click()
    video = sheet.page.locator("#dialog video")
    assert video.get_attribute("src", timeout=5000) and sheet.js(
        "document.querySelector('#dialog video').loop"
    )
    sheet.wait("document.querySelector('#dialog video').readyState >= 2", timeout=10)
    t0 = sheet.js("document.querySelector('#dialog video').currentTime")
    sheet.page.wait_for_timeout(700)
    state = sheet.js(
        "(() => { const v = document.querySelector('#dialog video'); return [v.currentTime, v.error, v.paused]; })()"
    )
    assert state[1] is None and state[0] != t0 and state[2] is False  # playing (looping)
    sheet.shot("real_video_dialog")
    sheet.assert_inert()
