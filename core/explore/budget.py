"""How a budget of runs is split over the phases.

* surfing: about 30 % of the budget, two seeds per sampler x scheduler
  combination; as many combinations as fit, balanced between the two axes
  (the workflow's own values and the well-tried ones first). Skipped when
  fewer than two combinations fit, or the workflow has no sampler.
* seed mining: about 20 % (at least 2 runs) when the workflow has a seed.
* parameter search: the rest. With an objective it is run in up to three
  rounds (50/30/20 %), each narrowing the ranges around the best run so far;
  a person rating the runs gets one round (one sheet to rate).

Raising the budget gives every phase its share of the larger budget: a phase
whose plan only grew is extended in place by the usual rerun rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PlanError

SURF_SHARE = 0.3
SEED_SHARE = 0.2
SURF_SEEDS = 2  # every combination is tried on the same two seeds
ROUND_SHARES = (0.5, 0.3, 0.2)
MIN_ROUND = 6  # a narrowing round smaller than this is folded into the one before
MIN_SEEDS = 2


@dataclass(frozen=True)
class Split:
    """Runs per phase; ``samplers``/``schedulers``: how many values surfing tries."""

    budget: int
    samplers: int
    schedulers: int
    rounds: tuple[int, ...]
    seeds: int
    surf_seeds: int = SURF_SEEDS  # 1 when the workflow has no seed (nothing to repeat)

    @property
    def surfing(self) -> int:
        combos = self.samplers * self.schedulers
        return combos * self.surf_seeds if combos > 1 else 0

    @property
    def search(self) -> int:
        return sum(self.rounds)

    @property
    def total(self) -> int:
        return self.surfing + self.search + self.seeds


def grid_shape(combos: int, samplers: int, schedulers: int) -> tuple[int, int]:
    """(k, m) with k*m <= combos, k <= samplers, m <= schedulers, k*m largest,
    then the most balanced (a 4x4 grid says more than 16x1)."""
    best = (0, 0, 0, 0)
    for k in range(1, max(samplers, 0) + 1):
        m = min(max(schedulers, 1), combos // k)
        if m < 1:
            break
        key = (k * m, -abs(k - m), k, m)
        best = max(best, key)
    return (best[2], best[3]) if best[0] else (1, 1)


def split_rounds(runs: int, rounds_allowed: bool) -> tuple[int, ...]:
    """The search runs as rounds (see the module docstring)."""
    if runs <= 0:
        return ()
    if not rounds_allowed:
        return (runs,)
    sizes = [int(runs * share) for share in ROUND_SHARES]
    sizes[0] += runs - sum(sizes)
    while len(sizes) > 1 and sizes[-1] < MIN_ROUND:
        last = sizes.pop()
        sizes[-1] += last
    return tuple(sizes)


def minimum_budget(has_search: bool, has_seeds: bool) -> int:
    return (1 if has_search else 0) + (MIN_SEEDS if has_seeds else 0) or 1


def split_budget(
    budget: int,
    *,
    samplers: int,
    schedulers: int,
    has_search: bool,
    has_seeds: bool,
    rounds_allowed: bool,
) -> Split:
    """The split of ``budget`` runs (module docstring). ``samplers``/``schedulers``:
    how many candidate values each surfing axis has (0: no such axis)."""
    surf_possible = max(samplers, 1) * max(schedulers, 1) > 1 and samplers + schedulers > 0
    if not (surf_possible or has_search or has_seeds):
        raise PlanError("nothing to explore: no sampler, no numeric input to search, no seed")
    least = minimum_budget(has_search, has_seeds)
    if budget < least:
        raise PlanError(f"--budget {budget} is too small for this workflow: at least {least}")
    seeds = max(MIN_SEEDS, round(budget * SEED_SHARE)) if has_seeds else 0
    per_combo = SURF_SEEDS if has_seeds else 1
    k, m = 1, 1
    if surf_possible:
        target = round(budget * SURF_SHARE) if (has_search or has_seeds) else budget
        target = min(target, budget - seeds - (1 if has_search else 0))
        k, m = grid_shape(target // per_combo, max(samplers, 1), max(schedulers, 1))
    surfing = k * m * per_combo if k * m > 1 else 0
    rest = budget - surfing - seeds
    if not has_search:
        seeds += rest if has_seeds else 0
        rest = 0
    return Split(budget, k, m, split_rounds(rest, rounds_allowed), seeds, per_combo)
