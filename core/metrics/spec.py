"""The ``metrics:`` config section: parsed and validated by pure functions.

    metrics:
      sharp: {type: sharpness}
      like_ref: {type: similarity, reference: ref.png, measure: ssim}
      aesthetic: {type: comfy, workflow: score.json, input: nodes.1.inputs.image,
                  output: nodes.3}
      mine: {type: command, command: [python, myscore.py, "{file}"], timeout: 30}

A bare list of built-in types (``metrics: [sharpness, noise]``) or a name with
no body (``sharpness:``) names the metric after its type. Every problem is a
ConfigError whose ``field`` is ``metrics.<name>.<key>``; unknown keys are
errors too (a misspelt ``refrence`` must not silently score nothing). Score
columns are ``score_<name>`` (``score_<name>_<key>`` for a scorer answering an
object of numbers). See docs/metrics.md.
"""

from __future__ import annotations

import difflib
import math
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..store.format import SCORE_PREFIX
from .catalog import BUILTIN, METRIC_TYPES, Goal

COMMON_KEYS = ("type", "goal", "frames")
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "similarity": ("reference", "measure"),
    "http": ("url", "api_key_env", "timeout"),
    "command": ("command", "timeout"),
    "comfy": ("workflow", "input", "output", "timeout"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "similarity": ("reference",),
    "http": ("url",),
    "command": ("command",),
    "comfy": ("workflow", "input", "output"),
}
MEASURES = ("ssim", "psnr")
GOALS = ("maximize", "minimize")
MAX_FRAMES = 256
DEFAULT_TIMEOUT = 60.0
# Column-safe: score_<name> must stay one plain CSV/JS identifier.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
ALLOW_COMMANDS_ENV = "COMFY_SWEEP_ALLOW_COMMAND_SCORERS"


@dataclass(frozen=True)
class MetricSpec:
    """One entry of ``metrics:``; keys a type does not use stay None."""

    name: str
    type: str
    goal: Goal | None = None  # None: the catalogue's default (may be None: no direction)
    frames: int | None = None  # video frames sampled; None: the scorer's default
    reference: str | None = None
    measure: str = "ssim"
    url: str | None = None
    api_key_env: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    command: tuple[str, ...] = ()
    workflow: str | None = None
    input: str | None = None
    output: str | None = None

    @property
    def column(self) -> str:
        return SCORE_PREFIX + self.name

    @property
    def effective_goal(self) -> Goal | None:
        if self.goal is not None:
            return self.goal
        info = BUILTIN.get(self.type)
        return info.goal if info is not None else "maximize"


def _fail(source: str, key: Sequence[str], msg: str) -> ConfigError:
    name = ".".join(("metrics", *key))
    return ConfigError(f"{source}: {name}: {msg}", field=name)


def _hint(word: str, known: Sequence[str]) -> str:
    match = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _show(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})" if value is not None else "nothing (null)"


def _entries(raw: Any, source: str) -> list[tuple[str, Any]]:
    """(name, body) pairs from the mapping form or the list-of-types shorthand."""
    if raw is None:
        return []
    if isinstance(raw, list):
        for i, item in enumerate(raw):
            if not isinstance(item, str):
                raise _fail(source, (str(i),), f"expected a metric type name, got {_show(item)}")
        return [(item, None) for item in raw]
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"{source}: metrics: expected a mapping of metric names, got {_show(raw)}",
            field="metrics",
        )
    return [(str(k), v) for k, v in raw.items()]


def parse_metrics(raw: Any, *, source: str = "<config>") -> list[MetricSpec]:
    """The ``metrics:`` section (already loaded YAML) as specs, in config order."""
    specs: list[MetricSpec] = []
    seen: set[str] = set()
    for name, body in _entries(raw, source):
        if not _NAME.fullmatch(name):
            raise _fail(
                source,
                (name,),
                "a metric name starts with a letter and holds only letters, digits and _ "
                "(it becomes the column score_<name>)",
            )
        if name in seen:
            raise _fail(source, (name,), "named twice")
        seen.add(name)
        specs.append(_parse_one(name, body, source))
    return specs


def _parse_one(name: str, body: Any, source: str) -> MetricSpec:
    if body is None:
        body = {}
    if not isinstance(body, Mapping):
        raise _fail(source, (name,), f"expected a mapping of keys, got {_show(body)}")
    entry = {str(k): v for k, v in body.items()}
    kind = _type(name, entry.get("type", name if name in BUILTIN else None), source)
    allowed = (*COMMON_KEYS, *TYPE_KEYS.get(kind, ()))
    for key in entry:
        if key not in allowed:
            other = [t for t, keys in TYPE_KEYS.items() if key in keys]
            why = f"applies to type {other[0]} only" if other else "unknown key"
            raise _fail(source, (name, key), f"{why}{_hint(key, allowed)}")
    for key in REQUIRED.get(kind, ()):
        if entry.get(key) is None:
            raise _fail(source, (name, key), f"type {kind} needs {key}")
    values: dict[str, Any] = {"name": name, "type": kind}
    for key, value in entry.items():
        if key != "type" and value is not None:
            values[key] = _PARSERS[key](value, (name, key), source)
    return MetricSpec(**values)


def _type(name: str, kind: Any, source: str) -> str:
    if kind is None:
        raise _fail(
            source,
            (name, "type"),
            f"missing; one of {', '.join(METRIC_TYPES)}{_hint(name, METRIC_TYPES)}",
        )
    if not isinstance(kind, str) or kind not in METRIC_TYPES:
        raise _fail(
            source,
            (name, "type"),
            f"unknown type {kind!r}{_hint(str(kind), METRIC_TYPES)}; allowed: {', '.join(METRIC_TYPES)}",
        )
    return kind


# ---- one parser per key --------------------------------------------------------
Key = tuple[str, str]


def _text(value: Any, key: Key, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, key, f"expected a non-empty string, got {_show(value)}")
    return value


def _choice(options: tuple[str, ...]) -> Any:
    def parse(value: Any, key: Key, source: str) -> str:
        if not isinstance(value, str) or value.lower() not in options:
            raise _fail(
                source,
                key,
                f"expected one of {', '.join(options)}, got {_show(value)}{_hint(str(value), options)}",
            )
        return value.lower()

    return parse


def _frames(value: Any, key: Key, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_FRAMES:
        raise _fail(
            source, key, f"expected a whole number from 1 to {MAX_FRAMES}, got {_show(value)}"
        )
    return value


def _timeout(value: Any, key: Key, source: str) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise _fail(source, key, f"expected a positive number of seconds, got {_show(value)}")
    return float(value)


def _url(value: Any, key: Key, source: str) -> str:
    text = _text(value, key, source)
    if not text.startswith(("http://", "https://")):
        raise _fail(source, key, "expected an http:// or https:// URL")
    return text


def _env_name(value: Any, key: Key, source: str) -> str:
    text = _text(value, key, source)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        # The NAME of a variable, never the key itself: a value pasted here must not be stored.
        raise _fail(source, key, "expected the name of an environment variable (not the key)")
    return text


def _command(value: Any, key: Key, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = shlex.split(value)
    if not isinstance(value, list) or not value:
        raise _fail(
            source,
            key,
            f'expected a list such as [python, myscore.py, "{{file}}"], got {_show(value)}',
        )
    for i, arg in enumerate(value):
        if isinstance(arg, bool) or not isinstance(arg, (str, int, float)):
            raise _fail(source, (*key, str(i)), f"expected a string, got {_show(arg)}")
    argv = tuple(str(a) for a in value)
    if not any("{file}" in a for a in argv):
        raise _fail(source, key, 'no argument holds "{file}" (where the output path goes)')
    return argv


def _input_path(value: Any, key: Key, source: str) -> str:
    text = _text(value, key, source)
    if not text.startswith("nodes.") or ".inputs." not in text:
        raise _fail(
            source, key, "expected nodes.<id or title>.inputs.<input>, e.g. nodes.1.inputs.image"
        )
    return text


def _output_node(value: Any, key: Key, source: str) -> str:
    text = (
        str(value)
        if isinstance(value, int) and not isinstance(value, bool)
        else _text(value, key, source)
    )
    node = text[len("nodes.") :] if text.startswith("nodes.") else text
    if not node or ".inputs." in node:
        raise _fail(
            source, key, "expected nodes.<id or title> of the node whose UI result holds the score"
        )
    return node


_PARSERS: dict[str, Any] = {
    "goal": _choice(GOALS),
    "measure": _choice(MEASURES),
    "frames": _frames,
    "timeout": _timeout,
    "reference": _text,
    "url": _url,
    "api_key_env": _env_name,
    "command": _command,
    "workflow": _text,
    "input": _input_path,
    "output": _output_node,
}


# ---- the server's guard and the way back to YAML ---------------------------------


def refuse_unsafe_metrics(
    specs: Sequence[MetricSpec], *, allow_commands: bool, allow_paths: bool = True
) -> None:
    """For configs posted to the server: a ``type: command`` scorer would run a
    program on the ComfyUI machine, so it is refused (ConfigError naming
    ``metrics.<name>.type``) unless the ComfyUI owner set
    ``COMFY_SWEEP_ALLOW_COMMAND_SCORERS=1`` (read by server_routes). Without
    ``allow_paths`` (the owner's COMFY_SWEEP_ALLOW_LOCAL_PATHS=1), scorers that
    read the machine's files (``reference``, ``workflow``) or send one of its
    environment variables (``api_key_env``) are refused too."""
    if not allow_paths:
        _refuse_local(specs)
    if allow_commands:
        return
    for spec in specs:
        if spec.type == "command":
            raise ConfigError(
                f"metrics.{spec.name}.type: command scorers run a program on the ComfyUI machine "
                f"and are refused from the server routes; its owner can allow them with "
                f"{ALLOW_COMMANDS_ENV}=1, or run cr-score on the batch from a shell",
                field=f"metrics.{spec.name}.type",
            )


# ComfyUI's own annotation of a file in its input folder, as LoadImage's values
# carry it ("ref.png [input]"): the one kind of file a posted config may name.
INPUT_SUFFIX = " [input]"


def input_name(reference: str, field: str = "reference") -> str | None:
    """The name inside ComfyUI's input folder of a ``"sub/ref.png [input]"``
    reference (None for a path); ConfigError naming ``field`` for a name that
    would leave the folder."""
    if not reference.endswith(INPUT_SUFFIX):
        return None
    name = reference[: -len(INPUT_SUFFIX)].strip().replace("\\", "/")
    parts = name.split("/")
    if not name or name.startswith("/") or ":" in parts[0] or ".." in parts or "" in parts:
        raise ConfigError(
            f"{field}: {reference!r} must name a file inside ComfyUI's input folder "
            "(sub/name.png [input])",
            field=field,
        )
    return name


def _refuse_local(specs: Sequence[MetricSpec]) -> None:
    for spec in specs:
        field = f"metrics.{spec.name}.reference"
        if spec.reference and input_name(spec.reference, field) is not None:
            continue  # ComfyUI's input folder: files any of its users can load anyway
        for key in ("reference", "workflow", "api_key_env"):
            if getattr(spec, key, None):
                raise ConfigError(
                    f"metrics.{spec.name}.{key}: a posted config may not read files or "
                    "environment variables of the ComfyUI machine (a reference may name an "
                    "uploaded input: sub/name.png [input]); its owner can allow it "
                    "with COMFY_SWEEP_ALLOW_LOCAL_PATHS=1, or run cr-score from a shell",
                    field=f"metrics.{spec.name}.{key}",
                )


def metrics_to_raw(
    specs: Sequence[MetricSpec], *, base_dir: Path | None = None
) -> dict[str, dict[str, Any]]:
    """The ``metrics:`` section again (round-trips through parse_metrics). With
    ``base_dir`` (the config file's folder), relative ``reference`` and
    ``workflow`` paths become absolute: a batch's config.yaml is a copy in
    another folder, and its metrics must still find their files."""
    out: dict[str, dict[str, Any]] = {}
    for spec in specs:
        body: dict[str, Any] = {"type": spec.type}
        for key in (*COMMON_KEYS[1:], *TYPE_KEYS.get(spec.type, ())):
            value = getattr(spec, key)
            if value is None or value == getattr(_DEFAULTS, key):
                continue
            if key == "output":
                value = f"nodes.{value}"
            elif key == "command":
                value = list(value)
            elif (
                key in ("reference", "workflow")
                and base_dir is not None
                and not (key == "reference" and str(value).endswith(INPUT_SUFFIX))
            ):
                value = str(base_dir / Path(value).expanduser())  # an absolute one stays as is
            body[key] = value
        out[spec.name] = body
    return out


_DEFAULTS = MetricSpec(name="_", type="_")


def metrics_from_yaml(text: str, *, source: str) -> list[MetricSpec]:
    """The ``metrics:`` section of a whole config file's YAML text ([] without one)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise ConfigError(f"{where}: YAML syntax error: {getattr(err, 'problem', err)}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the config must be a mapping of keys")
    return parse_metrics(data.get("metrics"), source=source)
