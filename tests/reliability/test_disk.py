"""The output folder fills up or turns read-only during a client sweep: one
clear line, exit 2, and a batch that a rerun finishes exactly once when there
is room again. A small tmpfs stands in for the disk (tests run as root in CI,
where chmod does not stop writes); skipped where mounting is not allowed."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .cli_helpers import kill_batch, no_traceback, run_batch, start_batch, write_config
from .conftest import batch_dirs
from .helpers import assert_exactly_once, metadata_rows, wait_until

pytestmark = pytest.mark.comfy


def mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "disk"
    where.mkdir()
    res = mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where))
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip()}); needs root")
    try:
        yield where
    finally:
        with contextlib.suppress(OSError):
            subprocess.run(["umount", "-l", str(where)], check=False)


def assert_clear_failure(proc: Any, err: str, batch: Path) -> None:
    assert proc.returncode == 2, err
    assert no_traceback(err)
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    assert len(metadata_rows(batch)) < 6


def test_disk_full_then_rerun_with_room(
    comfy_server: Any, tmp_path: Path, small_disk: Path
) -> None:
    # 512x512 noise PNGs are ~0.3 MB: the 1 MB disk fills after a few runs.
    config = write_config(tmp_path, f"rel-full-{tmp_path.name}/img", size=512)
    text = config.read_text().replace(str(tmp_path / "output"), str(small_disk / "output"))
    config.write_text(text)
    res = run_batch(config, comfy_server.address)
    (batch,) = batch_dirs(small_disk / "output")
    assert_clear_failure(res, res.stderr, batch)
    assert "No space left on device" in res.stderr, res.stderr

    assert mount("-o", "remount,size=64m", str(small_disk)).returncode == 0
    res = run_batch(config, comfy_server.address)
    assert res.returncode == 0, res.stderr
    assert batch_dirs(small_disk / "output") == [batch]
    assert_exactly_once(batch)


def test_read_only_mid_sweep_then_rerun(
    comfy_server: Any, tmp_path: Path, small_disk: Path
) -> None:
    assert mount("-o", "remount,size=64m", str(small_disk)).returncode == 0
    config = write_config(tmp_path, f"rel-ro-{tmp_path.name}/img")
    text = config.read_text().replace(str(tmp_path / "output"), str(small_disk / "output"))
    config.write_text(text)
    proc = start_batch(config, comfy_server.address)
    try:

        def first() -> Path | None:
            dirs = batch_dirs(small_disk / "output")
            return dirs[0] if dirs and metadata_rows(dirs[0]) else None

        batch = Path(wait_until(first, 120, "a first recorded run", step=0.02))
        # "mount point is busy" while cr-batch has a file open for writing: retry.
        deadline = time.monotonic() + 10
        ro = mount("-o", "remount,ro", str(small_disk))
        while ro.returncode != 0 and "busy" in ro.stderr and time.monotonic() < deadline:
            time.sleep(0.01)
            ro = mount("-o", "remount,ro", str(small_disk))
        assert ro.returncode == 0, ro.stderr
        _, err = proc.communicate(timeout=120)
    finally:
        kill_batch(proc)
    assert_clear_failure(proc, err, batch)
    assert "Read-only file system" in err, err

    time.sleep(0.5)
    assert mount("-o", "remount,rw", str(small_disk)).returncode == 0
    res = run_batch(config, comfy_server.address)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    assert_exactly_once(batch)
