"""core/explore/lifecycle.py (the server's exploration states) and core/explore/setup.py's
settings round trip (an exploration rebuilt from explore.json after a restart)."""

from __future__ import annotations

import json

from comfy_sweep.core.explore import lifecycle
from comfy_sweep.core.explore.setup import make_settings, objective_of, only_of
from comfy_sweep.core.explore.space import OnlySpec


def test_continue_and_cancel_follow_the_state() -> None:
    assert lifecycle.actions("rate", driving=False) == {"continue": True, "cancel": True}
    assert lifecycle.actions("running", driving=True) == {"continue": False, "cancel": True}
    assert lifecycle.actions("done", driving=False) == {"continue": False, "cancel": False}
    assert lifecycle.actions("cancelled", driving=False) == {"continue": True, "cancel": False}
    assert lifecycle.after_sweep("done") == "running"
    assert lifecycle.after_sweep("cancelled") == "cancelled"
    assert lifecycle.after_sweep("interrupted") == "interrupted"
    assert [lifecycle.sweep_action(s) for s in ("done", "interrupted", "running")] == [
        "record", "resume", "wait",
    ]  # fmt: skip


def test_a_step_keeps_its_sweep_while_its_config_is_unchanged() -> None:
    notes: dict[str, object] = {}
    lifecycle.remember_sweep(notes, "search1", "batch_1", "sha-a")
    assert lifecycle.step_sweep(notes, "search1", "sha-a") == "batch_1"
    assert lifecycle.step_sweep(notes, "search1", "sha-b") is None  # a larger budget
    assert lifecycle.step_sweep(notes, "seeds", "sha-a") is None


def test_settings_survive_explore_json() -> None:
    only = (
        OnlySpec("nodes.2.inputs.strength", 0.1, 0.9),
        OnlySpec("nodes.4.inputs.r", values=("a", "b")),
    )
    raw = {"sim": {"type": "sharpness"}}
    settings, objective = make_settings(raw, None, only, "sobol")
    again = json.loads(json.dumps(settings))
    assert only_of(again) == only
    assert objective is not None and objective_of(again) == objective
