"""The panel's metric list and refine defaults (web/lib/metricsForm.js,
web/lib/refine.js) equal the Python ones: a built-in metric added in
core/metrics/catalog.py must show up in the panel's type list, with its goal."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.core.config.model import STRATEGIES
from comfy_sweep.core.metrics.catalog import BUILTIN
from comfy_sweep.core.refine import refine

WEB = Path(__file__).resolve().parents[2] / "web" / "lib"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def exports(module: str) -> dict[str, Any]:
    script = "const m = await import(process.argv[1]); console.log(JSON.stringify(m));"
    res = subprocess.run(
        ["node", "--input-type=module", "-e", script, (WEB / module).as_uri()],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return dict(json.loads(res.stdout))


def test_builtin_metrics_and_goals_equal_the_catalog() -> None:
    js = exports("metricsForm.js")
    assert js["BUILTIN_METRICS"] == {name: info.goal for name, info in BUILTIN.items()}
    assert js["METRIC_TYPES"] == list(BUILTIN)
    assert js["ADAPTIVE"] in STRATEGIES


def test_refine_defaults_equal_the_core() -> None:
    js = exports("refine.js")
    assert js["DEFAULT_TOP"] == refine.DEFAULT_TOP
    assert js["DEFAULT_TOP_PRODUCTION"] == refine.DEFAULT_TOP_PRODUCTION
