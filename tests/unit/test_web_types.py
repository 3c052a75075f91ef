"""web/ type-checks (tsc --checkJs) against the ComfyUI frontend's published
types, so a frontend API change fails here rather than in a user's browser.

Two type sets: the newest published with its declarations (1.45.6; from
1.48 on the npm package ships no index.d.ts, Comfy-Org/ComfyUI_frontend
#15303 and #15499) and 1.32.4, the nearest to the bundled 1.32.9. The npm
packages live in tests/typecheck (scripts/setup-dev.sh runs `npm ci` there;
this test does the same once when they are missing).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TYPECHECK = REPO / "tests" / "typecheck"
TSC = TYPECHECK / "node_modules" / ".bin" / "tsc"
CONFIGS = {
    "types-1.45.6": REPO / "web" / "jsconfig.json",
    "types-1.32.4": TYPECHECK / "tsconfig.1.32.json",
}


@pytest.fixture(scope="module")
def tsc() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm are not installed: web/ is not type-checked")
    if not TSC.exists():
        cmd = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        res = subprocess.run(cmd, cwd=TYPECHECK, capture_output=True, text=True, timeout=600)
        if res.returncode != 0 or not TSC.exists():
            pytest.skip(f"npm ci in tests/typecheck failed (offline?): {res.stderr.strip()[-300:]}")
    return TSC


def run_tsc(tsc: Path, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tsc), "-p", str(config), "--pretty", "false"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_web_type_checks(tsc: Path, config: Path) -> None:
    res = run_tsc(tsc, config)
    assert res.returncode == 0, f"tsc found type errors in web/:\n{res.stdout}{res.stderr}"


def test_the_check_can_fail(tsc: Path, tmp_path: Path) -> None:
    """The frontend's types are really loaded (not `any`): a badge without
    its url and icon, and a misspelt extensionManager call, are refused."""
    (tmp_path / "probe.js").write_text(
        "// @ts-check\n"
        '/** @type {import("@comfyorg/comfyui-frontend-types").ComfyExtension} */\n'
        'export const ext = { name: "probe", aboutPageBadges: [{ label: "x" }] };\n'
        '/** @param {import("@comfyorg/comfyui-frontend-types").ComfyApp} app */\n'
        "export const open = (app) => app.extensionManager.registerSidebarTabs({});\n"
    )
    config = {
        "extends": str(CONFIGS["types-1.45.6"]),
        "include": [str(REPO / "web" / "**" / "*.js"), "probe.js"],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    res = run_tsc(tsc, tmp_path / "tsconfig.json")
    assert res.returncode != 0
    assert "probe.js" in res.stdout and "registerSidebarTabs" in res.stdout, res.stdout
    assert "AboutPageBadge" in res.stdout, res.stdout  # the badge's missing url and icon
