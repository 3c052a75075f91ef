"""cr-refine: the next config from a finished batch, narrowed around its best runs.

Thin: opens the batch, calls core/refine, writes the YAML (docs/refine.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..core.refine.refine import refine_batch
from ..core.store import atomic
from ..core.store.runstore import RunStore
from .analyze import load_object_info, workflow_file_for
from .common import fail, handle_errors, shell_arg
from .helptext import EXIT_BACKEND, EXIT_OK, EXIT_USAGE, command


def _workflow_path(store: RunStore) -> Path:
    """The workflow the batch ran: the user's file next to the original config when
    it is still there, else the batch's own copy (workflow.json)."""
    written = Path(store.config.workflow_file or "workflow.json").expanduser()
    origin: str | None = store.progress().get("config_path")
    path = Path(origin).parent / written if origin and not written.is_absolute() else written
    if path.is_absolute() and path.is_file():
        return path.resolve()
    return (store.root / "workflow.json").resolve()


@command(
    name="refine",
    help="Write the next config from BATCH_DIR: ranges and values narrowed around the top runs "
    "by METRIC (a metric name, score_NAME, or rating), with comments saying what changed; "
    "--production writes a grid over the best values with their seeds fixed.",
    examples=[
        (
            "output/batch_20250101_120000 --by sharpness -o next.yaml",
            "The next sweep, narrowed around the 5 sharpest runs:",
        ),
        (
            "output/batch_20250101_120000 --by rating --top 3 --production -o final.yaml",
            "A grid over your 3 best-rated runs, seeds fixed:",
        ),
    ],
    exit_codes=(EXIT_OK, EXIT_USAGE, EXIT_BACKEND),
)
@click.argument("batch", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--by", required=True, metavar="METRIC", help="Metric name, score_NAME, or rating.")
@click.option("--top", type=click.IntRange(1, 100_000), default=None,
              help="How many best runs to narrow around [5; --production 3].")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the config here (default: print it).")  # fmt: skip
@click.option("--production", is_flag=True,
              help="A grid over the top runs' values with their seeds fixed (Phase 4).")  # fmt: skip
@click.option("--goal", type=click.Choice(["maximize", "minimize"]), default=None,
              help="Override the metric's direction.")  # fmt: skip
@click.option("--server", default=None,
              help="Read object_info from this ComfyUI: ranges may then grow past the batch's "
              "up to the inputs' own bounds.")  # fmt: skip
@click.option("--object-info", "object_info", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="object_info from a saved JSON file (as --server).")  # fmt: skip
@click.option("--force", is_flag=True, help="Overwrite --output if it exists.")
@handle_errors
def refine(batch: Path, by: str, output: Path | None, server: str | None,
           object_info: Path | None, force: bool, **kw: Any) -> None:  # fmt: skip
    if server and object_info:
        fail("give either --server or --object-info, not both")
    if output is not None and output.exists() and not force:
        fail(f"{output} exists; use --force to overwrite it")
    store = RunStore.open(batch)
    wf_path = _workflow_path(store)
    wf_file = workflow_file_for(wf_path, output) if output is not None else wf_path.as_posix()
    result = refine_batch(
        store, by, object_info=load_object_info(server, object_info), workflow_file=wf_file, **kw
    )
    if output is None:
        click.echo(result.yaml, nl=False)
        return
    atomic.write_text(output, result.yaml)
    for line in result.notes:
        click.echo(line, err=True)
    click.echo(f"wrote {output}; next: cr-batch {shell_arg(output)}", err=True)


main = refine

if __name__ == "__main__":  # python -m comfy_sweep.cli.refine
    main()
