"""``type: command``: the user's own program, run once per output file.

``command: [python, myscore.py, "{file}"]`` (``{file}`` becomes the output's
absolute path) runs in the config file's folder, without a shell, with a
timeout; it prints a number or a JSON object of numbers (the last line counts
when it printed logs first). Never reachable from the server routes unless the
ComfyUI owner allowed it (core/metrics/spec.refuse_unsafe_metrics).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.metrics.results import Answer, answer_from_text
from ...core.metrics.spec import MetricSpec

if TYPE_CHECKING:
    from ..scoring import ScoreContext


def python_fallback(program: str) -> str | None:
    """``python`` means this interpreter where no ``python`` is on PATH (Debian has python3 only)."""
    return sys.executable if program in ("python", "python3") else None


def argv_for(spec: MetricSpec, path: Path) -> list[str]:
    argv = [arg.replace("{file}", str(path.resolve())) for arg in spec.command]
    if shutil.which(argv[0]) is None:
        argv[0] = python_fallback(argv[0]) or argv[0]
    return argv


def command_answer(spec: MetricSpec, path: Path, ctx: ScoreContext) -> Answer:
    argv = argv_for(spec, path)
    try:
        proc = subprocess.run(
            argv,
            cwd=ctx.base_dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=spec.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"{spec.command[0]} did not finish within {spec.timeout:g} s") from None
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        last = lines[-1][:200] if lines else "no output"
        raise RuntimeError(f"{spec.command[0]} exited with status {proc.returncode}: {last}")
    return answer_from_text(proc.stdout)
