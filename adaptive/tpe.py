"""Proposals by Optuna's TPE through ask-and-tell (the ``comfy-sweep[adaptive]`` extra).

Each proposal builds a fresh in-memory study from the trials it is given
(finished ones COMPLETE or FAIL, pending ones RUNNING, which the constant liar
treats as bad so parallel proposals spread out) and asks once with a sampler
seeded by the caller: the same trials and seed give the same proposal, so the
run store alone rebuilds the model on resume. Rebuilding costs well under a
millisecond per trial, small beside a run on ComfyUI.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from ..core.config.objective import Goal
from ..core.search.space import Dim, Native, Trial
from ..export.extras import need

# Random proposals until this many samples have results: the initial Sobol design
# (core/plan/initial.py, at least 4) normally covers it.
STARTUP = 4
# Candidates scored per proposal (Optuna: 24). More cost ~ms, and help at small budgets:
# benchmarks/bench_adaptive.py.
EI_CANDIDATES = 128


def _distribution(optuna: Any, dim: Dim) -> Any:
    d = optuna.distributions
    if dim.kind == "categorical":
        return d.CategoricalDistribution(list(range(len(dim.choices))))
    if dim.kind == "ordered":
        return d.IntDistribution(0, len(dim.choices) - 1)
    if dim.kind == "int":
        return d.IntDistribution(int(dim.low), int(dim.high), log=dim.log)
    return d.FloatDistribution(dim.low, dim.high, log=dim.log)


class TpeProposer:
    """``Proposer`` over Optuna's TPESampler (multivariate, constant liar)."""

    def __init__(self) -> None:
        self.optuna = need("optuna", "adaptive")
        self.optuna.logging.set_verbosity(self.optuna.logging.WARNING)

    def propose(
        self, space: Sequence[Dim], trials: Sequence[Trial], goal: Goal, seed: int
    ) -> dict[str, Native]:
        optuna = self.optuna
        dists = {dim.name: _distribution(optuna, dim) for dim in space}
        states = {
            "complete": optuna.trial.TrialState.COMPLETE,
            "failed": optuna.trial.TrialState.FAIL,
            "pending": optuna.trial.TrialState.RUNNING,
        }
        with warnings.catch_warnings():
            # multivariate and constant_liar are "experimental" in Optuna 4.x
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(
                seed=seed,
                multivariate=True,
                constant_liar=True,
                n_startup_trials=STARTUP,
                n_ei_candidates=EI_CANDIDATES,
            )
            study = optuna.create_study(direction=goal, sampler=sampler)
            for t in trials:
                study.add_trial(
                    optuna.trial.create_trial(
                        params=dict(t.params), distributions=dists,
                        value=t.value if t.state == "complete" else None, state=states[t.state],
                    )
                )  # fmt: skip
            trial = study.ask(dists)
        return dict(trial.params)
