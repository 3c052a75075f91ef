"""Validation of text variations against the workflow (called by validate_config).

Templates: their wildcards become generated axes (``<param>_w1``...), placed just
before the template so the metadata columns read left to right; every ``{slot}``
must name a parameter (or ``set``), and a pathless parameter a template reads is
marked as its slot. Replacements: the searched words must occur in the text.
Idempotent, like the rest of validation.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, WorkflowError
from ..workflow import Workflow
from .model import SET_COLUMN, KeyPath, ParameterSpec, SweepConfig, config_error
from .text import search_key, template_names, to_jinja, wildcard_options


def _fail(cfg: SweepConfig, key: KeyPath, msg: str) -> ConfigError:
    return config_error(cfg.source, cfg.lines, key, msg)


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def prepare_text_params(cfg: SweepConfig, workflow: Workflow) -> None:
    """Expand every template's wildcards and check its slots (before paths are resolved:
    a pathless parameter a template reads needs no path)."""
    params: dict[str, ParameterSpec] = {}
    for name, spec in cfg.parameters.items():
        if spec.generated and spec.name.startswith(f"{spec.slot_of}_w"):
            continue  # a wildcard axis of an earlier pass: made again below
        if spec.type == "template":
            params.update(_wildcard_axes(cfg, workflow, spec))
        params[name] = spec
    cfg.parameters = params
    for spec in params.values():
        if spec.type == "template":
            _check_slots(cfg, spec)


def check_replacements(cfg: SweepConfig, workflow: Workflow, set_paths: set[str]) -> None:
    """The searched words occur in each target text. ``set_paths``: inputs filled per
    input set (their text is checked per set instead)."""
    for spec in cfg.parameters.values():
        if spec.replace is not None:
            _check_search(cfg, workflow, spec, set_paths)


def _template_source(
    cfg: SweepConfig, workflow: Workflow, spec: ParameterSpec
) -> tuple[str, KeyPath]:
    if spec.template is not None:
        return spec.template, ("parameters", spec.name, "template")
    key: KeyPath = ("parameters", spec.name, "path")
    try:
        text = workflow.get(workflow.resolve(spec.paths[0]))
    except WorkflowError as err:
        raise _fail(cfg, key, err.message) from None
    if not isinstance(text, str):
        raise _fail(
            cfg, key, f"{spec.paths[0]} holds no text to use as the template; give template:"
        )
    return text, key


def _wildcard_axes(
    cfg: SweepConfig, workflow: Workflow, spec: ParameterSpec
) -> dict[str, ParameterSpec]:
    source, key = _template_source(cfg, workflow, spec)
    axes: dict[str, ParameterSpec] = {}
    for i, (group, options) in enumerate(wildcard_options(source), start=1):
        if any(not o.strip() for o in options):
            raise _fail(cfg, key, f"wildcard {group} has an empty option")
        name = f"{spec.name}_w{i}"
        if name in cfg.parameters and not cfg.parameters[name].generated:
            raise _fail(
                cfg, key, f"wildcard {group} makes an axis {name!r}, also a parameter's name"
            )
        axes[name] = ParameterSpec(
            name=name, paths=[], type="values", values=[o.strip() for o in options],
            slot_of=spec.name, generated=True,
        )  # fmt: skip
    spec.jinja = to_jinja(source, list(axes))
    return axes


def _check_slots(cfg: SweepConfig, spec: ParameterSpec) -> None:
    key: KeyPath = ("parameters", spec.name, "template" if spec.template is not None else "path")
    assert spec.jinja is not None
    import jinja2  # loaded by template_names anyway; not at import time (issue 12)

    try:
        used = template_names(spec.jinja)
    except jinja2.TemplateSyntaxError as err:
        raise _fail(cfg, key, f"template syntax error: {err.message}") from None
    known = [n for n in cfg.parameters if n != spec.name and cfg.parameters[n].type != "template"]
    if cfg.inputs is not None:
        known.append(SET_COLUMN)
    for slot in sorted(used):
        if slot not in known:
            listed = ", ".join(known) or "none"
            raise _fail(cfg, key, f"unknown slot {{{slot}}}; known names: {listed}")
        other = cfg.parameters.get(slot)
        if other is not None and not other.paths and other.slot_of is None:
            other.slot_of = spec.name  # a pathless parameter only feeds this template


def _check_search(
    cfg: SweepConfig, workflow: Workflow, spec: ParameterSpec, set_paths: set[str]
) -> None:
    assert spec.replace is not None
    for i, target in enumerate(spec.replace):
        key = search_key(spec, i)
        ref = workflow.resolve(target.path)
        if ref.path in set_paths:
            continue  # each set's own text: checked when the sets are read
        text: Any = workflow.get(ref)
        if not isinstance(text, str):
            raise _fail(cfg, key, f"{target.path} is not a text input (it holds {text!r})")
        if target.search not in text:
            raise _fail(
                cfg, key, f"{target.search!r} does not occur in {target.path} ({_short(text)})"
            )
