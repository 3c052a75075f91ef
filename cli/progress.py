"""The batch progress display on stderr: one redrawn bar on a terminal, plain
lines (one per finished run) when stderr is a file or a pipe."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TextIO

from ..core.engine.events import EngineEvent
from ..core.sweep.wire import RunRow, SweepStatus
from . import output


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_values(values: Mapping[str, Any], limit: int = 6) -> str:
    parts = []
    for name, value in list(values.items())[:limit]:
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        parts.append(f"{name}={text}")
    return " ".join(parts)


# Events printed as their message: a lost prompt resubmitted, a stop, a fleet's
# server leaving or rejoining.
NOTICES = ("resubmitted", "stopping", "server_down", "server_up")


class ProgressPrinter:
    """Callable for run_sweep's ``on_event`` (and ServerProgress's events): draws
    on stderr and passes every event on to ``also``, by default the --json NDJSON
    stream (a no-op without --json), so both modes feed it the same way."""

    def __init__(
        self,
        stream: TextIO | None = None,
        tty: bool | None = None,
        also: Callable[[EngineEvent], None] | None = output.engine_event,
    ) -> None:
        self.also = also
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.in_flight: list[Any] = []  # PlannedRun, oldest first: the first one is running
        self._drawn = False

    def __call__(self, ev: EngineEvent) -> None:
        if self.also is not None:
            self.also(ev)
        if ev.kind == "submitted" and ev.run is not None:
            self.in_flight.append(ev.run)
        elif ev.kind in ("done", "failed") and ev.run is not None:
            self.in_flight = [r for r in self.in_flight if r.run_id != ev.run.run_id]
        if self.tty:
            self._bar(ev)
        else:
            self._line(ev)

    def _status(self, ev: EngineEvent) -> str:
        failed = f"  {ev.failed} failed" if ev.failed else ""
        return f"{ev.done + ev.failed}/{ev.total}{failed}  ETA {format_eta(ev.eta_s)}"

    def _bar(self, ev: EngineEvent) -> None:
        if ev.kind == "failed" and ev.run is not None:
            self._print(f"run {ev.run.run_id} failed: {ev.message}")
        elif ev.kind in NOTICES:
            self._print(ev.message)
        width = shutil.get_terminal_size((100, 20)).columns
        filled = int(20 * (ev.done + ev.failed) / max(1, ev.total))
        text = f"[{'#' * filled}{'.' * (20 - filled)}] {self._status(ev)}"
        if self.in_flight:
            cur = self.in_flight[0]
            text += f"  run {cur.run_id}: {format_values(cur.values)}"
        self.stream.write("\r\x1b[K" + text[: width - 1])
        self.stream.flush()
        self._drawn = True

    def _line(self, ev: EngineEvent) -> None:
        if ev.kind in ("done", "failed") and ev.run is not None:
            what = "done" if ev.kind == "done" else f"FAILED: {ev.message}"
            self._print(
                f"[{self._status(ev)}] run {ev.run.run_id} {what}  {format_values(ev.run.values)}"
            )
        elif ev.kind in NOTICES:
            self._print(ev.message)

    def _print(self, text: str) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self._drawn = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class Pokeable(Protocol):
    def poke(self) -> None: ...


def with_sheet(
    progress: Callable[[EngineEvent], None], sheet: Pokeable
) -> Callable[[EngineEvent], None]:
    """``on_event`` that draws progress and marks the live contact sheet stale
    whenever a run finishes (the poke only sets a flag: the engine never waits)."""

    def on_event(ev: EngineEvent) -> None:
        progress(ev)
        if ev.kind in ("done", "failed"):
            sheet.poke()

    return on_event


class ServerProgress:
    """``follow``'s status callback for a server sweep, drawn by the same
    ProgressPrinter as client mode: one event per mirrored run, the server's
    current run shown as the one in flight, its ETA.

    Done/failed are counted here, from the runs mirrored so far (``counts`` is
    what the local store held when following began): the server's summary
    counters can trail the run list of the same response, and a count derived
    from them went negative (``[-2/16]``)."""

    def __init__(
        self, printer: ProgressPrinter, plan: Any, counts: tuple[int, int] = (0, 0)
    ) -> None:
        self.printer = printer
        self.by_id = {r.run_id: r for r in plan.runs}
        self.current: int | None = None
        self.done, self.failed = counts

    def __call__(self, summary: SweepStatus, fresh: list[RunRow]) -> None:
        total, eta = int(summary["total"]), summary.get("eta_s")
        for row in fresh:
            ok = row["status"] == "done"
            self.done, self.failed = self.done + ok, self.failed + (not ok)
            run = self.by_id.get(int(row["run_id"]))
            kind = "done" if ok else "failed"
            self.printer(
                EngineEvent(
                    kind, run, self.done, self.failed, total, eta, str(row.get("error", ""))
                )
            )
        done, failed = self.done, self.failed
        cur = summary.get("current")
        run_id = cur.get("run_id") if isinstance(cur, Mapping) else None
        if run_id is not None and run_id != self.current and run_id in self.by_id:
            self.current = int(run_id)
            self.printer(
                EngineEvent("submitted", self.by_id[int(run_id)], done, failed, total, eta)
            )
        elif not fresh and self.printer.tty:
            self.printer(EngineEvent("tick", None, done, failed, total, eta))

    def close(self) -> None:
        self.printer.close()
