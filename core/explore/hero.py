"""The configs an exploration leaves behind.

* ``hero.yaml``: every winning value fixed and the hero runs' seeds: run with
  cr-batch it renders the hero runs again, value for value (same seed, same
  output bytes on a deterministic workflow);
* ``production.yaml``: the original suite's Phase 4 grid: the (at most two)
  most important numeric parameters at three values around the winner (the
  width of one more narrowing round), everything else fixed, on the heroes'
  seeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .phases import Common, narrow
from .space import Axis, Space

PRODUCTION_AXES = 2


def _values_of(space: Space, hero: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(hero.get("values") or {})
    first = space.seeds[0].name if space.seeds else ""
    out: dict[str, Any] = {}
    for axis in (*space.surf, *space.search):
        out[axis.name] = values.get(axis.name, axis.value)
    for axis in space.seeds:  # surfing links every seed under the first seed's name
        out[axis.name] = values.get(axis.name, values.get(first, axis.value))
    return out


def same_settings(space: Space, heroes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The heroes that share the first hero's non-seed values (one config renders them)."""
    if not heroes:
        return []
    seeds = {a.name for a in space.seeds}
    key = {k: v for k, v in _values_of(space, heroes[0]).items() if k not in seeds}
    return [
        _values_of(space, h)
        for h in heroes
        if {k: v for k, v in _values_of(space, h).items() if k not in seeds} == key
    ]


def _seed_entries(space: Space, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One seed axis: the heroes' seeds as values; several: the first hero's (a grid
    would cross them)."""
    if len(space.seeds) == 1:
        axis = space.seeds[0]
        seeds = list(dict.fromkeys(r[axis.name] for r in rows))
        return {axis.name: axis.config_entry({"type": "values", "values": seeds})}
    return {
        a.name: a.config_entry({"type": "values", "values": [rows[0][a.name]]}) for a in space.seeds
    }


def _doc(common: Common, params: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workflow_file": common.workflow_file,
        "sampling_strategy": "grid",
        "seeds_per_sample": 1,
        "parameters": params,
    }
    if common.metrics:
        data["metrics"] = common.metrics
    data["output"] = {"base_dir": str(base_dir)}
    if common.server:
        data["comfyui"] = {"server_address": common.server}
    return data


def hero_config(
    common: Common, space: Space, heroes: Sequence[Mapping[str, Any]], base_dir: Path
) -> dict[str, Any] | None:
    rows = same_settings(space, heroes)
    if not rows:
        return None
    params = {
        a.name: a.config_entry({"type": "values", "values": [rows[0][a.name]]})
        for a in (*space.surf, *space.search)
    }
    params.update(_seed_entries(space, rows))
    return _doc(common, params, base_dir)


def _around(axis: Axis, best: Any, rounds: int) -> list[Any]:
    entry = narrow(axis, best, rounds + 1)
    if entry["type"] == "values":
        return [best]
    return list(dict.fromkeys([entry["min"], best, entry["max"]]))


def production_config(
    common: Common,
    space: Space,
    heroes: Sequence[Mapping[str, Any]],
    ranking: Sequence[Mapping[str, Any]],
    rounds: int,
    base_dir: Path,
) -> dict[str, Any] | None:
    rows = same_settings(space, heroes)
    if not rows:
        return None
    numeric = {a.name: a for a in space.search if a.numeric}
    order = [str(e["name"]) for e in ranking if e["name"] in numeric]
    order += [n for n in numeric if n not in order]
    varied = set(order[:PRODUCTION_AXES])
    params: dict[str, Any] = {}
    for axis in (*space.surf, *space.search):
        best = rows[0][axis.name]
        values = _around(axis, best, rounds) if axis.name in varied else [best]
        params[axis.name] = axis.config_entry({"type": "values", "values": values})
    params.update(_seed_entries(space, rows))
    return _doc(common, params, base_dir)


def render_yaml(data: Mapping[str, Any], comments: Sequence[str]) -> str:
    head = "".join(f"# {line}\n" for line in comments)
    return head + yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
