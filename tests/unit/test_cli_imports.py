"""The CLI starts without its heavy dependencies (issue 12: cr-batch --help took
1.1 s, 0.6 s of it scipy.stats). Checked in a clean interpreter through
sys.modules, not by timing: cheap and deterministic. benchmarks/bench_cli_startup.py
has the figures."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("scipy", "numpy", "jinja2", "PIL", "av")
# What a command module (its --help, --version, completion) may not load either.
NOT_AT_START = (*HEAVY, "aiohttp", "yaml", "asyncio")


def loaded(module: str, among: tuple[str, ...]) -> list[str]:
    code = (
        f"import sys, {module}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({among!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return eval(out.stdout)  # a printed list of names


@pytest.mark.parametrize(
    "module",
    ["comfy_sweep.cli.batch", "comfy_sweep.cli.run", "comfy_sweep.cli.analyze",
     "comfy_sweep.cli.video_analyze"],
)  # fmt: skip
def test_command_implementations_load_no_heavy_dependency(module: str) -> None:
    assert loaded(module, HEAVY) == []


@pytest.mark.parametrize(
    "module",
    ["comfy_sweep.cli.main", "comfy_sweep.cli.commands.batch", "comfy_sweep.cli.commands.run",
     "comfy_sweep.cli.commands.analyze", "comfy_sweep.cli.commands.sheet",
     "comfy_sweep.cli.commands.video_analyze"],
)  # fmt: skip
def test_command_lines_load_only_click(module: str) -> None:
    assert loaded(module, NOT_AT_START) == []
