"""What ComfyUI's ``GET /object_info`` says about each node input.

Handles both input-spec shapes a 0.3.75 server sends:

* V1: ``["INT", {"min":..}]``, ``["FLOAT", {..}]``, combos as ``[[opt, ...], {..}]``
* V3: ``["COMBO", {"options": [...], "control_after_generate"?: ..}]``

Checks are deliberately lenient where ComfyUI itself is: its validation ignores
``step`` entirely, and the frontend uses a FLOAT's ``step``/``round`` as display
precision, so only INT values off their step grid (counted from ``min``) and
FLOAT values outside ``min``/``max`` are flagged. File-list COMBOs (models,
images) depend on the server's disk, so a value missing from them is never an
error here; the analyzer reports it as a warning.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SweepError
from .textfile import read_user_file

# Inputs whose options are file names on the server's disk (models, media).
FILE_INPUT_NAMES = frozenset(
    {
        "ckpt_name", "unet_name", "vae_name", "clip_name", "clip_name1", "clip_name2",
        "clip_name3", "clip_name4", "lora_name", "lora_name_1", "control_net_name",
        "style_model_name", "clip_vision_name", "upscale_model_name", "model_name",
        "gligen_name", "hypernetwork_name", "config_name", "embedding_name", "image",
        "audio", "video", "model_path", "audio_file", "video_file",
    }
)  # fmt: skip
FILE_EXTENSIONS = (
    ".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft", ".onnx", ".yaml",
    ".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff",
    ".mp4", ".webm", ".mov", ".mkv", ".avi", ".wav", ".mp3", ".flac", ".ogg", ".m4a",
)  # fmt: skip
_UPLOAD_FLAGS = ("image_upload", "video_upload", "audio_upload", "upload")
SEED_NAMES = frozenset({"seed", "noise_seed"})  # the frontend adds control_after_generate to these
SEED_MAX = 2**64 - 1
_FLOAT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class InputSpec:
    kind: str  # "INT" | "FLOAT" | "STRING" | "BOOLEAN" | "COMBO" | other type name
    default: Any = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    round: float | None = None
    options: tuple[Any, ...] | None = None
    file_list: bool = False
    control_after_generate: bool = False
    raw: dict[str, Any] = field(default_factory=dict)


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def is_file_combo(name: str, options: tuple[Any, ...], extra: Mapping[str, Any]) -> bool:
    """A combo of file names: by input name, upload flag, option suffixes, or empty options
    (only a disk-dependent list is empty, e.g. ``ckpt_name`` on a server without models)."""
    if name in FILE_INPUT_NAMES or any(extra.get(flag) for flag in _UPLOAD_FLAGS):
        return True
    if not options:
        return True
    return any(isinstance(o, str) and o.lower().endswith(FILE_EXTENSIONS) for o in options)


def parse_input_spec(name: str, spec: object) -> InputSpec:
    """One ``/object_info`` input spec (V1 or V3 form) as an InputSpec."""
    if not isinstance(spec, (list, tuple)) or not spec:
        return InputSpec(kind="UNKNOWN")
    head = spec[0]
    extra: dict[str, Any] = dict(spec[1]) if len(spec) > 1 and isinstance(spec[1], dict) else {}
    control = bool(extra.get("control_after_generate"))
    if isinstance(head, (list, tuple)) or head == "COMBO":
        raw_options = head if isinstance(head, (list, tuple)) else extra.get("options", [])
        options = tuple(raw_options) if isinstance(raw_options, (list, tuple)) else ()
        return InputSpec(
            kind="COMBO",
            default=extra.get("default"),
            options=options,
            file_list=is_file_combo(name, options, extra),
            control_after_generate=control,
            raw=extra,
        )
    kind = str(head)
    if kind == "INT" and name in SEED_NAMES:
        control = True
    return InputSpec(
        kind=kind,
        default=extra.get("default"),
        min=_num(extra.get("min")),
        max=_num(extra.get("max")),
        step=_num(extra.get("step")),
        round=_num(extra.get("round")) if extra.get("round") is not False else None,
        control_after_generate=control,
        raw=extra,
    )


def _check_bounds(spec: InputSpec, value: float) -> str | None:
    lo, hi = spec.min, spec.max
    slack = _FLOAT_TOLERANCE * max(1.0, abs(value)) if spec.kind == "FLOAT" else 0
    if lo is not None and value < lo - slack:
        return f"{value} is below the minimum {lo}"
    if hi is not None and value > hi + slack:
        return f"{value} is above the maximum {hi}"
    return None


def _check_int(spec: InputSpec, value: object) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{value!r} is not an integer"
    reason = _check_bounds(spec, value)
    if reason or not spec.step or spec.step <= 1:
        return reason
    base = spec.min if spec.min is not None else 0
    if (value - base) % spec.step != 0:
        return f"{value} is not on the step grid ({base} + a multiple of {spec.step:g})"
    return None


def _check_float(spec: InputSpec, value: object) -> str | None:
    number = _num(value)
    if number is None or not math.isfinite(number):
        return f"{value!r} is not a number"
    return _check_bounds(spec, number)


def check_spec_value(spec: InputSpec, value: object) -> str | None:
    """None if ``value`` is acceptable for ``spec``, else a plain-words reason."""
    if spec.kind == "INT":
        return _check_int(spec, value)
    if spec.kind == "FLOAT":
        return _check_float(spec, value)
    if spec.kind == "BOOLEAN" and not isinstance(value, bool):
        return f"{value!r} is not true or false"
    if spec.kind == "STRING" and not isinstance(value, str):
        return f"{value!r} is not text"
    if spec.kind == "COMBO" and not spec.file_list and value not in (spec.options or ()):
        shown = ", ".join(map(str, (spec.options or ())[:12]))
        more = ", ..." if len(spec.options or ()) > 12 else ""
        return f"{value!r} is not one of the allowed options ({shown}{more})"
    return None


class ObjectInfo:
    """A parsed ``/object_info`` document (from a server or a saved file)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self._cache: dict[tuple[str, str], InputSpec | None] = {}

    @classmethod
    def load(cls, path: str | Path) -> ObjectInfo:
        p = Path(path)
        text = read_user_file(p, "object_info", SweepError)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise SweepError(f"{p}: not valid JSON (line {err.lineno}: {err.msg})") from None
        if not isinstance(data, dict):
            raise SweepError(f"{p}: not an /object_info document (expected a JSON object)")
        return cls(data)

    def has_class(self, class_type: str) -> bool:
        return isinstance(self.data.get(class_type), dict)

    def input_spec(self, class_type: str, input_name: str) -> InputSpec | None:
        """The spec of a required or optional input, or None if unknown."""
        key = (class_type, input_name)
        if key not in self._cache:
            self._cache[key] = self._find_spec(class_type, input_name)
        return self._cache[key]

    def _find_spec(self, class_type: str, input_name: str) -> InputSpec | None:
        node = self.data.get(class_type)
        inputs = node.get("input") if isinstance(node, dict) else None
        if not isinstance(inputs, dict):
            return None
        for section in ("required", "optional"):
            group = inputs.get(section)
            if isinstance(group, dict) and input_name in group:
                return parse_input_spec(input_name, group[input_name])
        return None

    def check_value(self, class_type: str, input_name: str, value: Any) -> str | None:
        """None if fine (or unknown), else a plain-words reason; file-list misses are fine."""
        spec = self.input_spec(class_type, input_name)
        return check_spec_value(spec, value) if spec else None


__all__ = [
    "FILE_EXTENSIONS",
    "FILE_INPUT_NAMES",
    "SEED_MAX",
    "SEED_NAMES",
    "InputSpec",
    "ObjectInfo",
    "check_spec_value",
    "is_file_combo",
    "parse_input_spec",
]
