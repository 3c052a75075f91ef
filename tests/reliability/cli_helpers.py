"""Running the real cr-batch executable as a separate process (so it can be
SIGKILLed) on a config written into a test folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from .helpers import GRID6, example_prompt

CR_BATCH = str(Path(sys.executable).parent / "cr-batch")


def write_config(folder: Path, prefix: str, size: int = 768, **extra: Any) -> Path:
    """A 6-run grid config in ``folder`` whose prompts save under ``prefix``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workflow.json").write_text(json.dumps(example_prompt(size, prefix)))
    data: dict[str, Any] = {"workflow_file": "workflow.json", **GRID6}
    data["output"] = {"base_dir": str(folder / "output")}
    data.update(extra)
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def batch_cmd(config: Path, address: str) -> list[str]:
    return [CR_BATCH, str(config), "--server", address, "--mode", "client"]


def start_batch(config: Path, address: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        batch_cmd(config, address), cwd=config.parent, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip


def kill_batch(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def run_batch(config: Path, address: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        batch_cmd(config, address), cwd=config.parent, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def no_traceback(text: str) -> bool:
    return "Traceback (most recent call last)" not in text
