"""Validation of the ``inputs:`` section against the workflow (called by validate_config).

Every mapped path must resolve; a section naming no ``files:`` (the original
suite's ``shots.yaml``) is refused with the workflow's candidate inputs and a
ready-to-paste ``files:`` block (core/analyzer_inputs.py).
"""

from __future__ import annotations

from ..analyzer_inputs import TEXT_EXT, files_block, suggest_input_files
from ..errors import WorkflowError
from ..workflow import InputRef, Workflow, is_link
from .model import InputsSpec, KeyPath, SweepConfig, config_error


def _resolve(cfg: SweepConfig, workflow: Workflow, path: str, key: KeyPath) -> InputRef:
    try:
        return workflow.resolve(path, field=".".join(key))
    except WorkflowError as err:
        raise config_error(cfg.source, cfg.lines, key, err.message) from None


def _refuse_v2(cfg: SweepConfig, section: str) -> None:
    """A Comfy API v2 server takes no /upload/image (comfy-api-proxy 0.1.6, Comfy
    Cloud's assets differ): refused before any batch is made, not mid-sweep."""
    apis = [cfg.comfyui.api, *(s.api for s in cfg.comfyui.servers)]
    if "v2" in apis:
        raise config_error(
            cfg.source, cfg.lines, (section,),
            "input sets need servers that take uploads; a Comfy API v2 server "
            "(comfyui.api / comfyui.servers api: v2) does not",
        )  # fmt: skip


def check_inputs(cfg: SweepConfig, workflow: Workflow) -> set[str]:
    """Resolve every path of the section; the canonical paths text files fill."""
    spec = cfg.inputs
    if spec is None:
        return set()
    section = "shots" if spec.from_shots else "inputs"
    _refuse_v2(cfg, section)
    for set_name, values in spec.sets.items():
        for path in values:
            _resolve(cfg, workflow, path, (section, "sets", set_name, path))
    texts = _resolve_files(cfg, workflow, spec, section)
    for path in spec.values:
        _resolve(cfg, workflow, path, (section, "values", path))
    for set_name, values in spec.overrides.items():
        for path in values:
            _resolve(cfg, workflow, path, (section, "overrides", set_name, path))
    if spec.negative_prompt is not None:
        spec.negative_path = _negative_path(cfg, workflow, spec, section)
    return texts


def _resolve_files(
    cfg: SweepConfig, workflow: Workflow, spec: InputsSpec, section: str
) -> set[str]:
    """Resolve ``files`` (required with a set folder); the paths text files fill."""
    if not spec.files and spec.directory is not None:
        raise config_error(
            cfg.source, cfg.lines, (section, "files"), missing_files_message(workflow)
        )
    texts: set[str] = set()
    for name, path in spec.files.items():
        ref = _resolve(cfg, workflow, path, (section, "files", name))
        if name.lower().endswith(TEXT_EXT):
            texts.add(ref.path)
    return texts


def missing_files_message(workflow: Workflow) -> str:
    candidates = suggest_input_files(workflow)
    if not candidates:
        return "missing, and the workflow has no text prompt or image/video/audio loader to fill"
    return (
        "missing: say which file of each set folder fills which input. Candidates in "
        f"{workflow.source} (text prompts, image/video/audio loaders); paste under the "
        "section and keep the lines you need:\n" + files_block(candidates)
    )


def _negative_path(cfg: SweepConfig, workflow: Workflow, spec: InputsSpec, section: str) -> str:
    """The text input of the node feeding a ``negative`` input (the original filled node 7)."""
    feeding = {
        str(v[0])
        for node in workflow.prompt.values()
        for name, v in node.get("inputs", {}).items()
        if name == "negative" and is_link(v)
    }
    found = sorted(
        ref.path
        for ref, value in workflow.literal_inputs()
        if ref.node_id in feeding and ref.input_name == "text" and isinstance(value, str)
    )
    if len(found) != 1:
        listed = ", ".join(found) or "none"
        raise config_error(
            cfg.source, cfg.lines, (section, "negative_prompt"),
            f"cannot tell which input is the negative prompt (found: {listed}); "
            "set it with values: {nodes.<id>.inputs.text: ...} instead",
        )  # fmt: skip
    return found[0]


__all__ = ["check_inputs", "missing_files_message"]
