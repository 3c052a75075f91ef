"""Gaussian-process proposals: the default model of ``sampling_strategy: adaptive``.

numpy and scipy only, so adaptive search works in any ComfyUI's Python with no
extra (Optuna's TPE stays available as ``objective: {sampler: tpe}``, the
``comfy-sweep[adaptive]`` extra). On the smooth, low-dimensional spaces people
sweep (cfg, shift, strengths, a sampler or two) a GP with expected improvement
finds the optimum in far fewer runs than TPE, whose density model needs tens
of trials before it beats random: benchmarks/bench_adaptive.py.

The model: every dimension scaled to [0, 1] (log-scaled when the dimension is;
a categorical one becomes one column per choice), the objective standardised,
a Matérn 5/2 kernel with one length scale per column fitted by maximum
marginal likelihood (a weak prior keeps length scales sane on a handful of
points). Pending samples are fantasised at the model's mean (the "kriging
believer": the next proposal moves away from where a run is already going)
and failed ones at the worst value seen (the model steers away from them
without a failure ever counting as a score). The proposal maximises expected
improvement over random candidates plus perturbations of the best points,
polished by L-BFGS-B, skipping points already planned on a discrete grid.

Deterministic: the same trials and seed give the same proposal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize
from scipy.stats import norm

from ..config.objective import Goal
from .space import Dim, Native, Trial

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]
Index = NDArray[np.intp]

MIN_FIT = 3  # complete trials before the model proposes (else a random point)
FIT_POINTS = 96  # hyperparameters fitted on at most this many points (the best and the latest)
CANDIDATES = 768  # random candidates per proposal
LOCAL = 256  # perturbations of the best points
POLISH = 4  # best candidates polished by L-BFGS-B
XI = 0.01  # expected improvement's exploration margin, in standard deviations
_LOG_LS_PRIOR = (math.log(0.5), 1.5)  # length scale prior: log-normal around half the range
_BOUNDS_LS = (math.log(0.02), math.log(20.0))
_BOUNDS_SF = (math.log(0.05), math.log(20.0))
_BOUNDS_SN = (math.log(1e-6), math.log(0.5))


# -- encoding: natives <-> unit-cube features --------------------------------------
def _scale(dim: Dim, native: float) -> float:
    lo, hi, x = dim.low, dim.high, float(native)
    if dim.kind == "ordered":
        lo, hi = 0.0, float(max(len(dim.choices) - 1, 1))
    elif dim.log and lo > 0:
        lo, hi, x = math.log(lo), math.log(hi), math.log(max(x, dim.low))
    return 0.5 if hi <= lo else (x - lo) / (hi - lo)


def _unscale(dim: Dim, u: float) -> Native:
    u = min(max(u, 0.0), 1.0)
    if dim.kind == "ordered":
        return round(u * (len(dim.choices) - 1))
    lo, hi = dim.low, dim.high
    x = (
        math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        if dim.log and lo > 0
        else lo + u * (hi - lo)
    )
    return round(x) if dim.kind == "int" else x


def width(dim: Dim) -> int:
    return len(dim.choices) if dim.kind == "categorical" else 1


def encode(space: Sequence[Dim], params: dict[str, Native]) -> Array:
    out: list[float] = []
    for dim in space:
        if dim.kind == "categorical":
            hot = [0.0] * len(dim.choices)
            hot[min(max(int(params[dim.name]), 0), len(hot) - 1)] = 1.0
            out.extend(hot)
        else:
            out.append(_scale(dim, params[dim.name]))
    return np.array(out, dtype=float)


def decode(space: Sequence[Dim], x: Array) -> dict[str, Native]:
    out: dict[str, Native] = {}
    col = 0
    for dim in space:
        w = width(dim)
        out[dim.name] = (
            int(np.argmax(x[col : col + w]))
            if dim.kind == "categorical"
            else _unscale(dim, float(x[col]))
        )
        col += w
    return out


def _key(space: Sequence[Dim], params: dict[str, Native]) -> tuple[float, ...]:
    """A proposal as the plan would record it (ints and choices exact, floats to 6 digits)."""
    return tuple(float(f"{float(params[d.name]):.6g}") for d in space)


# -- the Gaussian process ---------------------------------------------------------------
def _matern52(a: Array, b: Array, ls: Array, sf2: float) -> Array:
    d = math.sqrt(5.0) * np.sqrt((((a[:, None, :] - b[None, :, :]) / ls) ** 2).sum(-1))
    return np.asarray(sf2 * (1.0 + d + d * d / 3.0) * np.exp(-d), dtype=float)


@dataclass(frozen=True)
class Gp:
    x: Array
    ls: Array
    sf2: float
    sn2: float
    chol: tuple[Array, bool]
    alpha: Array

    @classmethod
    def condition(cls, x: Array, y: Array, ls: Array, sf2: float, sn2: float) -> Gp:
        k = _matern52(x, x, ls, sf2) + (sn2 + 1e-8) * np.eye(len(x))
        chol = cho_factor(k, lower=True)
        return cls(x, ls, sf2, sn2, chol, cho_solve(chol, y))

    def predict(self, xs: Array) -> tuple[Array, Array]:
        ks = _matern52(xs, self.x, self.ls, self.sf2)
        mu = ks @ self.alpha
        v = cho_solve(self.chol, ks.T)
        var = np.maximum(self.sf2 - np.einsum("ij,ji->i", ks, v), 1e-12)
        return mu, np.sqrt(var)


def _neg_log_evidence(theta: Array, x: Array, y: Array) -> float:
    ls, sf2, sn2 = np.exp(theta[:-2]), math.exp(theta[-2]), math.exp(theta[-1])
    k = _matern52(x, x, ls, sf2) + (sn2 + 1e-8) * np.eye(len(x))
    try:
        chol = cho_factor(k, lower=True)
    except np.linalg.LinAlgError:
        return 1e10
    alpha = cho_solve(chol, y)
    nll = 0.5 * float(y @ alpha) + float(np.log(np.diag(chol[0])).sum())
    mean, sd = _LOG_LS_PRIOR
    return nll + 0.5 * float((((theta[:-2] - mean) / sd) ** 2).sum())


def fit(x: Array, y: Array, rng: np.random.Generator) -> tuple[Array, float, float]:
    """Length scales, signal and noise variance by maximum (penalised) evidence."""
    d = x.shape[1]
    bounds = [_BOUNDS_LS] * d + [_BOUNDS_SF, _BOUNDS_SN]
    starts = [np.r_[np.full(d, math.log(0.3)), 0.0, math.log(1e-3)]]
    starts += [np.array([rng.uniform(lo, hi) for lo, hi in bounds]) for _ in range(2)]
    best: tuple[float, Array] | None = None
    for theta0 in starts:
        res = minimize(_neg_log_evidence, theta0, args=(x, y), method="L-BFGS-B",
                       bounds=bounds, options={"maxiter": 60})  # fmt: skip
        if best is None or res.fun < best[0]:
            best = (float(res.fun), res.x)
    assert best is not None
    theta = best[1]
    return np.exp(theta[:-2]), math.exp(theta[-2]), math.exp(theta[-1])


def _fit_subset(y: Array) -> Index:
    """Indices the hyperparameters are fitted on: all, or the best and the latest."""
    n = len(y)
    if n <= FIT_POINTS:
        return np.arange(n)
    half = FIT_POINTS // 2
    keep = set(np.argsort(-y)[:half].tolist()) | set(range(n - half, n))
    return np.array(sorted(keep), dtype=np.intp)


# -- the acquisition ------------------------------------------------------------------
def expected_improvement(gp: Gp, xs: Array, best: float) -> Array:
    mu, sd = gp.predict(xs)
    z = (mu - best - XI) / sd
    return np.asarray(sd * (z * norm.cdf(z) + norm.pdf(z)), dtype=float)


def _random(space: Sequence[Dim], n: int, rng: np.random.Generator) -> Array:
    cols: list[Array] = []  # one-hot rows for a categorical dimension
    for dim in space:
        if dim.kind == "categorical":
            cols.append(np.eye(len(dim.choices))[rng.integers(len(dim.choices), size=n)])
        else:
            cols.append(rng.random((n, 1)))
    return np.hstack(cols)


def _continuous_mask(space: Sequence[Dim]) -> Mask:
    return np.concatenate([np.full(width(d), d.kind != "categorical") for d in space]).astype(bool)


def _local(centres: Array, mask: Mask, n: int, rng: np.random.Generator) -> Array:
    picks = centres[rng.integers(len(centres), size=n)]
    scale = rng.choice([0.02, 0.08, 0.2], size=(n, 1))
    moved = picks + mask * rng.normal(size=picks.shape) * scale
    return np.asarray(np.clip(moved, 0.0, 1.0), dtype=float)


def _polish(gp: Gp, x0: Array, mask: Mask, best: float) -> Array:
    """L-BFGS-B on the continuous columns of ``x0`` (choices kept)."""

    def neg(u: Array) -> float:
        x = x0.copy()
        x[mask] = u
        return -float(expected_improvement(gp, x[None, :], best)[0])

    res = minimize(neg, x0[mask], method="L-BFGS-B", bounds=[(0.0, 1.0)] * int(mask.sum()),
                   options={"maxiter": 40})  # fmt: skip
    out = np.array(x0, dtype=float)
    out[mask] = res.x
    return out


class GpProposer:
    """``Proposer`` by a Gaussian process and expected improvement (module docstring)."""

    def propose(
        self, space: Sequence[Dim], trials: Sequence[Trial], goal: Goal, seed: int
    ) -> dict[str, Native]:
        rng = np.random.default_rng(seed)
        done = [
            t
            for t in trials
            if t.state == "complete" and t.value is not None and math.isfinite(t.value)
        ]
        seen = {_key(space, t.params) for t in trials}
        ys = np.array([float(t.value) for t in done if t.value is not None])
        if len(done) < MIN_FIT or float(np.ptp(ys)) == 0.0:
            return self._fresh(space, _random(space, 64, rng), seen)
        sign = 1.0 if goal == "maximize" else -1.0
        y = sign * ys
        y = (y - y.mean()) / y.std()
        x = np.array([encode(space, t.params) for t in done])
        idx = _fit_subset(y)
        ls, sf2, sn2 = fit(x[idx], y[idx], rng)
        gp = self._with_fantasies(space, trials, x, y, (ls, sf2, sn2))
        return self._fresh(space, self._candidates(space, gp, x, y, rng), seen)

    def _with_fantasies(
        self, space: Sequence[Dim], trials: Sequence[Trial], x: Array, y: Array,
        hyper: tuple[Array, float, float],
    ) -> tuple[Gp, float]:  # fmt: skip
        """The model conditioned on the finished runs, the pending ones at its mean
        and the failed ones at the worst value; and the best value to improve on."""
        gp = Gp.condition(x, y, *hyper)
        pending = [encode(space, t.params) for t in trials if t.state == "pending"]
        failed = [encode(space, t.params) for t in trials if t.state == "failed"]
        if not pending and not failed:
            return gp, float(y.max())
        xp = np.array(pending) if pending else np.empty((0, x.shape[1]))
        yp = gp.predict(xp)[0] if pending else np.empty(0)
        xf = np.array(failed) if failed else np.empty((0, x.shape[1]))
        yf = np.full(len(failed), float(y.min()))
        both = Gp.condition(np.vstack([x, xp, xf]), np.r_[y, yp, yf], *hyper)
        return both, float(y.max())

    def _candidates(
        self, space: Sequence[Dim], model: tuple[Gp, float], x: Array, y: Array,
        rng: np.random.Generator,
    ) -> Array:  # fmt: skip
        """Candidates ordered by expected improvement, the best polished first."""
        gp, best = model
        mask = _continuous_mask(space)
        top = x[np.argsort(-y)[:5]]
        xs = np.vstack([_random(space, CANDIDATES, rng), _local(top, mask, LOCAL, rng)])
        ei = expected_improvement(gp, xs, best)
        order = np.argsort(-ei)
        polished = [_polish(gp, xs[i], mask, best) for i in order[:POLISH]] if mask.any() else []
        ranked = np.array(polished) if polished else np.empty((0, xs.shape[1]))
        if len(ranked):
            ranked = ranked[np.argsort(-expected_improvement(gp, ranked, best))]
        return np.vstack([ranked, xs[order]])

    @staticmethod
    def _fresh(
        space: Sequence[Dim], ranked: Array, seen: set[tuple[float, ...]]
    ) -> dict[str, Native]:
        """The first candidate not already planned (the first at all when every one is)."""
        for row in ranked:
            params = decode(space, row)
            if _key(space, params) not in seen:
                return params
        return decode(space, ranked[0])
