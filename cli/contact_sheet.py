"""cr-contact-sheet: thumbnails and an interactive contact_sheet.html for a batch.

The command line is cli/commands/sheet.py; this module runs once it is invoked."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import click

from ..core.report.sheet import render_contact_sheet
from ..media.thumbnails import ensure_thumbnails
from .commands.sheet import main as main  # the click command (tests, python -m)


def run_command(batch_dir: Path, open_page: bool, no_thumbnails: bool, workers: int | None) -> None:
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
