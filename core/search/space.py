"""The search space of an adaptive sweep, and the trials a proposer learns from.

Each sampled parameter is one dimension: a float or int range (``continuous``,
log-scaled when the config says so), or an index into its discrete values
(``linear`` and ``continuous`` with a step: ordered; ``values``: categorical).
A proposer (the Gaussian process in search/gp.py, the Optuna TPE adapter in
adaptive/tpe.py, or any other) sees only these dimensions and the trials,
never the config or the store.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..config.model import ParameterSpec, SweepConfig
from ..config.objective import Goal
from ..plan.samples import sampled_specs
from ..plan.sampling import axis_values, tidy

Kind = Literal["float", "int", "ordered", "categorical"]
Native = float | int  # a dimension's value as the proposer sees it
TrialState = Literal["complete", "failed", "pending"]
_SIG_DIGITS = 6  # as the Sobol design's values (core/plan/sampling.py)


@dataclass(frozen=True)
class Dim:
    name: str
    kind: Kind
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = ()  # ordered/categorical: the values (the native is the index)

    def value(self, native: Native) -> Any:
        """The parameter value of a native proposal."""
        if self.kind in ("ordered", "categorical"):
            return self.choices[min(max(int(native), 0), len(self.choices) - 1)]
        if self.kind == "int":
            return int(min(max(round(native), self.low), self.high))
        x = float(f"{float(native):.{_SIG_DIGITS}g}")
        return min(max(tidy(x), self.low), self.high)

    def native(self, value: Any) -> Native | None:
        """A planned value back as a native (None: not in this space)."""
        if self.kind in ("ordered", "categorical"):
            for i, choice in enumerate(self.choices):
                if choice == value and type(choice) is type(value):
                    return i
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return int(value) if self.kind == "int" else float(value)


@dataclass(frozen=True)
class Trial:
    """One sample as the proposer sees it: natives, and its objective when known."""

    params: dict[str, Native]
    state: TrialState
    value: float | None = None


class Proposer(Protocol):
    def propose(
        self, space: Sequence[Dim], trials: Sequence[Trial], goal: Goal, seed: int
    ) -> dict[str, Native]:
        """The next sample's natives, a pure function of its arguments (same
        arguments, same proposal: resume and reruns propose what they proposed)."""


def dimension(spec: ParameterSpec) -> Dim:
    if spec.type == "values" or spec.step is not None:
        kind: Kind = "categorical" if spec.type == "values" else "ordered"
        return Dim(spec.name, kind, choices=tuple(axis_values(spec)))
    assert spec.min is not None and spec.max is not None  # parse_config guarantees both
    if spec.integer:
        low, high = math.ceil(spec.min), math.floor(spec.max)
        return Dim(spec.name, "int", low, max(low, high), spec.log and low >= 1)
    return Dim(spec.name, "float", spec.min, spec.max, spec.log)


def search_space(cfg: SweepConfig) -> list[Dim]:
    """The dimensions of a validated config (seeds and templates are not dimensions)."""
    return [dimension(spec) for spec in sampled_specs(cfg)]


def natives(space: Sequence[Dim], values: Mapping[str, Any]) -> dict[str, Native] | None:
    """A planned sample's values as natives (None when one is outside the space)."""
    out: dict[str, Native] = {}
    for dim in space:
        native = dim.native(values.get(dim.name))
        if native is None:
            return None
        out[dim.name] = native
    return out
