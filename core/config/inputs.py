"""The ``inputs:`` section (input sets, the original suite's "shots").

```yaml
inputs:
  directory: shots                 # one folder per set, relative to the config file
  files:                           # file name in each set folder -> the input it fills
    prompt.txt: nodes.6.inputs.text
    first_frame.png: nodes.68.inputs.image
  negative_prompt: "blurry"        # optional: the negative prompt of every set
  values: {nodes.7.inputs.text: "blurry"}          # optional: path -> value, every set
  overrides: {shot2: {nodes.3.inputs.cfg: 5.0}}    # optional: per set, path -> value
```

Sets may instead be given inline (``sets: {name: {path: value}}``, no
``directory``): what a client posts to the routes after uploading the media
itself (loader values such as ``comfy-sweep/<sha256-16>.png``).

The original suite's ``shots:`` (``directory``, ``comfyui_input_path``,
``negative_prompt``) is read as ``inputs``; ``comfyui_input_path`` is ignored
with a note, because media are uploaded to ComfyUI instead of copied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ..errors import ConfigError
from .model import InputsSpec, KeyPath, _show

INPUT_KEYS = (
    "directory", "files", "sets", "values", "overrides", "negative_prompt", "comfyui_input_path",
)  # fmt: skip


class _Reader(Protocol):
    source: str
    lines: dict[KeyPath, int]
    warnings: list[str]

    def fail(self, key: KeyPath, msg: str) -> ConfigError: ...
    def text(self, value: Any, key: KeyPath) -> str: ...
    def mapping(self, value: Any, key: KeyPath) -> dict[str, Any]: ...
    def warn_unknown(
        self, data: Mapping[str, Any], known: tuple[str, ...], where: KeyPath
    ) -> None: ...


def parse_inputs(rd: _Reader, top: Mapping[str, Any]) -> InputsSpec | None:
    """``inputs:`` or the original ``shots:`` (not both)."""
    if top.get("inputs") is not None and top.get("shots") is not None:
        raise rd.fail(("shots",), "give either inputs or shots (the original name), not both")
    name = "inputs" if top.get("inputs") is not None else "shots"
    if top.get(name) is None:
        return None
    key: KeyPath = (name,)
    data = rd.mapping(top[name], key)
    rd.warn_unknown(data, INPUT_KEYS, key)
    sets = rd.mapping(data.get("sets"), (*key, "sets"))
    if data.get("directory") is None and sets:
        spec = InputsSpec(directory=None)
    else:
        spec = InputsSpec(directory=rd.text(data.get("directory"), (*key, "directory")))
        if sets:
            raise rd.fail((*key, "sets"), "give either directory (set folders) or sets, not both")
    spec.sets = {str(s): _literals(rd, v, (*key, "sets", str(s))) for s, v in sets.items()}
    spec.from_shots = name == "shots"
    spec.files = _paths_by_name(rd, data.get("files"), (*key, "files"))
    spec.values = _literals(rd, data.get("values"), (*key, "values"))
    overrides = rd.mapping(data.get("overrides"), (*key, "overrides"))
    spec.overrides = {
        str(s): _literals(rd, v, (*key, "overrides", str(s))) for s, v in overrides.items()
    }
    if data.get("negative_prompt") is not None:
        spec.negative_prompt = rd.text(data["negative_prompt"], (*key, "negative_prompt"))
    if data.get("comfyui_input_path") is not None:
        line = rd.lines.get((*key, "comfyui_input_path"))
        at = f"{rd.source}:{line}" if line else rd.source
        rd.warnings.append(
            f"{at}: {name}.comfyui_input_path is ignored: input files are uploaded to "
            "ComfyUI (POST /upload/image), so they work with a remote server too"
        )
    return spec


def _paths_by_name(rd: _Reader, value: Any, key: KeyPath) -> dict[str, str]:
    files = rd.mapping(value, key)
    out: dict[str, str] = {}
    for name, path in files.items():
        if "/" in name or "\\" in name or name in (".", ".."):
            raise rd.fail((*key, name), "a file name inside each set folder, without folders")
        out[name] = rd.text(path, (*key, name))
    return out


def _literals(rd: _Reader, value: Any, key: KeyPath) -> dict[str, Any]:
    data = rd.mapping(value, key)
    for path, v in data.items():
        if isinstance(v, (list, dict)) or v is None:
            raise rd.fail(
                (*key, path), f"expected a literal (number, text, true/false), got {_show(v)}"
            )
    return data


def inputs_to_dict(spec: InputsSpec) -> dict[str, Any]:
    """Back to YAML (always as ``inputs``; round-trips through parse_inputs)."""
    out: dict[str, Any] = {}
    if spec.directory is not None:
        out["directory"] = spec.directory
        out["files"] = dict(spec.files)
    else:
        out["sets"] = {k: dict(v) for k, v in spec.sets.items()}
    if spec.values:
        out["values"] = dict(spec.values)
    if spec.overrides:
        out["overrides"] = {k: dict(v) for k, v in spec.overrides.items()}
    if spec.negative_prompt is not None:
        out["negative_prompt"] = spec.negative_prompt
    return out
