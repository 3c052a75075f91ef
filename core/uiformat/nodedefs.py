"""What the frontend builds for a node type from ``/object_info``: its input
slots (sockets first, then one per widget), its widgets in order (with the
extra ``control_after_generate`` widgets) and its output types.

Mirrors ComfyUI_frontend 1.32 (``litegraphService.registerNodeDef``,
``scripts/widgets.ts``, ``nodeDefOrderingUtil.getOrderedInputSpecs`` and the
core ``Comfy.UploadImage`` extension that adds an ``upload`` widget).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Input types the frontend draws as widgets (its core widgets plus those the
# bundled core extensions register); every other type is a plain socket.
WIDGET_TYPES = frozenset(
    {
        "INT", "FLOAT", "BOOLEAN", "STRING", "MARKDOWN", "COMBO", "IMAGEUPLOAD", "COLOR",
        "IMAGECOMPARE", "CHART", "GALLERIA", "TEXTAREA", "WEBCAM", "AUDIO_UI", "AUDIOUPLOAD",
        "AUDIO_RECORD", "LOAD_3D", "PREVIEW_3D",
    }
)  # fmt: skip
# Widgets whose value never reaches the prompt (buttons, previews).
_NOT_IN_PROMPT = frozenset({"IMAGEUPLOAD", "AUDIOUPLOAD", "AUDIO_UI"})
# Core extensions that add an input to a node type's `required` (Comfy.Load3D, Comfy.SaveGLB).
_ADDED_INPUTS = {"Preview3D": ("image", "PREVIEW_3D"), "SaveGLB": ("image", "PREVIEW_3D")}
# Comfy.PreviewAny adds a read-only text widget after the others: sent, never saved.
_ADDED_WIDGETS = {"PreviewAny": ("preview", "MARKDOWN", "")}
_UPLOAD_FLAGS = ("image_upload", "video_upload", "animated_image_upload")
SEED_NAMES = ("seed", "noise_seed")


@dataclass(frozen=True)
class WidgetDef:
    name: str
    kind: str  # the widget's input type, or "control" / "control_filter"
    default: Any
    in_prompt: bool = True
    dynamic_prompts: bool = False
    in_values: bool = True  # has a slot in the saved widgets_values


@dataclass(frozen=True)
class SlotDef:
    name: str
    type: Any
    widget: str | None = None  # the widget this socket can replace


@dataclass(frozen=True)
class NodeDef:
    class_type: str
    display_name: str
    slots: tuple[SlotDef, ...]
    widgets: tuple[WidgetDef, ...]
    output_types: tuple[Any, ...]


@dataclass(frozen=True)
class _Spec:
    name: str
    type: str
    extra: Mapping[str, Any]
    optional: bool
    options: tuple[Any, ...] = ()


def _spec(name: str, raw: object, optional: bool) -> _Spec:
    head = raw[0] if isinstance(raw, (list, tuple)) and raw else None
    extra = raw[1] if isinstance(raw, (list, tuple)) and len(raw) > 1 else {}
    extra = extra if isinstance(extra, Mapping) else {}
    if isinstance(head, (list, tuple)):
        return _Spec(name, "COMBO", extra, optional, tuple(head))
    if head == "COMBO":
        opts = extra.get("options")
        return _Spec(name, "COMBO", extra, optional, tuple(opts) if isinstance(opts, list) else ())
    return _Spec(name, head if isinstance(head, str) else "UNKNOWN", extra, optional)


def _specs(info: Mapping[str, Any]) -> dict[str, _Spec]:
    specs = _backend_specs(info)
    added = _ADDED_INPUTS.get(str(info.get("name")))
    extra = {added[0]: _Spec(added[0], added[1], {}, False)} if added else {}
    upload = _upload_spec(specs)
    if upload is not None:  # Comfy.UploadImage adds it to `required` (not in input_order)
        extra["upload"] = upload
    if not extra:
        return specs
    required = {k: v for k, v in specs.items() if not v.optional and k not in extra}
    return {**required, **extra, **{k: v for k, v in specs.items() if v.optional}}


def _backend_specs(info: Mapping[str, Any]) -> dict[str, _Spec]:
    """Required then optional, as the frontend's V2 node definition holds them."""
    raw_inputs = info.get("input")
    inputs: Mapping[str, Any] = raw_inputs if isinstance(raw_inputs, Mapping) else {}
    specs: dict[str, _Spec] = {}
    for section in ("required", "optional"):
        group = inputs.get(section)
        for name, raw in group.items() if isinstance(group, Mapping) else []:
            specs[name] = _spec(name, raw, section == "optional")
    return specs


def _upload_spec(specs: dict[str, _Spec]) -> _Spec | None:
    for spec in specs.values():
        if (
            not spec.optional
            and spec.type == "COMBO"
            and any(spec.extra.get(f) is True for f in _UPLOAD_FLAGS)
        ):
            return _Spec(
                "upload", "IMAGEUPLOAD", {**spec.extra, "imageInputName": spec.name}, False
            )
    return None


def ordered_specs(info: Mapping[str, Any]) -> list[_Spec]:
    """``getOrderedInputSpecs``: input_order's required, its optional, then the rest."""
    specs = _specs(info)
    order = info.get("input_order")
    if not isinstance(order, Mapping):
        return list(specs.values())
    result: list[_Spec] = []
    for section, optional in (("required", False), ("optional", True)):
        names = order.get(section)
        for name in names if isinstance(names, list) else []:
            spec = specs.get(name)
            if spec is not None and spec.optional == optional and spec not in result:
                result.append(spec)
    result += [s for s in specs.values() if s not in result]
    return result


def _default(spec: _Spec) -> Any:
    value = spec.extra.get("default")
    if spec.type in ("INT", "FLOAT"):
        return 0 if value is None else value
    if spec.type == "BOOLEAN":
        return False if value is None else value
    if spec.type in ("STRING", "MARKDOWN", "TEXTAREA"):
        return "" if value is None else value
    if spec.type == "COMBO":
        if value:
            return value
        return (
            spec.options[0]
            if spec.options
            else ("Loading..." if spec.extra.get("remote") else None)
        )
    if spec.type == "IMAGEUPLOAD":
        return "image"
    return value


def _controls(spec: _Spec) -> list[WidgetDef]:
    """The extra widgets ``addValueControlWidget(s)`` appends after a seed or combo."""
    flag = spec.extra.get("control_after_generate")
    if spec.type == "INT" and (flag if flag is not None else spec.name in SEED_NAMES):
        name = flag if isinstance(flag, str) else "control_after_generate"
        return [WidgetDef(name, "control", "randomize", in_prompt=False)]
    if spec.type == "COMBO" and flag:
        return [
            WidgetDef(_control_name(spec, "control_after_generate"), "control", "randomize", False),
            WidgetDef(_control_name(spec, "control_filter_list"), "control_filter", "", False),
        ]
    return []


def _control_name(spec: _Spec, default: str) -> str:
    named = spec.extra.get(default)
    if isinstance(named, str):
        return named
    prefix = spec.extra.get("control_prefix")
    return f"{prefix} {default}" if prefix else default


def _widget_type(spec: _Spec) -> str:
    kind = spec.extra.get("widgetType")
    return kind if isinstance(kind, str) else spec.type


def build_node_def(class_type: str, info: Mapping[str, Any]) -> NodeDef:
    """The slots, widgets and outputs the frontend gives a node of this type."""
    specs = ordered_specs(info)
    is_widget = [_widget_type(s) in WIDGET_TYPES and not s.extra.get("forceInput") for s in specs]
    slots = [SlotDef(s.name, s.type) for s, w in zip(specs, is_widget, strict=False) if not w]
    widgets: list[WidgetDef] = []
    for spec, widget in zip(specs, is_widget, strict=False):
        if not widget:
            continue
        kind = _widget_type(spec)
        dynamic = spec.extra.get("dynamicPrompts") is True
        widgets.append(
            WidgetDef(spec.name, kind, _default(spec), kind not in _NOT_IN_PROMPT, dynamic)
        )
        widgets += _controls(spec)
        if not spec.extra.get("socketless"):
            slots.append(SlotDef(spec.name, spec.type, spec.name))
    added = _ADDED_WIDGETS.get(class_type)
    if added:
        widgets.append(WidgetDef(added[0], added[1], added[2], True, False, in_values=False))
    outputs = info.get("output")
    output_types = tuple(
        "COMBO" if isinstance(o, list) else o
        for o in (outputs if isinstance(outputs, list) else [])
    )
    name = info.get("display_name") or info.get("name") or class_type
    return NodeDef(class_type, str(name), tuple(slots), tuple(widgets), output_types)


def forced_input_count(info: Mapping[str, Any], widget_names: set[str]) -> tuple[int, list[bool]]:
    """For ``migrateWidgetsValues``: how many values an old save holds (widgets and
    forceInput inputs, 2 for those with a control) and which of them are forceInput."""
    total = 0
    forced: list[bool] = []
    for spec in _specs(info).values():
        force = bool(spec.extra.get("forceInput"))
        if spec.name not in widget_names and not force:
            continue
        count = 2 if (spec.extra.get("control_after_generate") or spec.name in SEED_NAMES) else 1
        total += count
        forced.append(force)
    return total, forced
