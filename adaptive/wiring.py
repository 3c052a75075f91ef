"""The adaptive run source of a session, wired to its store and live scorer.

Both adapters that run sweeps call ``adaptive_source``: cr-batch in client
mode (cli/batch.py) and the server's service (server_routes/service.py). The
proposer is the config's ``objective.sampler``: the Gaussian process of
core/search/gp.py (no extra) or Optuna's TPE (``comfy-sweep[adaptive]``)."""

from __future__ import annotations

import math

from ..core.config.model import SweepConfig
from ..core.config.validate import validate_config
from ..core.errors import MissingExtraError
from ..core.objectinfo import ObjectInfo
from ..core.search.gp import GpProposer
from ..core.search.source import AdaptiveRuns
from ..core.search.space import Proposer
from ..core.store.runstore import RunStore
from ..export.extras import need
from ..media.live_scoring import LiveScorer


def needs_optuna(cfg: SweepConfig) -> bool:
    return (
        cfg.sampling_strategy == "adaptive"
        and cfg.objective is not None
        and cfg.objective.sampler == "tpe"
    )


def require_optuna(cfg: SweepConfig) -> None:
    """MissingExtraError naming ``comfy-sweep[adaptive]`` before any batch is made,
    when the config's sampler is Optuna's."""
    if needs_optuna(cfg):
        need("optuna", "adaptive")


def proposer_for(cfg: SweepConfig) -> Proposer:
    if needs_optuna(cfg):
        from .tpe import TpeProposer

        return TpeProposer()
    return GpProposer()


def adaptive_source(
    store: RunStore,
    scorer: LiveScorer | None,
    *,
    window: int,
    object_info: ObjectInfo | None = None,
) -> AdaptiveRuns | None:
    """The run source of an adaptive batch (None for every other strategy).
    ``window``: prompts queued at once over all servers (the proposals' lag).
    ``object_info``: the server's, when known. Without it an input's kind is
    guessed from its value, and the frontend writes a FLOAT of 1.0 as ``1``:
    the sweep's values would then be rounded to integers (sigma 0.15 -> 0)."""
    cfg = store.config
    if cfg.sampling_strategy != "adaptive":
        return None
    validate_config(cfg, store.workflow, object_info)  # integer inputs, the objective's goal
    lag = math.ceil(window / cfg.seeds_per_sample)
    source = AdaptiveRuns(store, proposer_for(cfg), lag=lag)
    if scorer is not None:
        scorer.subscribe(source.scored)
        source.listening = True
    return source


__all__ = ["MissingExtraError", "adaptive_source", "proposer_for", "require_optuna"]
