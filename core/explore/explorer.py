"""The exploration's course: which step runs next, what a finished step found,
and what the exploration leaves behind. Running a step is the caller's job
(cli/explore.py hands each step's config to cr-batch's client mode): this
class only reads batch folders and writes the exploration's own files.

    explorer = Explorer(root, state, space, split, common)
    action = explorer.next_action()   # Run(step, config text) | Wait(step) | Done()
    explorer.record(step, batch_dir, seconds)   # after the batch ran
    explorer.finish()                 # heroes, importance, hero/production configs
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PlanError
from ..report.sheet import SHEET_FILE
from ..store import atomic
from ..store.marks import read_picked, read_rating
from ..store.reader import StoreReader
from .budget import Split
from .hero import hero_config, production_config, render_yaml
from .importance import importance
from .model import (
    FOLDERS,
    HERO_FILE,
    PRODUCTION_FILE,
    TITLES,
    ExploreState,
    Step,
    StepResult,
    plan_steps,
    text_sha,
)
from .phases import Common, carried_winner, step_config
from .space import Space
from .winners import SEARCH_ROWS, TABLE_ROWS, Row, heroes, run_winner, surf_winner


@dataclass(frozen=True)
class Run:
    step: Step
    config_text: str


@dataclass(frozen=True)
class Wait:
    step: Step
    result: StepResult


@dataclass(frozen=True)
class Done:
    pass


Action = Run | Wait | Done


def batch_rows(root: Path, batch: Path, common: Common) -> list[Row]:
    """The done runs of a batch; ``score`` is the objective (the stars without one)."""
    store = StoreReader.open(batch)
    rel = _rel(root, batch)
    rows = []
    for rec in store.records():
        if rec.status != "done":
            continue
        rating = read_rating(rec.extra)
        score = rec.scores.get(common.objective.metric) if common.objective else rating
        rows.append(Row(rec.run_id, dict(rec.values), None if score is None else float(score),
                        rating, read_picked(rec.extra), rel, tuple(rec.outputs)))  # fmt: skip
    return rows


def _row_of(winner: Mapping[str, Any]) -> Row:
    return Row(int(winner["run_id"]), dict(winner.get("values") or {}), winner.get("score"),
               winner.get("rating"), bool(winner.get("picked")), str(winner.get("batch", "")),
               tuple(winner.get("outputs") or ()))  # fmt: skip


class Explorer:
    def __init__(
        self, root: Path, state: ExploreState, space: Space, split: Split, common: Common
    ) -> None:
        self.root = root
        self.state = state
        self.space = space
        self.split = split
        self.common = common
        self.steps = plan_steps(split)
        state.notes["skipped"] = skipped_phases(space, split)
        state.notes["steps"] = [
            {"key": s.key, "phase": s.phase, "runs": s.runs} for s in self.steps
        ]
        state.notes["planned"] = {
            "surfing": split.surfing,
            "search": split.search,
            "seeds": split.seeds,
        }

    # -- the course ---------------------------------------------------------------------
    def results_before(self, step: Step) -> dict[str, StepResult]:
        index = self.steps.index(step)
        keys = [s.key for s in self.steps[:index]]
        return {k: self.state.steps[k] for k in keys if k in self.state.steps}

    def config_text(self, step: Step) -> str:
        data = step_config(self.common, self.space, step, self.results_before(step), self.shape)
        data["output"] = {"base_dir": str(self.root / step.folder)}
        title = TITLES[step.phase] + (f", round {step.round}" if step.round else "")
        return render_yaml(data, [
            f"{title}: step {step.key} of exploration {self.root.name} (comfy-sweep explore).",
            "Rerunning the exploration writes this file again; edit a copy to run it by hand.",
        ])  # fmt: skip

    @property
    def shape(self) -> tuple[int, int]:
        return (self.split.samplers, self.split.schedulers)

    def next_action(self) -> Action:
        for step in self.steps:
            text = self.config_text(step)
            res = self.state.steps.get(step.key)
            if res is not None and res.config_sha == text_sha(text):
                if res.status == "done":
                    continue
                return Wait(step, res)
            return Run(step, text)
        return Done()

    def step_path(self, step: Step) -> Path:
        return self.root / FOLDERS[step.phase] / step.config_name

    # -- judging a step ----------------------------------------------------------------------
    def record(self, step: Step, batch: Path, seconds: float = 0.0) -> StepResult:
        """Judge the finished batch of ``step`` and keep the result in the state."""
        rows = batch_rows(self.root, batch, self.common)
        text = self.config_text(step)
        old = self.state.steps.get(step.key)
        res = StepResult(step.key, _rel(self.root, batch), text_sha(text))
        res.seconds = seconds + (old.seconds if old is not None and old.batch == res.batch else 0.0)
        store = StoreReader.open(batch)
        res.runs, res.failed = len(store.records()), store.counts()[1]
        if step.phase == "surfing":
            res.winner, res.table = surf_winner(
                rows, [a.name for a in self.space.surf], self.common.objective
            )
        else:
            limit = SEARCH_ROWS if step.phase == "search" else TABLE_ROWS
            res.winner, res.table = run_winner(rows, self.common.objective, limit)
        if res.winner is None:
            self._no_winner(step, batch, rows)
            res.status = "rate"
        self.state.steps[step.key] = res
        self.state.waiting = step.key if res.status == "rate" else None
        self.state.state = "rate" if res.status == "rate" else "running"
        if res.status == "rate":
            self.state.notes["waiting_text"] = self.waiting_text(step, batch)
        return res

    def _no_winner(self, step: Step, batch: Path, rows: list[Row]) -> None:
        if self.common.objective is None:
            return
        metric = self.common.objective.metric
        why = "no run finished" if not rows else f"no run has a score_{metric} (see the sheet)"
        raise PlanError(f"{batch}: {why}; the {step.key} step has no winner")

    def waiting_text(self, step: Step, batch: Path) -> str:
        sheet = batch / SHEET_FILE
        return (
            f"Rate the runs of {TITLES[step.phase].lower()} ({step.key}): open {sheet}, give the "
            f"runs you like stars (or pick them), or from a shell: cr-rate {batch} RUN_ID STARS "
            "[--pick]. Then rerun the exploration with --continue."
        )

    # -- the end -----------------------------------------------------------------------------
    def finish(self) -> None:
        """Heroes, importance, hero.yaml and production.yaml; the state done."""
        last = self.steps[-1]
        rows = self._final_rows(last)
        hero_list = heroes(rows, self.common.objective)
        ranking = self._importance()
        self.state.notes.update(heroes=hero_list, importance=ranking)
        base = self.root / "hero"
        rounds = len(self.split.rounds)
        comments = [f"From exploration {self.root.name} (comfy-sweep explore, docs/explore.md)."]
        hero = hero_config(self.common, self.space, hero_list, base)
        prod = production_config(
            self.common, self.space, hero_list, ranking, rounds, self.root / "production"
        )
        if hero is not None:
            atomic.write_text(
                self.root / HERO_FILE,
                render_yaml(
                    hero, [*comments, "The hero runs, value for value: cr-batch hero.yaml"]
                ),
            )
        if prod is not None:
            atomic.write_text(
                self.root / PRODUCTION_FILE,
                render_yaml(
                    prod, [*comments, "Phase 4: a grid around the winners on the heroes' seeds."]
                ),
            )
        self.state.state, self.state.waiting = "done", None

    def _final_rows(self, last: Step) -> list[Row]:
        res = self.state.steps[last.key]
        rows = batch_rows(self.root, self.root / res.batch, self.common)
        if last.phase == "seeds":  # the search's winner ran at these settings too
            winner = carried_winner(last, self.results_before(last), self.common.objective)
            if winner is not None:
                rows.append(_row_of(winner))
        elif last.phase == "search":
            for s in self.steps:
                if s.phase == "search" and s is not last and s.key in self.state.steps:
                    rows += batch_rows(
                        self.root, self.root / self.state.steps[s.key].batch, self.common
                    )
        return rows

    def _importance(self) -> list[dict[str, Any]]:
        first = self.state.steps.get("search1")
        if first is None:
            return []
        rows = batch_rows(self.root, self.root / first.batch, self.common)
        goal = self.common.objective.goal if self.common.objective else "maximize"
        return importance(rows, self.space.search, goal)


def _rel(root: Path, batch: Path) -> str:
    """``batch`` relative to the exploration folder: inside it (``phase2_search/batch_…``),
    or beside it where ComfyUI's server keeps its sweeps (``../batch_…``)."""
    return Path(os.path.relpath(batch.resolve(), root.resolve())).as_posix()


def skipped_phases(space: Space, split: Split) -> dict[str, str]:
    """Why a phase does not run, for the report."""
    out: dict[str, str] = {}
    if not space.surf:
        out["surfing"] = "skipped: the workflow has no sampler (no sampler_name or scheduler input)"
    elif not split.surfing:
        out["surfing"] = "skipped: fewer than two sampler x scheduler combinations fit the budget"
    if not space.search:
        out["search"] = (
            "skipped: no numeric input the analyzer marks as worth exploring "
            "(name inputs with --only)"
        )
    if not space.seeds:
        out["seeds"] = "skipped: the workflow has no seed input"
    return out
