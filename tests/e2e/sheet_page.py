"""Contact-sheet pages in a real Chromium for the e2e tests: launching the
browser, one open page with the checks every test makes, and serving a batch
folder over HTTP at ``/files/`` the way the ComfyUI route does."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_harness import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
VIEWPORT = {"width": 1300, "height": 850}
ARTIFACTS = REPO / "test-artifacts" / "contact_sheet"


@contextlib.contextmanager
def launch_chromium() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder`` at ``http://127.0.0.1:PORT/files/``; yields that URL."""
    srv = folder.parent / f".srv_{folder.name}"
    srv.mkdir(exist_ok=True)
    link = srv / "files"
    if not link.exists():
        link.symlink_to(folder.resolve())
    handler = functools.partial(_QuietHandler, directory=str(srv))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/files"
    finally:
        server.shutdown()
        server.server_close()


class Sheet:
    """One open contact sheet page, recording anything a payload could trigger."""

    def __init__(self, browser: Any, url: str) -> None:
        # a Browser (its own context) or a BrowserContext (a profile several pages share)
        is_context = not hasattr(browser, "new_context")
        self.page = browser.new_page() if is_context else browser.new_page(viewport=VIEWPORT)
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(url)
        self.wait("window.contactSheet !== undefined")

    def js(self, expr: str, arg: Any = None) -> Any:
        return self.page.evaluate(expr, arg)

    def wait(self, expr: str, timeout: float = 10.0) -> None:
        """Poll ``expr`` until truthy. Not page.wait_for_function: that evals a
        string inside the page, which the sheet's CSP (no unsafe-eval) refuses."""
        deadline = time.monotonic() + timeout
        while not self.js(expr):
            assert time.monotonic() < deadline, f"timed out waiting for {expr}"
            self.page.wait_for_timeout(100)

    def all_cell_ids(self) -> list[int]:
        """Scroll the virtualised grid top to bottom, collecting rendered run ids."""
        return self.js("""async () => {
          const v = document.getElementById('grid-view'), seen = new Set();
          const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
          for (let y = 0; ; y += v.clientHeight / 2) {
            v.scrollTop = y; v.dispatchEvent(new Event('scroll')); await frame(); await frame();
            for (const c of v.querySelectorAll('.cell')) seen.add(Number(c.dataset.runId));
            if (y > v.scrollHeight) break;
          }
          v.scrollTop = 0; v.dispatchEvent(new Event('scroll')); await frame();
          return [...seen].sort((a, b) => a - b);
        }""")

    def shown_ids(self) -> list[int]:
        return self.js("window.contactSheet.shown.map((r) => r.id)")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def assert_inert(self) -> None:
        assert self.dialogs == [] and self.errors == []
        assert self.js("window.__pwned === undefined")
        counts = self.js(
            "['script', 'svg', 'img[src=\"x\"]'].map((q) => document.querySelectorAll(q).length)"
        )
        assert counts == [2, 0, 0]  # the data element and our code; nothing injected
