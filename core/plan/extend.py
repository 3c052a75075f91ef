"""Extending a batch's plan: every old run kept with its run_id, new samples appended.

Sobol continues its sequence, random its stream, grids add the new combinations;
anything else (a changed parameter, strategy, seed...) is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..config.load import param_to_dict
from ..config.model import ParameterSpec, SweepConfig
from ..config.validate import validate_config
from ..errors import PlanError
from ..labels import plan_labels
from ..objectinfo import ObjectInfo
from ..workflow import Workflow
from .model import Plan
from .order import order_levels, snake_order
from .samples import (
    Sample,
    draw_points,
    expand_runs,
    grid_points,
    merge_note,
    merge_samples,
    sampled_specs,
    sobol_warning,
)
from .sampling import axis_values


def _param_change(old: ParameterSpec, new: ParameterSpec, grid: bool) -> str | None:
    """Why ``new`` cannot extend ``old`` (None if it can)."""
    a, b = param_to_dict(old), param_to_dict(new)
    if old.type == "template" or new.type == "template":
        return None if a == b else f"parameter {old.name!r} changed ({a} -> {b})"
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
    reason = _settings_change(old, old_cfg, new_cfg)
    if reason:
        return reason
    grid = new_cfg.sampling_strategy in ("grid", "linear")
    for name, spec in old_cfg.parameters.items():
        reason = _param_change(spec, new_cfg.parameters[name], grid)
        if reason:
            return reason
    return None if grid else _size_change(old_cfg, new_cfg)


def _settings_change(old: Plan, old_cfg: SweepConfig, new_cfg: SweepConfig) -> str | None:
    """A setting that defines the whole plan changed (not an extension)."""
    if old_cfg.inputs is not None or new_cfg.inputs is not None:
        return "a batch over input sets is not extended (start a new batch)"
    if new_cfg.sampling_strategy != old_cfg.sampling_strategy:
        return f"sampling_strategy changed from {old_cfg.sampling_strategy} to {new_cfg.sampling_strategy}"
    if new_cfg.seeds_per_sample != old_cfg.seeds_per_sample:
        return f"seeds_per_sample changed from {old_cfg.seeds_per_sample} to {new_cfg.seeds_per_sample}"
    if new_cfg.sweep_seed is not None and new_cfg.sweep_seed != old.sweep_seed:
        return f"sweep_seed changed from {old.sweep_seed} to {new_cfg.sweep_seed}"
    if list(new_cfg.parameters) != list(old_cfg.parameters):
        return f"parameters changed from {list(old_cfg.parameters)} to {list(new_cfg.parameters)}"
    return None


def _size_change(old_cfg: SweepConfig, new_cfg: SweepConfig) -> str | None:
    """A sampled (not grid) plan grows only by more samples of the same sequence."""
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
    if new_cfg.sampling_strategy == "adaptive":
        return _adaptive_budget(old, old_cfg, new_cfg, warnings)
    names = [s.name for s in sampled_specs(new_cfg)]
    seen = {Sample(r.sample_index, r.values).key(names) for r in old.runs}
    if new_cfg.sampling_strategy in ("grid", "linear"):
        first = max((r.sample_index for r in old.runs), default=-1) + 1
        fresh = (v for _, v in grid_points(new_cfg) if Sample(0, v).key(names) not in seen)
        drawn: Iterable[tuple[int, dict[str, Any]]] = enumerate(fresh, start=first)
    else:
        drawn = draw_points(new_cfg, old_cfg.num_samples, new_cfg.num_samples, old.sweep_seed)
    samples, merged = merge_samples(drawn, names, seen)
    ordered = snake_order(samples, order_levels(new_cfg, workflow))
    taken = {r.folder for r in old.runs}
    runs = expand_runs(ordered, new_cfg, old.sweep_seed, len(old.runs) + 1, taken)
    return Plan(
        runs=[*old.runs, *runs],
        parameters=list(new_cfg.parameters),
        strategy=new_cfg.sampling_strategy,
        warnings=warnings + sobol_warning(new_cfg),
        notes=[*old.notes, *merge_note(merged, len(samples)), f"extended by {len(runs)} runs"],
        sweep_seed=old.sweep_seed,
        labels=plan_labels(new_cfg, [*old.runs, *runs]),
    )


def _adaptive_budget(
    old: Plan, old_cfg: SweepConfig, new_cfg: SweepConfig, warnings: list[str]
) -> Plan:
    """An adaptive plan holds only what was proposed so far: a larger budget adds
    no runs now, the source proposes them as results arrive (core/search/)."""
    note = f"budget raised from {old_cfg.num_samples} to {new_cfg.num_samples} samples"
    grew = new_cfg.num_samples > old_cfg.num_samples
    return Plan(
        runs=list(old.runs), parameters=list(old.parameters), strategy=old.strategy,
        warnings=warnings, notes=[*old.notes, note] if grew else list(old.notes),
        sweep_seed=old.sweep_seed, labels=dict(old.labels),
    )  # fmt: skip


def adds_work(old: Plan, new: Plan, old_cfg: SweepConfig, new_cfg: SweepConfig) -> bool:
    """Whether an extension changes anything: new runs, or a larger adaptive budget."""
    if new_cfg.sampling_strategy == "adaptive":
        return new_cfg.num_samples > old_cfg.num_samples
    return len(new.runs) > len(old.runs)


__all__ = ["adds_work", "extend_plan"]
