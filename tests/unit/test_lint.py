"""The tooling promises of pyproject.toml hold on every commit: ruff lint (with
complexity C90 <= 10 and blind-except BLE) and format over the tree, mypy
--strict over every package (scripts/typecheck.py: core, client, cli,
server_routes, media, nodes)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    exe = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return exe


@pytest.mark.parametrize(
    "args",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."]],
    ids=["ruff-check", "ruff-format"],
)
def test_tool_is_clean(args: list[str]) -> None:
    out = subprocess.run(
        [_tool(args[0]), *args[1:]], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_mypy_strict_over_every_package() -> None:
    _tool("mypy")
    script = REPO / "scripts" / "typecheck.py"
    out = subprocess.run(
        [sys.executable, str(script)], cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "source files" in out.stdout


def test_lint_rules_include_complexity_and_blind_except() -> None:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"C90"' in text and '"BLE"' in text and "max-complexity = 10" in text
    for package in ("core", "client", "cli", "server_routes", "media", "nodes"):
        assert f'"{package}"' in (REPO / "scripts" / "typecheck.py").read_text(encoding="utf-8")
