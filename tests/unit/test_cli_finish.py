"""cr-batch's closing lines and exit code for each way a client sweep ends."""

from __future__ import annotations

from pathlib import Path

import pytest
from comfy_sweep.cli.batch import EXIT_INTERRUPTED, finish
from comfy_sweep.cli.common import EXIT_RUNS_FAILED
from comfy_sweep.core.config.load import parse_config
from comfy_sweep.core.engine.events import EngineSummary
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import Workflow


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    wf = Workflow.from_data({"1": {"class_type": "EmptyImage", "inputs": {"width": 8}}})
    cfg = parse_config("sampling_strategy: grid\nparameters:\n  width: [8, 16, 24]\n")
    return RunStore.create(tmp_path, cfg, wf, build_plan(cfg, wf))


def test_fail_fast_stop_exits_1_and_says_why(
    store: RunStore, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = EngineSummary(1, 1, 3, 2.0, 1.0, "interrupted", halted=True)
    assert finish(store, summary) == EXIT_RUNS_FAILED
    err = capsys.readouterr().err
    assert "stopped at the first failed run (--fail-fast): 1 done, 1 failed of 3." in err
    assert "interrupted" not in err


def test_ctrl_c_still_exits_130(store: RunStore, capsys: pytest.CaptureFixture[str]) -> None:
    summary = EngineSummary(1, 1, 3, 2.0, 1.0, "interrupted")
    assert finish(store, summary) == EXIT_INTERRUPTED
    assert "interrupted: 1 done, 1 failed of 3." in capsys.readouterr().err
