"""The adaptive run source of a session, wired to its store and live scorer.

Both adapters that run sweeps call ``adaptive_source``: cr-batch in client
mode (cli/batch.py) and the server's service (server_routes/service.py)."""

from __future__ import annotations

import math

from ..core.config.validate import validate_config
from ..core.errors import MissingExtraError
from ..core.search.source import AdaptiveRuns
from ..core.store.runstore import RunStore
from ..export.extras import need
from ..media.live_scoring import LiveScorer


def require_optuna() -> None:
    """MissingExtraError naming ``comfy-sweep[adaptive]`` before any batch is made."""
    need("optuna", "adaptive")


def adaptive_source(
    store: RunStore, scorer: LiveScorer | None, *, window: int
) -> AdaptiveRuns | None:
    """The run source of an adaptive batch (None for every other strategy).
    ``window``: prompts queued at once over all servers (the proposals' lag)."""
    cfg = store.config
    if cfg.sampling_strategy != "adaptive":
        return None
    from .tpe import TpeProposer

    validate_config(cfg, store.workflow, None)  # integer inputs, the objective's goal
    source = AdaptiveRuns(store, TpeProposer(), lag=math.ceil(window / cfg.seeds_per_sample))
    if scorer is not None:
        scorer.subscribe(source.scored)
        source.listening = True
    return source


__all__ = ["MissingExtraError", "adaptive_source", "require_optuna"]
