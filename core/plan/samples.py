"""Drawing a plan's samples and expanding them into runs.

A sample is one point of the design (values of the non-seed parameters);
points that became identical (integer rounding, discrete shares) are merged;
each sample then becomes ``seeds_per_sample`` runs with fresh seeds.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..config.model import SET_COLUMN, ParameterSpec, SweepConfig
from ..config.text import render
from ..labels import run_labels
from .folders import format_run_folder, unique_folder
from .inputsets import InputSet
from .model import PlannedRun
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


@dataclass(frozen=True)
class Sample:
    """One point of the design: values of the non-seed parameters."""

    index: int
    values: dict[str, Any]

    def key(self, names: Sequence[str]) -> tuple[Any, ...]:
        return tuple((type(self.values[n]).__name__, _hashable(self.values[n])) for n in names)


def _hashable(value: Any) -> Any:
    # Linked replacements are lists (one replacement per target).
    return tuple(value) if isinstance(value, list) else value


def sampled_specs(cfg: SweepConfig) -> list[ParameterSpec]:
    """The parameters that span the design (every one but the random seeds and the
    templates, whose text follows from the other values)."""
    return [s for s in cfg.parameters.values() if s.type not in ("random_seed", "template")]


def seed_specs(cfg: SweepConfig) -> list[ParameterSpec]:
    return [s for s in cfg.parameters.values() if s.type == "random_seed"]


def draw_points(
    cfg: SweepConfig, start: int, stop: int, seed: int
) -> Iterable[tuple[int, dict[str, Any]]]:
    """(draw index, values) for draws ``start..stop-1`` of a sampling strategy."""
    dims = sampled_specs(cfg)
    n = stop - start
    if cfg.sampling_strategy in ("sobol", "adaptive"):  # adaptive: its initial design
        pts = sobol_points(n, len(dims), seed, skip=start)
    elif cfg.sampling_strategy == "random":
        pts = random_points(n, len(dims), seed, skip=start)
    else:
        pts = balance_lhs(lhs_points(n, len(dims), seed), [discrete_count(s) for s in dims])
    for i, row in enumerate(pts):
        yield start + i, {s.name: map_unit(s, float(u)) for s, u in zip(dims, row, strict=True)}


def grid_points(cfg: SweepConfig) -> Iterable[tuple[int, dict[str, Any]]]:
    dims = sampled_specs(cfg)
    axes = [axis_values(s) for s in dims]
    for i, combo in enumerate(itertools.product(*axes)):
        yield i, {s.name: v for s, v in zip(dims, combo, strict=True)}


def merge_samples(
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


def merge_note(merged: int, kept: int) -> list[str]:
    if not merged:
        return []
    return [
        f"{merged} duplicate points merged (identical after integer rounding or discrete "
        f"values); {kept} distinct samples remain"
    ]


def expand_runs(
    ordered: Sequence[Sample],
    cfg: SweepConfig,
    sweep_seed: int,
    first_id: int,
    taken: set[str],
    input_set: InputSet | None = None,
) -> list[PlannedRun]:
    runs: list[PlannedRun] = []
    seeds = seed_specs(cfg)
    templates = [s for s in cfg.parameters.values() if s.type == "template"]
    head = {SET_COLUMN: input_set.name} if input_set is not None else {}
    inputs = dict(input_set.inputs) if input_set is not None else {}
    files = input_set.files if input_set is not None else ()
    run_id = first_id
    for sample in ordered:
        for repeat, seed_values in enumerate(
            draw_seeds(seeds, sweep_seed, sample.index, cfg.seeds_per_sample)
        ):
            merged = {**head, **sample.values, **seed_values}
            for spec in templates:
                assert spec.jinja is not None  # set by validate_config
                merged[spec.name] = render(spec.jinja, merged)
            values = {**head, **{n: merged[n] for n in cfg.parameters}}  # config order
            shown = {**values, **run_labels(cfg, values)}
            folder = unique_folder(
                format_run_folder(cfg.output.run_name_pattern, run_id, shown), run_id, taken
            )
            runs.append(PlannedRun(run_id, sample.index, repeat, values, folder, inputs, files))
            run_id += 1
    return runs


def sobol_warning(cfg: SweepConfig) -> list[str]:
    n = cfg.num_samples
    if cfg.sampling_strategy != "sobol" or n & (n - 1) == 0:
        return []
    near = " or ".join(str(p) for p in nearest_power_of_two(n))
    return [
        f"num_samples {n} is not a power of two; Sobol points are balanced at powers of two (nearest: {near})"
    ]


__all__ = [
    "Sample",
    "sampled_specs",
    "draw_points",
    "expand_runs",
    "grid_points",
    "merge_note",
    "merge_samples",
    "seed_specs",
    "sobol_warning",
]
