"""Sampling strategies: unit-cube points and their mapping onto parameter values.

* sobol  - scrambled Sobol (``scipy.stats.qmc``), seeded; continues a sequence with ``skip``
* lhs    - Latin hypercube: one point per stratum in every dimension
* random - uniform, from one seeded numpy stream (continuable the same way)
* grid / linear - cartesian product of ``axis_values``

A discrete parameter (``values``, ``linear``, an integer ``continuous``) gets equal
shares of the unit interval, so a balanced design uses every value evenly.
``random_seed`` parameters are not sampling dimensions: ``draw_seeds`` gives each
repetition of a sample fresh values from a stream keyed by (sweep seed, sample index),
so a sample's seeds do not depend on execution order or on how the plan was extended.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from ..config.model import SEED_LIMIT, ParameterSpec, Strategy
from ..errors import ConfigError

if TYPE_CHECKING:
    import numpy as np

# numpy and scipy.stats are imported where they are used: scipy.stats alone takes
# ~0.6 s to import, which every cr-* command (even --help) paid before (issue 12).

_SEED_STREAM = 0x5EED  # separates the seed stream from the sampling stream
_SIG_DIGITS = 6  # continuous values are kept readable (folder names, CSV columns)


def sobol_points(n: int, dims: int, seed: int, skip: int = 0) -> np.ndarray:
    """Points ``skip .. skip+n-1`` of the scrambled Sobol sequence for ``seed``."""
    import numpy as np
    from scipy.stats import qmc

    if dims == 0 or n <= 0:
        return np.zeros((max(n, 0), dims))
    engine = qmc.Sobol(d=dims, scramble=True, rng=seed)
    with warnings.catch_warnings():
        # scipy warns about balance when n is not a power of two; plan.py says it once.
        warnings.simplefilter("ignore", UserWarning)
        if skip:
            engine.fast_forward(skip)
        return np.asarray(engine.random(n), dtype=float)


def random_points(n: int, dims: int, seed: int, skip: int = 0) -> np.ndarray:
    """Rows ``skip .. skip+n-1`` of one seeded uniform stream (row-major, so it continues)."""
    import numpy as np

    rows = np.random.default_rng(seed).random((skip + max(n, 0), dims))
    return rows[skip:]


def lhs_points(n: int, dims: int, seed: int) -> np.ndarray:
    import numpy as np
    from scipy.stats import qmc

    if dims == 0 or n <= 0:
        return np.zeros((max(n, 0), dims))
    return np.asarray(qmc.LatinHypercube(d=dims, rng=seed).random(n), dtype=float)


def discrete_count(spec: ParameterSpec) -> int | None:
    """How many values a discrete sampling dimension has (None for a continuous one)."""
    if spec.type in ("values", "linear"):
        return len(axis_values(spec))
    if spec.type == "continuous" and spec.integer and not spec.log:
        assert spec.min is not None and spec.max is not None
        return max(math.floor(spec.max) - math.ceil(spec.min) + 1, 1)
    return None


def balance_lhs(points: np.ndarray, counts: list[int | None]) -> np.ndarray:
    """Exactly even use of discrete values in a Latin hypercube.

    Mapping u to m equal shares is uneven by up to 2 when n strata do not line up
    with m shares; an LHS column has one point per stratum, so dealing strata out
    in order (stratum k -> value k*m//n) makes the counts differ by at most 1."""
    import numpy as np

    out: np.ndarray = np.array(points, dtype=float)  # a copy
    n = len(points)
    for j, m in enumerate(counts):
        if m:
            strata = np.minimum(np.floor(points[:, j] * n).astype(int), n - 1)
            out[:, j] = (strata * m // n + 0.5) / m
    return out


def unit_points(strategy: Strategy, n: int, dims: int, seed: int) -> np.ndarray:
    """(n, dims) points in [0, 1) for the sampling strategies (grid/linear have none)."""
    if strategy == "sobol":
        return sobol_points(n, dims, seed)
    if strategy == "lhs":
        return lhs_points(n, dims, seed)
    if strategy == "random":
        return random_points(n, dims, seed)
    raise ValueError(f"{strategy} is not a sampling strategy; use axis_values")


def nearest_power_of_two(n: int) -> list[int]:
    """The power(s) of two closest to n (two on a tie)."""
    lo = 1 << max(n.bit_length() - 1, 0)
    hi = lo * 2
    if n - lo == hi - n:
        return [lo, hi]
    return [lo] if n - lo < hi - n else [hi]


def tidy(x: float) -> float:
    """Drop float noise (0.30000000000000004 -> 0.3) without changing meaningful digits."""
    return float(f"{x:.12g}")


def _int_or_float(spec: ParameterSpec, x: float) -> Any:
    return int(round(x)) if spec.integer else tidy(x)


def axis_values(spec: ParameterSpec) -> list[Any]:
    """The discrete values of a grid/linear axis, in order; integer inputs rounded, deduplicated."""
    if spec.type == "values":
        raw = list(spec.values or [])
        # Values are kept as written (1 stays 1 for a FLOAT input); only INT inputs round.
        vals = [int(round(v)) if spec.integer and _is_number(v) else v for v in raw]
    elif spec.type in ("linear", "continuous") and spec.step is not None:
        assert spec.min is not None and spec.max is not None  # parse_config guarantees both
        count = math.floor((spec.max - spec.min) / spec.step + 1e-9) + 1
        vals = [_int_or_float(spec, spec.min + i * spec.step) for i in range(count)]
        if all(isinstance(v, int) for v in (spec.min, spec.max, spec.step)):
            vals = [int(v) for v in vals]
    else:
        raise ConfigError(
            f"parameters.{spec.name}: type {spec.type} without a step has no discrete values",
            field=f"parameters.{spec.name}.step",
        )
    return _unique(vals)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _unique(vals: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in vals:
        if not any(v == o and type(v) is type(o) for o in out):
            out.append(v)
    return out


def _share(u: float, count: int) -> int:
    """Index of the equal share of [0, 1) that u falls in."""
    return min(int(u * count), count - 1)


def map_unit(spec: ParameterSpec, u: float) -> Any:
    """The value of ``spec`` at unit coordinate ``u`` (see module docstring)."""
    if spec.type in ("values", "linear"):
        vals = axis_values(spec)
        return vals[_share(u, len(vals))]
    if spec.type != "continuous" or spec.min is None or spec.max is None:
        raise ValueError(f"parameter {spec.name} ({spec.type}) is not a sampling dimension")
    lo, hi = spec.min, spec.max
    if spec.integer and not spec.log:
        first, last = math.ceil(lo), math.floor(hi)
        if first > last:  # no integer inside the range: the nearest one
            return int(round(lo))
        return first + _share(u, last - first + 1)
    if spec.log:
        x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    else:
        x = lo + u * (hi - lo)
    if spec.integer:
        return int(min(max(round(x), math.ceil(lo)), math.floor(hi)))
    return min(max(float(f"{x:.{_SIG_DIGITS}g}"), lo), hi)


def seed_range(spec: ParameterSpec) -> tuple[int, int]:
    """Inclusive bounds of a random_seed parameter: below 2**53 and within the input's range."""
    lo = int(spec.min) if spec.min is not None else 0
    lo = max(lo, int(spec.input_min)) if spec.input_min is not None else lo
    hi = int(spec.max) if spec.max is not None else SEED_LIMIT
    hi = min(hi, SEED_LIMIT)
    if spec.input_max is not None:
        hi = min(hi, int(spec.input_max))
    return lo, max(lo, hi)


def draw_seeds(
    seed_specs: list[ParameterSpec], sweep_seed: int, sample_index: int, repeats: int
) -> list[dict[str, int]]:
    """Fresh seed values for every repetition of one sample (deterministic per sample)."""
    if not seed_specs:  # no random_seed parameter: nothing to draw (and no numpy to load)
        return [{} for _ in range(repeats)]
    import numpy as np

    rng = np.random.default_rng([sweep_seed, _SEED_STREAM, sample_index])
    out: list[dict[str, int]] = []
    for _ in range(repeats):
        row: dict[str, int] = {}
        for spec in seed_specs:
            lo, hi = seed_range(spec)
            row[spec.name] = int(rng.integers(lo, hi, endpoint=True))
        out.append(row)
    return out


__all__ = [
    "axis_values",
    "balance_lhs",
    "discrete_count",
    "draw_seeds",
    "lhs_points",
    "map_unit",
    "nearest_power_of_two",
    "random_points",
    "seed_range",
    "sobol_points",
    "tidy",
    "unit_points",
]
