"""The core imports nothing from ComfyUI, aiohttp or click (checked in a clean
interpreter, since this test process has them loaded)."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path

import comfy_sweep.core as core

FORBIDDEN = ("aiohttp", "click", "server", "execution", "folder_paths", "comfy", "torch")


def _core_modules() -> list[str]:
    """Every module of core/, its subpackages included."""
    return [m.name for m in pkgutil.walk_packages(core.__path__, "comfy_sweep.core.")]


def test_core_imports_no_adapter_or_comfyui_module() -> None:
    modules = _core_modules()
    assert "comfy_sweep.core.errors" in modules
    assert "comfy_sweep.core.store.runstore" in modules  # subpackages are walked too
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


def _package_imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """Modules of comfy_sweep that ``module`` imports anywhere (function-level too),
    except under ``if TYPE_CHECKING:`` (never executed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    is_pkg = path.name == "__init__.py"
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or id(node) in skip or not node.level:
            continue
        parts = base[: len(base) - node.level + 1] + ([node.module] if node.module else [])
        target = ".".join(parts)
        for alias in node.names:
            sub = f"{target}.{alias.name}"
            found.add(sub if sub in modules else target)
    return found


def test_core_has_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    names = set(_core_modules())
    for name in names:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        graph[name] = _package_imports(Path(spec.origin), name, names) & names
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, node, dep]))
            if dep in graph and not state.get(dep):
                visit(dep, [*trail, node])
        state[node] = 2

    for name in graph:
        if not state.get(name):
            visit(name, [])
