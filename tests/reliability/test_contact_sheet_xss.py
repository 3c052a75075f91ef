"""Contact sheet payload escaping end to end: a server sweep on the real
ComfyUI whose parameter values (and so its output file names) carry script
payloads; the sheet served by our route is inert in Chromium."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import API, example_prompt, request, wait_until

pytestmark = [pytest.mark.comfy, pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PAYLOADS = [
    "rel-xss/</script><script>alert(1)</script>",
    "rel-xss/<img src=x onerror=alert(1)>",
    "rel-xss/\"'><svg onload=alert(1)>",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if importlib.util.find_spec("comfy_sweep.core.report.sheet") is None:
        pytest.skip("core/report/sheet.py (contact sheet) is not there yet")
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_hostile_values_and_file_names_are_inert(comfy_server: Any, browser: Any) -> None:
    config = {
        "sampling_strategy": "grid",
        "parameters": {
            "prefix": {
                "path": "nodes.4.inputs.filename_prefix",
                "type": "values",
                "values": PAYLOADS,
            }
        },
    }
    body = {"prompt": example_prompt(64, "rel-xss/plain"), "config": config}
    status, made = request(comfy_server.url, "POST", f"{API}/sweeps", body)
    assert status == 202, made
    sid = made["id"]

    def done() -> dict[str, Any] | None:
        b = request(comfy_server.url, "GET", f"{API}/sweeps/{sid}?limit=100")[1]
        return b if b["state"] in ("done", "interrupted", "cancelled") else None

    final = wait_until(done, 120, "the sweep to stop", step=0.2)
    assert (final["done"], final["failed"]) == (3, 0), final
    outputs = [o for r in final["runs"] for o in r["outputs"]]
    assert any("onerror" in o for o in outputs), outputs  # the payload reached a file name
    root = comfy_server.output_dir / "sweeps" / sid
    wait_until(lambda: (root / "contact_sheet.html").is_file(), 30, "the contact sheet")

    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    resp = page.goto(f"{comfy_server.url}{API}/sweeps/{sid}/contact-sheet", wait_until="load")
    assert resp is not None and resp.status == 200
    page.wait_for_timeout(1000)  # let the page's own scripts render the grid
    injected = page.evaluate(
        """() => ({
            img_x: document.querySelectorAll('img[src="x"]').length,
            handlers: [...document.querySelectorAll('*')].filter(e =>
                [...e.attributes].some(a => /^on/i.test(a.name))).length,
            svg_onload: document.querySelectorAll('svg[onload]').length,
            alert_scripts: [...document.scripts].filter(s => /^\\s*alert\\(1\\)/.test(s.text)).length,
            text: document.body.innerText,
        })"""
    )
    page.close()
    assert dialogs == [], dialogs
    assert (
        injected["img_x"],
        injected["handlers"],
        injected["svg_onload"],
        injected["alert_scripts"],
    ) == (0, 0, 0, 0), injected
    assert (
        "onerror=alert(1)" in injected["text"]
        or "onerror" in (root / "contact_sheet.html").read_text()
    )
