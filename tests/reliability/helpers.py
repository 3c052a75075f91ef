"""Shared checks for the reliability suite: the "exactly once" definition of
docs/run-store.md, asserted on a batch folder, plus small HTTP helpers."""

from __future__ import annotations

import csv
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
API = "/comfy-sweep"
TEMP_SUFFIXES = (".part", ".tmp")

# 2 strengths x 3 blur radii = 6 runs of examples/image_noise_blur.json.
GRID6: dict[str, Any] = {
    "sampling_strategy": "grid",
    "parameters": {
        "strength": {"path": "nodes.Noise.inputs.strength", "type": "values", "values": [0.2, 0.6]},
        "blur_radius": {
            "path": "nodes.3.inputs.blur_radius",
            "type": "values",
            "values": [3, 7, 11],
        },
    },
}


def example_prompt(size: int = 512, prefix: str = "rel/img") -> dict[str, Any]:
    """The example image workflow; a bigger canvas makes runs slow enough to hit."""
    prompt = json.loads((EXAMPLES / "image_noise_blur.json").read_text())
    prompt["1"]["inputs"].update(width=size, height=size)
    prompt["4"]["inputs"]["filename_prefix"] = prefix
    return dict(prompt)


def metadata_rows(batch: Path) -> list[dict[str, str]]:
    path = batch / "metadata.csv"
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def assert_exactly_once(batch: Path) -> list[dict[str, str]]:
    """Every planned run has exactly one `done` row with complete outputs, and
    progress.json agrees with metadata.csv. Returns the rows."""
    plan = json.loads((batch / "plan.json").read_text())
    planned = sorted(int(r["run_id"]) for r in plan["runs"])
    rows = metadata_rows(batch)
    counts = Counter(int(r["run_id"]) for r in rows)
    assert [k for k, n in counts.items() if n != 1] == [], f"runs recorded twice: {counts}"
    assert sorted(counts) == planned, f"recorded {sorted(counts)} != planned {planned}"
    folders = {int(r["run_id"]): r["folder"] for r in plan["runs"]}
    for row in rows:
        assert row["status"] == "done", row
        outputs = [o for o in row["outputs"].split(";") if o]
        assert outputs, row
        for rel in outputs:
            assert not rel.endswith(TEMP_SUFFIXES), f"temp file counted as output: {rel}"
            path = batch / rel
            assert path.is_file() and path.stat().st_size > 0, f"missing/empty output {rel}"
        run_dir = batch / "runs" / folders[int(row["run_id"])]
        leftovers = [p.name for p in run_dir.iterdir() if p.name.endswith(TEMP_SUFFIXES)]
        assert leftovers == [], f"temp files left in {run_dir}: {leftovers}"
    progress = json.loads((batch / "progress.json").read_text())
    assert progress["total"] == len(planned)
    assert (progress["done"], progress["failed"]) == (len(planned), 0), progress
    assert progress["state"] == "done", progress
    assert progress["submitted"] == {}, progress
    assert progress["finished"] == [[planned[0], planned[-1]]], progress
    return rows


def request(
    base_url: str, method: str, path: str, body: Any = None, timeout: float = 60
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw or b"null")
        except ValueError:
            return err.code, raw.decode("utf-8", "replace")


def wait_until(check: Callable[[], Any], timeout: float, what: str, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


def history_runs(
    history: dict[str, Any], prefix: str, params: tuple[str, str] = ("2", "3")
) -> Counter[tuple[Any, ...]]:
    """How many times ComfyUI executed each (strength, blur_radius) of our
    prompts (those saving under ``prefix``), from GET /history."""
    seen: Counter[tuple[Any, ...]] = Counter()
    for entry in history.values():
        prompt = entry["prompt"][2]
        if prompt.get("4", {}).get("inputs", {}).get("filename_prefix") != prefix:
            continue
        seen[
            (prompt[params[0]]["inputs"]["strength"], prompt[params[1]]["inputs"]["blur_radius"])
        ] += 1
    return seen


def queue_empty(base_url: str) -> bool:
    status, queue = request(base_url, "GET", "/queue")
    return status == 200 and not queue["queue_running"] and not queue["queue_pending"]
