"""Helpers for "sweeps that yield to the artist" (tests and benchmarks/bench_yield.py):
a slow workflow, a sweep config over it, a hand-queued prompt, and when prompts
started according to ComfyUI's own history (execution_start timestamps)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

import yaml
from test_cli_interrupt import slow_prompt as interrupt_prompt


class Server(Protocol):
    def get_json(self, path: str) -> object: ...

    def post_json(self, path: str, body: object) -> object: ...


def slow_prompt(size: int = 1024, prefix: str = "yield") -> dict[str, Any]:
    """~0.5-1 s a run on CPU (test_cli_interrupt's prompt, smaller)."""
    return interrupt_prompt(size, prefix)


def sweep_config(runs: int, window: int, priority: str | None) -> dict[str, Any]:
    comfy: dict[str, Any] = {"queue_window": window, "poll_interval": 0.1}
    if priority is not None:
        comfy["priority"] = priority
    return {
        "sampling_strategy": "random",
        "num_samples": runs,
        "sweep_seed": 7,
        "parameters": {
            "seed": {"path": "nodes.2.inputs.seed", "type": "random_seed"},
        },
        "comfyui": comfy,
    }


def write_config(folder: Path, runs: int, window: int, priority: str | None, size: int) -> Path:
    (folder / "workflow.json").write_text(json.dumps(slow_prompt(size)))
    data = {"workflow_file": "workflow.json", **sweep_config(runs, window, priority)}
    data["output"] = {"base_dir": "output"}
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def queue_ids(server: Server) -> tuple[list[str], list[str]]:
    q: Any = server.get_json("/queue")
    return [i[1] for i in q["queue_running"]], [i[1] for i in q["queue_pending"]]


def wait_for(check: Any, timeout: float = 120.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError(f"{what} not reached in {timeout}s")


def window_full(server: Server, pending: int) -> tuple[list[str], list[str]] | None:
    """(running, pending) once one prompt runs and ``pending`` more wait."""
    running, queued = queue_ids(server)
    return (running, queued) if running and len(queued) >= pending else None


def queue_by_hand(server: Server, seed: int) -> tuple[str, float]:
    """A prompt as the browser queues it (no number): (prompt id, time posted)."""
    pid = str(uuid.uuid4())
    prompt = slow_prompt(prefix="by-hand")
    prompt["2"]["inputs"]["seed"] = seed
    posted = time.time()
    server.post_json("/prompt", {"prompt": prompt, "prompt_id": pid})
    return pid, posted


def started_at(server: Server, pid: str) -> float | None:
    """execution_start of a finished prompt (seconds since the epoch), else None."""
    entry: Any = server.get_json(f"/history/{pid}")
    item = entry.get(pid) if isinstance(entry, dict) else None
    if not item:
        return None
    for kind, data in item["status"]["messages"]:
        if kind == "execution_start":
            return float(data["timestamp"]) / 1000.0
    return None


def wait_started(server: Server, pids: list[str], timeout: float = 180.0) -> dict[str, float]:
    def all_done() -> dict[str, float] | None:
        found = {p: started_at(server, p) for p in pids}
        return None if None in found.values() else {p: s for p, s in found.items() if s}

    return dict(wait_for(all_done, timeout, "prompts finished"))
