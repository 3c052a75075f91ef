"""cr-run: run one workflow on a ComfyUI server and download its outputs.

The command line is cli/commands/run.py; this module runs once it is invoked."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import click

from ..client.comfyui import ComfyClient, token_from_env
from ..client.http_backend import HttpBackend
from ..core.engine.events import new_prompt_id
from ..core.engine.history import RunOutcome, fully_cached
from ..core.errors import ConfigError
from ..core.objectinfo import ObjectInfo
from ..core.store import atomic
from ..core.workflow import InputRef, Workflow, read_workflow_file
from . import output
from .commands.run import main as main  # the click command (tests, python -m)
from .common import EXIT_OK, EXIT_RUNS_FAILED, load_with_server, server_option


def make_client(server: str, auth_token_env: str | None, timeout: float = 30.0) -> ComfyClient:
    address = server_option(server)
    return ComfyClient(address, auth_token=token_from_env(auth_token_env), timeout=timeout)


def install_stop(stop: asyncio.Event) -> None:
    """Ctrl-C sets ``stop`` (a clean shutdown) instead of cancelling mid-write;
    a second Ctrl-C falls back to the default (KeyboardInterrupt)."""
    loop = asyncio.get_running_loop()

    def first() -> None:
        stop.set()
        loop.remove_signal_handler(signal.SIGINT)

    with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no signal handlers
        loop.add_signal_handler(signal.SIGINT, first)


def parse_value(text: str) -> Any:
    """A --set value: a JSON scalar when it parses as one (1, 2.5, true, null), else the string."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (str, int, float, bool)) or value is None else text


def parse_sets(workflow: Workflow, sets: Sequence[str]) -> dict[InputRef, Any]:
    values: dict[InputRef, Any] = {}
    for item in sets:
        path, sep, raw = item.partition("=")
        if not sep or not path.strip():
            raise ConfigError(
                f"--set {item!r}: expected PATH=VALUE (e.g. nodes.3.inputs.cfg=7.5)", field="--set"
            )
        values[workflow.resolve(path.strip(), field="--set")] = parse_value(raw)
    return values


def check_sets(workflow: Workflow, info: ObjectInfo, values: Mapping[InputRef, Any]) -> None:
    """Bounds, step and COMBO options from the server's object_info, before queueing
    (ComfyUI 0.3.75 itself ignores step and new-style COMBO options)."""
    for ref, value in values.items():
        reason = info.check_value(workflow.class_type(ref.node_id), ref.input_name, value)
        if reason:
            raise ConfigError(f"--set {ref.path}={value!r}: {reason}", field="--set")


async def wait_finished(
    backend: HttpBackend, prompt_id: str, stop: asyncio.Event, base: float = 0.25
) -> RunOutcome | None:
    """Poll one prompt with backoff (never above 2 s); None if stopped first."""
    delay = base
    while not stop.is_set():
        found = await backend.poll([prompt_id])
        if prompt_id in found:
            return found[prompt_id]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        delay = min(delay * 1.3, 2.0)
    return None


def no_outputs_reason(outcome: RunOutcome, prompt: Mapping[str, Any]) -> str:
    """Why a successful prompt left nothing to save. ComfyUI answers a prompt identical
    to the one it ran last from its cache, output nodes included, and then reports no
    outputs at all (0.3.75): say so, since rerunning the same workflow is common."""
    if fully_cached(outcome, prompt):
        return (
            "ComfyUI reported no outputs: every node came from its cache (this exact "
            "prompt ran just before); change an input, e.g. --set the seed, to run it again"
        )
    return "ComfyUI reported no outputs (does the workflow have a Save node?)"


async def run_one(
    client: ComfyClient,
    prompt: dict[str, Any],
    values: Mapping[InputRef, Any],
    workflow: Workflow,
    out: Path,
) -> int:
    stop = asyncio.Event()
    install_stop(stop)
    if values:
        check_sets(workflow, ObjectInfo(await client.object_info()), values)
    backend = HttpBackend(client)
    pid = new_prompt_id()
    dest = out / pid
    dest.mkdir(parents=True, exist_ok=True)
    atomic.write_json(dest / "prompt.json", prompt)
    # A converted UI workflow travels as extra_pnginfo.workflow: outputs open as the graph.
    await backend.submit(pid, prompt, client_id=None, workflow=workflow.ui_graph)
    click.echo(f"queued prompt {pid} on {client.address.display}", err=True)
    output.record(prompt_id=pid, folder=str(dest))
    output.emit("submitted", prompt_id=pid, server=client.address.display, folder=str(dest))
    outcome = await wait_finished(backend, pid, stop)
    if outcome is None:
        await backend.cancel([pid])
        click.echo("interrupted: prompt removed from ComfyUI's queue", err=True)
        output.record(state="interrupted")
        return 130
    if outcome.status != "success":
        click.echo(f"run failed: {outcome.error}", err=True)
        output.record(state="failed")
        output.emit("failed", prompt_id=pid, message=outcome.error)
        return EXIT_RUNS_FAILED
    paths = await backend.collect(outcome, dest)
    output.record(state="done", outputs=[str(p) for p in paths])
    output.emit("done", prompt_id=pid, outputs=[str(p) for p in paths],
                execution_s=outcome.execution_s)  # fmt: skip
    for path in paths:
        output.result(str(path))
    if not paths:
        click.echo(f"warning: {no_outputs_reason(outcome, prompt)}", err=True)
    if outcome.execution_s is not None:
        click.echo(f"done in {outcome.execution_s:.2f}s (ComfyUI execution time)", err=True)
    return EXIT_OK


async def run_command(
    workflow_path: str,
    server: str,
    out: str,
    sets: Sequence[str],
    auth_env: str | None,
    timeout: float,
) -> int:
    wf_file = read_workflow_file(workflow_path)
    early = None if wf_file.is_ui else wf_file.load()  # bad input fails before connecting
    if early is not None:
        parse_sets(early, sets)
    async with make_client(server, auth_env, timeout) as client:
        workflow = early if early is not None else await load_with_server(wf_file, client)
        values = parse_sets(workflow, sets)
        prompt = workflow.apply(values)
        return await run_one(client, prompt, values, workflow, Path(out))
