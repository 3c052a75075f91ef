"""The plan as stored in plan.json: its runs, frozen once the batch is created."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import PlanError

PLAN_SCHEMA = 1


@dataclass(frozen=True)
class InputFile:
    """A set's media file, uploaded to ComfyUI's input folder as ``name`` (content-hashed,
    so the plan stays pure and an upload is reused by every run and on resume)."""

    name: str  # "comfy-sweep/<sha256-16><ext>": the loader's value
    source: str  # absolute local path
    sha256: str

    @property
    def subfolder(self) -> str:
        return self.name.rpartition("/")[0]

    @property
    def filename(self) -> str:
        return self.name.rpartition("/")[2]

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "source": self.source, "sha256": self.sha256}


@dataclass(frozen=True)
class PlannedRun:
    run_id: int  # 1-based execution position (frozen)
    sample_index: int  # index of the sample before ordering (draw / grid position)
    repeat: int  # 0..seeds_per_sample-1
    values: dict[str, Any]  # parameter name -> value (seeds included)
    folder: str  # sanitised run_name_pattern result
    # Input sets: the set's literal inputs (path -> value, set before the parameters)
    # and the media files they name, which must be on the server before the run.
    inputs: dict[str, Any] = field(default_factory=dict)
    files: tuple[InputFile, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id, "sample_index": self.sample_index, "repeat": self.repeat,
            "values": dict(self.values), "folder": self.folder,
        }  # fmt: skip
        if self.inputs:
            out["inputs"] = dict(self.inputs)
        if self.files:
            out["files"] = [f.to_json() for f in self.files]
        return out

    @classmethod
    def from_json(cls, r: Mapping[str, Any]) -> PlannedRun:
        return cls(
            run_id=int(r["run_id"]),
            sample_index=int(r["sample_index"]),
            repeat=int(r["repeat"]),
            values=dict(r["values"]),
            folder=str(r["folder"]),
            inputs=dict(r.get("inputs") or {}),
            files=tuple(InputFile(str(f["name"]), str(f["source"]), str(f["sha256"]))
                        for f in r.get("files") or ()),
        )  # fmt: skip


@dataclass
class Plan:
    runs: list[PlannedRun]
    parameters: list[str]  # names in config order
    strategy: str
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sweep_seed: int = 0
    # Short labels of text values (parameter -> full text -> label): the contact sheet
    # shows them, with the full text on hover; run folder names use them too.
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schema": PLAN_SCHEMA,
            "strategy": self.strategy,
            "parameters": list(self.parameters),
            "sweep_seed": self.sweep_seed,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "runs": [r.to_json() for r in self.runs],
        }
        if self.labels:
            out["labels"] = {k: dict(v) for k, v in self.labels.items()}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        try:
            runs = [PlannedRun.from_json(r) for r in data["runs"]]
            return cls(
                runs=runs,
                parameters=[str(p) for p in data["parameters"]],
                strategy=str(data["strategy"]),
                warnings=[str(w) for w in data.get("warnings", [])],
                notes=[str(n) for n in data.get("notes", [])],
                sweep_seed=int(data["sweep_seed"]),
                labels={str(k): dict(v) for k, v in (data.get("labels") or {}).items()},
            )
        except (KeyError, TypeError, ValueError) as err:
            raise PlanError(f"plan.json is malformed: {err!r}") from None


__all__ = ["PLAN_SCHEMA", "InputFile", "Plan", "PlannedRun"]
