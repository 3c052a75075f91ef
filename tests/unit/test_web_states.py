"""The panel's sweep state names (web/lib/states.js) equal the Python ones.

The browser compares the states the server writes into progress.json; a
state added or renamed on one side only would leave a sweep without its
Cancel/Resume buttons or its end-of-sweep toast.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from comfy_sweep.core.sweep import lifecycle

STATES_JS = Path(__file__).resolve().parents[2] / "web" / "lib" / "states.js"

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


def test_sweep_states_equal_the_python_list() -> None:
    assert tuple(js_states()["SWEEP_STATES"]) == lifecycle.STATES


@pytest.mark.parametrize(
    ("js_name", "py_set"),
    [
        ("ACTIVE_STATES", lifecycle.ACTIVE),
        ("FINAL_STATES", lifecycle.STOPPED),
        ("RESUMABLE_STATES", lifecycle.RESUMABLE),
    ],
)
def test_state_groups_equal_the_lifecycle_ones(js_name: str, py_set: frozenset[str]) -> None:
    assert set(js_states()[js_name]) == set(py_set)


def test_run_statuses_are_the_store_reader_ones() -> None:
    js = js_states()
    assert js["RUN_DONE"] in js["RUN_STATUSES"]
    # the run store refuses any other status when it reads metadata.csv
    assert set(js["RUN_STATUSES"]) == {"done", "failed"}


def test_reserved_columns_equal_the_run_store_ones() -> None:
    from comfy_sweep.core.store.format import RESERVED_COLUMNS, SCORE_PREFIX

    global STATES_JS
    saved, STATES_JS = STATES_JS, STATES_JS.with_name("columns.js")
    try:
        js = js_states()
    finally:
        STATES_JS = saved
    assert sorted(js["RESERVED_COLUMNS"]) == sorted(RESERVED_COLUMNS)
    assert js["SCORE_PREFIX"] == SCORE_PREFIX
