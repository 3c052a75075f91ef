"""A similarity metric's reference uploaded from the Sweep panel, in a real
Chromium against the real ComfyUI, on the bundled frontend (1.32.9) and the
newest (tests/e2e/frontend_page.py):

- the similarity row's *upload…* sends a PNG through ComfyUI's own
  ``/upload/image`` into ``input/comfy-sweep/`` and the reference field shows
  ``comfy-sweep/<name> [input]`` (LoadImage's way of naming the file);
- a file ComfyUI refuses (a name escaping the input folder) leaves the field
  alone and says so in a toast;
- a 4-run sobol sweep queued from that form scores every run with
  ``score_similarity`` (the server accepts an ``[input]`` reference from a
  posted config without COMFY_SWEEP_ALLOW_LOCAL_PATHS).

Screenshots: test-artifacts/frontend/<frontend>-reference-*.png.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from frontend_page import TAB_BUTTON, open_ui
from frontend_page import shot as _shot
from test_panel_refine import metadata, new_sweep_ids, sigma_form, wait_done

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
Image = pytest.importorskip("PIL.Image")

pytestmark = [pytest.mark.comfy, pytest.mark.browser]


def reference_png() -> bytes:
    """A 64x64 gradient: any image will do, the metric resizes it to the output."""
    img = Image.new("RGB", (64, 64))
    img.putdata([(4 * x, 4 * y, 128) for y in range(64) for x in range(64)])
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def build_sobol_form(page: Any) -> None:
    """The new-sweep form on the blur's sigma only, sobol, 4 runs."""
    sigma_form(page, "sobol")
    page.locator("[data-field=num_samples]").fill("4")
    page.locator("[data-sweep-action=add-metric]").click()
    page.locator("[data-field=metric-type]").select_option("similarity")
    expect(page.locator(".comfy-sweep-plan")).to_contain_text("give the reference image")


def upload_is_refused(page: Any, server: Any, ref_field: Any) -> None:
    """ComfyUI answers a name escaping its input folder with a bare 400."""
    page.locator("[data-field=metric-reference-file]").set_input_files(
        {"name": "../../escape.png", "mimeType": "image/png", "buffer": reference_png()}
    )
    # The toast (newer frontends draw it with another component and repeat it
    # in an aria-live region, so found by its text).
    expect(page.get_by_text("Reference not uploaded").first).to_be_visible(timeout=15_000)
    detail = "ComfyUI refused the upload of ../../escape.png (400 Bad Request)"
    expect(page.get_by_text(detail).first).to_be_visible()
    expect(ref_field).to_have_value("")
    assert not list(Path(server.root).rglob("escape*.png"))


def test_similarity_reference_uploaded_from_the_panel_scores_every_run(
    browser: Any, ui_server: Any, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    label = request.node.callspec.id
    before = {s["id"] for s in ui_server.get_json("/comfy-sweep/sweeps")["sweeps"]}
    name = f"ref-{label}.png"
    png = reference_png()
    (tmp_path / name).write_bytes(png)
    page, console = open_ui(browser, ui_server)
    try:
        page.locator(TAB_BUTTON).first.click()
        build_sobol_form(page)
        ref_field = page.locator("[data-field=metric-reference]")
        upload_is_refused(page, ui_server, ref_field)
        page.locator("[data-field=metric-reference-file]").set_input_files(str(tmp_path / name))
        expect(ref_field).to_have_value(f"comfy-sweep/{name} [input]", timeout=15_000)
        assert (Path(ui_server.input_dir) / "comfy-sweep" / name).read_bytes() == png
        _shot(page.locator(".comfy-sweep-metric"), label, "reference-row")
        plan = page.locator(".comfy-sweep-plan[data-plan-state=ok]")
        expect(plan).to_contain_text("Planned: 4 runs", timeout=90_000)
        _shot(page.locator(".comfy-sweep-panel"), label, "reference-form")
        page.locator("[data-sweep-action=queue]").click()
        page.locator(".comfy-sweep-card").nth(len(before)).wait_for(timeout=30_000)
        (new_id,) = new_sweep_ids(ui_server, before)
        assert wait_done(ui_server, new_id)["state"] == "done"
        rows = metadata(ui_server, new_id)
        assert len(rows) == 4 and all(r["status"] == "done" for r in rows), rows
        assert all(-1.0 <= float(r["score_similarity"]) <= 1.0 for r in rows), rows
        # The refused upload's 400 is the only failed request of ours.
        assert [ln for ln in console.ours() if "/upload/image" not in ln] == []
    except Exception:
        _shot(page, label, "reference-failure")
        print("\n".join(console.lines[-40:]))
        raise
    finally:
        page.close()
