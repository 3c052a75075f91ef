"""core/refine/options.py: what the panel's "Refine from this sweep" offers."""

from __future__ import annotations

from typing import Any

from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.refine.options import refine_options
from comfy_sweep.core.store.format import RunRecord

BASE: dict[str, Any] = {
    "sampling_strategy": "random",
    "num_samples": 4,
    "parameters": {
        "s": {"path": "nodes.2.inputs.strength", "type": "continuous", "min": 0, "max": 1}
    },
}


def rec(run_id: int, scores: dict[str, float], rating: str = "", status: str = "done") -> RunRecord:
    return RunRecord(run_id, status, {"s": 0.5}, f"p{run_id}", None, None, None, None, [],
                     scores=scores, extra={"rating": rating})  # fmt: skip


def test_nothing_ranked_yet_has_no_default() -> None:
    out = refine_options(parse_config(BASE), [rec(1, {}), rec(2, {})])
    assert out == {
        "choices": [{"by": "rating", "runs": 0, "goal": "maximize"}],
        "default": None,
        "objective": None,
    }


def test_scores_first_with_counts_and_goals_then_rating() -> None:
    cfg = parse_config({**BASE, "metrics": {"sharp": {"type": "sharpness"}, "n": {"type": "noise"},
                                            "m": {"type": "motion"}}})  # fmt: skip
    records = [rec(1, {"sharp": 2.0, "n": 1.0, "extra": 3.0}, rating="4"), rec(2, {"sharp": 1.0}),
               rec(3, {"sharp": 9.0}, status="failed")]  # fmt: skip
    out = refine_options(cfg, records)
    assert out["choices"] == [
        {"by": "score_sharp", "runs": 2, "goal": "maximize"},
        {"by": "score_n", "runs": 1, "goal": "minimize"},
        {"by": "score_m", "runs": 0, "goal": None},  # motion: no direction
        {"by": "score_extra", "runs": 1, "goal": "maximize"},  # a column cr-score added
        {"by": "rating", "runs": 1, "goal": "maximize"},
    ]
    assert out["default"] == "score_sharp"


def test_the_objective_is_the_default_when_it_has_values() -> None:
    raw = {**BASE, "sampling_strategy": "adaptive", "objective": {"metric": "n"},
           "metrics": {"sharp": {"type": "sharpness"}, "n": {"type": "noise"}}}  # fmt: skip
    cfg = parse_config(raw)
    assert refine_options(cfg, [rec(1, {"sharp": 1.0, "n": 2.0})])["default"] == "score_n"
    assert refine_options(cfg, [rec(1, {"sharp": 1.0})])["default"] == "score_sharp"
    assert refine_options(cfg, [rec(1, {}, rating="3")])["default"] == "rating"
    assert refine_options(cfg, [])["objective"] == {"metric": "n"}
