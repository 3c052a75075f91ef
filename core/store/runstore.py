"""The run store: one batch folder on disk, the format every other piece shares.

Layout, files and columns are specified in docs/run-store.md (schema_version 1);
keep both in step. In short: ``metadata.csv`` is the source of truth for
finished runs; ``progress.json`` holds the state, the counts and the prompt ids
of runs in flight (written *before* a prompt is submitted); every write goes
through core/store/atomic.py; one writer per batch (``store.lock``). The file codecs
live in core/store/format.py.

Opening a store never writes: readers (contact sheet, status routes) may open a
batch a sweep is writing. What a crash left inconsistent is resolved in memory
on open and written back when the lock is first taken. The read side (open,
reconcile, queries) is ``StoreReader`` in core/store/reader.py; this module adds
creating a batch, the lock, write-behind and every write.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import functools
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.load import config_fingerprint, dump_config_yaml
from ..errors import StoreError
from ..sweep.lifecycle import STATES
from . import atomic
from .format import (
    COUNTED,
    EXTRA_COLUMNS,
    SCHEMA_VERSION,
    Meta,
    RunRecord,
    clean_scores,
    count_one,
    csv_text,
    metadata_header,
    metadata_row,
    now_iso,
    params_json,
    recount,
)
from .reader import StoreReader, StoreState
from .writer import Append, OrderedWriter, Replace

if TYPE_CHECKING:
    from ..config.model import SweepConfig
    from ..plan.model import Plan, PlannedRun
    from ..workflow import Workflow

__all__ = [
    "RunStore",
]

log = logging.getLogger(__name__)

_RESERVED = frozenset({"schema_version", "name", "state", "fingerprint", "created_at"})
_RESERVED |= frozenset({"updated_at", "total", *COUNTED})


def _check_extra(extra: Mapping[str, Any]) -> None:
    clash = sorted(set(extra) & _RESERVED)
    if clash:
        raise StoreError(f"progress.json keys {', '.join(clash)} are managed by the store")


def _make_batch_dir(base_dir: Path, name: str | None) -> Path:
    """mkdir is exclusive, so two sweeps started in the same second get _2, _3."""
    base_dir.mkdir(parents=True, exist_ok=True)
    stem = name or time.strftime("batch_%Y-%m-%d_%H-%M-%S")
    for n in range(1, 10_000):
        root = base_dir / (stem if n == 1 else f"{stem}_{n}")
        try:
            root.mkdir()
            return root
        except FileExistsError:
            continue
    raise StoreError(f"{base_dir}: no free batch folder name for {stem}")


def _new_progress(
    name: str, fingerprint: str, total: int, extra: Mapping[str, Any]
) -> dict[str, Any]:
    """progress.json of a batch just created: queued, nothing counted yet."""
    stamp = now_iso()
    progress: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "state": "queued",
        "mode": "client",
        "server_sweep_id": None,
        "fingerprint": fingerprint,
        "created_at": stamp,
        "updated_at": stamp,
        "total": total,
        **dict(extra),
    }
    recount(progress, {})
    return progress


# ------------------------------------------------------------------ the store
class RunStore(StoreReader):
    """One batch folder; construct with ``create`` or ``open``."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._lock: atomic.LockFile | None = None
        self._lock_depth = 0
        self._cleaned = False
        self.took_over_from: dict[str, Any] | None = None
        self._made_dirs: set[str] = set()
        self._sink: OrderedWriter | None = None

    @classmethod
    def create(
        cls,
        base_dir: Path,
        cfg: SweepConfig,
        workflow: Workflow,
        plan: Plan,
        *,
        name: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> RunStore:
        """Make ``batch_YYYY-MM-DD_HH-MM-SS[_n]/`` under ``base_dir`` and write
        the snapshots. progress.json comes last: a folder without it is not a
        batch, so a crash during create leaves nothing to resume."""

        _check_extra(extra or {})
        root = _make_batch_dir(Path(base_dir), name)
        cfg = dataclasses.replace(cfg, sweep_seed=plan.sweep_seed)
        atomic.write_text(root / "config.yaml", dump_config_yaml(cfg))
        atomic.write_json(root / "workflow.json", workflow.to_json())
        atomic.write_json(root / "plan.json", plan.to_json())
        (root / "runs").mkdir()
        atomic.write_text(root / "metadata.csv", csv_text([metadata_header(plan.parameters, [])]))
        fingerprint = config_fingerprint(cfg, workflow)
        progress = _new_progress(root.name, fingerprint, len(plan.runs), extra or {})
        store = cls(root)
        store._attach(cfg, workflow, plan)
        store._st = StoreState(progress, Meta(list(plan.parameters), [], {}, False))
        store._write_progress()
        return store

    def run_dir(self, run_id: int) -> Path:
        """``runs/<folder>/`` of a planned run (created)."""
        folder = self._planned(run_id).folder
        path = self.root / "runs" / folder
        if folder not in self._made_dirs:  # a syscall per call adds up at 40 runs/s
            path.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(folder)
        return path

    # ------------------------------------------------------- write-behind
    def write_behind(self, writer: OrderedWriter | None) -> None:
        """Hand this store's file writes to ``writer`` (one thread, same order)
        or, with None, write in the caller's thread again. The in-memory state
        changes at once either way; the files follow in order. A server uses
        it so that fsyncs never run on its event loop; whoever must know a
        write is durable (a prompt id before its prompt is queued) waits on
        ``flushed()``. A failed write is raised by the next write or flush.
        The writer commits the writes queued meanwhile together (core/store/writer.py)."""
        with self._mutex:
            self._sink = writer

    def flushed(self) -> concurrent.futures.Future[None]:
        """Done once every write made so far is on disk (at once without a writer)."""
        sink = self._sink
        if sink is not None:
            fut: concurrent.futures.Future[None] = sink.barrier()
            return fut
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.set_result(None)
        return done

    def _put(self, op: Replace | Append) -> None:
        if self._sink is None:
            op.run()
        else:
            self._sink.write(op)

    def _drain_quietly(self) -> None:
        # Before the lock is released every queued write must be on disk; a
        # write error was already raised to (or will be, by) the sweep.
        if self._sink is not None:
            with contextlib.suppress(BaseException):
                self._sink.barrier().result()

    # ------------------------------------------------------------ locking
    def lock(self, holder: str) -> contextlib.AbstractContextManager[None]:
        """The batch's single-writer lock (re-entrant for this instance).
        StoreLockedError names the other holder; the stale lock of a dead
        process on this host is taken over (logged; kept in ``took_over_from``)."""
        return self._locked(holder)

    @contextlib.contextmanager
    def _locked(self, holder: str) -> Iterator[None]:
        # The mutex guards the depth and each write, not the whole ``with``:
        # a server may enter the lock in one thread and leave it in another,
        # and readers in worker threads must not wait for a sweep to end.
        with self._mutex:
            if self._lock_depth == 0:
                self._acquire(holder)
            self._lock_depth += 1
        try:
            yield
        finally:
            if self._lock_depth == 1:
                self._drain_quietly()  # outside the mutex: the writer never takes it
            with self._mutex:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock is not None:
                    self._lock.release()
                    self._lock = None

    def _acquire(self, holder: str) -> None:
        lk = atomic.LockFile(self.root / "store.lock", self.root.name)
        stale = lk.acquire(holder)
        if stale is not None:
            self.took_over_from = stale
            log.warning("%s: took over the stale lock of %s", self.root, stale or "unknown")
        try:
            self._repair()
        except BaseException:
            lk.release()
            raise
        self._lock = lk

    def _repair(self) -> None:
        """Under the lock: catch up with writes of other processes, then write
        back what the crash left (torn CSV line, stale counts, temp files)."""
        if self._signature() != self._st.signature:
            self._load_snapshots()
            self._st = self._read_state()
        if not self._cleaned:
            self._remove_temp_files()
            self._restore_params()
            self._cleaned = True
        if self._st.meta.dirty:
            self._rewrite_metadata()
        if self._st.progress_dirty:
            self._write_progress()

    def _restore_params(self) -> None:
        """params.json is a copy of a run's plan entry and row, written without an
        fsync and, under group commit, possibly after its row: a crash can leave a
        recorded run without it. Written again from the row, which is the truth."""
        if not self.config.output.save_params_json:
            return
        for rec in self._st.meta.records.values():
            path = self.run_dir(rec.run_id) / "params.json"
            if path.parent.is_dir() and not path.exists():
                text = atomic.json_text(params_json(self._planned(rec.run_id), rec))
                self._put(Replace(path, text, durable=False))

    @contextlib.contextmanager
    def _writer(self) -> Iterator[None]:
        # A write outside ``lock()`` takes the lock for that one operation, so
        # nothing ever writes a batch that another process is writing.
        with self._locked(f"comfy-sweep pid {os.getpid()}"), self._mutex:
            yield

    # ------------------------------------------------------------ writing
    def record_submitted(self, run_id: int, prompt_id: str, prompt: Mapping[str, Any]) -> None:
        """Save prompt.json and the prompt id BEFORE the prompt is submitted."""
        with self._writer():
            # prompt.json is for people and "Load into graph"; the prompt id in
            # progress.json is what a resume needs, so only that one is fsync'd.
            path = self.run_dir(run_id) / "prompt.json"
            self._put(Replace(path, atomic.json_text(prompt), durable=False))
            self._st.progress["submitted"][str(run_id)] = prompt_id
            self._write_progress()

    def withdraw_submitted(self, prompts: Mapping[int, str]) -> None:
        """Forget prompt ids recorded but never sent (the sweep stopped before it sent
        them): no longer in flight. Not fsync'd: a resume that still finds one asks
        the server, which does not know it, and runs the run, as without it."""
        with self._writer():
            submitted = self._st.progress["submitted"]
            gone = [str(k) for k, pid in prompts.items() if submitted.get(str(k)) == pid]
            for key in gone:
                del submitted[key]
            if gone:
                self._write_progress(durable=False)

    def save_prompt(self, run_id: int, prompt: Mapping[str, Any]) -> None:
        """Replace a run's prompt.json (the prompt as ComfyUI really queued it,
        after other extensions rewrote it), ordered after record_submitted's."""
        with self._writer():
            self._put(Replace(self.run_dir(run_id) / "prompt.json", atomic.json_text(prompt)))

    def record_result(self, rec: RunRecord) -> None:
        """Record a run whose outputs are already in its folder: params.json,
        then its metadata row (replacing a retried run's row), then progress."""
        run = self._planned(rec.run_id)
        if rec.status not in ("done", "failed"):
            raise StoreError(f"run {rec.run_id}: status must be done or failed, not {rec.status!r}")
        with self._writer():
            if rec.status == "done":
                self._check_outputs(rec)
            rec = dataclasses.replace(rec, values=dict(run.values))
            if self.config.output.save_params_json:
                text = atomic.json_text(params_json(run, rec))
                # A copy of the run's plan entry and metadata row (both durable): not fsync'd.
                self._put(Replace(self.run_dir(rec.run_id) / "params.json", text, durable=False))
            records = self._st.meta.records
            old = records.get(rec.run_id)
            records[rec.run_id] = rec
            if self._copies is not None:
                self._copies[rec.run_id] = dataclasses.replace(rec)
            if old is not None or self._st.meta.needs_extras(rec) or self._st.meta.dirty:
                self._rewrite_metadata()
            else:
                meta = self._st.meta
                line = csv_text([metadata_row(rec, meta.params, meta.scores, meta.extras)])
                self._put(Append(self.root / "metadata.csv", line))
            if not count_one(self._st.progress, old, rec):
                recount(self._st.progress, records)
            # Its counts are recomputed from metadata.csv (just fsync'd) on open, and a
            # recorded run is no longer in flight whatever "submitted" says: no fsync.
            self._write_progress(durable=False)

    def set_state(self, state: str, **extra: Any) -> None:
        """queued|running|done|cancelled|interrupted, plus free extra keys
        (e.g. ``message``, ``server_sweep_id``)."""
        if state not in STATES:
            raise StoreError(f"unknown batch state {state!r}; expected one of {', '.join(STATES)}")
        _check_extra(extra)
        with self._writer():
            self._st.progress.update(extra, state=state)
            self._write_progress()

    def merge_scores(self, scores: Mapping[int, Mapping[str, float]]) -> None:
        """Merge numeric ``score_<name>`` columns into metadata.csv (one
        rewrite), through the lock unless this instance already holds it."""
        with self._writer():
            clean = clean_scores(scores, self._st.meta.records)
            names = self._st.meta.scores
            for run_id, values in clean.items():
                self._st.meta.records[run_id].scores.update(values)
                names.extend(n for n in values if n not in names)
            self._copies = None
            self._rewrite_metadata()
            self._write_progress()

    def set_extra(self, run_id: int, values: Mapping[str, str]) -> None:
        """Set optional columns of a recorded run (``rating``, ``picked``; "" clears
        one): one rewrite, through the lock unless this instance holds it, so it is
        safe while a sweep writes the batch (its writer and this one take turns)."""
        unknown = sorted(set(values) - set(EXTRA_COLUMNS))
        if unknown:
            raise StoreError(f"not an optional column of metadata.csv: {', '.join(unknown)}")
        with self._writer():
            rec = self._st.meta.records.get(run_id)
            if rec is None:
                raise StoreError(f"run {run_id} has no metadata row yet (not finished)")
            rec.extra.update(values)
            for key in [k for k, v in rec.extra.items() if not v]:
                del rec.extra[key]
            self._st.meta.needs_extras(rec)
            self._copies = None
            self._rewrite_metadata()

    def replace_plan(self, plan: Plan, cfg: SweepConfig) -> None:
        """Swap in an extended plan; every recorded run must keep its run_id.

        The fingerprint follows the new config, so rerunning the extended config
        finds this batch again."""

        with self._writer():
            kept = {r.run_id for r in plan.runs}
            lost = sorted(set(self._st.meta.records) - kept)
            if lost:
                raise StoreError(f"{self.root}: the new plan drops recorded runs {lost[:10]}")
            cfg = dataclasses.replace(cfg, sweep_seed=plan.sweep_seed)
            self._put(Replace(self.root / "config.yaml", dump_config_yaml(cfg)))
            self._put(Replace(self.root / "plan.json", atomic.json_text(plan.to_json())))
            self._attach(cfg, self.workflow, plan)
            self._st.progress["total"] = len(plan.runs)
            self._st.progress["fingerprint"] = config_fingerprint(cfg, self.workflow)
            if self._st.meta.params != list(plan.parameters):
                self._rewrite_metadata()
            self._write_progress()

    def append_runs(
        self, runs: Sequence[PlannedRun], labels: Mapping[str, Any] | None = None
    ) -> None:
        """Add newly planned runs to plan.json (an adaptive sweep's proposals).

        Run ids must continue the plan's; plan.json is written (in write order,
        so before any prompt id of these runs) and ``total`` follows."""
        with self._writer():
            first = len(self.plan.runs) + 1
            ids = [r.run_id for r in runs]
            if ids != list(range(first, first + len(runs))):
                raise StoreError(f"{self.root}: appended run ids {ids[:3]}… must start at {first}")
            plan = dataclasses.replace(self.plan, runs=[*self.plan.runs, *runs])
            if labels is not None:
                plan.labels = {k: dict(v) for k, v in labels.items()}
            self._put(Replace(self.root / "plan.json", atomic.json_text(plan.to_json())))
            self._attach(self.config, self.workflow, plan)
            self._st.progress["total"] = len(plan.runs)
            self._write_progress()

    # ---------------------------------------------------------- internals
    def _check_outputs(self, rec: RunRecord) -> None:
        for rel in rec.outputs:
            path = self.root / rel
            if atomic.is_temp_name(path.name) or not path.is_file():
                raise StoreError(f"run {rec.run_id}: output {rel} is not completely on disk")

    def _rewrite_metadata(self) -> None:
        meta = self._st.meta
        meta.params = list(self.plan.parameters)
        cols = (meta.params, meta.scores, meta.extras)
        rows = [metadata_header(*cols)]
        rows += [metadata_row(r, *cols) for _, r in sorted(meta.records.items())]
        self._put(Replace(self.root / "metadata.csv", csv_text(rows)))
        meta.dirty = False

    def _write_progress(self, *, durable: bool = True) -> None:
        self._st.progress["updated_at"] = now_iso()
        # Serialized now: the dict keeps changing while the write is queued.
        text = atomic.json_text(self._st.progress)
        then = functools.partial(self._progress_written, text, self._st)
        self._put(Replace(self.root / "progress.json", text, durable, then))
        self._st.progress_dirty = False

    def _progress_written(self, text: str, state: StoreState) -> None:
        state.written = text
        # Our own write must not look like another process's on the next lock
        # (progress.json is always the last file of a write, so this covers all).
        state.signature = self._signature()

    def _remove_temp_files(self) -> None:
        recs = self._st.meta.records
        folders = [self.root] + [
            self.root / "runs" / r.folder
            for r in self.plan.runs
            if r.run_id not in recs or recs[r.run_id].status != "done"
        ]
        for folder in folders:
            with contextlib.suppress(OSError):
                for child in folder.iterdir():
                    if atomic.is_temp_name(child.name) and child.is_file():
                        child.unlink()
