"""Run store: round trip, retried rows, lock contention and takeover, repair,
scores, extension, resumable lookup, and bytes-per-record linearity."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from comfy_sweep.core.config.load import config_fingerprint, load_config, resolve_workflow_path
from comfy_sweep.core.config.model import SweepConfig
from comfy_sweep.core.errors import StoreError, StoreLockedError
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.plan.model import Plan, PlannedRun
from comfy_sweep.core.store import atomic
from comfy_sweep.core.store.format import SCHEMA_VERSION, RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import Workflow, load_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "configs"


@pytest.fixture
def setup() -> tuple[SweepConfig, Workflow, Plan]:
    cfg = load_config(EXAMPLES / "image_grid.yaml")
    wf = load_workflow(resolve_workflow_path(cfg))
    return cfg, wf, build_plan(cfg, wf)


@pytest.fixture
def store(tmp_path: Path, setup: tuple[SweepConfig, Workflow, Plan]) -> RunStore:
    return RunStore.create(tmp_path / "out", *setup)


def finish(store: RunStore, run_id: int, status: str = "done", error: str = "") -> RunRecord:
    """Do what the engine does: prompt id first, output on disk, then record."""
    pid = f"prompt-{run_id}-{status}"
    store.record_submitted(run_id, pid, {"1": {"class_type": "X", "inputs": {}}})
    out = store.run_dir(run_id) / "out.png"
    out.write_bytes(b"png" * run_id)
    now = time.time()
    rec = RunRecord(
        run_id, status, {}, pid, now - 2, now - 1, now, 1.25,
        [out.relative_to(store.root).as_posix()], error=error, cached_nodes=["1", "2"],
    )  # fmt: skip
    store.record_result(rec)
    return rec


def csv_rows(store: RunStore) -> list[dict[str, str]]:
    with open(store.root / "metadata.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_create_writes_the_documented_layout(store: RunStore) -> None:
    names = {p.name for p in store.root.iterdir()}
    assert {"config.yaml", "workflow.json", "plan.json", "progress.json", "metadata.csv"} <= names
    assert store.root.name.startswith("batch_") and "store.lock" not in names
    progress = json.loads((store.root / "progress.json").read_text())
    assert progress["schema_version"] == SCHEMA_VERSION
    assert progress["state"] == "queued" and progress["total"] == len(store.plan.runs)
    assert progress["done"] == 0 and progress["submitted"] == {}
    header = (store.root / "metadata.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["run_id", "status", "strength", "blur_radius"]
    # The snapshot carries the resolved sweep seed, so the plan is reproducible.
    assert f"sweep_seed: {store.plan.sweep_seed}" in (store.root / "config.yaml").read_text()


def test_same_second_batches_get_suffixes(tmp_path: Path, setup: tuple) -> None:
    a = RunStore.create(tmp_path, *setup, name="batch_x")
    b = RunStore.create(tmp_path, *setup, name="batch_x")
    c = RunStore.create(tmp_path, *setup, name="batch_x")
    assert [a.root.name, b.root.name, c.root.name] == ["batch_x", "batch_x_2", "batch_x_3"]


def test_round_trip_create_record_reopen(store: RunStore) -> None:
    with store.lock("test"):
        rec = finish(store, 1)
        finish(store, 2, "failed", error='node 3 "Blur": out of memory\nsecond line')
    again = RunStore.open(store.root)
    got = {r.run_id: r for r in again.records()}
    assert set(got) == {1, 2}
    assert got[1].values == store.plan.runs[0].values
    assert got[1].outputs == rec.outputs and got[1].cached_nodes == ["1", "2"]
    assert got[1].execution_s == 1.25
    assert abs((got[1].finished_at or 0) - (rec.finished_at or 0)) < 0.002
    assert got[2].status == "failed" and got[2].error.endswith("second line")
    assert [r.run_id for r in again.pending()] == [2, 3, 4, 5, 6]
    assert [r.run_id for r in again.pending(include_failed=False)] == [3, 4, 5, 6]
    p = again.progress()
    assert (p["done"], p["failed"], p["finished"], p["failed_ids"]) == (1, 1, [[1, 1]], [2])
    params = json.loads((store.root / "runs" / "0001" / "params.json").read_text())
    assert params["parameters"] == store.plan.runs[0].values and params["status"] == "done"
    assert json.loads((store.root / "runs" / "0001" / "prompt.json").read_text())["1"]


def test_retried_run_replaces_its_row(store: RunStore) -> None:
    with store.lock("test"):
        finish(store, 3, "failed", error="boom")
        finish(store, 4)
        finish(store, 3)
    rows = csv_rows(store)
    assert [r["run_id"] for r in rows].count("3") == 1
    assert next(r for r in rows if r["run_id"] == "3")["status"] == "done"
    p = RunStore.open(store.root).progress()
    assert (p["done"], p["failed"], p["failed_ids"], p["finished"]) == (2, 0, [], [[3, 4]])


def test_submitted_prompt_is_in_flight_until_recorded(store: RunStore) -> None:
    store.record_submitted(5, "abc", {"n": {}})
    assert RunStore.open(store.root).in_flight() == {5: "abc"}
    finish(store, 5)  # a new prompt id for the same run
    assert RunStore.open(store.root).in_flight() == {}


def test_done_requires_outputs_on_disk(store: RunStore) -> None:
    rec = RunRecord(1, "done", {}, "p", None, None, None, None, ["runs/0001/missing.png"])
    with pytest.raises(StoreError, match=r"runs/0001/missing.png is not completely on disk"):
        store.record_result(rec)
    part = store.run_dir(1) / "video.mp4.part"
    part.write_bytes(b"half")
    rec.outputs = ["runs/0001/video.mp4.part"]
    with pytest.raises(StoreError, match="not completely on disk"):
        store.record_result(rec)
    assert csv_rows(store) == []


def test_lock_contention_names_the_holder(store: RunStore) -> None:
    other = RunStore.open(store.root)
    with store.lock("cr-batch by alice"):
        with pytest.raises(StoreLockedError) as err, other.lock("sidebar"):
            pass
        assert "cr-batch by alice" in err.value.message
        assert f"pid {os.getpid()}" in err.value.message
        assert err.value.details["holder"] == "cr-batch by alice"
        with pytest.raises(StoreLockedError):
            other.set_state("running")  # an implicit write takes the lock too
    assert not (store.root / "store.lock").exists()
    with other.lock("sidebar"):
        assert (store.root / "store.lock").exists()


def test_lock_message_names_the_pid_once(store: RunStore) -> None:
    other = RunStore.open(store.root)
    with (
        store.lock(f"cr-batch (pid {os.getpid()})"),
        pytest.raises(StoreLockedError) as err,
        other.lock("sidebar"),
    ):
        pass
    assert err.value.message.count(f"pid {os.getpid()}") == 1  # was "(pid N) (pid N on host"
    assert f"in use by cr-batch (pid {os.getpid()}) (on " in err.value.message


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_lock_of_dead_process_is_taken_over(store: RunStore) -> None:
    stale = {"holder": "crashed cr-batch", "pid": dead_pid(), "host": socket.gethostname()}
    (store.root / "store.lock").write_text(json.dumps(stale))
    with store.lock("new"):
        held = json.loads((store.root / "store.lock").read_text())
        assert held["holder"] == "new" and held["pid"] == os.getpid()
    assert store.took_over_from is not None
    assert store.took_over_from["holder"] == "crashed cr-batch"


def test_lock_of_live_process_on_other_host_is_not_stale(store: RunStore) -> None:
    info = {"holder": "remote", "pid": dead_pid(), "host": "not-" + socket.gethostname()}
    (store.root / "store.lock").write_text(json.dumps(info))
    with pytest.raises(StoreLockedError, match="remote"):
        store.set_state("running")


def test_torn_metadata_line_and_stale_progress_are_repaired(store: RunStore) -> None:
    finish(store, 1)
    finish(store, 2)
    progress_before = (store.root / "progress.json").read_bytes()
    finish(store, 3)
    # Crash mid-append of run 4's row, with progress.json one run behind.
    with open(store.root / "metadata.csv", "a", encoding="utf-8") as f:
        f.write("4,done,0.6,1,prompt-4")
    (store.root / "progress.json").write_bytes(progress_before)
    (store.root / "runs" / "0004").mkdir()
    (store.root / "runs" / "0004" / "img.png.part").write_bytes(b"x")
    (store.root / ".progress.json.abc.tmp").write_bytes(b"{")
    reader = RunStore.open(store.root)
    assert reader.progress()["done"] == 3  # reconciled in memory ...
    assert (store.root / "progress.json").read_bytes() == progress_before  # ... not on disk
    with reader.lock("resume"):
        pass
    assert [r["run_id"] for r in csv_rows(store)] == ["1", "2", "3"]
    assert json.loads((store.root / "progress.json").read_text())["finished"] == [[1, 3]]
    assert not list(store.root.rglob("*.part")) and not list(store.root.glob("*.tmp"))


def test_open_rejects_a_folder_that_is_not_a_batch(tmp_path: Path, store: RunStore) -> None:
    with pytest.raises(StoreError, match=r"not_a_batch is not a readable comfy-sweep batch"):
        RunStore.open(tmp_path / "not_a_batch")
    (store.root / "plan.json").write_text("{broken")
    with pytest.raises(StoreError) as err:
        RunStore.open(store.root)
    assert store.root.name in err.value.message and "\n" not in err.value.message


def test_newer_schema_is_refused(store: RunStore) -> None:
    p = json.loads((store.root / "progress.json").read_text())
    p["schema_version"] = SCHEMA_VERSION + 1
    (store.root / "progress.json").write_text(json.dumps(p))
    with pytest.raises(StoreError, match="newer comfy-sweep"):
        RunStore.open(store.root)


def test_merge_scores_adds_columns_and_keeps_them(store: RunStore) -> None:
    finish(store, 1)
    finish(store, 2)
    store.merge_scores({1: {"aesthetic": 6.5}, 2: {"score_aesthetic": 4, "sharp": 0.25}})
    finish(store, 3)  # appended after the merge: empty score cells
    rows = {r["run_id"]: r for r in csv_rows(store)}
    assert list(rows["1"])[-2:] == ["score_aesthetic", "score_sharp"]
    assert (rows["1"]["score_aesthetic"], rows["2"]["score_sharp"]) == ("6.5", "0.25")
    assert rows["3"]["score_aesthetic"] == ""
    assert RunStore.open(store.root).record(2).scores == {"aesthetic": 4.0, "sharp": 0.25}  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="without a metadata row: \\[6\\]"):
        store.merge_scores({6: {"x": 1.0}})
    with pytest.raises(StoreError, match="must be a number"):
        store.merge_scores({1: {"x": "high"}})  # type: ignore[dict-item]


def test_merge_scores_never_races_a_running_sweep(store: RunStore) -> None:
    finish(store, 1)
    with store.lock("cr-batch"), pytest.raises(StoreLockedError, match="cr-batch"):
        RunStore.open(store.root).merge_scores({1: {"x": 1.0}})


def test_reader_instance_catches_up_before_writing(store: RunStore) -> None:
    reader = RunStore.open(store.root)
    finish(store, 1)  # written by another instance after the reader opened
    reader.merge_scores({1: {"x": 2.0}})
    assert [r["run_id"] for r in csv_rows(store)] == ["1"]
    assert RunStore.open(store.root).progress()["done"] == 1


def test_set_state_and_extra_keys(store: RunStore) -> None:
    store.set_state("interrupted", message="Ctrl-C", server_sweep_id="s1")
    p = RunStore.open(store.root).progress()
    assert (p["state"], p["message"], p["server_sweep_id"]) == ("interrupted", "Ctrl-C", "s1")
    with pytest.raises(StoreError, match="unknown batch state 'paused'"):
        store.set_state("paused")
    with pytest.raises(StoreError, match="managed by the store"):
        store.set_state("running", done=3)


def test_find_resumable_picks_newest_unfinished_with_fingerprint(
    tmp_path: Path, setup: tuple
) -> None:
    base = tmp_path / "out"
    old = RunStore.create(base, *setup, name="batch_a")
    new = RunStore.create(base, *setup, name="batch_b")
    finished = RunStore.create(base, *setup, name="batch_c")
    finished.set_state("done")
    (base / "batch_d").mkdir()  # a crash during create: no progress.json
    assert RunStore.find_resumable(base, old.fingerprint) == new.root
    assert RunStore.find_resumable(base, "0" * 64) is None
    for run in new.plan.runs:
        finish(new, run.run_id)
    assert RunStore.find_resumable(base, old.fingerprint) == old.root
    assert RunStore.find_resumable(tmp_path / "missing", old.fingerprint) is None


def test_replace_plan_keeps_finished_runs(store: RunStore, setup: tuple) -> None:
    cfg, wf, plan = setup
    finish(store, 1)
    extra = PlannedRun(7, 6, 0, {"strength": 0.9, "blur_radius": 7}, "0007")
    bigger = Plan(
        [*plan.runs, extra], plan.parameters, plan.strategy, [], [], plan.sweep_seed
    )  # fmt: skip
    bigger_cfg = dataclasses.replace(cfg, num_samples=cfg.num_samples + 1)
    store.replace_plan(bigger, bigger_cfg)
    again = RunStore.open(store.root)
    assert again.progress()["total"] == 7 and again.progress()["done"] == 1
    # the extended config finds its batch again on a rerun
    assert again.fingerprint == config_fingerprint(bigger_cfg, wf) != config_fingerprint(cfg, wf)
    assert [r.run_id for r in again.pending()] == [2, 3, 4, 5, 6, 7]
    smaller = Plan(plan.runs[1:], plan.parameters, plan.strategy, [], [], plan.sweep_seed)
    with pytest.raises(StoreError, match=r"drops recorded runs \[1\]"):
        again.replace_plan(smaller, cfg)


def test_recording_cost_per_run_does_not_grow(tmp_path: Path, setup: tuple) -> None:
    """Linearity without timing: bytes written per recorded run stay flat (no
    whole-file rewrite of metadata.csv, no progress.json growing with n).
    benchmarks/bench_store.py times the same at 10,000 runs."""
    cfg, wf, plan = setup
    runs = [
        PlannedRun(i, i, 0, {"strength": 0.5, "blur_radius": 3}, f"{i:04d}") for i in range(1, 1201)
    ]
    big = Plan(runs, plan.parameters, "grid", [], [], 1)
    store = RunStore.create(tmp_path, cfg, wf, big)

    def cost(ids: range) -> int:
        start = atomic.bytes_written()
        for i in ids:
            store.record_result(RunRecord(i, "done", {}, f"p{i}", 1.0, 2.0, 3.0, 1.0, []))
        return atomic.bytes_written() - start

    writes = atomic.write_count()
    with store.lock("bench"):
        first = cost(range(1, 101))
        cost(range(101, 1101))
        last = cost(range(1101, 1201))
    assert atomic.write_count() - writes == 3 * 1200  # params, row, progress
    assert last < first * 1.3, (first, last)


def test_lock_can_be_left_from_another_thread_and_reads_do_not_block(store: RunStore) -> None:
    import threading
    from contextlib import ExitStack

    stack = ExitStack()
    stack.enter_context(store.lock("server"))  # entered here ...
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(len(store.pending())))
    reader.start()
    reader.join(5)
    assert seen == [6]  # a worker thread reads while the lock is held
    leaver = threading.Thread(target=stack.close)  # ... left by another thread
    leaver.start()
    leaver.join(5)
    assert not (store.root / "store.lock").exists()


def test_a_recorded_run_left_without_params_json_gets_it_back_on_resume(store: RunStore) -> None:
    """params.json is a copy written without an fsync (under group commit possibly
    after its row): a crash may leave the row alone; the next lock writes it again.
    (Found by tests/e2e/test_inputs_real.py: kill -9, resume, params.json missing.)"""
    finish(store, 1)
    finish(store, 2, "failed", error="boom")
    params = {rid: store.run_dir(rid) / "params.json" for rid in (1, 2)}
    original = {rid: json.loads(p.read_text()) for rid, p in params.items()}
    for p in params.values():
        p.unlink()
    again = RunStore.open(store.root)
    with again.lock("test"):
        pass
    assert {rid: json.loads(p.read_text()) for rid, p in params.items()} == original
