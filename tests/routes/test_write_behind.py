"""Server sweeps keep fsyncs off ComfyUI's event loop (docs/routes.md, "How
sweeps run inside ComfyUI"): the run store's writes go to one ordered writer
thread, a prompt is queued only once its id is on disk, a finished state is
shown only once every file is written, and sweeps a killed ComfyUI left
running are marked interrupted at start, before any request."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.store.writer import OrderedWriter
from comfy_sweep.core.workflow import Workflow

from .conftest import FakeQueue, make_client, make_service, wait_state
from .test_sweep_routes import crashed_sweep, metadata_ids


def progress_on_disk(root: Path) -> dict[str, Any]:
    data = json.loads((root / "progress.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def store(tmp_path: Path, prompt: dict[str, Any], grid_config: dict[str, Any]) -> RunStore:
    wf = Workflow.from_data(prompt)
    cfg = parse_config(dict(grid_config, workflow_file=None))
    return RunStore.create(tmp_path / "sweeps", cfg, wf, build_plan(cfg, wf))


# ------------------------------------------------------------ OrderedWriter
def test_writer_keeps_order_and_barrier_waits() -> None:
    gate = threading.Event()
    done: list[int] = []
    writer = OrderedWriter()
    writer.submit(gate.wait)
    for i in range(50):
        writer.submit(done.append, i)
    barrier = writer.barrier()
    assert not barrier.done() and done == []
    gate.set()
    barrier.result(timeout=5)
    assert done == list(range(50))
    writer.close()


def test_writer_error_is_sticky_and_nothing_after_it_is_written() -> None:
    done: list[int] = []
    writer = OrderedWriter()

    def fail() -> None:
        raise OSError(28, "No space left on device")

    writer.submit(done.append, 1)
    writer.submit(fail)
    writer.submit(done.append, 2)  # queued before the failure is known
    with pytest.raises(OSError, match="No space"):
        writer.barrier().result(timeout=5)
    assert done == [1]
    with pytest.raises(OSError, match="No space"):
        writer.submit(done.append, 3)
    writer.close()
    assert done == [1]


# ------------------------------------------------------- store write-behind
def test_store_writes_trail_memory_in_order_and_land_before_unlock(store: RunStore) -> None:
    writer = OrderedWriter()
    gate = threading.Event()
    with store.lock("test"):
        store.write_behind(writer)
        writer.submit(gate.wait)  # hold the writer thread
        store.record_submitted(1, "pid-1", {"1": {"class_type": "X", "inputs": {}}})
        assert store.in_flight() == {1: "pid-1"}  # memory at once
        assert progress_on_disk(store.root)["submitted"] == {}  # disk not yet
        assert store.progress_on_disk()["submitted"] == {}  # and the store knows it
        flushed = store.flushed()
        assert not flushed.done()
        out = store.run_dir(1) / "out.png"
        out.write_bytes(b"png")
        rec = RunRecord(
            run_id=1, status="done", values={}, prompt_id="pid-1", queued_at=None,
            started_at=None, finished_at=None, execution_s=None, outputs=["runs/" + out.parent.name + "/out.png"],
        )  # fmt: skip
        store.record_result(rec)
        assert [r.run_id for r in store.records()] == [1]
        gate.set()
        flushed.result(timeout=5)
        assert progress_on_disk(store.root)["submitted"] == {"1": "pid-1"}
        assert store.progress_on_disk() == progress_on_disk(store.root)
        store.set_state("done")
    # Releasing the lock waited for the last writes.
    assert progress_on_disk(store.root)["state"] == "done"
    assert progress_on_disk(store.root)["done"] == 1
    assert not (store.root / "store.lock").exists()
    store.write_behind(None)
    writer.close()
    # What is on disk reads back as what memory said.
    again = RunStore.open(store.root)
    assert again.in_flight() == {} and [r.run_id for r in again.records()] == [1]


def test_records_are_copies_and_follow_new_rows(store: RunStore) -> None:
    assert store.records() == []
    first = RunRecord(
        run_id=2, status="failed", values={}, prompt_id="p2", queued_at=None, started_at=None,
        finished_at=None, execution_s=None, outputs=[], error="boom",
    )  # fmt: skip
    store.record_result(first)
    got = store.records()
    got[0].error = "changed by a caller"
    got[0].outputs.append("x")
    assert store.record(2) is not None and store.record(2).error == "boom"  # type: ignore[union-attr]
    retried = RunRecord(
        run_id=2, status="failed", values={}, prompt_id="p2b", queued_at=None, started_at=None,
        finished_at=None, execution_s=None, outputs=[], error="again",
    )  # fmt: skip
    store.record_result(retried)
    assert [(r.run_id, r.prompt_id, r.error) for r in store.records()] == [(2, "p2b", "again")]


# ------------------------------------------------------------------ service
class DurableCheckingQueue(FakeQueue):
    """Like ComfyUI's queue through InProcessBackend; records whether the prompt
    id was on disk when the prompt was queued (the engine's own promise: no
    hook from the service is needed)."""

    def __init__(self, out_dir: Path, sweeps_root: Path) -> None:
        super().__init__(out_dir)
        self.sweeps_root = sweeps_root
        self.on_disk: list[bool] = []

    async def submit(
        self, prompt_id: str, prompt: dict[str, Any], *, client_id: str | None, workflow: Any
    ) -> dict[str, Any]:
        (folder,) = [p for p in self.sweeps_root.iterdir() if p.is_dir()]
        self.on_disk.append(prompt_id in progress_on_disk(folder)["submitted"].values())
        return await super().submit(prompt_id, prompt, client_id=client_id, workflow=workflow)


async def test_prompt_is_queued_only_once_its_id_is_on_disk(
    aiohttp_client: Any,
    tmp_path: Path,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    sweeps_root: Path,
) -> None:
    out = tmp_path / "comfy-output"
    out.mkdir()
    queue = DurableCheckingQueue(out, sweeps_root)
    service = make_service(sweeps_root, queue, [])
    client: TestClient = await make_client(aiohttp_client, service)
    made = await (
        await client.post("/comfy-sweep/sweeps", json={"prompt": prompt, "config": grid_config})
    ).json()
    body = await wait_state(client, made["id"], ("done",))
    assert body["done"] == 6
    assert queue.on_disk == [True] * 6
    # "done" is shown only after every row reached metadata.csv.
    assert sorted(metadata_ids(sweeps_root / made["id"])) == [1, 2, 3, 4, 5, 6]
    assert progress_on_disk(sweeps_root / made["id"])["state"] == "done"
    await service.shutdown()
    await queue.close()


def test_recover_marks_left_running_sweeps_without_a_request(
    prompt: dict[str, Any], grid_config: dict[str, Any], sweeps_root: Path
) -> None:
    left = crashed_sweep(sweeps_root, prompt, grid_config)
    assert progress_on_disk(left.root)["state"] == "running"
    service = make_service(sweeps_root, None, [])
    service.recover()
    data = progress_on_disk(left.root)
    assert data["state"] == "interrupted" and "stopped" in data["message"]
    assert not (left.root / "store.lock").exists()


def test_recover_without_a_sweeps_folder_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "output" / "sweeps"
    make_service(root, None, []).recover()
    assert not root.exists()
