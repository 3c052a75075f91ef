"""Fixtures of the frontend browser tests: one Chromium per module, and one
ComfyUI on the newest frontend for the whole session (a start costs ~20 s;
three modules share it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from comfy_harness import ComfyServer
from frontend_page import CHROMIUM, CHROMIUM_ARGS, NEWEST_FRONTEND, frontend_root


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def new_frontend_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """ComfyUI serving the newest frontend (--front-end-root)."""
    server = ComfyServer(
        tmp_path_factory.mktemp("comfy-fe"), front_end_root=frontend_root(NEWEST_FRONTEND)
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["bundled", NEWEST_FRONTEND])
def ui_server(request: pytest.FixtureRequest) -> Any:
    """The shared server on the bundled frontend, then the newest one."""
    if request.param == "bundled":
        return request.getfixturevalue("comfy_server")
    return request.getfixturevalue("new_frontend_server")
