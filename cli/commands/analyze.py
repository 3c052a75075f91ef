"""``cr-analyze`` / ``comfy-sweep analyze``: the command line; the work is in cli/analyze.py."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from ..common import handle_errors
from ..helptext import EXIT_BACKEND, EXIT_OK, EXIT_USAGE, command, server_opt

EXAMPLES = [
    ("workflow_api.json", "Write workflow_api_batch_config.yaml (parameters from literals only):"),
    ("workflow_api.json --server 127.0.0.1:8188", "Use the server's bounds and COMBO options:"),
    ("workflow_api.json --object-info object_info.json -o sweep.yaml", "Offline, from a saved object_info:"),
    ("workflow_api.json --json | jq '.params[] | select(.enabled) | .path'", "The analyzer JSON:"),
    ("workflow_api.json --recipes -o explore/", "The three phase configs of an exploration:"),
]  # fmt: skip


@command(
    help="List every literal input of WORKFLOW (API format, or UI format with --server or "
    "--object-info) with a sweep suggestion, and "
    "write a config template (default: <workflow stem>_batch_config.yaml in the current "
    "directory). With --json, print the analyzer JSON (docs/analyzer.md) and write a file "
    "only if -o is given.",
    examples=EXAMPLES,
    exit_codes=(EXIT_OK, EXIT_USAGE, EXIT_BACKEND),
)
@click.argument("workflow", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file to write (with --recipes: the folder for the phase configs).",
)
@server_opt(None, "Read /object_info from this ComfyUI server (e.g. 127.0.0.1:8188).")
@click.option(
    "--object-info",
    "object_info",
    default=None,
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read object_info from a saved JSON file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the analyzer JSON on stdout only.")
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.option(
    "--recipes",
    "--generate-category-templates",
    "recipes",
    is_flag=True,
    help="Write the three phase configs of an exploration (sampler/scheduler surfing, "
    "parameter search, seed mining) into the folder -o (default: the current one) "
    "instead of one template; comfy-sweep explore runs them for you.",
)
@handle_errors
def main(
    workflow: Path, output: Path | None, server: str | None, object_info: Path | None,
    as_json: bool, force: bool, recipes: bool,
) -> None:  # fmt: skip
    from ..analyze import run_command  # the work, and its imports, only when it runs

    if object_info and server_from_env():
        server = None  # an explicit --object-info beats COMFY_SWEEP_SERVER
    run_command(workflow, output, server, object_info, as_json, force, recipes)


def server_from_env() -> bool:
    source = click.get_current_context().get_parameter_source("server")
    return source is ParameterSource.ENVIRONMENT
