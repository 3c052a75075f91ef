"""Each comfy-sweep node run on the real ComfyUI through /prompt.

PreviewAny (core) echoes a node's output into the history, so the test sees
the exact value an axis node produced; SweepLabel's output goes through
SaveImage and the saved file is inspected.
"""

from __future__ import annotations

from typing import Any

import pytest
from PIL import Image

pytestmark = pytest.mark.comfy


def _preview(source: list[Any]) -> dict[str, Any]:
    return {"class_type": "PreviewAny", "inputs": {"source": source}}


def _texts(entry: dict[str, Any], node_id: str) -> list[str]:
    assert entry["status"]["status_str"] == "success", entry["status"]
    return list(entry["outputs"][node_id]["text"])


@pytest.mark.parametrize(
    ("class_type", "inputs", "slot", "expected"),
    [
        ("SweepFloatRange", {"value": 2.5, "min": 0.0, "max": 5.0, "step": 0.5}, 0, "2.5"),
        ("SweepIntRange", {"value": 30, "min": 10, "max": 40, "step": 10}, 0, "30"),
        ("SweepSeed", {"seed": 2**53 - 1}, 0, str(2**53 - 1)),
        ("SweepValues", {"values": "euler, dpmpp_2m, uni_pc", "index": 1}, 0, "dpmpp_2m"),
        ("SweepValues", {"values": "0.5\n1.25\n2", "index": 1}, 1, "1.25"),
        ("SweepValues", {"values": "0.5\n1.25\n2", "index": 2}, 2, "2"),
    ],
)
def test_axis_node_outputs_its_current_value(
    comfy_server: Any, class_type: str, inputs: dict[str, Any], slot: int, expected: str
) -> None:
    prompt = {"1": {"class_type": class_type, "inputs": inputs}, "2": _preview(["1", slot])}
    entry = comfy_server.run_prompt(prompt)
    assert _texts(entry, "2") == [expected]


def test_sweep_values_index_out_of_range_is_a_node_error(comfy_server: Any) -> None:
    prompt = {
        "1": {"class_type": "SweepValues", "inputs": {"values": "a, b", "index": 5}},
        "2": _preview(["1", 0]),
    }
    entry = comfy_server.run_prompt(prompt)
    assert entry["status"]["status_str"] == "error"
    messages = [m for m in entry["status"]["messages"] if m[0] == "execution_error"]
    assert "index 5 outside 0..1" in messages[0][1]["exception_message"]


def test_axis_nodes_drive_a_real_pipeline_and_label_stamps_every_frame(comfy_server: Any) -> None:
    prompt = {
        "1": {
            "class_type": "EmptyImage",
            "inputs": {"width": 96, "height": 64, "batch_size": 2, "color": 0xC8C8C8},
        },
        "2": {"class_type": "SweepSeed", "inputs": {"seed": 7}},
        "3": {
            "class_type": "SweepFloatRange",
            "inputs": {"value": 0.0, "min": 0.0, "max": 1.0, "step": 0.0},
        },
        "4": {
            "class_type": "ImageAddNoise",
            "inputs": {"image": ["1", 0], "seed": ["2", 0], "strength": ["3", 0]},
        },
        "5": {
            "class_type": "SweepLabel",
            "inputs": {
                "images": ["4", 0],
                "text": "run 0001 · cfg=7.5",
                "font_size": 12,
                "position": "bottom",
            },
        },
        "6": {
            "class_type": "SaveImage",
            "inputs": {"images": ["5", 0], "filename_prefix": "nodes-real/label"},
        },
    }
    entry = comfy_server.run_prompt(prompt)
    assert entry["status"]["status_str"] == "success", entry["status"]
    images = entry["outputs"]["6"]["images"]
    assert len(images) == 2  # the whole batch is stamped, not just the first frame
    for item in images:
        img = Image.open(comfy_server.output_dir / item["subfolder"] / item["filename"])
        assert img.size == (96, 64)
        assert img.convert("RGB").getpixel((1, 63)) == (0, 0, 0)  # the label band
        assert img.convert("RGB").getpixel((1, 1)) == (200, 200, 200)  # strength 0: untouched


def test_nodes_are_registered_in_the_comfy_sweep_category(comfy_server: Any) -> None:
    info = comfy_server.get_json("/object_info")
    assert isinstance(info, dict)
    names = ["SweepFloatRange", "SweepIntRange", "SweepValues", "SweepSeed", "SweepLabel"]
    for name in names:
        assert info[name]["category"] == "comfy-sweep"
    seed_spec = info["SweepSeed"]["input"]["required"]["seed"][1]
    assert seed_spec["control_after_generate"] is True
