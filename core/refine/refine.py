"""The next config from a batch: ranked, narrowed, written with its reasons.

``refine_batch`` is what ``cr-refine`` and ``POST /comfy-sweep/sweeps/{id}/refine``
call. Exploring further (the default) narrows ranges and values around the top
K runs and keeps the strategy; ``production`` writes the original suite's
Phase 4: a grid over the top runs' own values, their seeds fixed, one seed per
grid point.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from ..config.load import config_to_dict
from ..config.model import ParameterSpec, SweepConfig
from ..config.objective import Goal
from ..config.validate import validate_config
from ..errors import ConfigError
from ..objectinfo import ObjectInfo
from ..plan.model import PlannedRun
from ..plan.samples import sampled_specs
from ..store.reader import StoreReader
from .narrow import Bounds, Context, narrow_range, production_values, reduce_values
from .rank import Ranking, rank
from .render import render_yaml

DEFAULT_TOP = 5
DEFAULT_TOP_PRODUCTION = 3  # a grid over K values per parameter grows as K^dims


@dataclass
class Refined:
    yaml: str
    config: dict[str, Any]  # config_to_dict's shape (the route's answer)
    notes: list[str]  # what changed and why, one line each
    ranking: Ranking
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)


def _validated(store: StoreReader, info: ObjectInfo | None) -> SweepConfig:
    """A copy of the batch's config with integer inputs and input bounds known
    (object_info of a server whose files changed since may refuse it: then without)."""
    cfg = copy.deepcopy(store.config)
    try:
        validate_config(cfg, store.workflow, info)
    except ConfigError:
        if info is None:
            raise
        cfg = copy.deepcopy(store.config)
        validate_config(cfg, store.workflow, None)
    return cfg


def _bounds(spec: ParameterSpec, store: StoreReader, info: ObjectInfo | None) -> Bounds:
    assert spec.min is not None and spec.max is not None
    outer = (spec.input_min, spec.input_max) if info is not None else (None, None)
    if spec.step is not None:
        return Bounds((spec.min, spec.max), outer, spec.step, spec.min)
    if not spec.integer:
        return Bounds((spec.min, spec.max), outer)
    step = 1.0
    if info is not None and spec.paths:
        ref = store.workflow.resolve(spec.paths[0])
        found = info.input_spec(store.workflow.class_type(ref.node_id), ref.input_name)
        step = found.step if found is not None and found.step else 1.0
    return Bounds((spec.min, spec.max), outer, step, spec.input_min or 0.0)


def _change(
    spec: ParameterSpec, top: list[Any], ctx: Context, store: StoreReader, info: ObjectInfo | None
) -> tuple[ParameterSpec, list[str]]:
    if spec.type == "template" or (
        spec.generated and spec.slot_of and spec.name.startswith(f"{spec.slot_of}_w")
    ):
        return spec, []
    numeric = spec.type in ("continuous", "linear")
    if ctx.production and (numeric or spec.type in ("values", "random_seed")):
        return production_values(spec, top, ctx)
    if spec.type == "random_seed":
        return spec, [f"{spec.name}: stays random (--production fixes the top runs' seeds)"]
    if spec.type == "values":
        return reduce_values(spec, top, ctx)
    return narrow_range(spec, top, ctx, _bounds(spec, store, info))


def refine_batch(
    store: StoreReader,
    by: str,
    *,
    top: int | None = None,
    production: bool = False,
    goal: Goal | None = None,
    object_info: ObjectInfo | None = None,
    workflow_file: str | None = None,
) -> Refined:
    """The next config of ``store``'s batch, narrowed around its top runs by ``by``."""
    cfg = _validated(store, object_info)
    k = top or (DEFAULT_TOP_PRODUCTION if production else DEFAULT_TOP)
    ranking = rank(cfg, store.records(), by, k, goal)
    runs = {r.run_id: r for r in store.plan.runs}
    best: list[PlannedRun] = [runs[r.run_id] for r in ranking.top if r.run_id in runs]
    # A design cell along one numeric axis: the categorical axes split the samples too,
    # but they have no spacing to pad by.
    dims = max(1, sum(1 for s in sampled_specs(cfg) if s.type in ("continuous", "linear")))
    samples = max(1, len({r.sample_index for r in store.plan.runs}))
    reason = f"around the top {len(best)} by {ranking.label}"
    ctx = Context(reason, 1.0 / samples ** (1.0 / dims), production)
    notes: dict[str, list[str]] = {}
    for name, spec in list(cfg.parameters.items()):
        cfg.parameters[name], notes[name] = _change(
            spec, [r.values.get(name) for r in best], ctx, store, object_info
        )
    top_notes = _production(cfg) if production else {}
    if workflow_file is not None:
        cfg.workflow_file = workflow_file
    header = _header(store, ranking, len(best), production)
    data = config_to_dict(cfg)
    text = render_yaml(data, header, top_notes, notes)
    flat = [n for n in (*header, *(x for v in top_notes.values() for x in v)) if n]
    flat += [n for v in notes.values() for n in v]
    return Refined(text, data, flat, ranking, dict(cfg.parameters))


def _production(cfg: SweepConfig) -> dict[str, list[str]]:
    """Phase 4: every combination of the kept values once, each seed an axis."""
    old = cfg.sampling_strategy
    cfg.sampling_strategy = "grid"
    cfg.seeds_per_sample = 1
    cfg.objective = None
    runs = math.prod(len(s.values or [1]) for s in cfg.parameters.values() if s.type == "values")
    return {
        "sampling_strategy": [
            f"production grid (was {old}): {runs} runs, every combination of the values below"
        ],
        "seeds_per_sample": ["1: the top runs' seeds are a grid axis of their own"],
    }


def _header(store: StoreReader, ranking: Ranking, kept: int, production: bool) -> list[str]:
    what = "production grid" if production else "next sweep"
    lines = [
        f"{what} refined by cr-refine from {store.root.name}",
        f"top {kept} of {ranking.count} runs with {ranking.label} ({ranking.goal}); "
        f"best {ranking.values[ranking.top[0].run_id]:.6g}",
    ]
    if ranking.ties:
        lines.append(f"{ranking.ties} run(s) tie the last place and are kept too")
    return lines
