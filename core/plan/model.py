"""The plan as stored in plan.json: its runs, frozen once the batch is created."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import PlanError

PLAN_SCHEMA = 1


@dataclass(frozen=True)
class PlannedRun:
    run_id: int  # 1-based execution position (frozen)
    sample_index: int  # index of the sample before ordering (draw / grid position)
    repeat: int  # 0..seeds_per_sample-1
    values: dict[str, Any]  # parameter name -> value (seeds included)
    folder: str  # sanitised run_name_pattern result


@dataclass
class Plan:
    runs: list[PlannedRun]
    parameters: list[str]  # names in config order
    strategy: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sweep_seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": PLAN_SCHEMA,
            "strategy": self.strategy,
            "parameters": list(self.parameters),
            "sweep_seed": self.sweep_seed,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "runs": [
                {
                    "run_id": r.run_id,
                    "sample_index": r.sample_index,
                    "repeat": r.repeat,
                    "values": dict(r.values),
                    "folder": r.folder,
                }
                for r in self.runs
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        try:
            runs = [
                PlannedRun(
                    run_id=int(r["run_id"]),
                    sample_index=int(r["sample_index"]),
                    repeat=int(r["repeat"]),
                    values=dict(r["values"]),
                    folder=str(r["folder"]),
                )
                for r in data["runs"]
            ]
            return cls(
                runs=runs,
                parameters=[str(p) for p in data["parameters"]],
                strategy=str(data["strategy"]),
                warnings=[str(w) for w in data.get("warnings", [])],
                notes=[str(n) for n in data.get("notes", [])],
                sweep_seed=int(data["sweep_seed"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise PlanError(f"plan.json is malformed: {err!r}") from None


__all__ = ["PLAN_SCHEMA", "Plan", "PlannedRun"]
