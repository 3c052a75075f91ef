"""The frozen plan of a sweep: which runs, in which (cache-aware) order.

Building a plan: validate the config, draw the samples (sampling.py), merge samples
that became identical (integer rounding, discrete shares), order them so that
consecutive runs share the longest upstream part of the graph, then expand every
sample into ``seeds_per_sample`` runs with fresh seeds.

This module builds a plan and turns its runs into prompts and a table; the pieces
live beside it and are re-exported here, so callers import from ``core.plan``:
the plan.json model in core/plan/model.py, drawing/merging/expanding samples in
core/plan/samples.py, the cache-aware order (and why it matters) in
core/plan/order.py, extending a batch in core/plan/extend.py, run folder names
in core/plan/folders.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from ..config.model import SET_COLUMN, SweepConfig, config_error
from ..config.text import replacements
from ..config.validate import validate_config
from ..errors import PlanError
from ..labels import plan_labels
from ..objectinfo import ObjectInfo
from ..workflow import InputRef, Workflow
from .initial import adaptive_note, initial_count
from .inputsets import InputSet, read_input_sets
from .model import Plan, PlannedRun
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


def build_plan(cfg: SweepConfig, workflow: Workflow, object_info: ObjectInfo | None = None) -> Plan:
    """Validate, sample, merge, order and expand. Draws ``cfg.sweep_seed`` once if unset
    (it is written back to ``cfg`` so the config snapshot records it)."""
    if cfg.sampling_strategy == "explore":
        raise PlanError(
            "sampling_strategy explore is a whole exploration, not one batch: run it with "
            "cr-batch or comfy-sweep explore, or on the server with POST "
            "/comfy-sweep/explorations (the panel's explore strategy)"
        )
    warnings = validate_config(cfg, workflow, object_info)
    if cfg.sweep_seed is None:
        cfg.sweep_seed = secrets.randbelow(2**32)
        cfg.sweep_seed_drawn = True
    names = [s.name for s in sampled_specs(cfg)]
    if cfg.sampling_strategy in ("grid", "linear"):
        drawn: Iterable[tuple[int, dict[str, Any]]] = grid_points(cfg)
    elif cfg.sampling_strategy == "adaptive":  # the rest is proposed as results arrive
        drawn = draw_points(cfg, 0, initial_count(cfg.num_samples), cfg.sweep_seed)
    else:
        drawn = draw_points(cfg, 0, cfg.num_samples, cfg.sweep_seed)
    samples, merged = merge_samples(drawn, names, set())
    ordered = snake_order(samples, order_levels(cfg, workflow))
    sets, skipped = read_input_sets(cfg, workflow) if cfg.inputs is not None else ([], [])
    runs = expand_over_sets(ordered, cfg, sets)
    if not runs:
        raise config_error(cfg.source, cfg.lines, ("parameters",), "zero runs planned")
    return Plan(
        runs=runs,
        parameters=[*([SET_COLUMN] if sets else []), *cfg.parameters],
        strategy=cfg.sampling_strategy,
        warnings=warnings + skipped + sobol_warning(cfg),
        notes=merge_note(merged, len(samples)) + adaptive_note(cfg, len(samples)),
        sweep_seed=cfg.sweep_seed,
        labels=plan_labels(cfg, runs),
    )


def expand_over_sets(
    ordered: list[Sample], cfg: SweepConfig, sets: list[InputSet]
) -> list[PlannedRun]:
    """Every sample for each input set in turn: the set is the outermost axis, so each
    set's loaders run once per set. Every other set walks the samples backwards, so the
    values at a set boundary stay the same and upstream nodes stay cached."""
    assert cfg.sweep_seed is not None
    taken: set[str] = set()
    if not sets:
        return expand_runs(ordered, cfg, cfg.sweep_seed, 1, taken)
    runs: list[PlannedRun] = []
    for i, input_set in enumerate(sets):
        seq = ordered if i % 2 == 0 else ordered[::-1]
        runs += expand_runs(seq, cfg, cfg.sweep_seed, len(runs) + 1, taken, input_set)
    return runs


def prompt_for_run(
    workflow: Workflow, cfg: SweepConfig, run: PlannedRun
) -> dict[str, dict[str, Any]]:
    """The API prompt of one run: the input set's inputs, then every path of every
    parameter (linked paths alike), then the search/replace parameters on the result."""
    values: dict[InputRef, Any] = {workflow.resolve(p): v for p, v in run.inputs.items()}
    for name, spec in cfg.parameters.items():
        if spec.replace is not None:
            continue
        value = run.values[name]
        if spec.integer and isinstance(value, float):
            value = int(round(value))
        for path in spec.paths:
            values[workflow.resolve(path)] = value
    prompt = workflow.apply(values)
    for name, spec in cfg.parameters.items():
        if spec.replace is None:
            continue
        for target, replacement in replacements(spec, run.values[name]):
            ref = workflow.resolve(target.path)
            inputs = prompt[ref.node_id]["inputs"]
            if isinstance(inputs[ref.input_name], str):
                inputs[ref.input_name] = inputs[ref.input_name].replace(target.search, replacement)
    return prompt


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


__all__ = [
    "build_plan",
    "format_plan_table",
    "prompt_for_run",
]
