"""Packaging for pip and the Comfy Registry: pyproject.toml's metadata, one
dependency list, every package shipped, the publish workflow, and comfy-cli's
own `comfy node validate` / `comfy node pack` (when comfy-cli is installed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = ("tests/", "benchmarks/", "scripts/", ".ci/", ".github/")


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def test_requirements_txt_lists_the_pyproject_dependencies(pyproject: dict[str, Any]) -> None:
    # ComfyUI-Manager installs requirements.txt; pip and the Registry read pyproject.
    assert _requirement_lines(ROOT / "requirements.txt") == pyproject["project"]["dependencies"]


def test_heavy_packages_are_extras_only(pyproject: dict[str, Any]) -> None:
    heavy = {"pyarrow", "mlflow", "mlflow-skinny", "optuna", "pandas", "ray", "torch"}
    names = {re.split(r"[<>=!~\[ ]", r)[0].lower() for r in pyproject["project"]["dependencies"]}
    assert not names & heavy
    extras = pyproject["project"]["optional-dependencies"]
    assert {"parquet", "mlflow", "optuna"} <= set(extras)


def test_license_is_an_spdx_string(pyproject: dict[str, Any]) -> None:
    project = pyproject["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in project.get("classifiers", []))
    assert "setuptools>=77" in pyproject["build-system"]["requires"]


def test_registry_metadata(pyproject: dict[str, Any]) -> None:
    comfy, urls = pyproject["tool"]["comfy"], pyproject["project"]["urls"]
    assert {"Repository", "Documentation", "Issues"} <= set(urls)
    promised = re.search(r"ComfyUI (\d+\.\d+\.\d+)\+", (ROOT / "README.md").read_text())
    assert promised and comfy["requires-comfyui"] == f">={promised.group(1)}"
    # The Registry takes the icon as a URL: the raw file on main of this repository.
    repo = urls["Repository"].removeprefix("https://github.com/")
    prefix = f"https://raw.githubusercontent.com/{repo}/main/"
    assert comfy["Icon"].startswith(prefix)
    assert (ROOT / comfy["Icon"].removeprefix(prefix)).is_file()
    assert comfy["PublisherId"] and comfy["DisplayName"]


def test_every_package_folder_is_shipped(pyproject: dict[str, Any]) -> None:
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    found = {
        ".".join(("comfy_sweep", *p.parent.relative_to(ROOT).parts))
        for p in ROOT.rglob("__init__.py")
        if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
        and p.relative_to(ROOT).parts[0] not in ("tests", "benchmarks", "build")
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages"


def test_publish_workflow_runs_on_pyproject_changes() -> None:
    text = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    assert "Comfy-Org/publish-node-action@" in text
    assert re.search(r"paths:\s*\n\s*- \"pyproject.toml\"", text)
    assert "secrets.REGISTRY_ACCESS_TOKEN" in text


def test_comfyignore_leaves_out_what_users_do_not_need() -> None:
    # Checked without comfy-cli too; test_comfy_node_validate_and_pack checks the zip.
    lines = (ROOT / ".comfyignore").read_text().splitlines()
    assert set(NOT_SHIPPED) <= {line.strip() for line in lines}


def _comfy_cli() -> str:
    exe = os.environ.get("COMFY_CLI") or shutil.which("comfy")
    if not exe:
        pytest.skip("comfy-cli is not installed (about 310 MB: pip install comfy-cli in a venv "
                    "of its own and set COMFY_CLI=/path/to/comfy)")  # fmt: skip
    return exe


def _tracked_copy(dest: Path) -> Path:
    """The checkout's git-tracked files (as in the working tree) in a fresh git repo:
    `comfy node pack` zips tracked files, and must not write into the checkout."""
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "copy"]):
        subprocess.run([*git, *args], cwd=dest, check=True)
    return dest


def _comfy(exe: str, cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}  # comfy-cli keeps its settings in HOME
    return subprocess.run(
        [exe, "--skip-prompt", "node", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_comfy_node_validate_and_pack(tmp_path: Path) -> None:
    exe = _comfy_cli()
    repo = _tracked_copy(tmp_path / "repo")
    home = tmp_path / "home"
    home.mkdir()
    res = _comfy(exe, repo, home, "validate")
    out = res.stdout + res.stderr
    assert res.returncode == 0 and "validation checks passed" in out, out
    assert "Security warnings" not in out, out
    res = _comfy(exe, repo, home, "pack")
    assert res.returncode == 0, res.stdout + res.stderr
    names = zipfile.ZipFile(repo / "node.zip").namelist()
    assert {"__init__.py", "pyproject.toml", "requirements.txt", "web/main.js"} <= set(names)
    assert not [n for n in names if n.startswith(NOT_SHIPPED)]
