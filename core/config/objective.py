"""The ``objective:`` config section: what ``sampling_strategy: adaptive`` optimises.

    sampling_strategy: adaptive
    num_samples: 32            # the budget (samples; runs = samples x seeds_per_sample)
    objective: {metric: like_ref, goal: maximize}   # sampler: gp (default) | tpe
    metrics:
      like_ref: {type: similarity, reference: ref.png}

``metric`` names an entry of ``metrics:`` (``score_<name>`` is accepted too);
``goal`` defaults to the metric's direction (docs/metrics.md); ``sampler`` is
the model proposing samples: ``gp`` (a Gaussian process, numpy/scipy only:
core/search/gp.py) or ``tpe`` (Optuna, the ``comfy-sweep[adaptive]`` extra). Parsed here,
checked against the config's metrics by ``check_objective`` (validation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from ..errors import ConfigError
from ..store.format import SCORE_PREFIX

if TYPE_CHECKING:
    from .model import SweepConfig

Goal = Literal["maximize", "minimize"]
GOALS: tuple[str, ...] = ("maximize", "minimize")
Sampler = Literal["gp", "tpe"]
SAMPLERS: tuple[str, ...] = ("gp", "tpe")
OBJECTIVE_KEYS: tuple[str, ...] = ("metric", "goal", "sampler")

Fail = Callable[[tuple[str, ...], str], ConfigError]


@dataclass
class ObjectiveSpec:
    metric: str  # a metrics: name (without score_)
    goal: Goal | None = None  # None: the metric's own direction (filled by check_objective)
    sampler: Sampler = "gp"

    @property
    def column(self) -> str:
        return SCORE_PREFIX + self.metric

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"metric": self.metric}
        if self.goal is not None:
            out["goal"] = self.goal
        if self.sampler != "gp":
            out["sampler"] = self.sampler
        return out


def parse_objective(raw: Any, fail: Fail) -> ObjectiveSpec | None:
    """``objective:`` as loaded from YAML (a bare name is the metric)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"metric": raw}
    if not isinstance(raw, Mapping):
        raise fail(("objective",), f"expected {{metric: NAME, goal: maximize}}, got {raw!r}")
    entry = {str(k): v for k, v in raw.items()}
    for key in entry:
        if key not in OBJECTIVE_KEYS:
            raise fail(("objective", key), "unknown key; objective has metric, goal and sampler")
    metric = entry.get("metric")
    if not isinstance(metric, str) or not metric.strip():
        raise fail(("objective", "metric"), "missing; name one of the config's metrics:")
    goal = entry.get("goal")
    if goal is not None and (not isinstance(goal, str) or goal.lower() not in GOALS):
        raise fail(("objective", "goal"), f"expected maximize or minimize, got {goal!r}")
    sampler = entry.get("sampler", "gp")
    if not isinstance(sampler, str) or sampler.lower() not in SAMPLERS:
        raise fail(("objective", "sampler"), f"expected gp or tpe, got {sampler!r}")
    name = metric.strip().removeprefix(SCORE_PREFIX)
    return ObjectiveSpec(
        name, cast(Goal, goal.lower()) if goal else None, cast(Sampler, sampler.lower())
    )


def check_objective(cfg: SweepConfig, fail: Fail) -> None:
    """An adaptive sweep needs an objective naming one of its metrics; its goal is
    filled from the metric when not given. Other strategies ignore it (a warning)."""
    obj = cfg.objective
    if cfg.sampling_strategy != "adaptive":
        if obj is not None and cfg.sampling_strategy != "explore":  # explore: its winners
            cfg.warnings.append(
                f"{cfg.source}: objective is used by sampling_strategy adaptive only; ignored"
            )
        return
    if obj is None:
        raise fail(
            ("objective",),
            "sampling_strategy adaptive needs objective: {metric: NAME} naming one of metrics:",
        )
    specs = {s.name: s for s in cfg.metrics}
    spec = specs.get(obj.metric)
    if spec is None:
        known = ", ".join(specs) or "none: add a metrics: section"
        raise fail(("objective", "metric"), f"{obj.metric!r} is not in metrics: ({known})")
    if obj.goal is None:
        goal = spec.effective_goal
        if goal is None:
            raise fail(
                ("objective", "goal"),
                f"metric {obj.metric} ({spec.type}) has no direction; give maximize or minimize",
            )
        obj.goal = goal
    if cfg.inputs is not None:
        raise fail(("sampling_strategy",), "adaptive does not run over input sets (inputs:)")
