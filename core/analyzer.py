"""Workflow analyzer: every literal input, classified, with a valid sweep suggestion.

With ``/object_info`` every suggestion is checked against the input's spec: ranges
lie inside ``min``/``max``, INT ranges sit on the ``step`` grid, a COMBO only ever
gets ``type: values`` drawn from its options, and sentinels such as
``end_at_step: 10000`` ("to the end") are never swept. The original suite proposed
``weight_dtype`` (a COMBO) as ``continuous 0–3`` and ``end_at_step`` as
``5000–15000`` on the Wan 2.2 template; those are impossible by construction here.
Without object_info the analyzer falls back to names and values and says so.

The JSON shape (``Analysis.to_json``) is documented in ``docs/analyzer.md``;
``render_config_template`` turns an analysis into a config in the original format.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .objectinfo import (
    FILE_EXTENSIONS,
    FILE_INPUT_NAMES,
    InputSpec,
    ObjectInfo,
    check_spec_value,
)
from .store.format import reserved_column
from .workflow import InputRef, Workflow

SCHEMA_VERSION = 1
JS_SAFE_INT = 2**53  # larger integers are sent as strings (docs/analyzer.md)
CATEGORIES = ("seed", "sampling", "model", "resolution", "prompt", "file", "other")

SAMPLING_NAMES = frozenset(
    {"steps", "cfg", "sampler_name", "scheduler", "denoise", "start_at_step", "end_at_step",
     "guidance", "add_noise", "return_with_leftover_noise", "max_shift", "base_shift"}
)  # fmt: skip
RESOLUTION_NAMES = frozenset({"width", "height", "length", "batch_size"})
ENABLED_NAMES = frozenset({"cfg", "steps", "shift", "strength_model", "strength_clip"})
FLOAT_NAMES = frozenset({"cfg", "denoise", "shift", "guidance", "strength_model", "strength_clip"})
PROMPT_NAMES = frozenset({"text", "prompt", "positive", "negative", "text_g", "text_l", "clip_l", "t5xxl"})  # fmt: skip
COMMON_OPTIONS = {  # well-tried alternatives offered next to the current value
    "sampler_name": ("euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "uni_pc"),
    "scheduler": ("normal", "karras", "simple", "sgm_uniform", "beta"),
}
MAX_COMBO_SUGGESTIONS = 3
SENTINEL_MIN = 1000  # an INT at its max this large means "no limit" (end_at_step 10000)


@dataclass
class ParamInfo:
    """One row of the analyzer JSON (docs/analyzer.md)."""

    path: str
    node_id: str
    class_type: str
    title: str | None
    input: str
    value: Any
    kind: str
    category: str
    suggestion: dict[str, Any]
    enabled: bool
    reason: str
    warnings: list[str] = field(default_factory=list)
    bounds: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # short unique config parameter name, filled by analyze()

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in _PARAM_FIELDS}
        return _json_safe(data)  # type: ignore[no-any-return]


_PARAM_FIELDS = ("name", "path", "node_id", "class_type", "title", "input", "value", "kind",
                 "category", "suggestion", "enabled", "reason", "warnings", "bounds")  # fmt: skip


@dataclass
class Analysis:
    params: list[ParamInfo]
    object_info_used: bool
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The analyzer JSON: integers beyond 2**53 become decimal strings."""
        return {
            "schema_version": SCHEMA_VERSION,
            "object_info_used": self.object_info_used,
            "warnings": list(self.warnings),
            "params": [p.to_json() for p in self.params],
        }


def _json_safe(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > JS_SAFE_INT:
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


# ---- kind and category ---------------------------------------------------------------
def guess_kind(name: str, value: Any) -> str:
    """Kind from the value alone (no object_info); cfg-like names are FLOAT even if 8."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, (int, float)):
        return "FLOAT" if isinstance(value, float) or name in FLOAT_NAMES else "INT"
    return "STRING" if isinstance(value, str) else type(value).__name__.upper()


def is_seed(name: str, kind: str, spec: InputSpec | None) -> bool:
    if spec is not None and spec.control_after_generate:
        return True
    return kind == "INT" and (name in ("seed", "noise_seed") or name.endswith("_seed"))


def _looks_like_file(name: str, value: Any) -> bool:
    return name in FILE_INPUT_NAMES or (
        isinstance(value, str) and value.lower().endswith(FILE_EXTENSIONS)
    )


def categorize(name: str, kind: str, value: Any, spec: InputSpec | None) -> str:
    if is_seed(name, kind, spec):
        return "seed"
    if spec is not None and spec.file_list or spec is None and _looks_like_file(name, value):
        return "file"
    if kind == "STRING" and (
        name in PROMPT_NAMES or (spec is not None and spec.raw.get("multiline"))
    ):
        return "prompt"
    if name in SAMPLING_NAMES:
        return "sampling"
    if name == "shift" or "strength" in name:
        return "model"
    if name in RESOLUTION_NAMES:
        return "resolution"
    return "other"


# ---- numeric ranges -------------------------------------------------------------------
def _decimals(spec: InputSpec | None) -> int:
    """Display precision of a FLOAT: from round, else step, else 2 decimals."""
    unit = (spec.round or spec.step) if spec else None
    if not unit or unit >= 1:
        return 2 if not unit else 0
    return min(6, max(0, -math.floor(math.log10(unit) + 1e-9)))


def _raw_range(name: str, value: float, kind: str) -> tuple[float, float]:
    if name == "denoise":
        return value - 0.3, value
    if name in RESOLUTION_NAMES:
        return value * 0.75, value * 1.25
    if value == 0:
        return 0.0, 10.0 if kind == "INT" else 1.0
    lo, hi = value * 0.5, value * 1.5
    return (min(lo, hi), max(lo, hi))


def _limits(name: str, value: float, spec: InputSpec | None) -> tuple[float, float]:
    """Bounds from object_info, or plausible ones from the name and sign of the value."""
    if spec is not None and (spec.min is not None or spec.max is not None):
        lo = spec.min if spec.min is not None else -math.inf
        return lo, spec.max if spec.max is not None else math.inf
    lo = 1 if name in ("steps", "batch_size", "width", "height", "length") else 0
    return (lo if value >= 0 else -math.inf), (1.0 if name == "denoise" else math.inf)


def _int_range(a: float, b: float, spec: InputSpec | None, lo: float, hi: float) -> dict[str, Any]:
    step = int(spec.step) if spec and spec.step and spec.step > 1 else 1
    base = int(spec.min) if spec and spec.min is not None else 0
    start = base + math.ceil((max(a, lo) - base) / step) * step
    stop = base + math.floor((min(b, hi) - base) / step) * step
    if stop <= start:
        return {}
    if step > 1:  # keep the grid: a linear axis stays on min + k*step
        return {"type": "linear", "min": start, "max": stop, "step": step}
    return {"type": "continuous", "min": start, "max": stop}


def numeric_suggestion(
    name: str, kind: str, value: float, spec: InputSpec | None
) -> dict[str, Any]:
    """A range around the current value, clamped to the limits; {} if none fits."""
    lo, hi = _limits(name, value, spec)
    a, b = _raw_range(name, value, kind)
    if kind == "INT":
        return _int_range(a, b, spec, lo, hi)
    digits = _decimals(spec)
    start = max(lo, math.ceil(max(a, lo) * 10**digits) / 10**digits)
    stop = min(hi, math.floor(min(b, hi) * 10**digits) / 10**digits)
    if not stop > start:
        return {}
    return {"type": "continuous", "min": round(start, digits), "max": round(stop, digits)}


def is_sentinel(name: str, kind: str, value: Any, spec: InputSpec | None) -> bool:
    """A value meaning "no limit" (end_at_step 10000): sweeping it is meaningless."""
    if kind != "INT" or isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if spec is not None and spec.max is not None:
        return value >= spec.max and spec.max >= SENTINEL_MIN
    return value >= 10000 and ("step" in name or name.startswith("end"))


# ---- suggestions ----------------------------------------------------------------------
def _combo_values(name: str, value: Any, options: tuple[Any, ...]) -> list[Any]:
    picks = [value] if value in options else []
    preferred = [o for o in COMMON_OPTIONS.get(name, ()) if o in options]
    for option in [*preferred, *options]:
        if len(picks) > MAX_COMBO_SUGGESTIONS or option in picks:
            continue
        picks.append(option)
    return picks[: MAX_COMBO_SUGGESTIONS + 1]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fixed(value: Any, reason: str) -> tuple[dict[str, Any], bool, str]:
    return {"type": "values", "values": [value]}, False, reason


def suggest(
    name: str, kind: str, category: str, value: Any, spec: InputSpec | None
) -> tuple[dict[str, Any], bool, str]:
    """(config parameter entry, enabled by default, one-line why)."""
    if category == "seed":
        return {"type": "random_seed"}, True, "a fresh random seed per run"
    if category == "file":
        return _fixed(value, "file on the server's disk: kept fixed")
    if category == "prompt":
        return _fixed(value, "prompt text: never varied by default")
    if kind == "COMBO" and spec is not None:
        values = _combo_values(name, value, spec.options or ())
        return {"type": "values", "values": values}, False, "choice: values from its options"
    if kind == "BOOLEAN":
        return {"type": "values", "values": [value, not value]}, False, "on/off switch"
    if not _is_number(value) or kind not in ("INT", "FLOAT"):
        return _fixed(value, "kept fixed")
    if is_sentinel(name, kind, value, spec):
        return _fixed(value, f"{value} is a sentinel ('no limit'): not swept")
    if name == "batch_size":
        return _fixed(value, "batch size: kept fixed (changes the number of outputs)")
    entry = numeric_suggestion(name, kind, value, spec)
    if not entry:
        return _fixed(value, "no room to vary within its bounds")
    return entry, name in ENABLED_NAMES, f"range around the current value ({value})"


def _bounds(spec: InputSpec | None) -> dict[str, Any]:
    if spec is None:
        return {}
    found = {"min": spec.min, "max": spec.max, "step": spec.step}
    bounds: dict[str, Any] = {k: v for k, v in found.items() if v is not None}
    if spec.options is not None:
        bounds["options"] = list(spec.options)
        bounds["file_list"] = spec.file_list
    return bounds


def _value_warnings(spec: InputSpec | None, value: Any) -> list[str]:
    if spec is None:
        return []
    if spec.kind == "COMBO" and spec.file_list and value not in (spec.options or ()):
        return [f"{value!r} is not among the server's files (fine if it exists where you run)"]
    reason = check_spec_value(spec, value)
    return [f"current value: {reason}"] if reason else []


def _adds_no_noise(workflow: Workflow, node_id: str) -> bool:
    flag = workflow.prompt[node_id].get("inputs", {}).get("add_noise")
    return flag is False or flag == "disable"


def analyze_input(
    workflow: Workflow, ref: InputRef, value: Any, oi: ObjectInfo | None
) -> ParamInfo:
    class_type = workflow.class_type(ref.node_id)
    spec = oi.input_spec(class_type, ref.input_name) if oi else None
    name = ref.input_name
    kind = spec.kind if spec else guess_kind(name, value)
    category = categorize(name, kind, value, spec)
    suggestion, enabled, reason = suggest(name, kind, category, value, spec)
    if category == "seed" and _adds_no_noise(workflow, ref.node_id):
        # A refiner pass (KSamplerAdvanced add_noise: disable) never uses its seed:
        # varying it only adds a column that changes nothing.
        enabled, reason = False, "unused: this sampler's add_noise is disabled"
    warnings = _value_warnings(spec, value)
    if oi is not None and spec is None and oi.has_class(class_type):
        warnings.append(f"{class_type} has no input {name!r} in object_info (guessed)")
    return ParamInfo(
        path=ref.path, node_id=ref.node_id, class_type=class_type,
        title=workflow.title(ref.node_id), input=name, value=value, kind=kind,
        category=category, suggestion=suggestion, enabled=enabled, reason=reason,
        warnings=warnings, bounds=_bounds(spec),
    )  # fmt: skip


def analyze(workflow: Workflow, object_info: ObjectInfo | None = None) -> Analysis:
    """Every literal input of every node, classified, with valid suggestions."""
    params = [analyze_input(workflow, r, v, object_info) for r, v in workflow.literal_inputs()]
    taken: set[str] = set()
    for info in params:
        info.name = param_name(info, taken)
    return Analysis(params, object_info is not None, _analysis_warnings(workflow, object_info))


def _analysis_warnings(workflow: Workflow, oi: ObjectInfo | None) -> list[str]:
    if oi is None:
        return [
            "no object_info: kinds, bounds and suggestions are guessed from input names and "
            "values; pass --server or --object-info for checked suggestions"
        ]
    missing = sorted({workflow.class_type(n) for n in workflow.prompt} - _known(workflow, oi))
    if not missing:
        return []
    return [f"node types not in object_info (custom nodes not installed?): {', '.join(missing)}"]


def _known(workflow: Workflow, oi: ObjectInfo) -> set[str]:
    return {c for c in (workflow.class_type(n) for n in workflow.prompt) if oi.has_class(c)}


# ---- names ------------------------------------------------------------------------------
def _base_name(info: ParamInfo) -> str:
    if info.category == "seed":
        return "seed"
    if info.input in ("strength_model", "strength_clip") and "lora" in info.class_type.lower():
        return f"lora_{info.input}"
    base = re.sub(r"\W+", "_", info.input).strip("_").lower() or "param"
    return f"p_{base}" if base[0].isdigit() else base


def param_name(info: ParamInfo, taken: set[str]) -> str:
    """Short unique name ("cfg", "seed", "seed_2"); adds it to ``taken``. A name
    metadata.csv uses for a column of its own ("status", "error") gets a suffix."""
    base = _base_name(info)
    if reserved_column(base):
        base = f"{base}_input"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


__all__ = [
    "CATEGORIES",
    "SCHEMA_VERSION",
    "Analysis",
    "ParamInfo",
    "analyze",
    "param_name",
]
