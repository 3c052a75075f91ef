"""A prompt in flight: which run, on which slot, since when; and the record it becomes."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..store.format import RunRecord
from .backend import Backend, BackendSlot
from .history import RunOutcome

if TYPE_CHECKING:
    from ..plan.model import PlannedRun


@dataclass
class Flight:
    run: PlannedRun
    prompt_id: str
    queued_at: float
    slot: BackendSlot
    losses: int = 0
    adopted: bool = False  # submitted by an earlier session


@dataclass
class Outgoing:
    """A prompt whose id is recorded (durable once the store is flushed), not yet sent."""

    run: PlannedRun
    slot: BackendSlot
    prompt_id: str
    prompt: dict[str, Any]
    losses: int = 0
    written: concurrent.futures.Future[None] | None = None  # the store's flushed() after its id


async def poll_each(backend: Backend, ids: Sequence[str]) -> dict[str, RunOutcome]:
    # Backends may stop at the first unfinished id (FIFO); on resume ask one by one.
    found: dict[str, RunOutcome] = {}
    for pid in ids:
        found.update(await backend.poll([pid]))
    return found


def run_record(flight: Flight, outcome: RunOutcome, paths: list[Path], root: Path) -> RunRecord:
    rels = [p.relative_to(root).as_posix() for p in paths]
    return RunRecord(
        run_id=flight.run.run_id,
        status="done" if outcome.status == "success" else "failed",
        values=dict(flight.run.values),
        prompt_id=outcome.prompt_id,
        queued_at=flight.queued_at,
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
        execution_s=outcome.execution_s,
        outputs=rels,
        error=outcome.error,
        cached_nodes=list(outcome.cached_nodes),
    )
