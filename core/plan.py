"""The frozen plan of a sweep: which runs, in which (cache-aware) order.

Building a plan: validate the config, draw the samples (sampling.py), merge samples
that became identical (integer rounding, discrete shares), order them so that
consecutive runs share the longest upstream part of the graph, then expand every
sample into ``seeds_per_sample`` runs with fresh seeds.

Why the order matters: ComfyUI's default cache only reuses node outputs shared
with the immediately preceding prompt. Parameters on upstream nodes (smaller
``Workflow.upstream_depth``) therefore vary slowest and seeds fastest, in snake
(boustrophedon) order so each level continues where the previous pass ended and
no upstream value is revisited once left. Measured on a real server (issue 3):
16 runs with an expensive upstream blur took 18.3 s in this order, 58.9 s shuffled.
Ordering changes the order only; each run keeps its ``sample_index``.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .config import ParameterSpec, SweepConfig, config_error, param_to_dict, validate_config
from .errors import PlanError
from .objectinfo import ObjectInfo
from .sampling import (
    axis_values,
    balance_lhs,
    discrete_count,
    draw_seeds,
    lhs_points,
    map_unit,
    nearest_power_of_two,
    random_points,
    sobol_points,
)
from .workflow import InputRef, Workflow

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


@dataclass(frozen=True)
class Sample:
    """One point of the design: values of the non-seed parameters."""

    index: int
    values: dict[str, Any]

    def key(self, names: Sequence[str]) -> tuple[Any, ...]:
        return tuple((type(self.values[n]).__name__, self.values[n]) for n in names)


# ---- drawing samples ---------------------------------------------------------------


def _dims(cfg: SweepConfig) -> list[ParameterSpec]:
    return [s for s in cfg.parameters.values() if s.type != "random_seed"]


def _seed_specs(cfg: SweepConfig) -> list[ParameterSpec]:
    return [s for s in cfg.parameters.values() if s.type == "random_seed"]


def _points(
    cfg: SweepConfig, start: int, stop: int, seed: int
) -> Iterable[tuple[int, dict[str, Any]]]:
    """(draw index, values) for draws ``start..stop-1`` of a sampling strategy."""
    dims = _dims(cfg)
    n = stop - start
    if cfg.sampling_strategy == "sobol":
        pts = sobol_points(n, len(dims), seed, skip=start)
    elif cfg.sampling_strategy == "random":
        pts = random_points(n, len(dims), seed, skip=start)
    else:
        pts = balance_lhs(lhs_points(n, len(dims), seed), [discrete_count(s) for s in dims])
    for i, row in enumerate(pts):
        yield start + i, {s.name: map_unit(s, float(u)) for s, u in zip(dims, row, strict=True)}


def _grid(cfg: SweepConfig) -> Iterable[tuple[int, dict[str, Any]]]:
    dims = _dims(cfg)
    axes = [axis_values(s) for s in dims]
    for i, combo in enumerate(itertools.product(*axes)):
        yield i, {s.name: v for s, v in zip(dims, combo, strict=True)}


def _merge(
    drawn: Iterable[tuple[int, dict[str, Any]]], names: list[str], seen: set[tuple[Any, ...]]
) -> tuple[list[Sample], int]:
    """Drop points identical to an earlier one (or to one in ``seen``); count them."""
    out: list[Sample] = []
    merged = 0
    for index, values in drawn:
        sample = Sample(index, values)
        key = sample.key(names)
        if names and key in seen:  # no dimensions (seeds only): every draw is a sample
            merged += 1
            continue
        seen.add(key)
        out.append(sample)
    return out, merged


def _merge_note(merged: int, kept: int) -> list[str]:
    if not merged:
        return []
    return [
        f"{merged} duplicate points merged (identical after integer rounding or discrete "
        f"values); {kept} distinct samples remain"
    ]


# ---- cache-aware order --------------------------------------------------------------


def param_depth(spec: ParameterSpec, workflow: Workflow) -> int:
    """How far upstream a parameter acts: the smallest depth over its (linked) inputs."""
    return min(workflow.upstream_depth(workflow.resolve(p).node_id) for p in spec.paths)


def order_levels(cfg: SweepConfig, workflow: Workflow) -> list[str]:
    """Non-seed parameter names, upstream-most first (ties keep config order)."""
    dims = _dims(cfg)
    depth = {s.name: param_depth(s, workflow) for s in dims}
    return sorted(depth, key=lambda n: depth[n])  # sorted() is stable


def _value_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, float(v))
    return (1, repr(v))


def snake_order(samples: Sequence[Sample], levels: Sequence[str]) -> list[Sample]:
    """Group by the first level's distinct values (each group contiguous, never revisited),
    recurse on the next level; a level reverses direction after every full pass so it
    continues from the value it ended on."""
    reverse = [False] * len(levels)

    def walk(group: Sequence[Sample], depth: int) -> list[Sample]:
        if depth == len(levels) or len(group) <= 1:
            return sorted(group, key=lambda s: s.index)
        name = levels[depth]
        buckets: dict[tuple[int, Any], list[Sample]] = {}
        for s in group:
            buckets.setdefault(_value_key(s.values[name]), []).append(s)
        out: list[Sample] = []
        for key in sorted(buckets, reverse=reverse[depth]):
            out.extend(walk(buckets[key], depth + 1))
        reverse[depth] = not reverse[depth]
        return out

    return walk(list(samples), 0)


# ---- runs -----------------------------------------------------------------------------


def _expand(
    ordered: Sequence[Sample], cfg: SweepConfig, sweep_seed: int, first_id: int, taken: set[str]
) -> list[PlannedRun]:
    runs: list[PlannedRun] = []
    seeds = _seed_specs(cfg)
    run_id = first_id
    for sample in ordered:
        for repeat, seed_values in enumerate(
            draw_seeds(seeds, sweep_seed, sample.index, cfg.seeds_per_sample)
        ):
            merged = {**sample.values, **seed_values}
            values = {n: merged[n] for n in cfg.parameters}  # config order
            folder = unique_folder(
                format_run_folder(cfg.output.run_name_pattern, run_id, values), run_id, taken
            )
            runs.append(PlannedRun(run_id, sample.index, repeat, values, folder))
            run_id += 1
    return runs


def _sobol_warning(cfg: SweepConfig) -> list[str]:
    n = cfg.num_samples
    if cfg.sampling_strategy != "sobol" or n & (n - 1) == 0:
        return []
    near = " or ".join(str(p) for p in nearest_power_of_two(n))
    return [
        f"num_samples {n} is not a power of two; Sobol points are balanced at powers of two (nearest: {near})"
    ]


def build_plan(cfg: SweepConfig, workflow: Workflow, object_info: ObjectInfo | None = None) -> Plan:
    """Validate, sample, merge, order and expand. Draws ``cfg.sweep_seed`` once if unset
    (it is written back to ``cfg`` so the config snapshot records it)."""
    warnings = validate_config(cfg, workflow, object_info)
    if cfg.sweep_seed is None:
        cfg.sweep_seed = secrets.randbelow(2**32)
        cfg.sweep_seed_drawn = True
    names = [s.name for s in _dims(cfg)]
    if cfg.sampling_strategy in ("grid", "linear"):
        drawn: Iterable[tuple[int, dict[str, Any]]] = _grid(cfg)
    else:
        drawn = _points(cfg, 0, cfg.num_samples, cfg.sweep_seed)
    samples, merged = _merge(drawn, names, set())
    ordered = snake_order(samples, order_levels(cfg, workflow))
    runs = _expand(ordered, cfg, cfg.sweep_seed, 1, set())
    if not runs:
        raise config_error(cfg.source, cfg.lines, ("parameters",), "zero runs planned")
    return Plan(
        runs=runs,
        parameters=list(cfg.parameters),
        strategy=cfg.sampling_strategy,
        warnings=warnings + _sobol_warning(cfg),
        notes=_merge_note(merged, len(samples)),
        sweep_seed=cfg.sweep_seed,
    )


# ---- extension ------------------------------------------------------------------------


def _param_change(old: ParameterSpec, new: ParameterSpec, grid: bool) -> str | None:
    """Why ``new`` cannot extend ``old`` (None if it can)."""
    a, b = param_to_dict(old), param_to_dict(new)
    if a == b:
        return None
    if (
        not grid
        or old.type == "random_seed"
        or (a.get("paths"), a.get("path"), a["type"])
        != (
            b.get("paths"),
            b.get("path"),
            b["type"],
        )
    ):
        return f"parameter {old.name!r} changed ({a} -> {b})"
    old_axis, new_axis = axis_values(old), axis_values(new)
    missing = [v for v in old_axis if v not in new_axis]
    if missing:
        return f"parameter {old.name!r} no longer has values {missing} that finished runs used"
    return None


def _extension_blocker(old: Plan, old_cfg: SweepConfig, new_cfg: SweepConfig) -> str | None:
    if new_cfg.sampling_strategy != old_cfg.sampling_strategy:
        return f"sampling_strategy changed from {old_cfg.sampling_strategy} to {new_cfg.sampling_strategy}"
    if new_cfg.seeds_per_sample != old_cfg.seeds_per_sample:
        return f"seeds_per_sample changed from {old_cfg.seeds_per_sample} to {new_cfg.seeds_per_sample}"
    if new_cfg.sweep_seed is not None and new_cfg.sweep_seed != old.sweep_seed:
        return f"sweep_seed changed from {old.sweep_seed} to {new_cfg.sweep_seed}"
    if list(new_cfg.parameters) != list(old_cfg.parameters):
        return f"parameters changed from {list(old_cfg.parameters)} to {list(new_cfg.parameters)}"
    grid = new_cfg.sampling_strategy in ("grid", "linear")
    for name, spec in old_cfg.parameters.items():
        reason = _param_change(spec, new_cfg.parameters[name], grid)
        if reason:
            return reason
    if grid:
        return None
    if new_cfg.num_samples < old_cfg.num_samples:
        return f"num_samples lowered from {old_cfg.num_samples} to {new_cfg.num_samples}; finished runs are kept, not dropped"
    if new_cfg.sampling_strategy == "lhs" and new_cfg.num_samples != old_cfg.num_samples:
        return "a Latin hypercube of one size is not part of a larger one; start a new batch (or use sobol/random)"
    return None


def extend_plan(
    old: Plan,
    old_cfg: SweepConfig,
    new_cfg: SweepConfig,
    workflow: Workflow,
    object_info: ObjectInfo | None = None,
) -> Plan:
    """Keep every old run with its run_id and append only the new samples (cache-ordered).
    Sobol continues its sequence, random its stream; grids add the new combinations."""
    validate_config(old_cfg, workflow, object_info)  # same integer rounding on both sides
    warnings = validate_config(new_cfg, workflow, object_info)
    reason = _extension_blocker(old, old_cfg, new_cfg)
    if reason:
        raise PlanError(f"cannot extend the batch: {reason}", details={"reason": reason})
    new_cfg.sweep_seed = old.sweep_seed
    names = [s.name for s in _dims(new_cfg)]
    seen = {Sample(r.sample_index, r.values).key(names) for r in old.runs}
    if new_cfg.sampling_strategy in ("grid", "linear"):
        first = max((r.sample_index for r in old.runs), default=-1) + 1
        fresh = (v for _, v in _grid(new_cfg) if Sample(0, v).key(names) not in seen)
        drawn: Iterable[tuple[int, dict[str, Any]]] = enumerate(fresh, start=first)
    else:
        drawn = _points(new_cfg, old_cfg.num_samples, new_cfg.num_samples, old.sweep_seed)
    samples, merged = _merge(drawn, names, seen)
    ordered = snake_order(samples, order_levels(new_cfg, workflow))
    taken = {r.folder for r in old.runs}
    runs = _expand(ordered, new_cfg, old.sweep_seed, len(old.runs) + 1, taken)
    return Plan(
        runs=[*old.runs, *runs],
        parameters=list(new_cfg.parameters),
        strategy=new_cfg.sampling_strategy,
        warnings=warnings + _sobol_warning(new_cfg),
        notes=[*old.notes, *_merge_note(merged, len(samples)), f"extended by {len(runs)} runs"],
        sweep_seed=old.sweep_seed,
    )


# ---- prompts, folders, tables -------------------------------------------------------


def prompt_for_run(
    workflow: Workflow, cfg: SweepConfig, run: PlannedRun
) -> dict[str, dict[str, Any]]:
    """The API prompt of one run: every path of every parameter set (linked paths alike)."""
    values: dict[InputRef, Any] = {}
    for name, spec in cfg.parameters.items():
        value = run.values[name]
        if spec.integer and isinstance(value, float):
            value = int(round(value))
        for path in spec.paths:
            values[workflow.resolve(path)] = value
    return workflow.apply(values)


_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
_MAX_FOLDER = 150  # leaves room for file names under Windows' 260-character paths


def sanitize_folder(name: str, fallback: str) -> str:
    """A folder name valid on Windows, macOS and Linux."""
    name = _FORBIDDEN.sub("_", name)[:_MAX_FOLDER].rstrip(" .")
    if not name or name in (".", ".."):
        return fallback
    if name.split(".")[0].upper().rstrip(" ") in _RESERVED:
        name = "_" + name
    return name


def format_run_folder(pattern: str, run_id: int, values: Mapping[str, Any]) -> str:
    """``run_name_pattern`` applied (``{run_id}`` plus parameter names), sanitised."""
    try:
        raw = pattern.format(**{**values, "run_id": run_id})
    except (KeyError, ValueError, IndexError, AttributeError, TypeError):
        raw = f"{run_id:04d}"  # validate_config rejects bad patterns; never fail a run on it
    return sanitize_folder(raw, f"{run_id:04d}")


def unique_folder(folder: str, run_id: int, taken: set[str]) -> str:
    """Append ``_<run_id>`` when a pattern gives two runs the same folder."""
    candidate = folder
    while candidate.lower() in taken:  # case-insensitive file systems
        candidate = f"{candidate}_{run_id}"
    taken.add(candidate.lower())
    return candidate


def _cell(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def format_plan_table(plan: Plan, max_rows: int | None = None) -> str:
    """A text table of the runs (for ``cr-batch --dry-run``), ending ``planned runs: N``."""
    header = ["run", "sample", "rep", *plan.parameters, "folder"]
    shown = plan.runs if max_rows is None else plan.runs[:max_rows]
    rows = [
        [
            str(r.run_id),
            str(r.sample_index),
            str(r.repeat),
            *(_cell(r.values.get(p, "")) for p in plan.parameters),
            r.folder,
        ]
        for r in shown
    ]
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    if len(shown) < len(plan.runs):
        lines.append(f"... {len(plan.runs) - len(shown)} more runs")
    lines.append(f"planned runs: {len(plan.runs)}")
    return "\n".join(lines)


# ---- measuring the order ------------------------------------------------------------------


def count_value_changes(runs: Sequence[PlannedRun], names: Sequence[str]) -> int:
    """How many consecutive run pairs differ in any of ``names``."""
    return sum(
        1 for a, b in itertools.pairwise(runs) if any(a.values[n] != b.values[n] for n in names)
    )


def recompute_cost(plan: Plan, cfg: SweepConfig, workflow: Workflow) -> int:
    """Nodes ComfyUI must re-execute over the whole plan under its default cache: for each
    consecutive pair, every node whose swept input changed plus everything downstream."""
    children: dict[str, set[str]] = {n: set() for n in workflow.prompt}
    for node in workflow.prompt:
        for src in workflow.sources_of(node):
            children[src].add(node)
    nodes_of = {
        n: {workflow.resolve(p).node_id for p in s.paths} for n, s in cfg.parameters.items()
    }
    total = 0
    for a, b in itertools.pairwise(plan.runs):
        dirty = [node for n in cfg.parameters if a.values[n] != b.values[n] for node in nodes_of[n]]
        seen: set[str] = set()
        while dirty:
            node = dirty.pop()
            if node not in seen:
                seen.add(node)
                dirty.extend(children[node])
        total += len(seen)
    return total


__all__ = [
    "PLAN_SCHEMA",
    "Plan",
    "PlannedRun",
    "Sample",
    "build_plan",
    "count_value_changes",
    "extend_plan",
    "format_plan_table",
    "format_run_folder",
    "order_levels",
    "prompt_for_run",
    "recompute_cost",
    "sanitize_folder",
    "snake_order",
    "unique_folder",
]
