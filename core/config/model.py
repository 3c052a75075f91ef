"""The sweep config's data model: dataclasses, constants and the one way a
config error names its key and line. Parsing lives in config.py, validation
against a workflow in config_validate.py."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError
from ..metrics.spec import MetricSpec
from .objective import ObjectiveSpec

ParamType = Literal["continuous", "linear", "values", "random_seed", "template"]
Strategy = Literal["sobol", "lhs", "grid", "random", "linear", "adaptive", "explore"]

# `replace` is parsed into type values with ``replace`` targets (core/config/text.py).
PARAM_TYPES: tuple[str, ...] = (
    "continuous",
    "linear",
    "values",
    "random_seed",
    "replace",
    "template",
)
# explore: a whole exploration (comfy-sweep explore, docs/explore.md), run by cr-batch.
STRATEGIES: tuple[str, ...] = ("sobol", "lhs", "grid", "random", "linear", "adaptive", "explore")
TOP_KEYS = (
    "workflow_file", "sampling_strategy", "num_samples", "seeds_per_sample", "sweep_seed",
    "parameters", "output", "resume", "comfyui", "inputs", "shots", "metrics", "objective", "ray",
)  # fmt: skip
PARAM_KEYS: tuple[str, ...] = ("path", "paths", "type", "min", "max", "step", "values", "log")
PARAM_KEYS += ("values_file", "search", "replace", "template", "slots")
# comfyui.priority: "background" queues our prompts behind anything a user queues.
PRIORITIES: tuple[str, ...] = ("normal", "background")
# comfyui.api: "comfyui" is ComfyUI's own /prompt API; "v2" the Comfy API v2
# (/api/v2/jobs: Comfy Cloud, or comfy-api-proxy in front of a ComfyUI).
APIS: tuple[str, ...] = ("comfyui", "v2")
# Guards against plans that would exhaust memory (a typo such as step 1e-9).
MAX_AXIS = 10_000
MAX_RUNS = 1_000_000
# Seeds stay below 2**53 so they survive JSON and JavaScript unchanged.
SEED_LIMIT = 2**53 - 1

KeyPath = tuple[str, ...]
SET_COLUMN = "set"  # the input set's name: a plan value, a metadata.csv column, `{set}`


@dataclass
class ParameterSpec:
    name: str
    paths: list[str]  # `path` and/or `paths` (linked inputs)
    type: ParamType
    min: float | None = None
    max: float | None = None
    step: float | None = None
    values: list[Any] | None = None
    log: bool = False
    integer: bool = False  # filled by validate_config from object_info / current value
    input_min: float | None = None  # tightest object_info bounds over the paths (validate)
    input_max: float | None = None
    # Text variations (core/config/text.py): a `replace` parameter is type values whose
    # values are the replacements (one list per value when several targets are linked).
    replace: list[ReplaceTarget] | None = None
    template: str | None = None  # type template: its text (None: the workflow's text at path)
    slot_of: str | None = None  # a pathless axis read by this template parameter
    generated: bool = False  # made from a template's `slots:` list or wildcard (not dumped)
    values_file: str | None = None  # where `values` came from (kept for the config snapshot)
    jinja: str | None = field(default=None, repr=False, compare=False)  # set by validation


@dataclass(frozen=True)
class ReplaceTarget:
    """One search/replace target of a `replace` parameter."""

    path: str
    search: str


@dataclass
class InputsSpec:
    """The `inputs:` section (or the original suite's `shots:`): one sweep per set folder."""

    directory: str | None  # one folder per set; None when the sets are given inline
    files: dict[str, str] = field(default_factory=dict)  # file name in a set -> input path
    sets: dict[str, dict[str, Any]] = field(default_factory=dict)  # inline: set -> path -> value
    values: dict[str, Any] = field(default_factory=dict)  # input path -> value, every set
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # set -> path -> value
    negative_prompt: str | None = None  # the original suite's default negative prompt
    from_shots: bool = False  # read from `shots:` (the original suite's name)
    strict: bool = field(default=False, compare=False)  # cr-batch --strict: refuse incomplete sets
    negative_path: str | None = field(default=None, compare=False)  # found by validation


@dataclass
class OutputSpec:
    base_dir: str = "output"
    run_name_pattern: str = "{run_id:04d}"
    save_params_json: bool = True
    save_metadata_csv: bool = True


@dataclass
class ResumeSpec:
    enabled: bool = True
    skip_existing: bool = True


@dataclass
class ServerSpec:
    """One server of a fleet (``comfyui.servers``)."""

    address: str
    auth_token_env: str | None = None  # default: comfyui.auth_token_env
    window: int | None = None  # default: comfyui.queue_window
    api: str | None = None  # "comfyui" | "v2"; default: comfyui.api


@dataclass
class RaySpec:
    """The ``ray:`` section (core/config/ray.py): the sweep on a Ray cluster."""

    address: str = "auto"
    workers: int | None = None  # None: one per GPU (per CPU slot with cpu) in the cluster
    cpu: bool = False
    window: int = 2
    shared_dir: str | None = None
    inline_mb: float = 64.0
    comfyui_dir: str | None = None
    comfyui_python: str | None = None
    comfyui_args: list[str] = field(default_factory=list)
    comfyui_models_dir: str | None = None


@dataclass
class ComfySpec:
    server_address: str = "127.0.0.1:8188"
    # Several servers for one sweep (each pulls runs as its window frees up);
    # empty: the one server_address.
    servers: list[ServerSpec] = field(default_factory=list)
    poll_interval: float = 0.5
    queue_window: int = 3
    auth_token_env: str | None = None
    timeout: float = 30.0
    fail_fast: bool = False
    # Seconds a running sweep keeps retrying a ComfyUI that went away: a restart
    # takes 5-10 s and should be waited out; past this the batch stops, resumable.
    reconnect_window: float = 60.0
    # None = the caller's default: "normal" for cr-batch, "background" for
    # sweeps created through the panel/routes (the artist works in the same UI).
    priority: str | None = None
    api: str = "comfyui"


@dataclass
class SweepConfig:
    workflow_file: str | None
    sampling_strategy: Strategy = "sobol"
    num_samples: int = 16
    seeds_per_sample: int = 1
    sweep_seed: int | None = None  # None -> drawn once by build_plan and kept here
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    output: OutputSpec = field(default_factory=OutputSpec)
    resume: ResumeSpec = field(default_factory=ResumeSpec)
    comfyui: ComfySpec = field(default_factory=ComfySpec)
    inputs: InputsSpec | None = None
    metrics: list[MetricSpec] = field(default_factory=list)  # scores for every run
    objective: ObjectiveSpec | None = None  # what sampling_strategy adaptive optimises
    ray: RaySpec | None = None
    source: str = "<config>"  # file name for messages
    base_dir: Path | None = None  # folder of the config file
    sweep_seed_drawn: bool = field(default=False, compare=False)  # set by build_plan
    warnings: list[str] = field(default_factory=list, compare=False)
    lines: dict[KeyPath, int] = field(default_factory=dict, repr=False, compare=False)


# ---- errors with key and line -------------------------------------------------


def config_error(
    cfg_source: str, lines: Mapping[KeyPath, int], key: KeyPath, msg: str
) -> ConfigError:
    """A ConfigError naming the key and, when known, the YAML line of the nearest key."""
    name = ".".join(key)
    line = None
    for n in range(len(key), 0, -1):  # fall back to the enclosing key's line
        line = lines.get(key[:n])
        if line is not None:
            break
    where = f"{cfg_source}:{line}" if line is not None else cfg_source
    details = {"line": line} if line is not None else None
    return ConfigError(f"{where}: {name}: {msg}", field=name, details=details)


def _close(word: str, known: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _show(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})" if value is not None else "nothing (null)"
