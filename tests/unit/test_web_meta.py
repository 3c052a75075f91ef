"""The About panel's badge (web/lib/version.js) shows the package's version
and links inside the project."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def js_const(name: str) -> str:
    text = (REPO / "web" / "lib" / "version.js").read_text(encoding="utf-8")
    match = re.search(rf'export const {name} = "([^"]+)";', text)
    assert match, f"web/lib/version.js defines no {name}"
    return match.group(1)


def pyproject_value(key: str) -> str | None:
    """A top-level `key = "value"` line of pyproject.toml (no tomllib on 3.10)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(rf'^{key} = "([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else None


def test_badge_version_is_the_package_version() -> None:
    assert js_const("VERSION") == pyproject_value("version")


def test_docs_link_points_into_the_project() -> None:
    urls = {k: pyproject_value(k) for k in ("Documentation", "Repository")}
    docs = js_const("DOCS_URL")
    if urls["Documentation"]:
        assert docs == urls["Documentation"]
    else:
        assert urls["Repository"] and docs.startswith(urls["Repository"])
