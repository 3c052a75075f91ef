"""Group commit (core/store/writer.py): what piles up while the writer thread is
busy goes to disk in fewer writes, in an order a crash cannot make inconsistent;
a barrier never merges across; a record acknowledged durable survives a kill -9."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store import atomic
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.store.writer import Append, OrderedWriter, Replace, _Call, coalesce
from comfy_sweep.core.workflow import load_workflow

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "configs" / "image_grid.yaml"
P, M = Path("progress.json"), Path("metadata.csv")


# ------------------------------------------------------------ coalesce (pure)
def test_a_file_replaced_twice_is_written_once_with_the_later_text_durable_if_any() -> None:
    ops = coalesce([Replace(P, "1", durable=True), Replace(P, "2", durable=False)])
    assert ops == [Replace(P, "2", durable=True)]


def test_appends_join_at_the_first_ones_place_ahead_of_the_progress_that_counts_them() -> None:
    ops = coalesce([Append(M, "a\n"), Replace(P, "after a", False), Append(M, "b\n"),
                    Replace(P, "after b", False)])  # fmt: skip
    assert ops == [Append(M, "a\nb\n"), Replace(P, "after b", False)]


def test_rows_never_move_behind_a_progress_that_no_longer_lists_them_in_flight() -> None:
    # A crash between the two would leave run b neither recorded nor in flight: run twice.
    ops = coalesce([Append(M, "a\n"), Replace(P, "after a", False), Append(M, "b\n")])
    assert ops == [Append(M, "a\nb\n"), Replace(P, "after a", False)]


def test_a_rewrite_of_the_file_keeps_appends_on_their_side() -> None:
    ops = [Append(M, "a\n"), Replace(M, "header\na\nb\n"), Append(M, "c\n"), Append(M, "d\n")]
    assert coalesce(ops) == [Append(M, "a\n"), Replace(M, "header\na\nb\n"), Append(M, "c\nd\n")]
    # ... and an append between two rewrites keeps the first rewrite.
    ops = [Replace(M, "h\n"), Append(M, "x\n"), Replace(M, "h\nx\ny\n")]
    assert coalesce(ops) == ops


def test_an_opaque_call_is_a_wall() -> None:
    call = _Call(print, ())
    ops = [Replace(P, "1"), Append(M, "a\n"), call, Replace(P, "2"), Append(M, "b\n")]
    assert coalesce(ops) == ops


def test_other_files_are_untouched_and_keep_their_order() -> None:
    a, b = Path("runs/1/params.json"), Path("runs/2/params.json")
    ops = [Replace(a, "A", False), Replace(P, "1"), Replace(b, "B", False), Replace(P, "2")]
    assert coalesce(ops) == [Replace(a, "A", False), Replace(b, "B", False), Replace(P, "2")]


# ------------------------------------------------------------ the writer thread
def hold(writer: OrderedWriter) -> threading.Event:
    """Keep the writer thread busy until the returned event is set; returns once it
    is (what is queued from now on waits and goes in the next batch)."""
    busy, gate = threading.Event(), threading.Event()

    def wait() -> None:
        busy.set()
        gate.wait()

    writer.submit(wait)
    busy.wait(timeout=10)
    return gate


def test_writes_queued_meanwhile_go_in_one_batch(tmp_path: Path) -> None:
    writer = OrderedWriter()
    gate = hold(writer)
    for i in range(20):
        writer.write(Append(tmp_path / "m.csv", f"{i}\n"))
        writer.write(Replace(tmp_path / "p.json", str(i)))
    before = atomic.write_count()
    gate.set()
    writer.barrier().result(timeout=10)
    assert atomic.write_count() - before == 2  # one append, one replace (was 40)
    assert (tmp_path / "m.csv").read_text() == "".join(f"{i}\n" for i in range(20))
    assert (tmp_path / "p.json").read_text() == "19"
    writer.close()


def test_a_barrier_sees_exactly_the_writes_before_it(tmp_path: Path) -> None:
    writer = OrderedWriter()
    gate = hold(writer)
    path = tmp_path / "p.json"
    writer.write(Replace(path, "before"))
    seen: list[str] = []
    barrier = writer.barrier()
    barrier.add_done_callback(lambda _: seen.append(path.read_text()))
    writer.write(Replace(path, "after"))  # the same file: must not be merged across
    gate.set()
    writer.barrier().result(timeout=10)
    assert seen == ["before"] and path.read_text() == "after"
    writer.close()


def test_ungrouped_writer_writes_one_by_one(tmp_path: Path) -> None:
    writer = OrderedWriter(group=False)
    gate = hold(writer)
    for i in range(5):
        writer.write(Replace(tmp_path / "p.json", str(i)))
    before = atomic.write_count()
    gate.set()
    writer.barrier().result(timeout=10)
    assert atomic.write_count() - before == 5
    writer.close()


# ------------------------------------------------------------ through a store
@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    cfg = load_config(EXAMPLE)
    wf = load_workflow(resolve_workflow_path(cfg))
    return RunStore.create(tmp_path / "out", cfg, wf, build_plan(cfg, wf))


def record(store: RunStore, run_id: int) -> None:
    """What the engine does: prompt id (durable before the prompt runs), outputs, row."""
    pid = f"p{run_id}"
    store.record_submitted(run_id, pid, {"1": {"class_type": "X", "inputs": {}}})
    store.flushed().result(timeout=10)
    out = store.run_dir(run_id) / "out.png"
    out.write_bytes(b"png")
    rel = out.relative_to(store.root).as_posix()
    store.record_result(RunRecord(run_id, "done", {}, pid, 1.0, 2.0, 3.0, 1.0, [rel]))


def rows(root: Path) -> list[int]:
    with open(root / "metadata.csv", newline="", encoding="utf-8") as f:
        return [int(r["run_id"]) for r in csv.DictReader(f)]


def test_store_files_end_as_in_memory_with_fewer_writes(store: RunStore) -> None:
    writer = OrderedWriter()
    with store.lock("test"):
        store.write_behind(writer)
        gate = hold(writer)
        for run_id in (1, 2, 3):  # rows of runs that finished together
            out = store.run_dir(run_id) / "out.png"
            out.write_bytes(b"png")
            rel = out.relative_to(store.root).as_posix()
            store.record_result(RunRecord(run_id, "done", {}, f"p{run_id}", 1, 2, 3, 1, [rel]))
        before = atomic.write_count()
        gate.set()
        store.flushed().result(timeout=10)
        # 3 params.json, one append for the three rows, one progress.json (was 9 writes).
        assert atomic.write_count() - before == 5
        assert writer.batches == 2  # the one holding the thread, then all of these
        assert json.loads((store.root / "progress.json").read_text()) == store.progress()
        assert rows(store.root) == [1, 2, 3]
    store.write_behind(None)
    writer.close()
    again = RunStore.open(store.root)
    assert [r.run_id for r in again.records()] == [1, 2, 3] and again.counts() == (3, 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked child")
def test_a_record_acknowledged_durable_survives_a_kill(store: RunStore) -> None:
    """kill -9 while later writes are still queued: every run recorded before the
    acknowledged barrier has its row; later ones may be lost, but are then still
    in flight (their prompt ids are durable), so a resume adopts them; none twice."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child dies by SIGKILL
        try:
            writer = OrderedWriter()
            with store.lock("child"):
                store.write_behind(writer)
                for run_id in (1, 2, 3):
                    record(store, run_id)
                store.flushed().result(timeout=10)  # acknowledged: 1-3 are durable
                hold(writer)  # what follows stays queued
                store.record_submitted(4, "p4", {})
                record_later = RunRecord(4, "failed", {}, "p4", 1, 2, 3, 1, [], error="x")
                store.record_result(record_later)
                time.sleep(0.05)
                os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(3)
    status = os.waitpid(pid, 0)[1]
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert rows(store.root) == [1, 2, 3]
    again = RunStore.open(store.root)
    assert [r.run_id for r in again.records()] == [1, 2, 3]
    assert 4 not in again.in_flight()  # its prompt id never reached the disk: it runs afresh
    assert [r.run_id for r in again.pending()] == [4, 5, 6]
