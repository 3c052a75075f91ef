"""sampling_strategy: adaptive: the config, the initial design, and the run source
(core/search/source.py) driving the real engine and run store through a fake of
our Backend protocol, with a synthetic score merged as each run finishes (the
real scorer and ComfyUI are in tests/e2e/test_adaptive_real.py)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from comfy_sweep.core.config.load import load_config, parse_config
from comfy_sweep.core.config.validate import validate_config
from comfy_sweep.core.engine.engine import run_sweep
from comfy_sweep.core.engine.events import EngineEvent
from comfy_sweep.core.errors import ConfigError
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.plan.extend import adds_work, extend_plan
from comfy_sweep.core.plan.initial import initial_count
from comfy_sweep.core.search.gp import GpProposer
from comfy_sweep.core.search.source import AdaptiveRuns
from comfy_sweep.core.search.space import Dim, Trial
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import load_workflow
from test_engine import EXAMPLES, FakeBackend, FakeComfy

OPTIMUM = {"strength": 0.3, "blur_radius": 9, "sigma": 4.0}


def config_text(num: int = 16, seed: int = 7, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "workflow_file": str(EXAMPLES / "image_noise_blur.json"),
        "sampling_strategy": "adaptive",
        "num_samples": num,
        "sweep_seed": seed,
        "parameters": {
            "strength": {"path": "nodes.Noise.inputs.strength", "min": 0.0, "max": 1.0},
            "blur_radius": {"path": "nodes.3.inputs.blur_radius", "min": 1, "max": 20},
            "sigma": {"path": "nodes.3.inputs.sigma", "min": 0.5, "max": 8.0},
        },
        "metrics": {"q": {"type": "sharpness", "goal": "maximize"}},
        "objective": {"metric": "q"},
    }
    data.update(extra)
    return data


def write_config(tmp_path: Path, data: dict[str, Any]) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "adaptive.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def make_store(tmp_path: Path, data: dict[str, Any]) -> RunStore:
    cfg = load_config(write_config(tmp_path, data))
    wf = load_workflow(EXAMPLES / "image_noise_blur.json")
    return RunStore.create(tmp_path / "out", cfg, wf, build_plan(cfg, wf))


def score(values: dict[str, Any]) -> float:
    """A smooth hidden optimum at OPTIMUM (1.0 there)."""
    d = (
        ((values["strength"] - OPTIMUM["strength"]) / 1.0) ** 2
        + ((values["blur_radius"] - OPTIMUM["blur_radius"]) / 19) ** 2
        + ((values["sigma"] - OPTIMUM["sigma"]) / 7.5) ** 2
    )
    return math.exp(-8 * d)


class Recorder:
    """A proposer wrapper keeping every history it was shown."""

    def __init__(self) -> None:
        self.inner = GpProposer()
        self.seen: list[list[Trial]] = []

    def propose(self, space: Sequence[Dim], trials: Sequence[Trial], goal: Any, seed: int) -> Any:
        self.seen.append(list(trials))
        return self.inner.propose(space, trials, goal, seed)


async def drive(
    store: RunStore, proposer: Any = None, *, fail_when: Any = None, stop_after: int | None = None,
    delay: float = 0.0,
) -> AdaptiveRuns:  # fmt: skip
    """One session: the engine over a fake ComfyUI; each finished run's score is
    merged (after ``delay``, as the scorer thread would) and told to the source."""
    server = FakeComfy(run_s=0.002, fail_when=fail_when)
    server.start()
    stop = asyncio.Event()
    validate_config(store.config, store.workflow)
    source = AdaptiveRuns(store, proposer or GpProposer(), lag=2)
    source.listening = True
    loop = asyncio.get_running_loop()

    def merge(run_id: int) -> None:
        run = next(r for r in store.plan.runs if r.run_id == run_id)
        store.merge_scores({run_id: {"q": score(run.values)}})
        source.scored([run_id])

    def on_event(ev: EngineEvent) -> None:
        if ev.kind == "done" and ev.run is not None:
            loop.call_later(delay, merge, ev.run.run_id)
        if stop_after is not None and ev.done >= stop_after:
            stop.set()

    try:
        with store.lock("test"):
            await run_sweep(
                store, FakeBackend(server), window=2, poll_interval=0.002,
                on_event=on_event, stop=stop, source=source,
            )  # fmt: skip
    finally:
        await server.close()
    return source


def samples(store: RunStore) -> list[tuple[int, dict[str, Any]]]:
    return [(r.sample_index, r.values) for r in store.plan.runs]


# ---- config and plan -----------------------------------------------------------------


def test_initial_design_is_a_quarter_of_the_budget_at_least_four() -> None:
    assert [initial_count(n) for n in (1, 3, 8, 16, 40)] == [1, 3, 4, 4, 10]


def test_plan_is_the_initial_design_and_says_the_rest_comes_later(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path, config_text(num=40)))
    plan = build_plan(cfg, load_workflow(EXAMPLES / "image_noise_blur.json"))
    assert len(plan.runs) == 10 and plan.strategy == "adaptive"
    assert any("decided as results arrive" in n and "30" in n for n in plan.notes)
    assert all(isinstance(r.values["blur_radius"], int) for r in plan.runs)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"objective": None}, "objective", "needs objective"),
        ({"objective": {"metric": "nope"}}, "objective.metric", "not in metrics"),
        ({"objective": {"metric": "q", "goal": "up"}}, "objective.goal", "maximize or minimize"),
        ({"objective": {"metric": "q", "sampler": "cma"}}, "objective.sampler", "gp or tpe"),
        ({"objective": {"metric": "m"}, "metrics": {"m": {"type": "motion"}}}, "objective.goal", "no direction"),
    ],
)  # fmt: skip
def test_objective_mistakes_name_the_key(
    tmp_path: Path, change: dict[str, Any], field: str, words: str
) -> None:
    data = {k: v for k, v in {**config_text(), **change}.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        cfg = parse_config(yaml.safe_dump(data), source="c.yaml")
        cfg.base_dir = tmp_path
        validate_config(cfg, load_workflow(EXAMPLES / "image_noise_blur.json"))
    assert err.value.field == field and words in err.value.message


def test_goal_follows_the_metric(tmp_path: Path) -> None:
    data = config_text(metrics={"n": {"type": "noise"}}, objective={"metric": "score_n"})
    cfg = parse_config(yaml.safe_dump(data))
    validate_config(cfg, load_workflow(EXAMPLES / "image_noise_blur.json"))
    assert cfg.objective is not None and cfg.objective.goal == "minimize"


# ---- the search ---------------------------------------------------------------------------


def proposer_named(name: str) -> Any:
    if name == "gp":
        return GpProposer()
    pytest.importorskip("optuna")
    from comfy_sweep.adaptive.tpe import TpeProposer

    return TpeProposer()


@pytest.mark.parametrize("sampler", ["gp", "tpe"])
async def test_search_spends_the_budget_inside_the_bounds_and_finds_the_optimum(
    tmp_path: Path, sampler: str
) -> None:
    store = make_store(tmp_path, config_text(num=24))
    await drive(store, proposer_named(sampler))
    plan = RunStore.open(store.root).plan  # what plan.json holds
    assert len({r.sample_index for r in plan.runs}) == 24 and len(plan.runs) == 24
    assert store.progress()["state"] == "done" and store.counts() == (24, 0)
    for run in plan.runs:
        assert 0.0 <= run.values["strength"] <= 1.0 and 0.5 <= run.values["sigma"] <= 8.0
        assert isinstance(run.values["blur_radius"], int) and 1 <= run.values["blur_radius"] <= 20
    best = max(r.scores["q"] for r in store.records())
    first = max(score(r.values) for r in plan.runs[:6])  # the initial design
    assert best > first and best > 0.8


async def test_proposals_are_deterministic_under_sweep_seed_whatever_the_timing(
    tmp_path: Path,
) -> None:
    a = make_store(tmp_path / "a", config_text(num=12))
    b = make_store(tmp_path / "b", config_text(num=12))
    c = make_store(tmp_path / "c", config_text(num=12, seed=8))
    await drive(a)
    await drive(b, delay=0.02)  # scores arrive later: the proposals must not change
    await drive(c)
    assert samples(a) == samples(b)
    assert samples(a) != samples(c)


async def test_failed_runs_are_told_as_failed_never_as_zero(tmp_path: Path) -> None:
    store = make_store(tmp_path, config_text(num=12))
    recorder = Recorder()
    await drive(store, recorder, fail_when=lambda p: p["2"]["inputs"]["strength"] > 0.5)
    failed = {r.run_id for r in store.records() if r.status == "failed"}
    assert failed  # the sweep went on past them
    last = recorder.seen[-1]
    told = [t for t in last if t.state == "failed"]
    assert told and all(t.value is None for t in told)
    assert all(t.params["strength"] > 0.5 for t in told)
    assert all(t.value != 0 for t in last if t.state == "complete")


async def test_an_unscored_run_is_failed_for_the_model(tmp_path: Path) -> None:
    store = make_store(tmp_path, config_text(num=6))
    source = AdaptiveRuns(store, GpProposer(), lag=1)
    source.listening = True
    with store.lock("t"):
        rec_ids = [r.run_id for r in store.plan.runs]
        source._ensure()
        from comfy_sweep.core.store.format import RunRecord

        for rid in rec_ids:
            store.record_result(
                RunRecord(rid, "failed", {}, f"p{rid}", None, None, None, None, [], "x")
            )
        assert source.history() is not None  # failed runs resolve at once
        assert all(t.state in ("failed", "pending") for t in source.history() or [])


async def test_resume_rebuilds_the_model_from_the_store(tmp_path: Path) -> None:
    whole = make_store(tmp_path / "whole", config_text(num=14))
    await drive(whole)
    cut = make_store(tmp_path / "cut", config_text(num=14))
    await drive(cut, stop_after=8)
    reopened = RunStore.open(cut.root)
    assert reopened.progress()["state"] == "interrupted"
    assert len(reopened.plan.runs) < 14
    await drive(reopened)  # a new session: a new source reads plan.json and metadata.csv
    assert samples(reopened) == samples(whole)
    assert reopened.counts() == (14, 0)


async def test_raising_num_samples_extends_the_budget(tmp_path: Path) -> None:
    store = make_store(tmp_path, config_text(num=8))
    await drive(store)
    old_cfg = store.config
    new_cfg = load_config(write_config(tmp_path, config_text(num=12)))
    plan = extend_plan(store.plan, old_cfg, new_cfg, store.workflow)
    assert len(plan.runs) == 8 and adds_work(store.plan, plan, old_cfg, new_cfg)
    with store.lock("t"):
        store.replace_plan(plan, new_cfg)
        store.set_state("queued")
    await drive(store)
    assert len(store.plan.runs) == 12 and store.counts() == (12, 0)
