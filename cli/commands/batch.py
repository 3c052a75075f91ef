"""``cr-batch`` / ``comfy-sweep batch``: the command line; the work is in cli/batch.py."""

from __future__ import annotations

from pathlib import Path

import click

from .. import output
from ..common import handle_errors
from ..helptext import (
    MODE_ENV,
    SERVER_ENV,
    WINDOW_ENV,
    auth_opt,
    command,
    exit_now,
    json_opt,
    script,
)

EXAMPLES = [
    ("sweep.yaml", "Run the sweep (rerun the same command to resume or to extend it):"),
    ("sweep.yaml --dry-run", "Print the planned runs without a server:"),
    (
        "sweep.yaml --server 192.168.1.20:8188 --mode client",
        "Run it from this machine on another ComfyUI:",
    ),
    (
        "sweep.yaml --json | jq -c 'select(.event == \"done\")'",
        "Follow finished runs as JSON lines:",
    ),
    ("sweep.yaml --resume output/batch_20250101_120000", "Resume (or extend) one batch folder:"),
    ("sweep.yaml --server gpu1:8188 --server gpu2:8188", "Spread the runs over two ComfyUIs:"),
    ("sweep.yaml 2>/dev/null", "Capture only the batch folder (progress and hints go to stderr):"),
]


@command(
    help="Run a parameter sweep from a batch config (YAML) on ComfyUI; rerun to resume. "
    "Prints the batch folder on stdout (or NDJSON events with --json).",
    examples=EXAMPLES,
)
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--server",
    multiple=True,
    metavar="ADDR",
    envvar=SERVER_ENV,
    show_envvar=True,
    help="ComfyUI address (default: comfyui.servers or comfyui.server_address, else "
    "127.0.0.1:8188); repeat it to spread the sweep over several servers (the variable: "
    "addresses separated by spaces).",
)
@click.option("--dry-run", is_flag=True, help="Print the planned runs and exit; needs no server.")
@click.option(
    "--resume",
    "resume",
    default=None,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Resume (or extend) this batch folder.",
)
@click.option(
    "--new",
    is_flag=True,
    help="Start a new batch even if an unfinished one with this config exists.",
)
@click.option("--fail-fast", is_flag=True, help="Stop at the first failed run.")
@click.option(
    "--mode",
    type=click.Choice(["auto", "client", "server"]),
    default="auto",
    show_default=True,
    envvar=MODE_ENV,
    show_envvar=True,
    help="server: the comfy-sweep extension runs the sweep; client: this process does; "
    "auto: server when the extension answers.",
)
@click.option(
    "--window",
    type=click.IntRange(1, 64),
    default=None,
    envvar=WINDOW_ENV,
    show_envvar=True,
    help="Prompts kept queued ahead (default comfyui.queue_window, 3).",
)
@auth_opt()
@click.option(
    "--object-info",
    "object_info",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Saved GET /object_info: converts a UI-format workflow where no server gives one "
    "(--dry-run without a server, Comfy API v2).",
)
@click.option(
    "--ray",
    default=None,
    metavar="ADDRESS",
    help="Run on a Ray cluster: ADDRESS, auto (the running cluster) or local (start one); "
    "needs comfy-sweep[ray] and the ray: section's comfyui settings.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse an input set that lacks a mapped file (default: skip it with a warning).",
)
@json_opt("Print NDJSON events on stdout (start, submitted, done, failed, …, end).")
@handle_errors
def main(config: Path, as_json: bool, **kwargs: object) -> None:
    output.use_json(as_json)
    prefetch = None
    if not kwargs["dry_run"]:  # ComfyUI builds object_info while we import (cli/prefetch.py)
        from ..prefetch import ObjectInfoPrefetch

        servers, token_env = kwargs["server"], kwargs["auth_token_env"]
        prefetch = ObjectInfoPrefetch(str(config), servers, token_env)  # type: ignore[arg-type]
    from ..batch import run_command  # the work, and its imports, only when it runs

    code = run_command(str(config), prefetch=prefetch, **kwargs)  # type: ignore[arg-type]
    output.emit_end(code)
    exit_now(code)


entry = script(main)  # the cr-* console script (pyproject.toml)
