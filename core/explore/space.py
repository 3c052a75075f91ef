"""What an exploration varies: the analyzer's findings turned into axes.

* surfing axes: ``sampler_name`` and ``scheduler`` (every sampler node's input
  linked into one axis), their candidate values in the order they are tried:
  the workflow's own value, the analyzer's well-tried alternatives, the rest;
* search axes: the numeric inputs the analyzer enables (cfg, steps, shift,
  LoRA strengths) with its suggested ranges; ``--only`` replaces that choice by
  the named inputs (any numeric, COMBO or on/off input, a range or values given
  with ``PATH=MIN:MAX`` or ``PATH=A,B``);
* seed axes: the seeds the analyzer enables (a refiner's unused seed is not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..analyzer import COMMON_OPTIONS, Analysis, ParamInfo
from ..errors import ConfigError

SURF_INPUTS = ("sampler_name", "scheduler")
NO_VARY = ("seed", "file", "prompt")
MAX_COMBO_VALUES = 16  # a COMBO named with --only varies over all its options up to this


@dataclass(frozen=True)
class Axis:
    """One varied parameter: its config name, the input paths it sets (linked),
    its config entry for the first search round, and the workflow's value."""

    name: str
    paths: tuple[str, ...]
    entry: dict[str, Any]
    value: Any
    kind: str  # INT | FLOAT | COMBO | BOOLEAN | STRING
    candidates: tuple[Any, ...] = ()  # surfing axes: values in the order tried
    bounds: dict[str, Any] = field(default_factory=dict)

    @property
    def numeric(self) -> bool:
        return self.entry.get("type") in ("continuous", "linear")

    def config_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """``entry`` with this axis's path(s)."""
        where: dict[str, Any] = (
            {"path": self.paths[0]} if len(self.paths) == 1 else {"paths": list(self.paths)}
        )
        return {**where, **entry}


@dataclass(frozen=True)
class OnlySpec:
    """One ``--only PATH[=MIN:MAX|=A,B]``: an input path or analyzer name."""

    target: str
    low: float | None = None
    high: float | None = None
    values: tuple[Any, ...] | None = None


@dataclass
class Space:
    surf: list[Axis]
    search: list[Axis]
    seeds: list[Axis]

    @property
    def has_surfing(self) -> bool:
        return any(len(a.candidates) > 1 for a in self.surf)

    def axis(self, name: str) -> Axis | None:
        for a in (*self.surf, *self.search, *self.seeds):
            if a.name == name:
                return a
        return None


def parse_only(text: str) -> OnlySpec:
    """``PATH``, ``PATH=MIN:MAX`` or ``PATH=A,B,C`` (values read as numbers when they are)."""
    target, sep, rest = text.partition("=")
    target = target.strip()
    if not target:
        raise ConfigError(f"--only {text!r}: expected PATH, PATH=MIN:MAX or PATH=A,B", field="only")
    if not sep:
        return OnlySpec(target)
    if ":" in rest and "," not in rest:
        lo, _, hi = rest.partition(":")
        low, high = _number(lo, text), _number(hi, text)
        if not isinstance(low, (int, float)) or not isinstance(high, (int, float)) or high <= low:
            raise ConfigError(f"--only {text!r}: expected MIN:MAX with MIN < MAX", field="only")
        return OnlySpec(target, float(low), float(high))
    values = tuple(_number(v, text) for v in rest.split(",") if v.strip())
    if not values:
        raise ConfigError(f"--only {text!r}: no values after '='", field="only")
    return OnlySpec(target, values=values)


def _number(text: str, whole: str) -> Any:
    text = text.strip()
    for cast in (int, float):
        try:
            value = cast(text)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"--only {whole!r}: {text} is not a finite number", field="only")
        return value
    return text


# ---- building the space ----------------------------------------------------------------
def _ordered(info: ParamInfo) -> tuple[Any, ...]:
    options = list(info.bounds.get("options") or [])
    preferred = [o for o in COMMON_OPTIONS.get(info.input, ()) if not options or o in options]
    ordered = [info.value, *preferred, *options]
    return tuple(dict.fromkeys(v for v in ordered if v is not None))


def _surf_axis(infos: list[ParamInfo], given: tuple[Any, ...] | None) -> Axis:
    first = infos[0]
    candidates = given if given is not None else _ordered(first)
    for other in infos[1:]:  # linked inputs: only values every one of them accepts
        allowed = set(_ordered(other))
        candidates = tuple(c for c in candidates if c in allowed)
    return Axis(
        name=first.input, paths=tuple(i.path for i in infos),
        entry={"type": "values", "values": [first.value]}, value=first.value,
        kind=first.kind, candidates=candidates, bounds=first.bounds,
    )  # fmt: skip


def _search_entry(info: ParamInfo, only: OnlySpec | None) -> dict[str, Any] | None:
    if only is not None and only.values is not None:
        return {"type": "values", "values": list(only.values)}
    base = info.suggestion
    if info.kind == "COMBO" and only is not None:
        options = list(info.bounds.get("options") or base.get("values") or [])
        if info.bounds.get("file_list") or len(options) > MAX_COMBO_VALUES:
            options = list(base.get("values") or [])
        return {"type": "values", "values": options} if len(options) > 1 else None
    if info.kind == "BOOLEAN" and only is not None:
        return {"type": "values", "values": [info.value, not info.value]}
    if base.get("type") not in ("continuous", "linear"):
        return None
    entry = dict(base)
    if only is not None and only.low is not None and only.high is not None:
        entry.update(min=_as_kind(only.low, info.kind), max=_as_kind(only.high, info.kind))
    return entry


def _as_kind(x: float, kind: str) -> float | int:
    return int(round(x)) if kind == "INT" else x


def _search_axis(info: ParamInfo, only: OnlySpec | None) -> Axis | None:
    entry = _search_entry(info, only)
    if entry is None:
        return None
    return Axis(info.name, (info.path,), entry, info.value, info.kind, bounds=info.bounds)


def _match(info: ParamInfo, only: Sequence[OnlySpec]) -> OnlySpec | None:
    for spec in only:
        if spec.target in (info.path, info.name):
            return spec
    return None


def _check_only(analysis: Analysis, only: Sequence[OnlySpec]) -> None:
    known = {p.path for p in analysis.params} | {p.name for p in analysis.params}
    for spec in only:
        if spec.target not in known:
            raise ConfigError(
                f"--only {spec.target}: not a literal input of the workflow "
                "(cr-analyze lists them: nodes.<id>.inputs.<name> or the short name)",
                field="only",
            )


def build_space(analysis: Analysis, only: Sequence[OnlySpec] = ()) -> Space:
    """The axes of an exploration (see the module docstring)."""
    _check_only(analysis, only)
    surf: dict[str, list[ParamInfo]] = {}
    surf_values: dict[str, tuple[Any, ...]] = {}
    search: list[Axis] = []
    seeds: list[Axis] = []
    for info in analysis.params:
        wanted = _match(info, only)
        if info.category == "seed":
            if info.enabled:
                seeds.append(Axis(info.name, (info.path,), {"type": "random_seed"}, info.value,
                                  info.kind, bounds=info.bounds))  # fmt: skip
            continue
        if info.category in NO_VARY or (only and wanted is None):
            continue
        if info.input in SURF_INPUTS and info.kind in ("COMBO", "STRING"):
            surf.setdefault(info.input, []).append(info)
            if wanted is not None and wanted.values is not None:
                surf_values[info.input] = wanted.values
            continue
        if wanted is None and not info.enabled:
            continue
        axis = _search_axis(info, wanted)
        if axis is not None:
            search.append(axis)
        elif wanted is not None:
            raise ConfigError(
                f"--only {wanted.target}: {info.reason}; nothing to vary", field="only"
            )
    axes = [_surf_axis(v, surf_values.get(k)) for k, v in surf.items()]
    return Space(axes, search, seeds)
