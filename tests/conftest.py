"""Shared fixtures: the real ComfyUI server and isolated folders.

`comfy_server` is one server for the whole session (tests must not kill it);
`comfy_server_factory` gives fresh servers a test may kill and restart.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from comfy_harness import REPO, ComfyServer  # noqa: E402

SHARED_WORKFLOWS = REPO.parent / "shared" / "workflows"
EXAMPLES = REPO / "examples"


@pytest.fixture(scope="session")
def comfy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComfyServer]:
    server = ComfyServer(tmp_path_factory.mktemp("comfy-shared"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def comfy_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., ComfyServer]]:
    servers: list[ComfyServer] = []

    def make(start: bool = True, root: Path | None = None, **kwargs: Any) -> ComfyServer:
        server = ComfyServer(root or tmp_path_factory.mktemp("comfy"), **kwargs)
        servers.append(server)
        return server.start() if start else server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def shared_workflows() -> Path:
    if not SHARED_WORKFLOWS.is_dir():
        pytest.skip("../shared/workflows is not beside this checkout")
    return SHARED_WORKFLOWS


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run a test in its own working directory (CLI batches default to ./output)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
