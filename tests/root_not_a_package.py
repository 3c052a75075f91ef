"""pytest plugin (pyproject ``addopts = -p root_not_a_package``): the repository root
is a ComfyUI package (it has ``__init__.py``), and pytest >= 8 collects a folder with
``__init__.py`` as a Package and imports it before the first test. Under a folder
name that is not a Python identifier (``git clone …/comfy-sweep`` gives
``comfy-sweep``) that import fails with "attempted relative import with no known
parent package" and every test errors; under a valid one it imports the whole
package a second time under the folder's name. The root is collected as a plain
folder instead: the tests import ``comfy_sweep`` (the installed package) anyway."""

from __future__ import annotations

from pathlib import Path

import pytest
from _pytest.main import Dir
from _pytest.nodes import Collector


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: Collector) -> Collector | None:
    if path == parent.config.rootpath:
        return Dir.from_parent(parent, path=path)
    return None
