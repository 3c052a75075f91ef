"""Where ../shared sits beside this checkout (CI gets a read-only copy there).
Tests that read it skip when it is absent; the project never needs it at run time."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# COMFY_SWEEP_SHARED: a git worktree elsewhere (../wt/<name>) finds /work/shared too.
SHARED = Path(os.environ.get("COMFY_SWEEP_SHARED") or REPO.parent / "shared")
SHARED_WORKFLOWS = SHARED / "workflows"
ORIGINAL_README = SHARED / "reference" / "original-suite-README.md"
SAVED_OBJECT_INFO = SHARED_WORKFLOWS / "object_info_0.3.75.json"
