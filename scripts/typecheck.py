"""mypy --strict over every package of comfy_sweep (``make lint``, tests/unit/test_lint.py).

The repository root *is* the package (pyproject maps ``comfy_sweep`` to ``.``),
so a bare ``mypy`` run from the root sees ``cli``, ``client``, ... as top-level
packages and silently types their ``from ..core`` imports as Any. Here mypy
sees the real package: a temporary folder holds a ``comfy_sweep`` link to the
checkout, and every package is checked under its real name.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = (
    "core", "client", "cli", "server_routes", "media", "nodes", "export", "raycluster", "adaptive",
)  # fmt: skip
REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="comfy-sweep-mypy-") as tmp:
        (Path(tmp) / "comfy_sweep").symlink_to(REPO, target_is_directory=True)
        args = [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml")]
        args += ["--cache-dir", str(REPO / ".mypy_cache" / "package")]
        args += ["-m", "comfy_sweep"]  # the entry module; -p walks each package
        for package in PACKAGES:
            args += ["-p", f"comfy_sweep.{package}"]
        return subprocess.call(args, cwd=tmp)


if __name__ == "__main__":
    sys.exit(main())
