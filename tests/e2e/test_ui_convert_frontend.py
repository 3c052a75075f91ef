"""Our UI → API conversion equals the ComfyUI frontend's own, in Chromium.

One real ComfyUI 0.3.75 with its bundled frontend (1.32.9): each workflow is
loaded with ``app.loadGraphData`` and ``(await app.graphToPrompt()).output``
is compared with ``convert_ui_workflow`` using the same server's
``/object_info`` (node ids, class types and inputs; ``_meta.title`` is ignored
by ComfyUI and localized by the frontend). The workflows: hand-made graphs, one
per construct (tests/uiformat_graphs.py), and a handful of official templates
from the comfyui-workflow-templates package, subgraph ones included. The full
comparison over every template is benchmarks/bench_ui_convert.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comfy_harness import comfyui_python
from comfy_sweep.core.errors import WorkflowError
from comfy_sweep.core.uiformat import convert_ui_workflow
from frontend_convert import (
    CHROMIUM,
    comfy_site_packages,
    frontend_page,
    frontend_prompt,
    object_info,
)
from uiformat_graphs import frontend_cases

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.comfy, pytest.mark.browser]

# Subgraphs (nested ids, promoted widgets), primitives, reroutes, bypassed and
# muted nodes, upload widgets, seed controls, API nodes.
TEMPLATES = [
    "02_qwen_Image_edit_subgraphed",
    "04_hunyuan_3d_2.1_subgraphed",
    "video_wan2_2_5B_ti2v",
    "sdxl_refiner_prompt_example",
    "api_bfl_flux_1_kontext_max_image",
    "image_qwen_image_instantx_inpainting_controlnet",
]


def without_titles(prompt: dict[str, Any]) -> dict[str, Any]:
    return {k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in prompt.items()}


@pytest.fixture(scope="module")
def frontend(comfy_server: Any) -> Iterator[tuple[Any, dict[str, Any]]]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) is not installed")
    info = object_info(comfy_server.url)
    with frontend_page(comfy_server.url) as page:
        yield page, info


def compare(frontend: tuple[Any, dict[str, Any]], workflow: dict[str, Any]) -> None:
    page, info = frontend
    theirs = frontend_prompt(page, workflow)
    if "error" in theirs:  # the frontend refuses to queue it: so do we, in one line
        with pytest.raises(WorkflowError):
            convert_ui_workflow(workflow, info)
        return
    ours = convert_ui_workflow(workflow, info).prompt
    assert without_titles(ours) == without_titles(theirs["output"])


@pytest.mark.parametrize("case", list(frontend_cases()))
def test_hand_made_graph_equals_frontend(frontend: Any, case: str) -> None:
    compare(frontend, frontend_cases()[case])


def template_path(name: str) -> Path:
    found = sorted(
        comfy_site_packages(comfyui_python()).glob(
            f"comfyui_workflow_templates*/templates/{name}.json"
        )
    )
    if not found:
        pytest.skip(f"template {name} is not in this comfyui-workflow-templates")
    return found[0]


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_equals_frontend(frontend: Any, name: str) -> None:
    compare(frontend, json.loads(template_path(name).read_text(encoding="utf-8")))
