"""The wire contract (core/sweep/wire.py) end to end, without ComfyUI: the
client side (SweepsClient, RemoteSweep, the server-mode mirror) against the
REAL routes and SweepService on an aiohttp test server, with the fake queue of
conftest.py standing in for ComfyUI's. Every route answers with its typed
shape; every error code comes back as its exception class with field and
details, each produced by a real request where one can produce it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import typing
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from comfy_sweep.client.comfyui import ComfyClient
from comfy_sweep.client.remote import DETACHED, RemoteSweep
from comfy_sweep.client.sweeps import (
    SweepsClient,
    config_payload,
    follow,
    mirror_store,
    server_records,
)
from comfy_sweep.core import errors
from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.sweep import lifecycle, wire
from comfy_sweep.core.workflow import Workflow
from comfy_sweep.server_routes.errors import guarded
from comfy_sweep.server_routes.service import ServiceDeps, SweepService

from .conftest import FakeQueue, make_client, wait_state

DOC = (Path(__file__).resolve().parents[2] / "docs" / "routes.md").read_text(encoding="utf-8")


def assert_shape(data: Any, shape: Any) -> None:
    """``data`` has every required key of the TypedDict ``shape`` and no unknown one."""
    assert isinstance(data, dict), data
    required, optional = shape.__required_keys__, shape.__optional_keys__
    assert required <= data.keys(), sorted(required - data.keys())
    assert data.keys() <= required | optional, sorted(data.keys() - required - optional)


def assert_summary(data: Any, shape: Any = wire.SweepSummary) -> None:
    assert_shape(data, shape)
    assert data["actions"] == lifecycle.actions(data["state"])
    assert lifecycle.is_state(data["state"])
    assert data["files_base"] == wire.sweep_path(data["id"], "/files/")


@pytest.fixture
async def comfy(client: TestClient) -> AsyncIterator[ComfyClient]:
    async with ComfyClient(str(client.make_url("")), retry_window=0) as comfy:
        yield comfy


@pytest.fixture
def api(comfy: ComfyClient) -> SweepsClient:
    return SweepsClient(comfy)


async def start(api: SweepsClient, prompt: dict[str, Any], config: dict[str, Any]) -> str:
    created = await api.create(prompt, config, "contract")
    assert_shape(created, wire.SweepCreated)
    return created["id"]


async def finished(client: TestClient, sid: str) -> dict[str, Any]:
    return await wait_state(client, sid, ("done",))


# ------------------------------------------------------------------ the table
def test_every_code_on_the_wire_has_one_class_and_is_documented() -> None:
    classes = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, errors.SweepError)
    }
    assert {cls.code for cls in classes} == set(wire.ERROR_CLASSES)
    assert len(classes) == len(wire.ERROR_CLASSES)  # one class per code
    for code in wire.HTTP_STATUS:
        assert wire.ERROR_CLASSES[code].code == code
    rows = re.findall(r"^\| (\d{3}) \| `([a-z_]+)` \|", DOC, flags=re.MULTILINE)
    documented = {code: int(status) for status, code in rows}
    assert documented == dict(wire.HTTP_STATUS)


async def test_every_code_round_trips_through_the_envelope(aiohttp_client: Any) -> None:
    """Whatever the status, the client raises the class the server raised, with
    its field and details (codes no real request can produce included)."""

    @guarded
    async def boom(request: web.Request) -> web.Response:
        cls = wire.ERROR_CLASSES[request.match_info["code"]]
        raise cls("it broke", field="config.num_samples", details={"line": 3})

    app = web.Application()
    app.router.add_get(f"{wire.PREFIX}/test/{{code}}", boom)
    server = await aiohttp_client(app)
    async with ComfyClient(str(server.make_url("")), retry_window=0) as comfy:
        api = SweepsClient(comfy)
        for code, cls in wire.ERROR_CLASSES.items():
            with pytest.raises(errors.SweepError) as info:
                await api._json("GET", f"/test/{code}")
            assert type(info.value) is cls, code
            assert info.value.message == "it broke"
            assert info.value.field == "config.num_samples"
            assert info.value.details == {"line": 3}


async def test_an_answer_that_is_not_our_envelope_is_a_backend_error(
    aiohttp_client: Any,
) -> None:
    async def teapot(request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": "no_such_code", "message": "?"}}, status=418)

    app = web.Application()
    app.router.add_get(f"{wire.PREFIX}/version", teapot)
    server = await aiohttp_client(app)
    async with ComfyClient(str(server.make_url("")), retry_window=0) as comfy:
        with pytest.raises(errors.BackendError, match="HTTP 418"):
            await SweepsClient(comfy).version()


# ------------------------------------------------------------------ every route
async def test_every_route_answers_its_typed_shape(
    api: SweepsClient,
    client: TestClient,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    version = await api.version()
    assert_shape(version, wire.Version)
    assert version["api"] == wire.API_VERSION

    analyzed = await api.analyze(prompt, "mine.json")
    assert "mine.json" in analyzed["template_yaml"]
    preview = await api.plan(prompt, grid_config)
    assert_shape(preview, wire.PlanPreview)
    assert preview["total"] == 6
    for run in preview["runs"]:
        assert_shape(run, wire.PlannedRunJSON)
    parsed = await api.config_parse("num_samples: 4\nparameters: {}\n")
    assert parsed["config"]["num_samples"] == 4
    assert "num_samples: 4" in await api.config_render(parsed["config"])

    sid = await start(api, prompt, grid_config)
    await finished(client, sid)
    status = await api.status(sid, limit=2)
    assert_summary(status, wire.SweepStatus)
    assert_shape(status["page"], wire.Page)
    assert len(status["runs"]) == 2
    summary, runs = await api.all_runs(sid)
    assert [r["run_id"] for r in runs] == list(range(1, 7))
    for row in runs:
        assert_shape(row, wire.RunRow)
        assert row["status"] in typing.get_args(wire.RunStatus)
    listed = await api.sweeps()
    assert [s["id"] for s in listed["sweeps"]] == [sid]
    assert_summary(listed["sweeps"][0])

    got = await api.run_prompt(sid, 1)
    assert_shape(got, wire.RunPrompt)
    assert got["values"] == runs[0]["values"]
    assert "<html" in (await api.contact_sheet(sid)).lower()
    assert json.loads(await api.file_text(sid, "plan.json"))["runs"]
    dest = tmp_path / "out.png"
    await api.download(sid, runs[0]["outputs"][0], dest)
    assert dest.stat().st_size > 0

    grown = await api.extend(sid, {**grid_config, "parameters": _more_strengths(grid_config)})
    assert_summary(grown, wire.SweepExtended)
    assert grown["added"] == 3
    cancelled = await api.cancel(sid)
    assert_summary(cancelled)
    assert cancelled["state"] == "cancelled"
    resumed = await api.resume(sid)
    assert_summary(resumed)
    await finished(client, sid)
    assert await api.delete(sid) == {"deleted": sid}


def _more_strengths(config: dict[str, Any]) -> dict[str, Any]:
    params = json.loads(json.dumps(config["parameters"]))
    params["strength"]["values"] = [*params["strength"]["values"], 0.9]
    return dict(params)


# ------------------------------------------------------------------ every error code
async def test_route_errors_come_back_as_their_class(
    api: SweepsClient,
    client: TestClient,
    fake_queue: FakeQueue,
    sweeps_root: Path,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
) -> None:
    async def raises(cls: type[errors.SweepError], call: Any) -> errors.SweepError:
        with pytest.raises(errors.SweepError) as info:
            await call
        assert type(info.value) is cls, (cls, info.value.code, info.value.message)
        return info.value

    err = await raises(errors.RequestError, api.status("x", limit=0))
    assert err.field == "limit"
    err = await raises(errors.NotFoundError, api.status("no-such-sweep"))
    err = await raises(errors.WorkflowError, api.plan({"1": {"inputs": {}}}, grid_config))
    assert err.field is not None and err.field.startswith("prompt")
    err = await raises(errors.ConfigError, api.config_parse("num_samples: [\n"))
    assert err.details == {"line": 2}
    err = await raises(errors.ConfigError, api.config_parse("parameters: {}\nnum_samples: many\n"))
    assert err.field == "num_samples" and err.details == {"line": 2}
    bad = {**grid_config, "num_samples": "many"}
    err = await raises(errors.ConfigError, api.plan(prompt, {**bad, "sampling_strategy": "sobol"}))
    assert err.field == "config.num_samples"
    err = await raises(errors.BodyTooLarge, api.plan({"1": "x" * (9 << 20)}, grid_config))

    fake_queue.reject = "node 3: blur_radius out of range"
    err = await raises(errors.PromptRejected, api.create(prompt, grid_config, None))
    assert "blur_radius" in err.message
    fake_queue.reject = None

    sid = await start(api, prompt, grid_config)
    await finished(client, sid)
    err = await raises(errors.PlanError, api.extend(sid, grid_config))
    assert "adds no runs" in err.message
    err = await raises(errors.ConflictError, api.cancel(sid))
    err = await raises(errors.ForbiddenPath, api.file_text(sid, "runs%2F0001"))
    assert err.field == "path"
    err = await raises(errors.NotFoundError, api.file_text(sid, "no-such-file.txt"))
    assert err.field == "path"
    grown = {**grid_config, "parameters": _more_strengths(grid_config)}
    with RunStore.open(sweeps_root / sid).lock("another writer"):  # a cr-batch --resume
        err = await raises(errors.StoreLockedError, api.extend(sid, grown))
    assert "another writer" in err.message

    broken = sweeps_root / "broken"
    broken.mkdir()
    (broken / "progress.json").write_text('{"schema_version": 1, "state": "done", "total": 1}')
    await raises(errors.StoreError, api.status("broken"))


@pytest.mark.parametrize(
    ("failure", "cls"),
    [
        (RuntimeError("a bug"), errors.InternalError),
        (errors.BackendError("gone"), errors.BackendError),
    ],
    ids=["internal_error", "backend_error"],
)
async def test_server_side_failures_come_back_as_their_class(
    aiohttp_client: Any,
    sweeps_root: Path,
    fake_queue: FakeQueue,
    prompt: dict[str, Any],
    failure: Exception,
    cls: type[errors.SweepError],
) -> None:
    """A 5xx carrying our envelope is the server's answer, not a reason to retry."""

    async def object_info() -> Any:
        raise failure

    deps = ServiceDeps(
        sweeps_root=lambda: sweeps_root,
        backend=lambda: fake_queue,
        object_info=object_info,
        notify=lambda event, data: None,
    )
    service = SweepService(deps)
    server = await make_client(aiohttp_client, service)
    async with ComfyClient(str(server.make_url("")), retry_window=30) as comfy:
        started = asyncio.get_running_loop().time()
        with pytest.raises(cls) as info:
            await SweepsClient(comfy).analyze(prompt)
        assert asyncio.get_running_loop().time() - started < 5  # answered, not retried
    assert type(info.value) is cls
    await service.shutdown()


# ------------------------------------------------------------------ the mirror
async def test_the_mirror_reads_the_servers_rows_with_the_stores_codec(
    api: SweepsClient,
    client: TestClient,
    sweeps_root: Path,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    sid = await start(api, prompt, grid_config)
    await finished(client, sid)
    server = RunStore.open(sweeps_root / sid)
    rows = await server_records(api, sid)
    assert rows.keys() == {r.run_id for r in server.records()}
    store = await mirror_store(api, sid, tmp_path / "local", {"config_path": "x.yaml"})
    assert store.progress()["server_sweep_id"] == sid
    assert store.plan.to_json() == server.plan.to_json()

    seen: list[int] = []
    state = await follow(
        api, store, sid, asyncio.Event(), lambda s, fresh: seen.extend(r["run_id"] for r in fresh)
    )
    assert state == "done" and sorted(seen) == list(range(1, 7))
    mine = {r.run_id: r for r in RunStore.open(store.root).records()}
    for rec in server.records():
        local = mine[rec.run_id]
        # Typed values (from the plan), timings and outputs as the server recorded them.
        assert dataclasses.replace(local, scores={}) == dataclasses.replace(rec, scores={})
        assert all((store.root / rel).is_file() for rel in local.outputs)


def test_docs_show_every_key_of_a_summary_and_a_run_row() -> None:
    for shape in (wire.SweepSummary, wire.RunRow, wire.Page, wire.PlanPreview):
        for key in shape.__required_keys__ | shape.__optional_keys__:
            assert f'"{key}":' in DOC, (shape.__name__, key)


def test_config_payload_leaves_out_the_server_keys(grid_config: dict[str, Any]) -> None:
    cfg = parse_config(
        {**grid_config, "output": {"base_dir": "mine"}, "comfyui": {"server_address": "gpu:1"}}
    )
    payload = config_payload(cfg)
    for key in wire.SERVER_KEYS:
        holder = payload if key.section is None else payload.get(key.section, {})
        assert key.key not in holder, key.path
        assert f"`{key.path}`" in DOC  # docs/routes.md names every ignored key
    assert payload["parameters"]


# ------------------------------------------------------------------ RemoteSweep
class Progress:
    def __init__(self) -> None:
        self.polls = 0
        self.mirrored: list[int] = []
        self.closed = False

    def __call__(self, summary: wire.SweepStatus, fresh: list[wire.RunRow]) -> None:
        assert_summary(summary, wire.SweepStatus)
        self.polls += 1
        self.mirrored += [r["run_id"] for r in fresh]

    def close(self) -> None:
        self.closed = True


class Sheet:
    pokes = 0

    def poke(self) -> None:
        self.pokes += 1


async def test_remote_sweep_create_detach_reattach_extend(
    comfy: ComfyClient,
    fake_queue: FakeQueue,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    notes: list[str] = []
    remote = RemoteSweep(comfy, holder="contract test", note=notes.append, interval=0.02)
    assert await remote.available(required=True)
    cfg, wf = parse_config(grid_config), Workflow.from_data(prompt)
    ident = {"config_path": "grid.yaml", "config_fingerprint": "f1"}

    fake_queue.gate.clear()  # ComfyUI is busy: the sweep waits in the queue
    made = await remote.create(cfg, wf, tmp_path / "output", ident)
    assert made.total == 6 and made.store.progress()["server_sweep_id"] == made.sweep_id
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.2, stop.set)  # Ctrl-C
    progress = Progress()
    summary = await remote.follow(made.store, stop=stop, progress=progress)
    assert summary.state == DETACHED and progress.closed
    assert notes[-2].startswith(f"detached: sweep {made.sweep_id} keeps running on ")
    assert notes[-1].endswith(f"{wire.sweep_path(made.sweep_id, '/cancel')}")

    fake_queue.gate.set()
    await remote.reattach(made.store, rerun="cr-batch grid.yaml", client_mode=True)
    assert "is a server sweep: following it on the server" in notes[-2]
    assert notes[-1] == f"re-attached to server sweep {made.sweep_id} ({made.store.root})"
    progress, sheet = Progress(), Sheet()
    summary = await remote.follow(made.store, stop=asyncio.Event(), progress=progress, sheet=sheet)
    assert (summary.done, summary.failed, summary.total, summary.state) == (6, 0, 6, "done")
    assert not summary.halted and sorted(progress.mirrored) == list(range(1, 7))
    assert sheet.pokes >= 1

    grown_cfg = parse_config({**grid_config, "parameters": _more_strengths(grid_config)})
    await remote.extend(made.store, grown_cfg, "f2", rerun="cr-batch grid.yaml")
    assert notes[-1] == f"extending {made.store.root}: 6 → 9 runs (on the server)"
    assert made.store.progress()["config_fingerprint"] == "f2"
    summary = await remote.follow(made.store, stop=asyncio.Event(), progress=Progress())
    assert (summary.done, summary.total, summary.state) == (9, 9, "done")
    assert len(RunStore.open(made.store.root).records()) == 9


async def test_remote_sweep_refusals_are_one_line(
    comfy: ComfyClient,
    client: TestClient,
    fake_queue: FakeQueue,
    prompt: dict[str, Any],
    grid_config: dict[str, Any],
    tmp_path: Path,
) -> None:
    remote = RemoteSweep(comfy, holder="contract test")
    cfg, wf = parse_config(grid_config), Workflow.from_data(prompt)
    fake_queue.gate.clear()
    made = await remote.create(cfg, wf, tmp_path / "output", {"config_fingerprint": "f1"})
    grown = parse_config({**grid_config, "parameters": _more_strengths(grid_config)})
    with pytest.raises(errors.ConflictError) as info:
        await remote.extend(made.store, grown, "f2", rerun="cr-batch grid.yaml")
    assert (
        f"server sweep {made.sweep_id} ({made.store.root}) is still running" in info.value.message
    )
    assert "\n" not in info.value.message
    fake_queue.gate.set()
    await wait_state(client, made.sweep_id, ("done",))

    made.store.set_state("interrupted", server_sweep_id="batch_gone")
    with pytest.raises(errors.NotFoundError) as info:
        await remote.reattach(made.store, rerun="cr-batch grid.yaml")
    assert "server sweep batch_gone" in info.value.message
    assert "unknown to ComfyUI" in info.value.message


async def test_without_the_extension_remote_sweep_refuses_or_steps_aside(
    aiohttp_client: Any, tmp_path: Path, prompt: dict[str, Any], grid_config: dict[str, Any]
) -> None:
    plain = await aiohttp_client(web.Application())  # a ComfyUI without comfy-sweep
    notes: list[str] = []
    async with ComfyClient(str(plain.make_url("")), retry_window=0) as comfy:
        remote = RemoteSweep(comfy, holder="t", note=notes.append)
        with pytest.raises(
            errors.BackendError, match="no comfy-sweep extension; use --mode client"
        ):
            await remote.available(required=True)
        assert not await remote.available(required=False)
        assert notes == [
            f"ComfyUI at {comfy.address.display} has no comfy-sweep extension: "
            "running the sweep from this process"
        ]
        cfg, wf = parse_config(grid_config), Workflow.from_data(prompt)
        extra = {"mode": "server", "server_sweep_id": "batch_x", "server_address": "gpu:8188"}
        store = RunStore.create(tmp_path, cfg, wf, build_plan(cfg, wf), extra=extra)
        with pytest.raises(errors.ConflictError) as info:
            await remote.reattach(store, rerun="cr-batch grid.yaml", client_mode=True)
    assert f"{store.root} is server sweep batch_x" in info.value.message
    assert "re-attach with cr-batch grid.yaml --server gpu:8188" in info.value.message
    assert len(notes) == 1  # the refusal comes before any notice
