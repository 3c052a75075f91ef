"""cr-contact-sheet: thumbnails and an interactive contact_sheet.html for a batch."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from ..core.report.sheet import render_contact_sheet
from ..media.thumbnails import ensure_thumbnails
from .common import handle_errors


@click.command(
    help="Write thumbnails/ and contact_sheet.html for BATCH_DIR and print the page's path."
)
@click.argument("batch_dir", type=click.Path(path_type=Path))
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default browser.")
@click.option(
    "--no-thumbnails", is_flag=True, help="Skip making thumbnails (cells show images as-is)."
)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Thumbnail threads.")
@handle_errors
def main(batch_dir: Path, open_page: bool, no_thumbnails: bool, workers: int | None) -> None:
    if not no_thumbnails:
        report = ensure_thumbnails(batch_dir, workers=workers)
        for run_id, reason in sorted(report.placeholders.items()):
            click.echo(f"warning: run {run_id}: {reason} (placeholder thumbnail)", err=True)
    page = render_contact_sheet(batch_dir)
    click.echo(str(page))
    if open_page:
        webbrowser.open(page.resolve().as_uri())


if __name__ == "__main__":  # python -m comfy_sweep.cli.contact_sheet
    main()
