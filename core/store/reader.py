"""The read side of a run store: load a batch folder, reconcile it in memory, answer queries.

Nothing here writes: readers (contact sheet, status routes) may open a batch a
sweep is writing. ``RunStore`` (core/store/runstore.py) extends ``StoreReader`` with the
single-writer lock and every write; construct stores through ``RunStore``.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..config.load import parse_config
from ..errors import StoreError, SweepError
from ..plan.model import Plan
from ..workflow import Workflow
from .format import (
    COUNTED,
    Meta,
    RunRecord,
    check_progress,
    one_line,
    peek_progress,
    read_json,
    read_metadata,
    recount,
)

if TYPE_CHECKING:
    from ..config.model import SweepConfig
    from ..plan.model import PlannedRun

__all__ = ["StoreReader", "StoreState"]

_FILES = ("config.yaml", "workflow.json", "plan.json", "progress.json", "metadata.csv")
_R = TypeVar("_R", bound="StoreReader")


@dataclass
class StoreState:
    """What this store instance knows of the disk."""

    progress: dict[str, Any]
    meta: Meta
    progress_dirty: bool = False
    signature: tuple[Any, ...] = ()
    written: str | None = None  # progress.json as last written by this instance


class StoreReader:
    """One batch folder as read from disk; see ``RunStore`` for the writes."""

    root: Path
    _state: StoreState
    plan: Plan
    config: SweepConfig
    workflow: Workflow

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._mutex = threading.RLock()
        self._index: dict[int, PlannedRun] = {}
        # Read-only copies handed out by records(), refreshed per written run:
        # a sweep asks for them after every event, so no copy of every row each time.
        self._copies: dict[int, RunRecord] | None = None

    @property
    def _st(self) -> StoreState:
        return self._state

    @_st.setter
    def _st(self, state: StoreState) -> None:
        self._state = state
        self._copies = None

    @classmethod
    def open(cls: type[_R], root: Path) -> _R:
        """Load a batch folder without writing. StoreError (one line, naming
        the folder) if it is not a batch or a file is unreadable."""
        store = cls(root)
        try:
            store._load_snapshots()
            store._st = store._read_state()
        except (OSError, ValueError, KeyError, TypeError, SweepError) as exc:
            raise StoreError(
                f"{store.root} is not a readable comfy-sweep batch: {one_line(exc)}",
                details={"folder": str(store.root)},
            ) from exc
        return store

    @staticmethod
    def find_resumable(base_dir: Path, fingerprint: str) -> Path | None:
        """The newest batch under ``base_dir`` with this fingerprint whose state
        is not done and that still has runs not done."""
        base = Path(base_dir)
        if not base.is_dir():
            return None
        found: list[tuple[str, str, Path]] = []
        for child in base.iterdir():
            p = peek_progress(child) if child.is_dir() else None
            if p is None or p.get("fingerprint") != fingerprint or p.get("state") == "done":
                continue
            if int(p.get("done", 0)) < p["total"]:
                found.append((str(p.get("created_at", "")), child.name, child))
        return max(found)[2] if found else None

    def _load_snapshots(self) -> None:

        if not self.root.is_dir():
            raise ValueError("no such folder")
        for name in _FILES:
            if not (self.root / name).is_file():
                raise ValueError(f"missing {name}")
        cfg_path = self.root / "config.yaml"
        cfg = parse_config(cfg_path.read_text(encoding="utf-8"), source=str(cfg_path))
        wf_path = self.root / "workflow.json"
        wf = Workflow.from_data(read_json(wf_path), str(wf_path))
        self._attach(cfg, wf, Plan.from_json(read_json(self.root / "plan.json")))

    def _attach(self, cfg: SweepConfig, workflow: Workflow, plan: Plan) -> None:
        self.config, self.workflow, self.plan = cfg, workflow, plan
        self._index = {r.run_id: r for r in plan.runs}

    def _read_state(self) -> StoreState:
        """Read progress.json and metadata.csv and reconcile them in memory:
        metadata.csv wins; progress.json is marked for rewrite if it differs."""
        sig = self._signature()
        progress = check_progress(read_json(self.root / "progress.json"))
        meta = read_metadata(self.root / "metadata.csv", self._index)
        before = json.dumps([progress.get(k) for k in COUNTED])
        recount(progress, meta.records)
        progress["total"] = len(self.plan.runs)
        progress_dirty = before != json.dumps([progress.get(k) for k in COUNTED])
        meta.dirty = meta.dirty or meta.params != list(self.plan.parameters)
        return StoreState(progress, meta, progress_dirty, sig)

    def reload(self) -> None:
        """Re-read the state files (for a reader following a running sweep)."""
        with self._mutex:
            self._st = self._read_state()

    # ------------------------------------------------------------ reading
    @property
    def fingerprint(self) -> str:
        return str(self._st.progress["fingerprint"])

    @property
    def name(self) -> str:
        return self.root.name

    def progress(self) -> dict[str, Any]:
        """progress.json's content (as reconciled in memory)."""
        with self._mutex:
            copy: dict[str, Any] = json.loads(json.dumps(self._st.progress))
            return copy

    def counts(self) -> tuple[int, int]:
        """(done, failed) without copying anything: the engine asks after every event."""
        with self._mutex:
            return int(self._st.progress["done"]), int(self._st.progress["failed"])

    def progress_on_disk(self) -> dict[str, Any]:
        """progress.json as this instance last wrote it: with ``write_behind``
        it trails ``progress()`` by the writes still queued (what a crash now
        would leave); otherwise, and before any write, ``progress()``."""
        text = self._st.written
        if text is None:
            return self.progress()
        data: dict[str, Any] = json.loads(text)
        return data

    def records(self) -> list[RunRecord]:
        """Every recorded run, in run_id order. The records are copies (changing
        one never changes the store), shared between calls until that run is
        written again: treat them as read-only."""
        with self._mutex:
            if self._copies is None:
                recs = self._st.meta.records
                self._copies = {k: dataclasses.replace(r) for k, r in recs.items()}
            return [r for _, r in sorted(self._copies.items())]

    def record(self, run_id: int) -> RunRecord | None:
        with self._mutex:
            return self._st.meta.records.get(run_id)

    def pending(self, *, include_failed: bool = True) -> list[PlannedRun]:
        """Runs not done, in run_id order. Failed runs are retried by default
        (the new row replaces theirs); ``include_failed=False`` leaves them."""
        with self._mutex:
            recs = self._st.meta.records
            return [
                r
                for r in self.plan.runs
                if r.run_id not in recs or (include_failed and recs[r.run_id].status != "done")
            ]

    def in_flight(self) -> dict[int, str]:
        """run_id -> prompt_id submitted (or about to be) and not yet recorded."""
        with self._mutex:
            return {int(k): str(v) for k, v in self._st.progress["submitted"].items()}

    def _planned(self, run_id: int) -> PlannedRun:
        try:
            return self._index[run_id]
        except KeyError:
            raise StoreError(f"{self.root}: run {run_id} is not in the plan") from None

    def _signature(self) -> tuple[Any, ...]:
        """mtime and size of the files every write ends with: a change we did not
        make ourselves means another process wrote the batch."""
        sig: list[Any] = []
        for name in ("progress.json", "metadata.csv", "plan.json"):
            try:
                st = (self.root / name).stat()
                sig.append((st.st_mtime_ns, st.st_size))
            except OSError:
                sig.append(None)
        return tuple(sig)
