"""The engine over several backend slots (a fleet) with fakes of our Backend
protocol: placement by upstream groups, a server that dies and rejoins, every run
recorded once. The same behaviour on real ComfyUI servers: tests/e2e/test_fleet_real.py."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.core.engine.backend import BackendSlot
from comfy_sweep.core.engine.engine import run_sweep
from comfy_sweep.core.engine.history import RunOutcome
from comfy_sweep.core.engine.placement import FifoRuns, GroupedRuns, upstream_key
from comfy_sweep.core.errors import BackendError
from comfy_sweep.core.plan.model import PlannedRun
from comfy_sweep.core.store.runstore import RunStore
from test_engine import FakeBackend, FakeComfy, make_store


class DyingBackend(FakeBackend):
    """A FakeBackend whose server can be switched off (connection refused)."""

    def __init__(self, server: FakeComfy, name: str) -> None:
        super().__init__(server)
        self.name = name
        self.dead = False
        self.die_on_collect = False  # dies while we download a finished run's outputs

    def _check(self) -> None:
        if self.dead:
            raise BackendError(
                f"ComfyUI at {self.name} is not reachable", details={"address": self.name}
            )

    async def submit(self, *args: Any, **kw: Any) -> dict[str, Any]:
        self._check()
        return await super().submit(*args, **kw)

    async def poll(self, prompt_ids: Sequence[str]) -> dict[str, RunOutcome]:
        self._check()
        return await super().poll(prompt_ids)

    async def active_ids(self) -> set[str]:
        self._check()
        return await super().active_ids()

    async def collect(self, outcome: RunOutcome, dest: Path) -> list[Path]:
        self.dead = self.dead or self.die_on_collect
        self._check()
        return await super().collect(outcome, dest)


@pytest.fixture
async def servers() -> Any:
    pair = [FakeComfy(run_s=0.02), FakeComfy(run_s=0.02)]
    for srv in pair:
        srv.start()
    yield pair
    for srv in pair:
        await srv.close()


async def _run(store: RunStore, backends: list[DyingBackend], **kw: Any) -> Any:
    slots = [BackendSlot(b, 2, b.name) for b in backends]
    with store.lock("test"):
        return await run_sweep(store, slots, poll_interval=0.005, **kw)


def _assert_once(store: RunStore) -> None:
    recs = store.records()
    assert sorted(r.run_id for r in recs) == [r.run_id for r in store.plan.runs]
    assert all(r.status == "done" for r in recs)
    assert store.in_flight() == {}


async def test_a_sweep_spreads_over_two_servers_with_a_server_column(
    tmp_path: Path, servers: list[FakeComfy]
) -> None:
    store = make_store(tmp_path)  # 2 upstream strengths x 3 blur radii
    backends = [DyingBackend(s, f"gpu{i}") for i, s in enumerate(servers)]
    summary = await _run(store, backends)
    assert summary.state == "done" and summary.done == 6
    _assert_once(store)
    by_server = {r.extra["server"] for r in store.records()}
    assert by_server == {"gpu0", "gpu1"}
    assert sum(n for n, _ in summary.per_server.values()) == 6
    # Cache-aware: each upstream value (strength) ran on one server only.
    placed: dict[str, set[str]] = {}
    for rec in store.records():
        placed.setdefault(repr(rec.values["strength"]), set()).add(rec.extra["server"])
    assert all(len(s) == 1 for s in placed.values())


async def test_a_dead_server_hands_its_runs_to_the_other_and_rejoins(
    tmp_path: Path, servers: list[FakeComfy]
) -> None:
    store = make_store(tmp_path)
    # Slow enough that the first probe (after 1 s) comes while runs are left.
    servers[0].run_s = servers[1].run_s = 0.4
    backends = [DyingBackend(s, f"gpu{i}") for i, s in enumerate(servers)]
    events: list[str] = []

    def on_event(ev: Any) -> None:
        events.append(ev.kind)
        if ev.kind == "done" and ev.done == 1:
            backends[0].dead = True  # kill -9 the first server
        if ev.kind == "server_down":
            backends[0].dead = False  # and it comes back

    summary = await _run(store, backends, on_event=on_event)
    assert summary.state == "done" and summary.done == 6
    _assert_once(store)
    assert "server_down" in events and "server_up" in events
    # What was left queued on the server when it went away was cancelled on rejoin.
    ran = servers[0].executed + servers[1].executed
    recorded = {r.prompt_id for r in store.records()}
    assert recorded <= set(ran) and len(ran) - len(recorded) <= 2  # at most its window twice


async def test_a_server_dying_while_we_download_hands_over_all_its_runs(
    tmp_path: Path, servers: list[FakeComfy]
) -> None:
    # Its other in-flight runs must not wait for it: it never comes back.
    store = make_store(tmp_path)
    backends = [DyingBackend(s, f"gpu{i}") for i, s in enumerate(servers)]
    backends[0].die_on_collect = True
    summary = await asyncio.wait_for(_run(store, backends), timeout=20)
    assert summary.state == "done" and summary.done == 6
    _assert_once(store)
    assert {r.extra["server"] for r in store.records()} == {"gpu1"}


async def test_one_named_slot_still_records_its_server(
    tmp_path: Path, servers: list[FakeComfy]
) -> None:
    # A fleet left with one server (the other lacked a node type): still a server column.
    store = make_store(tmp_path)
    summary = await _run(store, [DyingBackend(servers[0], "gpu0")])
    assert summary.done == 6 and summary.per_server["gpu0"][0] == 6
    assert {r.extra["server"] for r in store.records()} == {"gpu0"}


async def test_the_sweep_stops_when_no_server_answers_for_the_window(
    tmp_path: Path, servers: list[FakeComfy]
) -> None:
    store = make_store(tmp_path)
    backends = [DyingBackend(s, f"gpu{i}") for i, s in enumerate(servers)]
    for b in backends:
        b.dead = True
    with pytest.raises(BackendError, match="no ComfyUI server answered for 0 s"):
        await _run(store, backends, reconnect_window=0.2)
    assert store.progress()["state"] == "interrupted"
    assert store.records() == []


def _runs(values: list[str]) -> list[PlannedRun]:
    return [
        PlannedRun(i + 1, i, 0, {"ckpt": v, "cfg": i}, f"{i:04d}") for i, v in enumerate(values)
    ]


def test_grouped_runs_keep_a_slot_on_its_upstream_value_and_steal_at_the_end() -> None:
    runs = GroupedRuns(upstream_key(["ckpt", "cfg"]))
    runs.add(_runs(["a", "a", "a", "a", "b", "b"]))
    assert runs.take("s1").values["ckpt"] == "a"  # type: ignore[union-attr]
    assert runs.take("s2").values["ckpt"] == "b"  # type: ignore[union-attr]
    assert runs.take("s2").values["ckpt"] == "b"  # type: ignore[union-attr]
    stolen = runs.take("s2")  # b is done: steal from a's tail
    assert stolen is not None and stolen.values["ckpt"] == "a" and stolen.run_id == 4
    assert [runs.take("s1").run_id for _ in range(2)] == [2, 3]  # type: ignore[union-attr]
    assert runs.take("s1") is None and len(runs) == 0


def test_a_run_put_back_goes_first_and_its_group_is_free() -> None:
    runs = GroupedRuns(upstream_key(["ckpt"]))
    runs.add(_runs(["a", "a", "b"]))
    first = runs.take("s1")
    assert first is not None
    runs.forget("s1")
    runs.put_back(first)
    assert runs.take("s2") is first
    fifo = FifoRuns()
    fifo.add(_runs(["a", "b"]))
    taken = fifo.take("x")
    assert taken is not None
    fifo.put_back(taken)
    assert fifo.take("y") is taken
