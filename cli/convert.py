"""cr-convert (``comfy-sweep convert``): a UI-format workflow to the API format.

Thin: reads the workflow and object_info (server or saved file), converts with
core.workflow (core/uiformat), writes JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..core.errors import WorkflowError
from ..core.store import atomic
from ..core.workflow import read_workflow_file
from .analyze import load_object_info
from .common import fail, handle_errors
from .helptext import EXIT_BACKEND, EXIT_OK, EXIT_USAGE, command


@command(
    name="convert",
    help="Convert WORKFLOW from ComfyUI's UI (graph) format to the API format, as the "
    "ComfyUI frontend's graphToPrompt does, using the node definitions of a server "
    "(--server) or a saved GET /object_info (--object-info). Writes -o FILE, else stdout.",
    examples=[
        (
            "my_workflow.json --server 127.0.0.1:8188 -o my_workflow_api.json",
            "With the node definitions of a running ComfyUI:",
        ),
        ("my_workflow.json --object-info object_info.json > api.json", "Offline:"),
    ],
    exit_codes=(EXIT_OK, EXIT_USAGE, EXIT_BACKEND),
)
@click.argument("workflow", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="API-format file to write (default: stdout).",
)  # fmt: skip
@click.option("--server", default=None, metavar="ADDR", help="Read /object_info from this ComfyUI.")
@click.option(
    "--object-info", "object_info", default=None, metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read object_info from a saved JSON file (offline).",
)  # fmt: skip
@handle_errors
def convert(
    workflow: Path, output: Path | None, server: str | None, object_info: Path | None
) -> None:
    if server and object_info:
        fail("give either --server or --object-info, not both")
    wf_file = read_workflow_file(workflow)
    if not wf_file.is_ui:
        raise WorkflowError(f"{workflow}: already in the API format (nothing to convert)")
    if not server and not object_info:
        fail(f"{workflow}: give --server ADDR or --object-info FILE (the node definitions)")
    wf = wf_file.load(load_object_info(server, object_info))
    for text in wf.notes:
        click.echo(f"note: {text}", err=True)
    if output is None:
        click.echo(json.dumps(wf.to_json(), indent=2, ensure_ascii=False))
        return
    atomic.write_json(output, wf.to_json())
    click.echo(f"wrote {output} ({len(wf.prompt)} nodes)", err=True)


main = convert

if __name__ == "__main__":  # python -m comfy_sweep.cli.convert
    main()
