"""One wording for ComfyUI's errors, whichever path reported them."""

from __future__ import annotations

from comfy_sweep.core.comfy_messages import (
    describe_execution_error,
    describe_rejection,
    node_label,
)

PROMPT = {
    "3": {"class_type": "ImageBlur", "_meta": {"title": "Blur"}, "inputs": {}},
    "4": {"class_type": "SaveImage", "_meta": {"title": "SaveImage"}, "inputs": {}},
}


def test_node_label_shows_a_title_only_when_it_adds_something() -> None:
    assert node_label("3", PROMPT) == 'node 3 "Blur" (ImageBlur)'
    assert node_label("4", PROMPT) == "node 4 (SaveImage)"
    assert node_label("9", PROMPT, "KSampler") == "node 9 (KSampler)"


def test_rejection_names_node_input_and_comfyui_message() -> None:
    node_errors = {
        "3": {
            "class_type": "ImageBlur",
            "errors": [
                {
                    "message": "Value bigger than max",
                    "details": "blur_radius: 99 > 31",
                    "extra_info": {"input_name": "blur_radius"},
                }
            ],
        }
    }
    text = describe_rejection({"message": "Prompt outputs failed validation"}, node_errors, PROMPT)
    assert text == (
        'ComfyUI rejected the prompt: node 3 "Blur" (ImageBlur) input blur_radius: '
        "Value bigger than max: blur_radius: 99 > 31"
    )


def test_rejection_without_node_errors_keeps_the_top_message() -> None:
    text = describe_rejection({"message": "no outputs", "details": ""}, {}, PROMPT)
    assert text == "ComfyUI rejected the prompt: no outputs"
    assert describe_rejection(None, "garbage", None) == "ComfyUI rejected the prompt: invalid"


def test_execution_error_names_the_node() -> None:
    data = {"node_id": "3", "node_type": "ImageBlur", "exception_message": " out of memory\n"}
    assert describe_execution_error(data, PROMPT) == 'node 3 "Blur" (ImageBlur): out of memory'
