"""Sampling strategies: determinism, coverage, discrete shares, log scale, seeds."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from comfy_sweep.core.config.model import SEED_LIMIT, ParameterSpec
from comfy_sweep.core.plan.sampling import (
    axis_values,
    balance_lhs,
    discrete_count,
    draw_seeds,
    lhs_points,
    map_unit,
    nearest_power_of_two,
    random_points,
    sobol_points,
    unit_points,
)


def spec(**kw: object) -> ParameterSpec:
    base: dict[str, object] = {"name": "p", "paths": ["nodes.1.inputs.x"], "type": "continuous"}
    base.update(kw)
    return ParameterSpec(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("strategy", ["sobol", "lhs", "random"])
def test_same_seed_same_points_other_seed_other_points(strategy: str) -> None:
    a = unit_points(strategy, 16, 3, seed=11)  # type: ignore[arg-type]
    b = unit_points(strategy, 16, 3, seed=11)  # type: ignore[arg-type]
    c = unit_points(strategy, 16, 3, seed=12)  # type: ignore[arg-type]
    assert a.shape == (16, 3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert ((a >= 0) & (a < 1)).all()


def test_sobol_continues_its_sequence() -> None:
    whole = sobol_points(16, 2, seed=3)
    assert np.array_equal(sobol_points(8, 2, seed=3), whole[:8])
    assert np.array_equal(sobol_points(8, 2, seed=3, skip=8), whole[8:])


def test_random_continues_its_stream() -> None:
    whole = random_points(10, 3, seed=9)
    assert np.array_equal(random_points(4, 3, seed=9, skip=6), whole[6:])


def test_sobol_is_stratified_per_dimension() -> None:
    pts = sobol_points(32, 3, seed=1)
    for d in range(3):
        assert sorted(np.floor(pts[:, d] * 32).astype(int)) == list(range(32))


def test_lhs_one_point_per_stratum_per_dimension() -> None:
    n = 10
    pts = lhs_points(n, 4, seed=5)
    for d in range(4):
        assert sorted(np.floor(pts[:, d] * n).astype(int)) == list(range(n))


def test_discrete_values_are_used_evenly_in_lhs() -> None:
    values = spec(type="values", values=["euler", "dpmpp_2m", "heun"])
    for seed in range(5):
        pts = balance_lhs(lhs_points(16, 2, seed=seed), [None, 3])
        counts = Counter(map_unit(values, float(u)) for u in pts[:, 1])
        assert sorted(counts.values()) == [5, 5, 6]
        assert np.array_equal(pts[:, 0], lhs_points(16, 2, seed=seed)[:, 0])  # continuous untouched


def test_discrete_values_are_used_evenly_in_sobol() -> None:
    values = spec(type="values", values=["a", "b", "c", "d"])
    counts = Counter(map_unit(values, float(u)) for u in sobol_points(16, 2, seed=4)[:, 1])
    assert counts == {"a": 4, "b": 4, "c": 4, "d": 4}
    # m not dividing n: shares are uneven only by the strata that straddle a boundary.
    three = spec(type="values", values=["a", "b", "c"])
    counts = Counter(map_unit(three, float(u)) for u in sobol_points(16, 2, seed=4)[:, 1])
    assert set(counts) == {"a", "b", "c"} and max(counts.values()) - min(counts.values()) <= 2


def test_discrete_count() -> None:
    assert discrete_count(spec(type="values", values=["a", "b", "c"])) == 3
    assert discrete_count(spec(type="linear", min=0.5, max=3.0, step=0.5)) == 6
    assert discrete_count(spec(min=1, max=4, integer=True)) == 4
    assert discrete_count(spec(min=1.0, max=4.0)) is None


def test_linear_inside_sobol_uses_every_step_equally() -> None:
    lin = spec(type="linear", min=0.5, max=2.0, step=0.5)
    counts = Counter(map_unit(lin, float(u)) for u in sobol_points(32, 1, seed=2)[:, 0])
    assert counts == {0.5: 8, 1.0: 8, 1.5: 8, 2.0: 8}


def test_integer_continuous_gets_equal_shares() -> None:
    steps = spec(min=1, max=4, integer=True)
    counts = Counter(map_unit(steps, float(u)) for u in sobol_points(64, 1, seed=8)[:, 0])
    assert counts == {1: 16, 2: 16, 3: 16, 4: 16}
    assert all(isinstance(v, int) for v in counts)


def test_continuous_stays_in_bounds_and_spreads() -> None:
    cfg = spec(min=1.0, max=3.0)
    vals = [map_unit(cfg, float(u)) for u in sobol_points(64, 1, seed=6)[:, 0]]
    assert all(1.0 <= v <= 3.0 for v in vals)
    assert sum(v < 2.0 for v in vals) == 32  # balanced halves
    assert map_unit(cfg, 0.0) == 1.0 and map_unit(cfg, 0.999999999) <= 3.0


def test_log_scale_is_uniform_in_the_exponent() -> None:
    sig = spec(min=0.01, max=100.0, log=True)
    vals = [map_unit(sig, float(u)) for u in sobol_points(64, 1, seed=7)[:, 0]]
    assert all(0.01 <= v <= 100.0 for v in vals)
    decades = Counter(math.floor(math.log10(v)) for v in vals)
    assert decades == {
        -2: 16,
        -1: 16,
        0: 16,
        1: 16,
    }  # linear scale would put ~all in the top decade


def test_log_scale_integer_rounds() -> None:
    steps = spec(min=1, max=1000, log=True, integer=True)
    vals = [map_unit(steps, u) for u in (0.0, 0.33, 0.5, 0.99)]
    assert all(isinstance(v, int) and 1 <= v <= 1000 for v in vals)
    assert vals[2] == 32  # sqrt(1000) = 31.6


def test_axis_values_linear_without_float_noise() -> None:
    assert axis_values(spec(type="linear", min=0.5, max=3.0, step=0.5)) == [
        0.5,
        1.0,
        1.5,
        2.0,
        2.5,
        3.0,
    ]
    assert axis_values(spec(type="linear", min=0.1, max=0.3, step=0.1)) == [0.1, 0.2, 0.3]
    assert axis_values(spec(type="linear", min=1, max=7, step=3)) == [1, 4, 7]
    assert axis_values(spec(type="continuous", min=0.0, max=1.0, step=0.5)) == [0.0, 0.5, 1.0]


def test_axis_values_integer_rounds_and_dedupes() -> None:
    assert axis_values(spec(type="linear", min=1, max=3, step=0.5, integer=True)) == [1, 2, 3]
    assert axis_values(spec(type="values", values=[1.2, 1, 2.4], integer=True)) == [1, 2]
    assert axis_values(spec(type="values", values=[1, 2.5])) == [1, 2.5]  # FLOAT input: as written


def test_seeds_fresh_per_repeat_deterministic_and_bounded() -> None:
    seed = spec(type="random_seed", input_max=2**64 - 1)
    a = draw_seeds([seed, spec(name="q", type="random_seed", input_max=1000)], 42, 3, 5)
    assert a == draw_seeds([seed, spec(name="q", type="random_seed", input_max=1000)], 42, 3, 5)
    assert len({row["p"] for row in a}) == 5
    assert all(0 <= row["p"] <= SEED_LIMIT and 0 <= row["q"] <= 1000 for row in a)
    assert a != draw_seeds([seed, spec(name="q", type="random_seed", input_max=1000)], 42, 4, 5)


def test_nearest_power_of_two() -> None:
    assert nearest_power_of_two(10) == [8]
    assert nearest_power_of_two(13) == [16]
    assert nearest_power_of_two(12) == [8, 16]
