"""What cr-batch tells: the closing lines and exit code, the plan's warnings, the
``start``/``end`` of --json (cli/output.py). Stdout is only the batch folder."""

from __future__ import annotations

import click

from ..core.engine.events import EngineSummary
from ..core.report.sheet import SHEET_FILE
from ..core.store.runstore import RunStore
from ..core.sweep.select import is_server_batch
from . import output
from .common import (
    EXIT_OK,
    EXIT_RUNS_FAILED,
    shell_arg,
)
from .helptext import EXIT_INTERRUPTED as EXIT_INTERRUPTED  # re-exported: tests, cli.batch


def note(text: str) -> None:
    click.echo(text, err=True)


def announce(store: RunStore) -> None:
    """The sweep starts: where its live page is (stderr), and the ``start`` event."""
    note(f"contact sheet (updates as runs finish): {store.root / SHEET_FILE}")
    mode = "server" if is_server_batch(store) else "client"
    output.record(batch=str(store.root))
    output.emit("start", batch=str(store.root), total=len(store.plan.runs), mode=mode)


def note_plan(warnings: list[str], notes: list[str], shown: list[str]) -> None:
    """The plan's warnings not printed yet (``shown``: the config's, printed before
    choosing a batch) and its notes (e.g. duplicate samples merged)."""
    for warning in warnings:
        if warning not in shown:
            note(f"warning: {warning}")
    for text in notes:
        note(f"note: {text}")


def report_complete(store: RunStore) -> int:
    """The newest batch of this config is finished: say so, run nothing (issue 3)."""
    recs = store.records()
    failed = sum(1 for r in recs if r.status != "done")
    extra = f", {failed} failed: --resume {shell_arg(store.root)} retries them" if failed else ""
    note(
        f"batch {store.root} is already complete ({len(store.plan.runs)} runs{extra}); "
        "use --new to run it again"
    )
    done = len(recs) - failed
    output.record(batch=str(store.root), state="complete", done=done, failed=failed)
    output.record(total=len(store.plan.runs))
    output.result(str(store.root))
    note(f"next: cr-contact-sheet {shell_arg(store.root)}")
    return EXIT_OK


def finish(store: RunStore, summary: EngineSummary) -> int:
    """The closing lines and exit code; the live sheet has already done its final render."""
    output.record(
        batch=str(store.root), state=summary.state, done=summary.done, failed=summary.failed,
        total=summary.total, wall_s=round(summary.wall_s, 2),
        execution_s=round(summary.execution_s, 2),
    )  # fmt: skip
    if summary.halted:  # --fail-fast: a run failed, the rest were not started (exit 1, not 130)
        note(
            f"stopped at the first failed run (--fail-fast): {summary.done} done, "
            f"{summary.failed} failed of {summary.total}."
        )
        note(f"Fix the cause, then rerun the same command to continue ({store.root}).")
        return EXIT_RUNS_FAILED
    if summary.state != "done":
        note(f"interrupted: {summary.done} done, {summary.failed} failed of {summary.total}.")
        note(f"Rerun the same command to resume ({store.root}).")
        return EXIT_INTERRUPTED
    ratio = (
        f", {summary.wall_s / summary.execution_s:.2f}x ComfyUI's execution time"
        if summary.execution_s > 0
        else ""
    )
    note(
        f"{summary.done} done, {summary.failed} failed of {summary.total} in {summary.wall_s:.1f}s{ratio}"
    )
    output.result(str(store.root))
    note(f"next: cr-contact-sheet {shell_arg(store.root)}")
    return EXIT_RUNS_FAILED if summary.failed else EXIT_OK
