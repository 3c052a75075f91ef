"""The panel's sweep state names (web/lib/states.js) equal the Python ones.

The browser compares the states the server writes into progress.json; a
state added or renamed on one side only would leave a sweep without its
Cancel/Resume buttons or its end-of-sweep toast.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

STATES_JS = Path(__file__).resolve().parents[2] / "web" / "lib" / "states.js"
# Where the Python side spells them: the lifecycle module of issue 11 first,
# then the run store's codecs (before and after core/ became packages).
PY_MODULES = (
    "comfy_sweep.core.sweep.lifecycle",
    "comfy_sweep.core.store.format",
    "comfy_sweep.core.store_format",
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def js_states() -> dict[str, Any]:
    """The module's exports as node sees them (Sets as sorted lists)."""
    script = (
        "const m = await import(process.argv[1]);"
        "const out = {};"
        "for (const [k, v] of Object.entries(m))"
        "  out[k] = v instanceof Set ? [...v].sort() : v;"
        "console.log(JSON.stringify(out));"
    )
    res = subprocess.run(
        ["node", "--input-type=module", "-e", script, STATES_JS.as_uri()],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(json.loads(res.stdout))


def python_constant(*names: str) -> tuple[str, ...] | None:
    """The first of `names` defined by the first module of PY_MODULES that has one."""
    for module_name in PY_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            value = getattr(module, name, None)
            if value:
                return tuple(value)
    return None


def test_sweep_states_equal_the_python_list() -> None:
    states = python_constant("SWEEP_STATES", "STATES")
    assert states is not None, f"none of {PY_MODULES} spells the sweep states"
    assert tuple(js_states()["SWEEP_STATES"]) == states


def test_state_groups_use_only_known_states() -> None:
    js = js_states()
    known = set(js["SWEEP_STATES"])
    for group in ("ACTIVE_STATES", "FINAL_STATES", "RESUMABLE_STATES"):
        assert set(js[group]) <= known, group
    assert (
        set(js["ACTIVE_STATES"]) | set(js["FINAL_STATES"]) == known
    )  # each state is one or the other
    assert not set(js["ACTIVE_STATES"]) & set(js["FINAL_STATES"])


def test_run_statuses_are_the_store_reader_ones() -> None:
    js = js_states()
    assert js["RUN_DONE"] in js["RUN_STATUSES"]
    statuses = python_constant("RUN_STATUSES")
    # Without a Python constant: the two statuses the store reader accepts.
    assert set(js["RUN_STATUSES"]) == set(statuses or ("done", "failed"))
