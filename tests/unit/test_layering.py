"""The core imports nothing from ComfyUI, aiohttp or click (checked in a clean
interpreter, since this test process has them loaded)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import comfy_sweep.core as core

FORBIDDEN = ("aiohttp", "click", "server", "execution", "folder_paths", "comfy", "torch")


def test_core_imports_no_adapter_or_comfyui_module() -> None:
    modules = [m.name for m in pkgutil.iter_modules(core.__path__, "comfy_sweep.core.")]
    assert "comfy_sweep.core.errors" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core pulled in: {out.stdout.strip()}"


def test_root_package_is_inert_outside_comfyui() -> None:
    code = (
        "import sys, comfy_sweep; print('aiohttp' in sys.modules, comfy_sweep.NODE_CLASS_MAPPINGS)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False {}"


def test_no_module_imports_comfy_api() -> None:
    root = Path(core.__file__).resolve().parent.parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if ".venv" not in p.parts
        and "comfy_api" in p.read_text(encoding="utf-8", errors="replace")
        and p.name != "test_layering.py"
    ]
    assert offenders == []
