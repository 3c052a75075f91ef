"""comfy-sweep rate / cr-rate: set a finished run's stars (and pick) from the shell.

Written through the run store's writer (RunStore.set_extra), so it takes turns
with anything else writing the batch; when a sweep holds the batch's lock it
waits up to --wait seconds, then says so in one line and changes nothing.
The batch's contact sheet, when there is one, is rewritten to show the mark.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..core.errors import StoreError, StoreLockedError
from ..core.report.sheet import SHEET_FILE, render_contact_sheet
from ..core.store.marks import MAX_RATING, Mark, read_picked, read_rating
from ..core.store.runstore import RunStore
from .common import handle_errors
from .helptext import EXIT_BUSY, EXIT_OK, EXIT_USAGE, command

_RETRY_S = 0.2


def _set_with_wait(store: RunStore, run_id: int, mark: Mark, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            store.set_extra(run_id, mark.extra())
            return
        except StoreLockedError as err:
            if time.monotonic() >= deadline:
                msg = (
                    f"{err.message}; nothing changed: rate it in the contact sheet served by "
                    "ComfyUI, or again when the sweep has finished (--wait SECONDS waits)"
                )
                raise StoreLockedError(msg, details=err.details) from None
        time.sleep(_RETRY_S)


def _check_run(store: RunStore, run_id: int) -> None:
    if not any(r.run_id == run_id for r in store.plan.runs):
        raise StoreError(f"{store.root}: no run {run_id} (runs 1-{len(store.plan.runs)})")
    if store.record(run_id) is None:
        raise StoreError(
            f"{store.root}: run {run_id} has not finished; only finished runs are rated"
        )


def _describe(store: RunStore, run_id: int) -> str:
    rec = store.record(run_id)
    extra = rec.extra if rec is not None else {}
    stars = read_rating(extra) or 0
    text = f"run {run_id}: {'★' * stars}{'☆' * (MAX_RATING - stars)}"
    return text + (" · picked" if read_picked(extra) else "")


@command(
    name="rate",
    examples=[
        ("output/batch_20250101_120000 7 5 --pick", "Five stars for run 7, and pick it:"),
        (
            "output/batch_20250101_120000 7 0 --wait 60",
            "Clear it, waiting up to 60 s for a running sweep:",
        ),
    ],
    exit_codes=(EXIT_OK, EXIT_USAGE, EXIT_BUSY),
    help=f"Give run RUN_ID of BATCH_DIR STARS (0-{MAX_RATING}; 0 clears) and, with "
    "--pick/--no-pick, mark or unmark it as a pick. Written to metadata.csv's rating and "
    "picked columns (the contact sheet, sorting and refine read them).",
)
@click.argument("batch", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("run_id", type=click.IntRange(min=1))
@click.argument("stars", type=click.IntRange(0, MAX_RATING))
@click.option(
    "--pick/--no-pick",
    "picked",
    default=None,
    help="Mark (or unmark) the run as a pick [unchanged].",
)
@click.option("--wait", type=click.FloatRange(0, 3600), default=0.0, show_default=True,
              help="Seconds to wait for a sweep that holds the batch's lock.")  # fmt: skip
@handle_errors
def rate(batch: Path, run_id: int, stars: int, picked: bool | None, wait: float) -> None:
    store = RunStore.open(batch)
    _check_run(store, run_id)
    _set_with_wait(store, run_id, Mark(stars, picked), wait)
    if (store.root / SHEET_FILE).is_file():
        render_contact_sheet(store.root)
    click.echo(_describe(store, run_id))


main = rate

if __name__ == "__main__":  # python -m comfy_sweep.cli.rate
    main()
