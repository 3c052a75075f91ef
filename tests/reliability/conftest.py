"""Fixtures of the reliability suite: one killable ComfyUI per module (each
fresh start costs ~10 s on CI, so scenarios of a module share it and leave it
running, whatever they did to it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from comfy_harness import ComfyServer


@pytest.fixture(scope="module")
def killable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComfyServer]:
    server = ComfyServer(tmp_path_factory.mktemp("comfy-killable"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def alive(killable_server: ComfyServer) -> ComfyServer:
    """The module's server, restarted if an earlier scenario left it dead."""
    if killable_server.proc is None or killable_server.proc.poll() is not None:
        killable_server.start()
    return killable_server


def batch_dirs(base: Path) -> list[Path]:
    return [p for p in base.iterdir() if (p / "progress.json").is_file()] if base.is_dir() else []
