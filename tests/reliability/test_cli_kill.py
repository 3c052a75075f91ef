"""kill -9 cr-batch (client mode) at several points of a sweep, rerun: every
run recorded exactly once, and prompts the killed process left on ComfyUI's
queue are adopted by their recorded ids, never run a second time (ComfyUI's
own /history is the witness)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .cli_helpers import kill_batch, no_traceback, run_batch, start_batch, write_config
from .conftest import batch_dirs
from .helpers import assert_exactly_once, history_runs, metadata_rows, queue_empty, wait_until

pytestmark = pytest.mark.comfy


def progress_of(base: Path) -> tuple[Path, dict[str, Any]] | None:
    dirs = batch_dirs(base)
    if not dirs:
        return None
    try:
        return dirs[0], json.loads((dirs[0] / "progress.json").read_text())
    except (OSError, ValueError):
        return None


def rows_and_flight(n_rows: int) -> Callable[[Path, dict[str, Any]], bool]:
    """At least ``n_rows`` recorded and prompts in flight (on ComfyUI's queue)."""
    return lambda batch, p: len(metadata_rows(batch)) >= n_rows and bool(p["submitted"])


KILL_POINTS = {
    "first_prompts_queued": rows_and_flight(0),
    "after_1_run": rows_and_flight(1),
    "after_3_runs": rows_and_flight(3),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_kill_cli_then_rerun_exactly_once(comfy_server: Any, tmp_path: Path, point: str) -> None:
    prefix = f"rel-cli-kill-{point}-{tmp_path.name}/img"
    config = write_config(tmp_path, prefix)
    base = tmp_path / "output"
    proc = start_batch(config, comfy_server.address)
    try:

        def reached() -> bool:
            found = progress_of(base)
            return found is not None and KILL_POINTS[point](*found)

        wait_until(reached, 120, f"kill point {point}", step=0.02)
    finally:
        kill_batch(proc)
    found = progress_of(base)
    assert found is not None
    batch, progress = found
    left_in_flight = dict(progress["submitted"])
    assert left_in_flight, "nothing was in flight at the kill: the point was missed"
    assert len(metadata_rows(batch)) < 6

    res = run_batch(config, comfy_server.address)
    assert res.returncode == 0, res.stderr
    assert no_traceback(res.stderr) and "resuming" in res.stderr
    assert batch_dirs(base) == [batch]  # the same batch, not a new one
    rows = assert_exactly_once(batch)

    # Prompts in flight at the kill: recorded under the id they were queued
    # with when ComfyUI had received them (adopted, not resubmitted).
    wait_until(lambda: queue_empty(comfy_server.url), 60, "ComfyUI's queue to drain")
    history = comfy_server.get_json("/history")
    assert isinstance(history, dict)
    by_run = {int(r["run_id"]): r["prompt_id"] for r in rows}
    for run_id, pid in left_in_flight.items():
        if pid in history:
            assert by_run[int(run_id)] == pid, f"run {run_id} was run again instead of adopted"
    executed = history_runs(history, prefix)
    assert sum(executed.values()) == 6 and set(executed.values()) == {1}, executed
    assert {r["prompt_id"] for r in rows} <= set(history)
