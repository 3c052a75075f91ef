"""The engine against a fake of OUR Backend protocol (a FIFO executor in asyncio)
and the real run store; the HTTP backend is tested against real ComfyUI in e2e."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.engine import engine as engine_mod
from comfy_sweep.core.engine.engine import run_sweep
from comfy_sweep.core.engine.history import RunOutcome, outcome_from_history
from comfy_sweep.core.errors import PromptRejected
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.store.writer import OrderedWriter
from comfy_sweep.core.workflow import load_workflow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class FakeComfy:
    """Server state that survives a 'client' restart: FIFO queue, history, executions."""

    def __init__(
        self, run_s: float = 0.02, fail_when: Any = None, reject_all: bool = False
    ) -> None:
        self.run_s = run_s
        self.fail_when = fail_when or (lambda prompt: False)
        self.reject_all = reject_all
        self.queue: list[tuple[str, dict[str, Any]]] = []
        self.running: str | None = None
        self.history: dict[str, RunOutcome] = {}
        self.executed: list[str] = []
        self.max_queued = 0
        self.cancelled: list[str] = []
        self.interrupted: list[str] = []
        self._worker: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._worker = asyncio.ensure_future(self._work())

    async def close(self) -> None:
        if self._worker:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            if not self.queue:
                await asyncio.sleep(0.002)
                continue
            pid, prompt = self.queue.pop(0)
            self.running = pid
            await asyncio.sleep(self.run_s)
            self.executed.append(pid)
            self.running = None
            if pid in self.interrupted:
                self.history[pid] = RunOutcome(pid, "interrupted", [], "interrupted", 1.0, 2.0)
            elif self.fail_when(prompt):
                self.history[pid] = RunOutcome(
                    pid, "error", [], "node 3 (ImageBlur): boom", 1.0, 2.0
                )
            else:
                out = [
                    {"filename": f"{pid}.png", "subfolder": "", "type": "output", "node_id": "4"}
                ]
                self.history[pid] = RunOutcome(pid, "success", out, "", 10.0, 10.5, ["1"])

    def restart(self) -> None:
        """The server lost its queue and history (ComfyUI keeps both in memory)."""
        self.queue.clear()
        self.history.clear()


class FakeBackend:
    def __init__(self, server: FakeComfy) -> None:
        self.s = server
        self.submits: list[str] = []

    async def submit(
        self,
        prompt_id: str,
        prompt: dict[str, Any],
        *,
        client_id: str | None,
        workflow: dict[str, Any] | None,
    ) -> dict[str, Any]:
        if self.s.reject_all:
            raise PromptRejected(
                "ComfyUI rejected the prompt: node 3 (ImageBlur) input blur_radius: too big"
            )
        self.submits.append(prompt_id)
        self.s.queue.append((prompt_id, prompt))
        self.s.max_queued = max(self.s.max_queued, len(self.s.queue) + (self.s.running is not None))
        return prompt

    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]:
        found = {}
        for pid in prompt_ids:
            if pid not in self.s.history:
                break
            found[pid] = self.s.history[pid]
        return found

    async def active_ids(self) -> set[str]:
        ids = {pid for pid, _ in self.s.queue}
        return ids | ({self.s.running} if self.s.running else set())

    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        paths = []
        for item in outcome.outputs:
            path = dest / item["filename"]
            path.write_bytes(b"png")
            paths.append(path)
        return paths

    async def cancel(self, prompt_ids: Sequence[str]) -> None:
        ours = set(prompt_ids)
        self.s.cancelled += [p for p, _ in self.s.queue if p in ours]
        self.s.queue = [(p, pr) for p, pr in self.s.queue if p not in ours]
        if self.s.running in ours:
            self.s.interrupted.append(self.s.running)


def make_store(tmp_path: Path, config: str = "image_grid.yaml") -> RunStore:
    cfg = load_config(EXAMPLES / "configs" / config)
    wf = load_workflow(resolve_workflow_path(cfg))
    return RunStore.create(tmp_path, cfg, wf, build_plan(cfg, wf))


async def sweep(store: RunStore, server: FakeComfy, **kw: Any) -> Any:
    backend = FakeBackend(server)
    kw.setdefault("poll_interval", 0.005)
    with store.lock("test"):
        return await run_sweep(store, backend, **kw), backend


@pytest.fixture
async def server() -> Any:
    srv = FakeComfy()
    srv.start()
    yield srv
    await srv.close()


def assert_complete(store: RunStore, server: FakeComfy) -> None:
    recs = store.records()
    assert sorted(r.run_id for r in recs) == [r.run_id for r in store.plan.runs]
    assert len(server.executed) == len(set(server.executed))  # no prompt ran twice
    ran = set(server.executed)
    for rec in recs:
        assert rec.prompt_id in ran
        if rec.status == "done":
            for rel in rec.outputs:
                assert (store.root / rel).is_file()
    assert store.in_flight() == {}


async def test_runs_everything_within_the_window(tmp_path: Path, server: FakeComfy) -> None:
    store = make_store(tmp_path)
    events: list[str] = []
    summary, backend = await sweep(
        store, server, window=2, on_event=lambda e: events.append(e.kind)
    )
    assert summary.state == "done" and summary.done == 6 and summary.failed == 0
    assert not summary.halted
    assert server.max_queued <= 2
    assert len(backend.submits) == 6
    assert_complete(store, server)
    rec = store.records()[0]
    assert rec.execution_s == pytest.approx(0.5) and rec.cached_nodes == ["1"]
    assert (store.root / "runs" / "0001" / "prompt.json").is_file()
    assert summary.execution_s == pytest.approx(3.0)
    assert events[0] == "start" and events[-1] == "end" and events.count("done") == 6
    assert store.progress()["state"] == "done"


async def test_execution_error_is_recorded_and_sweep_goes_on(tmp_path: Path) -> None:
    srv = FakeComfy(fail_when=lambda p: p["3"]["inputs"]["blur_radius"] == 4)
    srv.start()
    try:
        store = make_store(tmp_path)
        summary, _ = await sweep(store, srv)
    finally:
        await srv.close()
    assert summary.done == 4 and summary.failed == 2 and summary.state == "done"
    failed = [r for r in store.records() if r.status == "failed"]
    assert all("node 3 (ImageBlur): boom" in r.error for r in failed)
    assert_complete(store, srv)


async def test_fail_fast_stops_submitting(tmp_path: Path) -> None:
    srv = FakeComfy(fail_when=lambda p: True)
    srv.start()
    try:
        store = make_store(tmp_path)
        summary, backend = await sweep(store, srv, window=1, fail_fast=True)
    finally:
        await srv.close()
    assert summary.failed == 1 and summary.state == "interrupted"
    assert summary.halted  # cr-batch exits 1 (runs failed), not 130 (interrupted)
    assert len(backend.submits) == 1


async def test_first_rejection_raises_and_keeps_run_in_flight(tmp_path: Path) -> None:
    srv = FakeComfy(reject_all=True)
    store = make_store(tmp_path)
    with pytest.raises(PromptRejected):
        await sweep(store, srv)
    assert store.records() == []
    assert list(store.in_flight()) == [1]
    assert store.progress()["state"] == "interrupted"


async def test_stop_cancels_our_prompts_and_rerun_finishes_exactly_once(
    tmp_path: Path, server: FakeComfy
) -> None:
    server.run_s = 0.05
    store = make_store(tmp_path)
    stop = asyncio.Event()

    def on_event(ev: Any) -> None:
        if ev.kind == "done" and ev.done >= 2:
            stop.set()

    summary, _ = await sweep(store, server, window=3, stop=stop, on_event=on_event)
    assert summary.state == "interrupted"
    assert server.cancelled or server.interrupted
    left = store.in_flight()
    assert left  # cancelled prompts stay in flight until the rerun looks them up
    summary2, _ = await sweep(RunStore.open(store.root), server, window=3)
    assert summary2.state == "done" and summary2.done == 6
    store2 = RunStore.open(store.root)
    assert_complete(store2, server)


class DiskCheckingBackend(FakeBackend):
    """Records, for every prompt sent, whether its id was in progress.json on disk."""

    def __init__(self, server: FakeComfy, root: Path) -> None:
        super().__init__(server)
        self.root = root
        self.on_disk: list[bool] = []

    async def submit(self, prompt_id: str, prompt: dict[str, Any], **kw: Any) -> dict[str, Any]:
        text = (self.root / "progress.json").read_text(encoding="utf-8")
        self.on_disk.append(prompt_id in json.loads(text)["submitted"].values())
        return await super().submit(prompt_id, prompt, **kw)


async def test_prompts_prepared_ahead_are_sent_only_once_their_ids_are_on_disk(
    tmp_path: Path, server: FakeComfy
) -> None:
    """One server: a window of prompts is prepared ahead with write-behind (their
    ids written in the background), yet none is sent before its id is on disk, and
    the server never holds more than the window."""
    store = make_store(tmp_path)
    backend = DiskCheckingBackend(server, store.root)
    writer = OrderedWriter()
    with store.lock("test"):
        store.write_behind(writer)
        summary = await run_sweep(store, backend, window=2, poll_interval=0.005)
    store.write_behind(None)
    writer.close()
    assert summary.state == "done" and summary.done == 6
    assert backend.on_disk == [True] * 6
    assert server.max_queued <= 2
    assert_complete(RunStore.open(store.root), server)


async def test_a_stop_withdraws_prompts_prepared_but_never_sent(
    tmp_path: Path, server: FakeComfy
) -> None:
    server.run_s = 0.05
    store = make_store(tmp_path)
    stop = asyncio.Event()

    def on_event(ev: Any) -> None:
        if ev.kind == "submitted" and ev.run is not None and ev.run.run_id == 1:
            stop.set()  # runs 2-4 are prepared ahead by now, one sent at most

    summary, backend = await sweep(store, server, window=1, stop=stop, on_event=on_event)
    assert summary.state == "interrupted"
    assert set(store.in_flight().values()) <= set(backend.submits)  # only what was sent
    on_disk = RunStore.open(store.root)
    assert set(on_disk.in_flight().values()) <= set(backend.submits)
    summary2, _ = await sweep(on_disk, server, window=1)
    assert summary2.state == "done" and summary2.done == 6
    assert_complete(RunStore.open(store.root), server)


async def test_resume_adopts_finished_waits_queued_and_resubmits_unknown(
    tmp_path: Path, server: FakeComfy
) -> None:
    store = make_store(tmp_path)
    runs = store.plan.runs
    with store.lock("test"):
        store.record_submitted(1, "pid-finished", {})
        store.record_submitted(2, "pid-queued", {})
        store.record_submitted(3, "pid-unknown", {})
    out = [{"filename": "x.png", "subfolder": "", "type": "output", "node_id": "4"}]
    server.history["pid-finished"] = RunOutcome("pid-finished", "success", out, "", 1.0, 2.0)
    server.executed.append("pid-finished")
    server.queue.append(("pid-queued", {"3": {"inputs": {"blur_radius": 1}}}))
    summary, backend = await sweep(store, server)
    assert summary.done == len(runs)
    by_id = {r.run_id: r for r in store.records()}
    assert by_id[1].prompt_id == "pid-finished"
    assert by_id[2].prompt_id == "pid-queued"
    assert by_id[3].prompt_id not in ("pid-unknown",)
    assert "pid-finished" not in backend.submits and "pid-queued" not in backend.submits
    assert len(backend.submits) == len(runs) - 2
    assert_complete(store, server)


async def test_lost_prompts_after_server_restart_are_resubmitted(
    tmp_path: Path, server: FakeComfy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_mod, "QUEUE_CHECK_EVERY", 0.01)
    server.run_s = 0.03
    store = make_store(tmp_path)

    def on_event(ev: Any) -> None:
        if ev.kind == "done" and ev.done == 2 and not getattr(server, "_restarted", False):
            server._restarted = True  # type: ignore[attr-defined]
            server.queue.clear()  # queued prompts vanish; finished history stays for this check

    summary, backend = await sweep(store, server, window=3, on_event=on_event)
    assert summary.state == "done" and summary.done == 6
    assert len(backend.submits) > 6  # the lost ones went again under new ids
    assert_complete(store, server)


def test_outcome_from_history_parses_timings_cache_outputs_and_errors() -> None:
    entry = {
        "outputs": {
            "4": {
                "images": [{"filename": "a.png", "subfolder": "s", "type": "output"}],
                "animated": [False],
            },
            "9": {"images": [{"filename": "p.png", "subfolder": "", "type": "temp"}]},
            "5": {
                "gifs": [
                    {
                        "filename": "v.mp4",
                        "subfolder": "",
                        "type": "output",
                        "format": "video/h264-mp4",
                    }
                ]
            },
        },
        "status": {
            "status_str": "error",
            "completed": False,
            "messages": [
                ["execution_start", {"prompt_id": "p", "timestamp": 1000}],
                ["execution_cached", {"nodes": ["1", "2"], "prompt_id": "p", "timestamp": 1001}],
                [
                    "execution_error",
                    {
                        "prompt_id": "p",
                        "node_id": "3",
                        "node_type": "ImageBlur",
                        "exception_message": "bad radius\n",
                        "timestamp": 3500,
                    },
                ],
            ],
        },
    }
    prompt = {"3": {"class_type": "ImageBlur", "_meta": {"title": "Blur"}, "inputs": {}}}
    out = outcome_from_history("p", entry, prompt)
    assert out.status == "error"
    assert out.error == 'node 3 "Blur" (ImageBlur): bad radius'
    assert out.started_at == 1.0 and out.finished_at == 3.5 and out.execution_s == 2.5
    assert out.cached_nodes == ["1", "2"]
    assert sorted(o["filename"] for o in out.outputs) == ["a.png", "v.mp4"]
    assert {o["node_id"] for o in out.outputs} == {"4", "5"}


def test_outcome_interrupted() -> None:
    entry = {
        "outputs": {},
        "status": {
            "status_str": "error",
            "messages": [
                [
                    "execution_interrupted",
                    {"prompt_id": "p", "node_id": "3", "node_type": "X", "timestamp": 5},
                ]
            ],
        },
    }
    assert outcome_from_history("p", entry).status == "interrupted"


class DiskFullBackend(FakeBackend):
    """Outputs cannot be written: the local disk is full (from the second run on)."""

    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        if len(self.s.executed) > 1:
            raise OSError(28, "No space left on device")  # as a failed write(): no filename
        return await super().collect(outcome, dest)


async def test_disk_full_while_collecting_is_one_error_naming_the_folder(
    tmp_path: Path, server: FakeComfy
) -> None:
    # Several collects were in flight at once; each failure stayed inside its task and
    # asyncio printed "Task exception was never retrieved" tracebacks at exit (QA pass).
    store = make_store(tmp_path)
    loop_errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: loop_errors.append(ctx))
    with store.lock("test"), pytest.raises(OSError) as info:
        await run_sweep(store, DiskFullBackend(server), window=3, poll_interval=0.005)
    assert info.value.errno == 28 and str(store.root / "runs") in str(info.value.filename)
    assert store.progress()["state"] == "interrupted"
    assert len(store.records()) + len(store.in_flight()) >= 2  # the failed run stays in flight
    gc.collect()  # unretrieved task exceptions are reported when the task is collected
    assert loop_errors == []


class CacheEchoComfy(FakeComfy):
    """Answers the first prompt it runs as ComfyUI 0.3.75 answers a prompt identical
    to the previous one: success, every node cached, no files."""

    async def _work(self) -> None:
        while True:
            if not self.queue:
                await asyncio.sleep(0.002)
                continue
            pid, prompt = self.queue.pop(0)
            await asyncio.sleep(self.run_s)
            self.executed.append(pid)
            if len(self.executed) == 1:
                self.history[pid] = RunOutcome(pid, "success", [], "", 1.0, 1.0, list(prompt))
            else:
                out = [{"filename": f"{pid}.png", "subfolder": "", "type": "output"}]
                self.history[pid] = RunOutcome(pid, "success", out, "", 1.0, 1.5, [])


async def test_fully_cached_run_is_a_failure_retried_on_resume(tmp_path: Path) -> None:
    srv = CacheEchoComfy()
    srv.start()
    try:
        store = make_store(tmp_path)
        summary, _ = await sweep(store, srv)
        assert (summary.done, summary.failed) == (5, 1)
        (failed,) = [r for r in store.records() if r.status == "failed"]
        assert failed.error == engine_mod.FULLY_CACHED and failed.outputs == []
        again, _ = await sweep(store, srv)  # resume retries it; ComfyUI now runs it
    finally:
        await srv.close()
    assert (again.done, again.failed) == (6, 0)
    assert all(r.outputs for r in store.records())


def test_pacer_never_backs_off_at_the_tail() -> None:
    """Nothing left to submit: ComfyUI idles until we notice the last finish (issue 12)."""
    from comfy_sweep.core.engine.pacing import Pacer

    busy, tail = Pacer(0.25), Pacer(0.25)
    busy_delays = [busy.next_delay() for _ in range(5)]
    tail_delays = [tail.next_delay(tail=True) for _ in range(5)]
    assert busy_delays[-1] > 0.25 * 4  # backs off while the queue keeps ComfyUI busy
    assert tail_delays == [0.1] * 5


def test_pacer_looks_again_after_about_one_run_when_runs_are_shorter_than_the_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tiny runs: a miss right after a finish must not idle ComfyUI for a whole
    poll interval (0.5 s by default, for 10 ms runs); it still backs off."""
    from comfy_sweep.core.engine import pacing

    clock = [100.0]
    monkeypatch.setattr(pacing.time, "monotonic", lambda: clock[0])
    pacer = pacing.Pacer(0.5)
    for _ in range(5):
        clock[0] += 0.02
        pacer.finished(1)  # a run every 20 ms
    delays = [pacer.next_delay() for _ in range(3)]
    slow = pacing.Pacer(0.5)
    for _ in range(5):
        clock[0] += 2.0
        slow.finished(1)  # a run every 2 s
    clock[0] += 1.9  # just before the expected finish: the plain interval, as before
    assert delays[0] == pytest.approx(0.02) and delays[1] == pytest.approx(0.03)
    assert slow.next_delay() == pytest.approx(0.5)
