"""The sweep config: parsing (original format plus additions) and validation.

The original suite's YAML loads unchanged (see docs/config.md for the full
reference). Every problem raises ConfigError whose ``field`` names the key
(``parameters.cfg.min``) and, when the config came from YAML text, whose
message starts with ``<file>:<line>:`` (the line is also in
``details["line"]``). Unknown keys only warn, naming the closest known key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..errors import ConfigError
from ..metrics.spec import metrics_to_raw, parse_metrics
from ..store.format import reserved_column
from ..textfile import read_user_file
from .inputs import inputs_to_dict, parse_inputs
from .model import (
    APIS,
    MAX_AXIS,
    MAX_RUNS,
    PARAM_KEYS,
    PARAM_TYPES,
    PRIORITIES,
    STRATEGIES,
    TOP_KEYS,
    ComfySpec,
    KeyPath,
    OutputSpec,
    ParameterSpec,
    ParamType,
    ResumeSpec,
    ServerSpec,
    Strategy,
    SweepConfig,
    _close,
    _show,
    config_error,
)
from .objective import parse_objective
from .ray import parse_ray, ray_to_dict
from .text import parse_replace, parse_template, read_values_file

if TYPE_CHECKING:
    import yaml  # imported where used: --help never parses YAML


class _Reader:
    """Parsing context: source name, key lines, collected warnings."""

    def __init__(self, source: str, lines: dict[KeyPath, int]) -> None:
        self.source = source
        self.lines = lines
        self.warnings: list[str] = []

    def fail(self, key: KeyPath, msg: str) -> ConfigError:
        return config_error(self.source, self.lines, key, msg)

    def warn_unknown(self, data: Mapping[str, Any], known: tuple[str, ...], where: KeyPath) -> None:
        for key in data:
            if str(key) not in known:
                full = ".".join((*where, str(key)))
                line = self.lines.get((*where, str(key)))
                at = f"{self.source}:{line}" if line else self.source
                self.warnings.append(f"{at}: unknown key {full!r} ignored{_close(str(key), known)}")

    def mapping(self, value: Any, key: KeyPath) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(key, f"expected a mapping of keys, got {_show(value)}")
        return {str(k): v for k, v in value.items()}

    def integer(self, value: Any, key: KeyPath, minimum: int | None = None) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {_show(value)}")
        if minimum is not None and value < minimum:
            raise self.fail(key, f"must be at least {minimum}, got {value}")
        return value

    def number(self, value: Any, key: KeyPath) -> float:
        # YAML 1.1 reads `1e-5` (no dot) as a string, so numeric strings are accepted.
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value) if not value.strip().lstrip("-").isdigit() else int(value)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise self.fail(key, f"expected a number, got {_show(value)}")
        return value

    def boolean(self, value: Any, key: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {_show(value)}")
        return value

    def text(self, value: Any, key: KeyPath) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"expected a non-empty string, got {_show(value)}")
        return value


# ---- YAML text -> data + key lines --------------------------------------------


def _key_lines(
    node: yaml.Node, prefix: KeyPath, out: dict[KeyPath, int], dups: list[tuple[KeyPath, int]]
) -> None:
    """Map every mapping key path to its 1-based line (yaml.compose keeps marks);
    a key repeated in one mapping goes to ``dups`` (PyYAML silently keeps the last)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            name = str(key_node.value)
            key = (*prefix, name)
            if name in seen:
                dups.append((key, key_node.start_mark.line + 1))
            seen.add(name)
            out.setdefault(key, key_node.start_mark.line + 1)
            _key_lines(value_node, key, out, dups)


def _load_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, int], list[tuple[KeyPath, int]]]:
    import yaml  # here, not at the top: the CLI's --help never needs it

    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if "'\\t'" in problem:
            problem += " (YAML indents with spaces, never tabs)"
        where = f"{source}:{line}" if line else source
        raise ConfigError(
            f"{where}: YAML syntax error: {problem}", details={"line": line} if line else None
        ) from None
    lines: dict[KeyPath, int] = {}
    dups: list[tuple[KeyPath, int]] = []
    if root is not None:
        _key_lines(root, (), lines, dups)
    return data, lines, dups


# ---- parsing --------------------------------------------------------------------


def parse_config(data: Mapping[str, Any] | str, source: str = "<config>") -> SweepConfig:
    """Parse YAML text or already-loaded data; ConfigError names key (and line)."""
    lines: dict[KeyPath, int] = {}
    dups: list[tuple[KeyPath, int]] = []
    if isinstance(data, str):
        data, lines, dups = _load_yaml(data, source)
    rd = _Reader(source, lines)
    for key, line in dups:
        first = lines[key]
        rd.warnings.append(
            f"{source}:{line}: {'.'.join(key)}: repeated (first on line {first}); "
            "only this last one is used"
        )
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the config must be a mapping of keys, got {_show(data)}")
    top = {str(k): v for k, v in data.items()}
    rd.warn_unknown(top, TOP_KEYS, ())
    cfg = SweepConfig(workflow_file=_workflow_file(rd, top.get("workflow_file")), source=source)
    _parse_sampling(rd, top, cfg)
    params = rd.mapping(top.get("parameters"), ("parameters",))
    cfg.parameters = _parse_params(rd, params)
    cfg.inputs = parse_inputs(rd, top)
    cfg.metrics = parse_metrics(top.get("metrics"), source=source)
    cfg.objective = parse_objective(top.get("objective"), rd.fail)
    cfg.ray = parse_ray(rd, top.get("ray"))
    cfg.output = _parse_output(rd, rd.mapping(top.get("output"), ("output",)))
    cfg.resume = _parse_resume(rd, rd.mapping(top.get("resume"), ("resume",)))
    cfg.comfyui = _parse_comfy(rd, rd.mapping(top.get("comfyui"), ("comfyui",)))
    cfg.warnings, cfg.lines = rd.warnings, lines
    return cfg


def _workflow_file(rd: _Reader, value: Any) -> str | None:
    return None if value is None else rd.text(value, ("workflow_file",))


def _parse_sampling(rd: _Reader, top: dict[str, Any], cfg: SweepConfig) -> None:
    strategy = top.get("sampling_strategy", "sobol")
    if not isinstance(strategy, str) or strategy.lower() not in STRATEGIES:
        hint = _close(str(strategy), STRATEGIES)
        raise rd.fail(
            ("sampling_strategy",),
            f"unknown strategy {strategy!r}{hint}; allowed: {', '.join(STRATEGIES)}",
        )
    cfg.sampling_strategy = cast(Strategy, strategy.lower())
    cfg.num_samples = rd.integer(top.get("num_samples", 16), ("num_samples",))
    if cfg.num_samples < 1 and cfg.sampling_strategy in (
        "sobol",
        "lhs",
        "random",
        "adaptive",
        "explore",
    ):
        raise rd.fail(("num_samples",), f"{cfg.num_samples} plans zero runs; use at least 1")
    if cfg.num_samples > MAX_RUNS:
        raise rd.fail(("num_samples",), f"{cfg.num_samples} is more than {MAX_RUNS}")
    cfg.seeds_per_sample = rd.integer(top.get("seeds_per_sample", 1), ("seeds_per_sample",), 1)
    if cfg.seeds_per_sample > MAX_RUNS:
        raise rd.fail(("seeds_per_sample",), f"{cfg.seeds_per_sample} is more than {MAX_RUNS}")
    if top.get("sweep_seed") is not None:
        cfg.sweep_seed = rd.integer(top["sweep_seed"], ("sweep_seed",), 0)


def _param_paths(rd: _Reader, name: str, entry: dict[str, Any]) -> list[str]:
    paths: list[str] = []
    if entry.get("path") is not None:
        paths.append(rd.text(entry["path"], ("parameters", name, "path")))
    more = entry.get("paths")
    if more is not None:
        if not isinstance(more, list) or not more:
            raise rd.fail(
                ("parameters", name, "paths"), f"expected a list of paths, got {_show(more)}"
            )
        for i, p in enumerate(more):
            paths.append(rd.text(p, ("parameters", name, "paths", str(i))))
    if not paths:
        paths = _path_from_name(name)
    return list(dict.fromkeys(paths))  # keep order, drop repeats


def _path_from_name(name: str) -> list[str]:
    """The original analyzer named parameters after their path (``param_nodes.57.inputs.cfg``)."""
    bare = name[len("param_") :] if name.startswith("param_nodes.") else name
    return [bare] if bare.startswith("nodes.") and ".inputs." in bare else []


def _parse_params(rd: _Reader, params: dict[str, Any]) -> dict[str, ParameterSpec]:
    """Every entry, with a template's inline ``slots:`` lists added as axes before it."""
    out: dict[str, ParameterSpec] = {}
    for name, entry in params.items():
        spec, slots = _parse_param(rd, name, entry)
        for slot, values in slots.items():
            if slot in params or slot in out:
                raise rd.fail(
                    ("parameters", name, "slots", slot),
                    f"slot {slot!r} is also a parameter; rename one of them",
                )
            out[slot] = _slot_axis(rd, name, slot, values)
        out[name] = spec
    return out


def _slot_axis(rd: _Reader, template: str, slot: str, values: list[Any]) -> ParameterSpec:
    for i, v in enumerate(values):
        if isinstance(v, (list, dict)) or v is None:
            raise rd.fail(
                ("parameters", template, "slots", slot, str(i)),
                f"expected a literal (number, text, true/false), got {_show(v)}",
            )
    return ParameterSpec(
        name=slot, paths=[], type="values", values=values, slot_of=template, generated=True
    )


def _infer_type(rd: _Reader, name: str, entry: dict[str, Any]) -> str:
    """No `type`: values -> values; min/max with step -> linear; min/max -> continuous."""
    kind = entry.get("type")
    if kind is None:
        if entry.get("search") is not None or entry.get("replace") is not None:
            return "replace"
        if entry.get("values") is not None or entry.get("values_file") is not None:
            return "values"
        if entry.get("template") is not None:
            return "template"
        if entry.get("min") is not None and entry.get("max") is not None:
            return "linear" if entry.get("step") is not None else "continuous"
        raise rd.fail(
            ("parameters", name, "type"),
            "missing; give type (continuous, linear, values, random_seed, replace, template) "
            "or min/max or values",
        )
    if kind not in PARAM_TYPES:
        raise rd.fail(
            ("parameters", name, "type"),
            f"unknown type {kind!r}{_close(str(kind), PARAM_TYPES)}; allowed: {', '.join(PARAM_TYPES)}",
        )
    return str(kind)


def _parse_param(rd: _Reader, name: str, raw: Any) -> tuple[ParameterSpec, dict[str, Any]]:
    """One parameter entry, and a template's inline slot lists."""
    if reserved_column(str(name)):
        raise rd.fail(
            ("parameters", name),
            f"{name!r} is a column of metadata.csv (run_id, status, prompt_id, *_at, "
            "execution_s, outputs, cached_nodes, error, score_*, rating, picked, set, "
            "server); rename the parameter",
        )
    if isinstance(raw, list):  # shorthand: `cfg: [1.0, 1.5]`
        raw = {"values": raw}
    entry = rd.mapping(raw, ("parameters", name))
    rd.warn_unknown(entry, PARAM_KEYS, ("parameters", name))
    kind = _infer_type(rd, name, entry)
    spec = ParameterSpec(
        name=name,
        paths=_param_paths(rd, name, entry),
        type=cast(ParamType, "values" if kind == "replace" else kind),
    )
    key = ("parameters", name)
    if entry.get("values_file") is not None:
        spec.values_file = rd.text(entry["values_file"], (*key, "values_file"))
    if kind == "replace":
        spec.values = entry.get("values")
        if spec.values is not None and (not isinstance(spec.values, list) or not spec.values):
            raise rd.fail((*key, "values"), f"expected a non-empty list, got {_show(spec.values)}")
        parse_replace(rd, spec, entry)
        _check_param_shape(rd, spec)
        return spec, {}
    if kind == "template":
        return spec, parse_template(rd, spec, entry)
    _parse_numbers(rd, spec, entry)
    _check_param_shape(rd, spec)
    return spec, {}


def _parse_numbers(rd: _Reader, spec: ParameterSpec, entry: dict[str, Any]) -> None:
    key = ("parameters", spec.name)
    for attr in ("min", "max", "step"):
        if entry.get(attr) is not None:
            setattr(spec, attr, rd.number(entry[attr], (*key, attr)))
    if entry.get("log") is not None:
        spec.log = rd.boolean(entry["log"], (*key, "log"))
    if entry.get("values") is not None:
        values = entry["values"]
        if not isinstance(values, list) or not values:
            raise rd.fail((*key, "values"), f"expected a non-empty list, got {_show(values)}")
        for i, v in enumerate(values):
            # A list would be read by ComfyUI as a link [node, slot]; only literals can be swept.
            if isinstance(v, (list, dict)) or v is None:
                raise rd.fail(
                    (*key, "values", str(i)),
                    f"expected a literal (number, text, true/false), got {_show(v)}",
                )
        spec.values = list(values)


def _check_param_shape(rd: _Reader, spec: ParameterSpec) -> None:
    """In this order: what the type needs, the range and step, then log scale."""
    key = ("parameters", spec.name)
    _check_needs(rd, key, spec)
    _check_range(rd, key, spec)
    if spec.type == "linear" and spec.step is None:
        raise rd.fail((*key, "step"), "type linear needs a step (or use type continuous)")
    if spec.log and spec.type != "continuous":
        raise rd.fail((*key, "log"), "log: true applies to type continuous only")
    if spec.log and (spec.min is None or spec.min <= 0):
        raise rd.fail((*key, "min"), f"log scale needs min > 0, got {spec.min}")


def _check_needs(rd: _Reader, key: KeyPath, spec: ParameterSpec) -> None:
    if spec.type == "values" and spec.values is None and spec.values_file is None:
        raise rd.fail((*key, "values"), "type values needs a list of values (or values_file)")
    if spec.type in ("continuous", "linear"):
        for attr in ("min", "max"):
            if getattr(spec, attr) is None:
                raise rd.fail((*key, attr), f"type {spec.type} needs {attr}")


def _check_range(rd: _Reader, key: KeyPath, spec: ParameterSpec) -> None:
    if spec.min is not None and spec.max is not None and spec.min > spec.max:
        raise rd.fail((*key, "min"), f"min {spec.min} is greater than max {spec.max}")
    if spec.step is not None and spec.step <= 0:
        raise rd.fail((*key, "step"), f"step must be positive, got {spec.step}")
    if spec.step is not None and spec.min is not None and spec.max is not None:
        count = (spec.max - spec.min) / spec.step + 1
        if count > MAX_AXIS:
            raise rd.fail(
                (*key, "step"), f"step {spec.step} gives {count:.0f} values (at most {MAX_AXIS})"
            )


def _parse_output(rd: _Reader, data: dict[str, Any]) -> OutputSpec:
    rd.warn_unknown(
        data, ("base_dir", "run_name_pattern", "save_params_json", "save_metadata_csv"), ("output",)
    )
    out = OutputSpec()
    if data.get("base_dir") is not None:
        out.base_dir = rd.text(data["base_dir"], ("output", "base_dir"))
    if data.get("run_name_pattern") is not None:
        out.run_name_pattern = rd.text(data["run_name_pattern"], ("output", "run_name_pattern"))
    for attr in ("save_params_json", "save_metadata_csv"):
        if data.get(attr) is not None:
            setattr(out, attr, rd.boolean(data[attr], ("output", attr)))
    return out


def _parse_resume(rd: _Reader, data: dict[str, Any]) -> ResumeSpec:
    rd.warn_unknown(data, ("enabled", "skip_existing"), ("resume",))
    res = ResumeSpec()
    for attr in ("enabled", "skip_existing"):
        if data.get(attr) is not None:
            setattr(res, attr, rd.boolean(data[attr], ("resume", attr)))
    return res


def _parse_comfy(rd: _Reader, data: dict[str, Any]) -> ComfySpec:
    known = (
        "server_address",
        "servers",
        "poll_interval",
        "queue_window",
        "auth_token_env",
        "timeout",
        "fail_fast",
        "reconnect_window",
        "priority",
        "api",
    )
    rd.warn_unknown(data, known, ("comfyui",))
    c = ComfySpec()
    if data.get("server_address") is not None:
        c.server_address = rd.text(data["server_address"], ("comfyui", "server_address"))
    for attr in ("poll_interval", "timeout", "reconnect_window"):
        if data.get(attr) is not None:
            value = rd.number(data[attr], ("comfyui", attr))
            if value <= 0:
                raise rd.fail(("comfyui", attr), f"must be positive, got {value}")
            setattr(c, attr, float(value))
    if data.get("queue_window") is not None:
        c.queue_window = rd.integer(data["queue_window"], ("comfyui", "queue_window"), 1)
    if data.get("auth_token_env") is not None:
        c.auth_token_env = rd.text(data["auth_token_env"], ("comfyui", "auth_token_env"))
    if data.get("fail_fast") is not None:
        c.fail_fast = rd.boolean(data["fail_fast"], ("comfyui", "fail_fast"))
    _parse_comfy_kinds(rd, data, c)
    return c


def _parse_comfy_kinds(rd: _Reader, data: dict[str, Any], c: ComfySpec) -> None:
    """Which servers and how: queue priority, API kind, the fleet."""
    if data.get("priority") is not None:
        c.priority = _choice(rd, data["priority"], ("comfyui", "priority"), PRIORITIES)
    if data.get("api") is not None:
        c.api = _choice(rd, data["api"], ("comfyui", "api"), APIS)
    if data.get("servers") is not None:
        c.servers = _parse_servers(rd, data["servers"])


def _parse_servers(rd: _Reader, raw: Any) -> list[ServerSpec]:
    """``comfyui.servers``: addresses, or mappings {address, auth_token_env, window}."""
    key: KeyPath = ("comfyui", "servers")
    if not isinstance(raw, list) or not raw:
        raise rd.fail(key, f"expected a list of server addresses, got {_show(raw)}")
    servers = [_parse_server(rd, entry, (*key, str(i))) for i, entry in enumerate(raw)]
    seen: set[str] = set()
    for i, server in enumerate(servers):
        if server.address in seen:
            raise rd.fail((*key, str(i)), f"{server.address} is listed twice")
        seen.add(server.address)
    return servers


def _parse_server(rd: _Reader, entry: Any, key: KeyPath) -> ServerSpec:
    if not isinstance(entry, Mapping):
        return ServerSpec(rd.text(entry, key))
    data = {str(k): v for k, v in entry.items()}
    rd.warn_unknown(data, ("address", "auth_token_env", "window", "api"), key)
    if data.get("address") is None:
        raise rd.fail((*key, "address"), "missing; give the server's address (host:port)")
    server = ServerSpec(rd.text(data["address"], (*key, "address")))
    if data.get("auth_token_env") is not None:
        server.auth_token_env = rd.text(data["auth_token_env"], (*key, "auth_token_env"))
    if data.get("window") is not None:
        server.window = rd.integer(data["window"], (*key, "window"), 1)
    if data.get("api") is not None:
        server.api = _choice(rd, data["api"], (*key, "api"), APIS)
    return server


def _choice(rd: _Reader, value: Any, key: KeyPath, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise rd.fail(
            key,
            f"unknown value {value!r}{_close(str(value), allowed)}; allowed: {', '.join(allowed)}",
        )
    return value.lower()


def load_config(path: str | Path) -> SweepConfig:
    """Read a YAML config file; `workflow_file` is then relative to its folder."""
    p = Path(path)
    cfg = parse_config(read_user_file(p, "config", ConfigError), source=str(p))
    cfg.base_dir = p.resolve().parent
    for spec in cfg.parameters.values():
        if spec.values_file is not None:
            read_values_file(cfg, spec)
    return cfg


def resolve_workflow_path(cfg: SweepConfig) -> Path:
    """The workflow file, relative to the config file's folder (else the working directory)."""
    if cfg.workflow_file is None:
        raise config_error(
            cfg.source, cfg.lines, ("workflow_file",), "missing: name the API-format workflow JSON"
        )
    p = Path(cfg.workflow_file).expanduser()
    if not p.is_absolute() and cfg.base_dir is not None:
        p = cfg.base_dir / p
    return p


# ---- back to the original format -------------------------------------------------


def param_to_dict(spec: ParameterSpec, slots: Mapping[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if len(spec.paths) == 1:
        out["path"] = spec.paths[0]
    elif spec.paths:
        out["paths"] = list(spec.paths)
    out["type"] = spec.type
    if spec.replace is not None:
        out.update(replace_to_dict(spec))
    if spec.template is not None:
        out["template"] = spec.template
    if slots:
        out["slots"] = dict(slots)
    for attr in ("min", "max", "step", "values"):
        if getattr(spec, attr) is not None:
            out[attr] = getattr(spec, attr)
    if spec.log:
        out["log"] = True
    return out


def config_to_dict(cfg: SweepConfig) -> dict[str, Any]:
    """The original format (plus additions in use); round-trips through parse_config."""
    out: dict[str, Any] = {
        "workflow_file": cfg.workflow_file,
        "sampling_strategy": cfg.sampling_strategy,
        "num_samples": cfg.num_samples,
        "seeds_per_sample": cfg.seeds_per_sample,
    }
    if cfg.sweep_seed is not None:
        out["sweep_seed"] = cfg.sweep_seed
    out["parameters"] = params_to_dict(cfg)
    out["output"] = dict(vars(cfg.output))
    out["resume"] = dict(vars(cfg.resume))
    comfy = {k: v for k, v in vars(cfg.comfyui).items() if v is not None and k != "servers"}
    if cfg.comfyui.servers:
        comfy["servers"] = [_server_to_dict(s) for s in cfg.comfyui.servers]
    out["comfyui"] = comfy
    if cfg.inputs is not None:
        out["inputs"] = inputs_to_dict(cfg.inputs)
    if cfg.ray is not None:
        out["ray"] = ray_to_dict(cfg.ray)
    if cfg.comfyui.api == "comfyui":
        del out["comfyui"]["api"]  # the default, left out so existing dumps stay as they were
    if cfg.metrics:  # paths made absolute: a batch's config.yaml lives elsewhere
        out["metrics"] = metrics_to_raw(cfg.metrics, base_dir=cfg.base_dir)
    if cfg.objective is not None:
        out["objective"] = cfg.objective.to_dict()
    return out


def _server_to_dict(server: ServerSpec) -> str | dict[str, Any]:
    extra = {k: v for k, v in vars(server).items() if v is not None and k != "address"}
    return {"address": server.address, **extra} if extra else server.address


def params_to_dict(cfg: SweepConfig) -> dict[str, Any]:
    """Parameters as written: generated slot axes folded back into their template's ``slots:``."""
    out: dict[str, Any] = {}
    for name, spec in cfg.parameters.items():
        if spec.generated:
            continue
        slots = {
            s.name: s.values
            for s in cfg.parameters.values()
            if s.generated and s.slot_of == name and not _is_wildcard_axis(s)
        }
        out[name] = param_to_dict(spec, slots)
    return out


def _is_wildcard_axis(spec: ParameterSpec) -> bool:
    return spec.generated and spec.slot_of is not None and spec.name.startswith(f"{spec.slot_of}_w")


def replace_to_dict(spec: ParameterSpec) -> dict[str, Any]:
    assert spec.replace is not None
    targets = spec.replace
    if len({t.search for t in targets}) == 1 and not isinstance((spec.values or [""])[0], list):
        return {"type": "replace", "search": targets[0].search}
    return {"type": "replace", "replace": [{"path": t.path, "search": t.search} for t in targets]}


def dump_config_yaml(cfg: SweepConfig) -> str:
    import yaml

    return yaml.safe_dump(config_to_dict(cfg), sort_keys=False, allow_unicode=True)


def config_fingerprint(cfg: SweepConfig, workflow: Any) -> str:
    """sha256 of what defines the plan. A ``sweep_seed`` drawn by build_plan is left out
    (it belongs to the batch, not to the config the user wrote); an explicit one counts."""
    basis = {
        "sweep_seed": None if cfg.sweep_seed_drawn else cfg.sweep_seed,
        "strategy": cfg.sampling_strategy,
        "num_samples": cfg.num_samples,
        "seeds_per_sample": cfg.seeds_per_sample,
        "parameters": params_to_dict(cfg),
        "run_name_pattern": cfg.output.run_name_pattern,
        "workflow": workflow.to_json(),
    }
    if cfg.inputs is not None:  # absent otherwise: older batches keep their fingerprint
        basis["inputs"] = inputs_to_dict(cfg.inputs)
    if cfg.objective is not None and cfg.sampling_strategy == "adaptive":
        basis["objective"] = {"metric": cfg.objective.metric}  # the goal follows the metric
    text = json.dumps(basis, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = [
    "config_fingerprint",
    "config_to_dict",
    "dump_config_yaml",
    "load_config",
    "parse_config",
    "resolve_workflow_path",
]
