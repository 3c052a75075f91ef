"""SweepLabel text filling (core/labels.py) and the Pillow stamping (nodes/label.py)."""

from __future__ import annotations

from comfy_sweep.core.labels import fill_label_nodes, format_value, label_text
from comfy_sweep.nodes.axes import parse_values
from comfy_sweep.nodes.label import stamp_text
from PIL import Image

PROMPT = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64}},
    "2": {"class_type": "SweepLabel", "inputs": {"images": ["1", 0], "text": ""}},
    "3": {"class_type": "SweepLabel", "inputs": {"images": ["1", 0], "text": "best: {label}"}},
    "4": {"class_type": "SweepLabel", "inputs": {"images": ["1", 0], "text": ["9", 0]}},
}


def test_label_text_lists_run_and_values_in_order() -> None:
    text = label_text({"cfg": 7.5, "seed": 123}, 3)
    assert text == "run 0003 · cfg=7.5 · seed=123"


def test_format_value_rounds_floats_and_keeps_big_ints() -> None:
    assert format_value(0.1 + 0.2) == "0.3"
    assert format_value(2**53 - 1) == str(2**53 - 1)
    assert format_value(True) == "true"
    assert format_value("euler") == "euler"


def test_fill_sets_every_label_node_and_leaves_the_input_prompt_alone() -> None:
    out = fill_label_nodes(PROMPT, {"cfg": 7.5}, 12)
    assert out["2"]["inputs"]["text"] == "run 0012 · cfg=7.5"
    assert out["3"]["inputs"]["text"] == "best: run 0012 · cfg=7.5"
    assert out["4"]["inputs"]["text"] == ["9", 0]  # a wired text is not ours to replace
    assert out["1"] == PROMPT["1"]
    assert PROMPT["2"]["inputs"]["text"] == ""


def test_fill_without_label_nodes_is_an_equal_copy() -> None:
    prompt = {"1": {"class_type": "EmptyImage", "inputs": {"width": 64}}}
    out = fill_label_nodes(prompt, {"a": 1}, 1)
    assert out == prompt and out is not prompt


def test_stamp_text_draws_a_band_only_where_asked() -> None:
    img = Image.new("RGB", (120, 80), (200, 200, 200))
    bottom = stamp_text(img, "run 0001 · cfg=7", size=12, position="bottom")
    assert bottom.size == img.size
    assert bottom.getpixel((1, bottom.height - 1)) == (0, 0, 0)
    assert bottom.getpixel((1, 0)) == (200, 200, 200)
    top = stamp_text(img, "x", size=12, position="top")
    assert top.getpixel((1, 0)) == (0, 0, 0)
    assert stamp_text(img, "  ").getpixel((1, 79)) == (200, 200, 200)


def test_parse_values_accepts_commas_or_lines() -> None:
    assert parse_values("a, b ,c") == ["a", "b", "c"]
    assert parse_values("1.5\n2, 3\n\n") == ["1.5", "2, 3"]
