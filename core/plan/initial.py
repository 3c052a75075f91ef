"""The initial design of ``sampling_strategy: adaptive``.

An adaptive sweep's plan starts as a space-filling Sobol design of
``initial_count(num_samples)`` samples; every later sample is proposed by a
model of the finished runs' scores while the sweep runs (core/search/), so
plan.json grows as it goes. A quarter of the budget (at least 4) is what
model-based search usually spends on its initial design: fewer leaves the
model nothing to learn from, more leaves it too few proposals.
"""

from __future__ import annotations

from ..config.model import SweepConfig

MIN_INITIAL = 4


def initial_count(budget: int) -> int:
    """How many of ``budget`` samples the initial Sobol design has."""
    return min(budget, max(MIN_INITIAL, budget // 4))


def adaptive_note(cfg: SweepConfig, initial: int) -> list[str]:
    """What ``--dry-run`` and the plan's notes say about an adaptive plan."""
    if cfg.sampling_strategy != "adaptive":
        return []
    obj = cfg.objective
    what = f"{obj.goal or 'optimise'} score_{obj.metric}" if obj is not None else "the objective"
    rest = max(cfg.num_samples - initial, 0)
    return [
        f"adaptive: the plan is decided as results arrive; these {initial} samples are the "
        f"initial Sobol design, the other {rest} of num_samples {cfg.num_samples} are proposed "
        f"one by one from the finished runs' scores to {what}"
    ]
