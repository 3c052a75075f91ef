"""Where a command's output goes: stdout carries only what a script captures,
stderr everything a person reads.

- Without ``--json``: stdout holds the result (the batch folder, the output
  files), so ``$(cr-batch sweep.yaml)`` is the folder; hints ("next: …"),
  progress and warnings go to stderr.
- With ``--json``: stdout is NDJSON, one object per line, each with an
  ``"event"`` field (start, submitted, done, failed, resubmitted, stopping,
  error, end); the plain result lines are not printed.

The mode is a context variable set once per invocation (``use_json``), so the
engine's callbacks and the error handler reach it without threading a flag
through every function.
"""

from __future__ import annotations

import json
import sys
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..core.engine.events import EngineEvent

_JSON: ContextVar[bool] = ContextVar("comfy_sweep_json", default=False)
_END: ContextVar[dict[str, Any] | None] = ContextVar("comfy_sweep_end", default=None)
# The engine's own start/end carry no batch folder: the CLI emits richer ones.
_ENGINE_ONLY = {"start", "end", "tick"}


def use_json(on: bool) -> None:
    _JSON.set(on)
    _END.set({})


def record(**fields: Any) -> None:
    """Facts for the final ``end`` event (batch folder, counts, state)."""
    end = _END.get()
    if end is not None:
        end.update(fields)


def emit_end(exit_code: int) -> None:
    """The last NDJSON line of every --json invocation, errors included."""
    emit("end", **(_END.get() or {}), exit_code=exit_code)


def json_mode() -> bool:
    return _JSON.get()


def emit(event: str, **fields: Any) -> None:
    """One NDJSON line on stdout (only with --json), flushed at once so a reader
    following the stream sees each event when it happens."""
    if not _JSON.get():
        return
    line = json.dumps({"event": event, **fields}, ensure_ascii=False, default=str)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def result(text: str) -> None:
    """A result line on stdout: the batch folder, an output file (not with --json)."""
    if not _JSON.get():
        click.echo(text)


def hint(text: str) -> None:
    """A line for the person at the terminal (stderr)."""
    click.echo(text, err=True)


def engine_event(ev: EngineEvent) -> None:
    """An engine (or server-mirror) progress event as an NDJSON line."""
    if ev.kind in _ENGINE_ONLY or not _JSON.get():
        return
    fields: dict[str, Any] = {
        "done": ev.done,
        "failed": ev.failed,
        "total": ev.total,
        "eta_s": None if ev.eta_s is None else round(ev.eta_s, 1),
    }
    if ev.run is not None:
        fields.update(run_id=ev.run.run_id, folder=ev.run.folder, values=ev.run.values)
    if ev.message:
        fields["message"] = ev.message
    emit(ev.kind, **fields)
