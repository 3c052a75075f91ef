"""Each step's config, with the winners of the steps before it carried forward.

* surfing: a grid over the sampler x scheduler values the split allows, every
  combination on the same two seeds (the workflow's own seed and one drawn
  from the exploration's seed), everything else as in the workflow;
* search round 1: Sobol over the search axes' ranges (or one ``adaptive``
  batch, a Gaussian process, with ``--search adaptive``), the surfing winner and its
  seed fixed; round r > 1: the ranges narrowed around the best runs so far
  (the span of the top ``TOP_K`` plus half a design cell of the round before,
  core/refine's interval, inside the round before's range), COMBO and on/off
  inputs fixed to the best run's value;
* seed mining: every winner fixed, the seeds drawn afresh for every run.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..refine.narrow import Bounds, interval, snap
from .model import Objective, Step, StepResult
from .space import Axis, Space

SHRINK = 0.4  # production.yaml's spacing: one more round's width (hero.py)
TOP_K = 3  # a round narrows around the best runs so far that share the best's choices
_SEED_LIMIT = 2**32  # the second surfing seed: any seed input accepts it


@dataclass(frozen=True)
class Common:
    """What every step's config shares."""

    workflow_file: str  # absolute
    metrics: dict[str, Any]  # the metrics: section (absolute reference paths)
    objective: Objective | None
    sweep_seed: int
    server: str | None = None
    adaptive: bool = False  # the search is one sampling_strategy adaptive batch (core/search)


def second_seed(sweep_seed: int) -> int:
    return random.Random(sweep_seed).randrange(_SEED_LIMIT)


def _fixed(axis: Axis, value: Any) -> dict[str, Any]:
    return axis.config_entry({"type": "values", "values": [value]})


def _head(common: Common, strategy: str, samples: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workflow_file": common.workflow_file,
        "sampling_strategy": strategy,
        "num_samples": samples,
        "seeds_per_sample": 1,
        "sweep_seed": common.sweep_seed,
    }
    if strategy == "adaptive" and common.objective is not None:
        data["objective"] = {"metric": common.objective.metric, "goal": common.objective.goal}
    return data


def _tail(data: dict[str, Any], common: Common) -> dict[str, Any]:
    if common.metrics:
        data["metrics"] = common.metrics
    if common.server:
        data["comfyui"] = {"server_address": common.server}
    return data


# ---- winners carried forward ------------------------------------------------------------
def best_of(results: Sequence[StepResult], objective: Objective | None) -> dict[str, Any] | None:
    """The best winner among ``results`` (the search rounds so far); the person's
    latest choice when there is no objective."""
    winners = [r.winner for r in results if r.winner is not None]
    if not winners:
        return None
    scored = [w for w in winners if w.get("score") is not None]
    if objective is None or not scored:
        return winners[-1]
    return min(scored, key=lambda w: objective.sort_key(float(w["score"])))


def _seed_values(space: Space, winner: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each seed axis's carried value: the winner's (surfing links all seeds under
    the first seed's name), else the workflow's own."""
    values = dict((winner or {}).get("values") or {})
    first = space.seeds[0].name if space.seeds else ""
    return {a.name: values.get(a.name, values.get(first, a.value)) for a in space.seeds}


def carried_winner(
    step: Step, results: Mapping[str, StepResult], objective: Objective | None
) -> dict[str, Any] | None:
    """The run whose values a step starts from: the best search round before it,
    else the surfing winner."""
    rounds = [r for k, r in results.items() if k.startswith("search") and _round(k) < _rank(step)]
    best = best_of(rounds, objective)
    if best is not None:
        return best
    surf = results.get("surfing")
    return surf.winner if surf is not None and step.phase != "surfing" else None


def _round(key: str) -> int:
    return int(key.removeprefix("search") or 0)


def _rank(step: Step) -> int:
    return {"surfing": 0, "search": step.round, "seeds": 10**6}[step.phase]


# ---- the three kinds of step ---------------------------------------------------------------
def surfing_config(common: Common, space: Space, shape: tuple[int, int]) -> dict[str, Any]:
    data = _head(common, "grid", 1)
    params: dict[str, Any] = {}
    for axis, count in zip(space.surf, shape, strict=False):
        params[axis.name] = axis.config_entry(
            {"type": "values", "values": list(axis.candidates[:count])}
        )
    if space.seeds:
        first = space.seeds[0]
        paths = [a.paths[0] for a in space.seeds]
        own = first.value if isinstance(first.value, int) else 0
        entry = {"type": "values", "values": [own, second_seed(common.sweep_seed)]}
        params[first.name] = (
            {"paths": paths, **entry} if len(paths) > 1 else {"path": paths[0], **entry}
        )
    data["parameters"] = params
    return _tail(data, common)


def _fixed_params(space: Space, winner: Mapping[str, Any] | None, search: bool) -> dict[str, Any]:
    values = dict((winner or {}).get("values") or {})
    params: dict[str, Any] = {}
    for axis in space.surf:
        params[axis.name] = _fixed(axis, values.get(axis.name, axis.value))
    if search:
        for axis in space.search:
            params[axis.name] = _fixed(axis, values.get(axis.name, axis.value))
    return params


def search_config(
    common: Common, space: Space, step: Step, results: Mapping[str, StepResult]
) -> dict[str, Any]:
    winner = carried_winner(step, results, common.objective)
    strategy = "adaptive" if common.adaptive and common.objective is not None else "sobol"
    data = _head(common, strategy, step.runs)
    params = _fixed_params(
        space, results["surfing"].winner if "surfing" in results else None, False
    )
    for name, value in _seed_values(space, winner).items():
        axis = space.axis(name)
        assert axis is not None
        params[name] = _fixed(axis, value)
    entries = round_entries(space, step, results, common.objective)
    for axis in space.search:
        params[axis.name] = axis.config_entry(entries[axis.name])
    data["parameters"] = params
    return _tail(data, common)


def mined_seeds(sweep_seed: int, count: int) -> list[int]:
    """The seed mining's seeds: a stream keyed by the exploration's seed, so a larger
    budget only appends seeds (the batch is extended, not planned anew)."""
    rng = random.Random(sweep_seed * 7919 + 1)
    return [rng.randrange(_SEED_LIMIT) for _ in range(count)]


def seeds_config(
    common: Common, space: Space, step: Step, results: Mapping[str, StepResult]
) -> dict[str, Any]:
    winner = carried_winner(step, results, common.objective)
    data = _head(common, "grid", 1)
    params = _fixed_params(space, winner, True)
    if space.seeds:  # one axis over every seed input: a grid would cross several
        first = space.seeds[0]
        entry = {"type": "values", "values": mined_seeds(common.sweep_seed, step.runs)}
        paths = [a.paths[0] for a in space.seeds]
        params[first.name] = (
            {"paths": paths, **entry} if len(paths) > 1 else {"path": paths[0], **entry}
        )
    data["parameters"] = params
    return _tail(data, common)


def step_config(
    common: Common,
    space: Space,
    step: Step,
    results: Mapping[str, StepResult],
    shape: tuple[int, int],
) -> dict[str, Any]:
    """The config (YAML-ready data) of ``step`` given the results before it."""
    if step.phase == "surfing":
        return surfing_config(common, space, shape)
    if step.phase == "search":
        return search_config(common, space, step, results)
    return seeds_config(common, space, step, results)


# ---- narrowing ------------------------------------------------------------------------------
def _ranked_rows(
    results: Mapping[str, StepResult], before: int, objective: Objective | None
) -> list[dict[str, Any]]:
    """The best runs of the search rounds before round ``before`` (their tables), best first."""
    rows = [
        row
        for key, res in results.items()
        if key.startswith("search") and _round(key) < before
        for row in res.table
        if row.get("score") is not None
    ]
    if objective is None:
        return rows
    return sorted(rows, key=lambda r: objective.sort_key(float(r["score"])))


def round_entries(
    space: Space, step: Step, results: Mapping[str, StepResult], objective: Objective | None
) -> dict[str, dict[str, Any]]:
    """Each search axis's entry in round ``step.round``: round 1's ranges, then each
    round narrowed around the top runs of the rounds before it (core/refine's
    interval: their span plus half a design cell of the round before)."""
    entries = {a.name: dict(a.entry) for a in space.search}
    for r in range(2, step.round + 1):
        rows = _ranked_rows(results, r, objective)
        prev = results.get(f"search{r - 1}")
        if not rows or prev is None:
            break
        best = rows[0]["values"]
        choices = {a.name: best.get(a.name) for a in space.search if not a.numeric}
        same = [
            r["values"] for r in rows if all(r["values"].get(k) == v for k, v in choices.items())
        ]
        # The design's density where the best runs are: the runs of the round before
        # that share the best run's choices (a COMBO of 4 leaves a quarter of them).
        share = _share(results, r, choices, prev.runs)
        ranged = [a for a in space.search if entries[a.name].get("type") != "values"]
        cell = 1.0 / max(share, 1) ** (1.0 / max(len(ranged), 1))
        top = same[: max(1, min(TOP_K, share // 4))]
        for axis in space.search:
            entries[axis.name] = narrow_entry(
                axis, entries[axis.name], [v[axis.name] for v in top], cell
            )
    return entries


def _share(results: Mapping[str, StepResult], r: int, choices: Mapping[str, Any], runs: int) -> int:
    """How many runs of round ``r - 1`` made the best run's choices (from its ranking)."""
    if not choices:
        return runs
    prev = results[f"search{r - 1}"]
    fixed = all(len({json_key(row["values"].get(k)) for row in prev.table}) <= 1 for k in choices)
    if fixed:
        return runs
    matching = sum(all(row["values"].get(k) == v for k, v in choices.items()) for row in prev.table)
    return max(1, round(runs * matching / max(len(prev.table), 1)))


def json_key(value: Any) -> str:
    return repr(value)


def narrow_entry(axis: Axis, entry: dict[str, Any], top: list[Any], cell: float) -> dict[str, Any]:
    """``entry`` around the ``top`` values (best first): a choice fixed to the best one."""
    if entry.get("type") == "values" or not axis.numeric:
        return {"type": "values", "values": [top[0]]}
    step = entry.get("step") or (1 if axis.kind == "INT" else None)
    bounds = Bounds((float(entry["min"]), float(entry["max"])), step=step,
                    origin=float(axis.entry["min"]))  # fmt: skip
    lo, hi, _ = interval([float(v) for v in top], bounds, cell)
    lo, hi = snap(lo, hi, bounds)
    if axis.kind == "INT":
        lo, hi = int(round(lo)), int(round(hi))
    if hi <= lo:
        return {"type": "values", "values": [top[0]]}
    out: dict[str, Any] = {"type": entry["type"], "min": lo, "max": hi}
    if entry.get("step"):
        out["step"] = entry["step"]
    return out


def _sig(x: float) -> float:
    return float(f"{x:.6g}")


def narrow(axis: Axis, best: Any, round_no: int) -> dict[str, Any]:
    """Round ``round_no``'s entry for ``axis`` around the best value so far."""
    entry = axis.entry
    if not axis.numeric or not isinstance(best, (int, float)) or isinstance(best, bool):
        return {"type": "values", "values": [best]}
    lo, hi = float(entry["min"]), float(entry["max"])
    width = (hi - lo) * SHRINK ** max(round_no - 1, 0)
    a = min(max(best - width / 2, lo), hi - width)
    b = a + width
    step = entry.get("step")
    if step:
        a = lo + math.floor((a - lo) / step + 1e-9) * step
        b = lo + math.ceil((b - lo) / step - 1e-9) * step
        a, b = (int(a), int(b)) if axis.kind == "INT" else (_sig(a), _sig(b))
    elif axis.kind == "INT":
        a, b = math.floor(a), math.ceil(b)
    else:
        a, b = _sig(a), _sig(b)
    if b <= a:
        return {"type": "values", "values": [best]}
    out: dict[str, Any] = {"type": entry["type"], "min": a, "max": b}
    if step:
        out["step"] = step
    return out
