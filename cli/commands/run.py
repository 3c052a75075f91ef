"""``cr-run`` / ``comfy-sweep run``: the command line; the work is in cli/run.py."""

from __future__ import annotations

from pathlib import Path

import click

from .. import output
from ..common import handle_errors
from ..helptext import (
    OUT_ENV,
    TIMEOUT_ENV,
    auth_opt,
    command,
    exit_now,
    json_opt,
    script,
    server_opt,
)

DEFAULT_SERVER = "127.0.0.1:8188"

EXAMPLES = [
    ("workflow_api.json", "Run a workflow as it is; print the saved files:"),
    (
        "workflow_api.json --set nodes.KSampler.inputs.cfg=7.5 --set nodes.3.inputs.seed=42",
        "Change two inputs first (by class type or node id):",
    ),
    ("workflow_api.json --server http://gpu-box:8188 --out renders", "On another ComfyUI:"),
    ("workflow_api.json --json | jq -r 'select(.event == \"done\") | .outputs[]'",
     "The output files from the JSON events:"),
]  # fmt: skip


@command(
    help="Run one workflow (API or UI format: a UI one is converted with the server's "
    "/object_info) and save its outputs under OUT/<prompt_id>/; prints the saved files on "
    "stdout (or NDJSON events with --json).",
    examples=EXAMPLES,
)
@click.argument("workflow", type=click.Path(dir_okay=False, path_type=Path))
@server_opt(DEFAULT_SERVER, "ComfyUI address: host:port or http(s)://host[:port][/prefix].")
@click.option(
    "--out",
    default="output",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    envvar=OUT_ENV,
    show_envvar=True,
    help="Folder for the run's outputs.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="Set an input, e.g. nodes.KSampler.inputs.cfg=7.5 (repeatable).",
)
@auth_opt()
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    envvar=TIMEOUT_ENV,
    show_envvar=True,
    help="Network timeout in seconds.",
)
@json_opt("Print NDJSON events on stdout (submitted, done or failed, end).")
@handle_errors
def main(
    workflow: Path, server: str, out: Path, sets: tuple[str, ...], auth_token_env: str | None,
    timeout: float, as_json: bool,
) -> None:  # fmt: skip
    output.use_json(as_json)
    import asyncio

    from ..run import run_command  # the work, and its imports, only when it runs

    code = asyncio.run(run_command(str(workflow), server, str(out), sets, auth_token_env, timeout))
    output.emit_end(code)
    exit_now(code)


entry = script(main)  # the cr-* console script (pyproject.toml)
