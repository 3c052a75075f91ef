"""``cr-contact-sheet`` / ``comfy-sweep sheet``: the command line; the work is in
cli/contact_sheet.py."""

from __future__ import annotations

from pathlib import Path

import click

from ..common import handle_errors
from ..helptext import EXIT_OK, EXIT_USAGE, WORKERS_ENV, command

EXAMPLES = [
    ("output/batch_20250101_120000", "Write the page (and thumbnails) and print its path:"),
    ("output/batch_20250101_120000 --open", "… and open it in the browser:"),
    ('"$(cr-batch sweep.yaml)" --open', "Right after a sweep:"),
]


@command(
    help="Write thumbnails/ and contact_sheet.html for BATCH_DIR and print the page's path.",
    examples=EXAMPLES,
    exit_codes=(EXIT_OK, EXIT_USAGE),
)
@click.argument("batch_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default browser.")
@click.option(
    "--no-thumbnails", is_flag=True, help="Skip making thumbnails (cells show images as-is)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    envvar=WORKERS_ENV,
    show_envvar=True,
    help="Threads making thumbnails (default: one per CPU, at most 4).",
)
@handle_errors
def main(batch_dir: Path, open_page: bool, no_thumbnails: bool, workers: int | None) -> None:
    from ..contact_sheet import run_command  # the work, and its imports, only when it runs

    run_command(batch_dir, open_page, no_thumbnails, workers)
