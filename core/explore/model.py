"""An exploration's settings, steps and saved state (``explore.json``).

The parent folder ``explore_<time>/`` holds one folder per phase
(``phase1_surfing``, ``phase2_search``, ``phase3_seeds``), each holding the
phase's config files (``surfing.yaml``, ``search1.yaml``...) and the ordinary
batch folders cr-batch made from them, plus ``explore.json`` (this module's
``ExploreState``, written atomically after every step) and the report.

A step is one batch: surfing, each round of the search, seed mining. A step
whose config file is unchanged and whose result is recorded is not run again;
any other step runs through cr-batch's rerun rules (resume, extend, or new).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..errors import StoreError
from .budget import Split

SCHEMA = 1
STATE_FILE = "explore.json"
REPORT_FILE = "explore_report.html"
HERO_FILE = "hero.yaml"
PRODUCTION_FILE = "production.yaml"
PHASES = ("surfing", "search", "seeds")
FOLDERS = {"surfing": "phase1_surfing", "search": "phase2_search", "seeds": "phase3_seeds"}
TITLES = {
    "surfing": "Sampler / scheduler surfing",
    "search": "Parameter search",
    "seeds": "Seed mining",
}
Goal = Literal["maximize", "minimize"]


@dataclass(frozen=True)
class Objective:
    """The score that decides winners: ``metric`` names a ``metrics:`` entry."""

    metric: str
    goal: Goal

    def better(self, a: float, b: float) -> bool:
        return a > b if self.goal == "maximize" else a < b

    def sort_key(self, score: float) -> float:
        """Ascending sort puts the best first."""
        return -score if self.goal == "maximize" else score


@dataclass(frozen=True)
class Step:
    key: str  # surfing | search1, search2... | seeds
    phase: str
    runs: int
    round: int = 0

    @property
    def folder(self) -> str:
        return FOLDERS[self.phase]

    @property
    def config_name(self) -> str:
        return f"{self.key}.yaml"


def plan_steps(split: Split) -> list[Step]:
    steps = [Step("surfing", "surfing", split.surfing)] if split.surfing else []
    steps += [Step(f"search{i}", "search", n, i) for i, n in enumerate(split.rounds, 1)]
    if split.seeds:
        steps.append(Step("seeds", "seeds", split.seeds))
    return steps


@dataclass
class StepResult:
    """What a finished step found. ``status``: done, or ``rate`` while the person's
    ratings are awaited. ``winner``: {run_id, values, score, batch, outputs, why}."""

    key: str
    batch: str  # the batch folder, relative to the exploration folder
    config_sha: str
    status: str = "done"
    runs: int = 0
    failed: int = 0
    seconds: float = 0.0
    winner: dict[str, Any] | None = None
    table: list[dict[str, Any]] = field(default_factory=list)  # ranking, best first
    top: list[dict[str, Any]] = field(default_factory=list)  # seed mining: the heroes

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepResult:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class ExploreState:
    workflow: str  # absolute path
    workflow_sha256: str
    fingerprint: str  # of the settings that define the exploration (not the budget)
    settings: dict[str, Any]
    sweep_seed: int
    budget: int
    created_at: str
    updated_at: str = ""
    state: str = "running"  # running | rate | done | interrupted
    waiting: str | None = None  # the step whose runs the person is asked to rate
    steps: dict[str, StepResult] = field(default_factory=dict)
    # heroes, importance, skipped phases and why, runs planned per phase, the waiting text
    notes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema"] = SCHEMA
        return data

    @classmethod
    def from_json(cls, data: Any, source: str) -> ExploreState:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise StoreError(f"{source}: not an exploration state file (schema {SCHEMA})")
        try:
            steps = {k: StepResult.from_json(v) for k, v in (data.get("steps") or {}).items()}
            fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            fields["steps"] = steps
            return cls(**fields)
        except (TypeError, AttributeError) as err:
            raise StoreError(f"{source}: unreadable exploration state ({err})") from None


def fingerprint(workflow_sha: str, settings: dict[str, Any]) -> str:
    text = json.dumps([workflow_sha, settings], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
