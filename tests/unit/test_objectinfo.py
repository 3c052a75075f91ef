"""ObjectInfo: V1/V3 spec parsing, file-list detection, lenient value checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from comfy_sweep.core.errors import SweepError
from comfy_sweep.core.objectinfo import SEED_MAX, ObjectInfo, parse_input_spec
from shared_paths import SAVED_OBJECT_INFO

SAVED = SAVED_OBJECT_INFO

DATA = {
    "KS": {
        "input": {
            "required": {
                "seed": ["INT", {"default": 0, "min": 0, "max": SEED_MAX,
                                 "control_after_generate": True}],
                "noise_seed": ["INT", {"min": 0, "max": 10}],
                "steps": ["INT", {"default": 20, "min": 1, "max": 10000}],
                "cfg": ["FLOAT", {"min": 0.0, "max": 100.0, "step": 0.1, "round": 0.01}],
                "sampler_name": [["euler", "dpmpp_2m"], {"tooltip": "x"}],
                "picker": ["COMBO", {"options": ["a", "b"], "multiselect": False}],
                "length": ["INT", {"min": 1, "max": 200, "step": 4}],
                "flag": ["BOOLEAN", {"default": True}],
            },
            "optional": {
                "ckpt_name": [[]],
                "img": [["x.png"], {"image_upload": True}],
                "mystery": [[], {}],
                "model": ["MODEL"],
            },
        }
    }
}  # fmt: skip


@pytest.fixture
def oi() -> ObjectInfo:
    return ObjectInfo(DATA)


def test_v1_and_v3_combos(oi: ObjectInfo) -> None:
    v1 = oi.input_spec("KS", "sampler_name")
    v3 = oi.input_spec("KS", "picker")
    assert v1 and v1.kind == "COMBO" and v1.options == ("euler", "dpmpp_2m") and not v1.file_list
    assert v3 and v3.kind == "COMBO" and v3.options == ("a", "b") and not v3.file_list


def test_numeric_specs(oi: ObjectInfo) -> None:
    cfg = oi.input_spec("KS", "cfg")
    assert cfg and (cfg.kind, cfg.min, cfg.max, cfg.step, cfg.round) == ("FLOAT", 0, 100, 0.1, 0.01)
    seed = oi.input_spec("KS", "seed")
    assert seed and seed.control_after_generate and seed.max == 2**64 - 1
    # the frontend treats INTs named seed/noise_seed as seeds even without the flag
    assert oi.input_spec("KS", "noise_seed").control_after_generate  # type: ignore[union-attr]
    assert not oi.input_spec("KS", "steps").control_after_generate  # type: ignore[union-attr]


def test_file_lists(oi: ObjectInfo) -> None:
    for name in ("ckpt_name", "img", "mystery"):
        spec = oi.input_spec("KS", name)
        assert spec and spec.file_list, name
    assert parse_input_spec("choice", [["a.safetensors", "b.safetensors"]]).file_list


def test_unknown(oi: ObjectInfo) -> None:
    assert oi.input_spec("Nope", "x") is None
    assert oi.input_spec("KS", "nope") is None
    assert oi.check_value("Nope", "x", 1) is None
    assert oi.input_spec("KS", "model").kind == "MODEL"  # type: ignore[union-attr]
    assert oi.has_class("KS") and not oi.has_class("Nope")


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("steps", 0, "below the minimum 1"),
        ("steps", 10001, "above the maximum 10000"),
        ("steps", 2.5, "not an integer"),
        ("steps", True, "not an integer"),
        ("length", 120, "not on the step grid (1 + a multiple of 4)"),
        ("cfg", 100.5, "above the maximum"),
        ("cfg", "x", "not a number"),
        ("sampler_name", "bogus", "not one of the allowed options (euler, dpmpp_2m)"),
        ("picker", "c", "not one of the allowed options"),
        ("flag", 1, "not true or false"),
        ("seed", 2**64, "above the maximum"),
    ],
)
def test_check_value_reasons(oi: ObjectInfo, name: str, value: object, needle: str) -> None:
    reason = oi.check_value("KS", name, value)
    assert reason is not None and needle in reason


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("steps", 20), ("steps", 20.0), ("length", 121), ("cfg", 7.123456),  # FLOAT step is precision
        ("cfg", 100.0), ("seed", 2**64 - 1), ("sampler_name", "euler"), ("picker", "b"),
        ("ckpt_name", "missing.safetensors"), ("img", "other.png"), ("flag", False),
    ],
)  # fmt: skip
def test_check_value_accepts(oi: ObjectInfo, name: str, value: object) -> None:
    assert oi.check_value("KS", name, value) is None


def test_load_errors(tmp_path: Path) -> None:
    bad = tmp_path / "oi.json"
    bad.write_text("[1]")
    with pytest.raises(SweepError, match="oi.json"):
        ObjectInfo.load(bad)
    with pytest.raises(SweepError, match="cannot read"):
        ObjectInfo.load(tmp_path / "none.json")


@pytest.mark.skipif(not SAVED.exists(), reason="saved object_info not present")
def test_saved_object_info() -> None:
    oi = ObjectInfo.load(SAVED)
    assert oi.input_spec("UNETLoader", "weight_dtype").kind == "COMBO"  # type: ignore[union-attr]
    assert not oi.input_spec("UNETLoader", "weight_dtype").file_list  # type: ignore[union-attr]
    assert oi.input_spec("UNETLoader", "unet_name").file_list  # type: ignore[union-attr]
    assert oi.input_spec("LoadImage", "image").file_list  # type: ignore[union-attr]
    ks = oi.input_spec("KSamplerSelect", "sampler_name")
    assert ks and ks.kind == "COMBO" and "euler" in (ks.options or ())
    assert oi.input_spec("RandomNoise", "noise_seed").control_after_generate  # type: ignore[union-attr]
    assert oi.check_value("KSamplerAdvanced", "end_at_step", 10000) is None
    assert oi.check_value("Wan22ImageToVideoLatent", "length", 122) is not None
