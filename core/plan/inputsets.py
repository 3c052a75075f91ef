"""Reading a config's input sets (``inputs:``, docs/config.md "Input sets").

One folder per set under ``inputs.directory``; each mapped file fills its input:
a text file (``.txt``, ``.md``, ``.prompt``) its text, any other file (image,
video, audio) a loader, by a content-hashed name in ComfyUI's input folder
(``comfy-sweep/<sha256-16><ext>``) that the engine's backend uploads before the
first run needing it. Hashing here keeps the plan pure and deterministic: the
same files give the same plan, and a resumed batch finds its uploads by name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..analyzer_inputs import TEXT_EXT
from ..config.model import InputsSpec, KeyPath, SweepConfig, config_error
from ..config.text import search_key
from ..errors import ConfigError
from ..textfile import read_user_file
from ..workflow import Workflow
from .model import InputFile

UPLOAD_SUBFOLDER = "comfy-sweep"


@dataclass(frozen=True)
class InputSet:
    name: str  # the set folder's name: the `set` value of its runs
    inputs: dict[str, Any]  # canonical input path -> value
    files: tuple[InputFile, ...]


def _section(spec: InputsSpec) -> str:
    return "shots" if spec.from_shots else "inputs"


def _fail(cfg: SweepConfig, key: KeyPath, msg: str) -> ConfigError:
    return config_error(cfg.source, cfg.lines, key, msg)


def sets_directory(cfg: SweepConfig) -> Path:
    assert cfg.inputs is not None and cfg.inputs.directory is not None
    path = Path(cfg.inputs.directory).expanduser()
    if not path.is_absolute() and cfg.base_dir is not None:
        path = cfg.base_dir / path
    return path


def read_input_sets(cfg: SweepConfig, workflow: Workflow) -> tuple[list[InputSet], list[str]]:
    """The complete sets, in folder-name order, and one warning per skipped set."""
    spec = cfg.inputs
    assert spec is not None
    if spec.directory is None:
        return [_inline_set(cfg, workflow, name) for name in spec.sets], []
    section = _section(spec)
    root = sets_directory(cfg)
    if not root.is_dir():
        raise _fail(cfg, (section, "directory"), f"{root} is not a folder")
    folders = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not folders:
        raise _fail(cfg, (section, "directory"), f"{root} holds no set folders")
    sets: list[InputSet] = []
    warnings: list[str] = []
    for folder in folders:
        missing = next((f for f in spec.files if not (folder / f).is_file()), None)
        if missing is not None:
            if spec.strict:
                raise _fail(cfg, (section, "files", missing), f"{folder}: no {missing} (--strict)")
            warnings.append(f"skipping set {folder.name}: no {missing} in {folder}")
            continue
        sets.append(_read_set(cfg, workflow, folder))
    for name in sorted(set(spec.overrides) - {s.name for s in sets}):
        warnings.append(f"{section}.overrides.{name}: no such complete set; ignored")
    if not sets:
        raise _fail(cfg, (section, "directory"), f"{root}: no complete set ({'; '.join(warnings)})")
    return sets, warnings


def _common_inputs(cfg: SweepConfig, workflow: Workflow) -> dict[str, Any]:
    spec = cfg.inputs
    assert spec is not None
    inputs: dict[str, Any] = {}
    if spec.negative_path is not None:
        inputs[spec.negative_path] = spec.negative_prompt
    for path, value in spec.values.items():
        inputs[workflow.resolve(path).path] = value
    return inputs


def _inline_set(cfg: SweepConfig, workflow: Workflow, name: str) -> InputSet:
    """A set given inline (its media already uploaded by whoever wrote it)."""
    assert cfg.inputs is not None
    inputs = _common_inputs(cfg, workflow)
    for path, value in {**cfg.inputs.sets[name], **cfg.inputs.overrides.get(name, {})}.items():
        inputs[workflow.resolve(path).path] = value
    _check_searches(cfg, workflow, Path(name), inputs)
    return InputSet(name, inputs, ())


def _read_set(cfg: SweepConfig, workflow: Workflow, folder: Path) -> InputSet:
    spec = cfg.inputs
    assert spec is not None
    inputs = _common_inputs(cfg, workflow)
    files: list[InputFile] = []
    for name, path in spec.files.items():
        ref = workflow.resolve(path).path
        file = folder / name
        if name.lower().endswith(TEXT_EXT):
            key = (_section(spec), "files", name)
            try:
                inputs[ref] = read_user_file(file, "text", ConfigError).rstrip("\r\n")
            except ConfigError as err:
                raise _fail(cfg, key, err.message) from None
            continue
        upload = hashed_upload(file)
        files.append(upload)
        inputs[ref] = upload.name
    for path, value in spec.overrides.get(folder.name, {}).items():
        inputs[workflow.resolve(path).path] = value
    _check_searches(cfg, workflow, folder, inputs)
    return InputSet(folder.name, inputs, tuple(dict.fromkeys(files)))


def hashed_upload(file: Path) -> InputFile:
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    name = f"{UPLOAD_SUBFOLDER}/{sha[:16]}{file.suffix.lower()}"
    return InputFile(name, str(file.resolve()), sha)


def _check_searches(
    cfg: SweepConfig, workflow: Workflow, folder: Path, inputs: dict[str, Any]
) -> None:
    """A replacement's words must occur in each set's own text too."""
    for spec in cfg.parameters.values():
        for i, target in enumerate(spec.replace or []):
            text = inputs.get(workflow.resolve(target.path).path)
            if isinstance(text, str) and target.search not in text:
                raise _fail(
                    cfg,
                    search_key(spec, i),
                    f"{target.search!r} does not occur in {target.path} of set {folder.name}",
                )


__all__ = ["UPLOAD_SUBFOLDER", "InputSet", "hashed_upload", "read_input_sets", "sets_directory"]
