"""Every command the original suite's users know answers --help, in this venv
which has no ComfyUI (and is documented in the README)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ["cr-run", "cr-analyze", "cr-batch", "cr-contact-sheet", "cr-video-analyze", "cr-score"]
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(command: str) -> None:
    exe = shutil.which(command, path=str(Path(sys.executable).parent))
    assert exe, f"{command} is not installed as an entry point"
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Usage:" in out.stdout
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_command_documented_in_readme(command: str) -> None:
    assert f"`{command}" in README.read_text(encoding="utf-8")
