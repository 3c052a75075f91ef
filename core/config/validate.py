"""Validation of a parsed config against a workflow (and, when known, the
server's object_info). Every problem is a ConfigError naming the key."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError, WorkflowError
from ..objectinfo import InputSpec, ObjectInfo
from ..plan.sampling import axis_values
from ..store.format import reserved_column
from ..workflow import InputRef, Workflow
from .inputs_check import check_inputs
from .model import MAX_RUNS, SET_COLUMN, KeyPath, ParameterSpec, SweepConfig, config_error
from .objective import check_objective
from .text_check import check_replacements, prepare_text_params

# ---- validation against a workflow (and object_info) -------------------------------

_NON_NUMERIC = ("COMBO", "STRING", "BOOLEAN")


def validate_config(
    cfg: SweepConfig, workflow: Workflow, object_info: ObjectInfo | None = None
) -> list[str]:
    """Check the config against the workflow; ConfigError naming the key, else warnings.

    Fills ``integer``/``input_min``/``input_max`` of every parameter (idempotent)."""
    warnings = list(cfg.warnings)
    _check_names(cfg)
    # First: a shots.yaml naming no files cannot run whatever its parameters say.
    set_paths = check_inputs(cfg, workflow)
    prepare_text_params(cfg, workflow)
    for spec in cfg.parameters.values():
        if spec.values_file is not None and spec.values is None:
            raise _fail(
                cfg, ("parameters", spec.name, "values_file"), "is read only from a config file"
            )
        if spec.slot_of is not None and not spec.paths:
            continue  # feeds a template only
        refs = _resolve_paths(cfg, workflow, spec, warnings)
        _check_input_kinds(cfg, workflow, object_info, spec, refs)
        _check_strings_on_numbers(cfg, workflow, spec, refs)
        if object_info is not None:
            _check_against_object_info(cfg, workflow, object_info, spec, refs)
    check_replacements(cfg, workflow, set_paths)
    _check_strategy_fit(cfg)
    check_objective(cfg, lambda key, msg: _fail(cfg, key, msg))
    _check_something_varies(cfg)
    _check_seeds(cfg, workflow)
    _check_pattern(cfg)
    return warnings


def _fail(cfg: SweepConfig, key: KeyPath, msg: str) -> ConfigError:
    return config_error(cfg.source, cfg.lines, key, msg)


def _check_names(cfg: SweepConfig) -> None:
    """metadata.csv has one column per parameter beside its own: parse_config refuses
    those names as written, this also covers a template's ``slots:`` axes."""
    for name in cfg.parameters:
        if reserved_column(name):
            raise _fail(
                cfg, ("parameters", name),
                f"{name!r} is a reserved name (a metadata.csv column); rename the parameter",
            )  # fmt: skip


def _resolve_paths(
    cfg: SweepConfig, workflow: Workflow, spec: ParameterSpec, warnings: list[str]
) -> list[InputRef]:
    key = ("parameters", spec.name)
    if not spec.paths:
        # Partial entries (the original README's phase snippets) name no path: accept a
        # parameter named like exactly one literal input of the workflow.
        found = [ref for ref, _ in workflow.literal_inputs() if ref.input_name == spec.name]
        if len(found) != 1:
            listed = ", ".join(r.path for r in found) or "none"
            raise _fail(
                cfg,
                (*key, "path"),
                f"missing; give path: nodes.<id>.inputs.<input> (inputs named {spec.name!r}: {listed})",
            )
        spec.paths = [found[0].path]
        warnings.append(
            f"{cfg.source}: parameters.{spec.name}: no path given; using {found[0].path}"
        )
    refs = []
    for i, path in enumerate(spec.paths):
        sub = (*key, "path") if len(spec.paths) == 1 else (*key, "paths", str(i))
        try:
            refs.append(workflow.resolve(path, field=".".join(sub)))
        except WorkflowError as err:
            raise _fail(cfg, sub, err.message) from None
    return refs


def _input_kind(
    workflow: Workflow, info: ObjectInfo | None, ref: InputRef
) -> tuple[str, InputSpec | None]:
    spec = info.input_spec(workflow.class_type(ref.node_id), ref.input_name) if info else None
    if spec is not None and spec.kind != "UNKNOWN":
        return spec.kind, spec
    value = workflow.get(ref)
    kinds = ((bool, "BOOLEAN"), (int, "INT"), (float, "FLOAT"), (str, "STRING"))
    return next((k for t, k in kinds if isinstance(value, t)), "UNKNOWN"), None


def _check_input_kinds(
    cfg: SweepConfig,
    workflow: Workflow,
    info: ObjectInfo | None,
    spec: ParameterSpec,
    refs: list[InputRef],
) -> None:
    kinds = [_input_kind(workflow, info, ref) for ref in refs]
    for ref, (kind, _) in zip(refs, kinds, strict=True):
        numeric_type = spec.type in ("continuous", "linear", "random_seed")
        if numeric_type and kind in _NON_NUMERIC:
            hint = " (use type: values)" if spec.type != "random_seed" else ""
            raise _fail(
                cfg,
                ("parameters", spec.name, "type"),
                f"type {spec.type} needs a numeric input, but {ref.path} is {kind}{hint}",
            )
        if spec.type == "random_seed" and kind == "FLOAT":
            # Seeds are integers: on a 0..1 strength they would only ever be 0 or 1.
            raise _fail(
                cfg,
                ("parameters", spec.name, "type"),
                f"type random_seed needs an integer input, but {ref.path} is FLOAT "
                "(use type: continuous)",
            )
    spec.integer = any(kind == "INT" for kind, _ in kinds)
    mins = [s.min for _, s in kinds if s is not None and s.min is not None]
    maxs = [s.max for _, s in kinds if s is not None and s.max is not None]
    spec.input_min = max(mins) if mins else None
    spec.input_max = min(maxs) if maxs else None


def _check_strings_on_numbers(
    cfg: SweepConfig, workflow: Workflow, spec: ParameterSpec, refs: list[InputRef]
) -> None:
    """A text among the values of an input the workflow holds a number in (the
    original suite's ``values: [EDIT_ME]`` placeholders): caught without a server."""
    if spec.type != "values":
        return
    numeric = [r for r in refs if _is_number(workflow.get(r))]
    for i, value in enumerate(spec.values or []):
        if numeric and isinstance(value, str):
            ref = numeric[0]
            raise _fail(
                cfg,
                ("parameters", spec.name, "values", str(i)),
                f"{value!r} is text, but {ref.path} holds a number ({workflow.get(ref)!r}); "
                "give numbers",
            )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _candidates(spec: ParameterSpec) -> list[tuple[Any, KeyPath]]:
    """The values a parameter can take that object_info can judge, with the key to blame."""

    key = ("parameters", spec.name)
    if spec.type == "values":
        return [(v, (*key, "values", str(i))) for i, v in enumerate(spec.values or [])]
    if spec.type == "linear":
        vals = axis_values(spec)
        return [
            (v, (*key, "max" if i == len(vals) - 1 and i else "min" if not i else "step"))
            for i, v in enumerate(vals)
        ]
    ends = [(spec.min, (*key, "min")), (spec.max, (*key, "max"))]
    out: list[tuple[Any, KeyPath]] = [(v, k) for v, k in ends if v is not None]
    if spec.integer:  # integer inputs are rounded before use
        out = [(int(round(v)), k) for v, k in out]
    return out


def _check_against_object_info(
    cfg: SweepConfig,
    workflow: Workflow,
    info: ObjectInfo,
    spec: ParameterSpec,
    refs: list[InputRef],
) -> None:
    if spec.type == "random_seed" and spec.min is None and spec.max is None:
        return
    for value, key in _candidates(spec):
        for ref in refs:
            reason = info.check_value(workflow.class_type(ref.node_id), ref.input_name, value)
            if reason:
                raise _fail(cfg, key, f"{reason} for {ref.path}")


def _check_strategy_fit(cfg: SweepConfig) -> None:
    """Grids need discrete axes; no plan may exceed MAX_RUNS runs."""

    grid = cfg.sampling_strategy in ("grid", "linear")
    size = cfg.seeds_per_sample * (1 if grid else cfg.num_samples)
    for spec in cfg.parameters.values():
        if grid and spec.type == "continuous" and spec.step is None:
            raise _fail(
                cfg,
                ("parameters", spec.name, "step"),
                f"sampling_strategy {cfg.sampling_strategy} needs discrete values: give a step, "
                "or use type values/linear, or a sampling strategy (sobol, lhs, random)",
            )
        if grid and spec.type not in ("random_seed", "template"):
            size *= len(axis_values(spec))
    if size > MAX_RUNS:
        key = ("parameters",) if grid else ("num_samples",)
        raise _fail(cfg, key, f"the plan would have {size} runs (at most {MAX_RUNS})")


def _check_something_varies(cfg: SweepConfig) -> None:
    """No parameters: every run would queue the very same prompt (a generated
    template with everything left commented out, or a mistyped ``parameters``)."""
    grid = cfg.sampling_strategy in ("grid", "linear")
    runs = cfg.seeds_per_sample * (1 if grid else cfg.num_samples)
    if cfg.parameters or runs <= 1:
        return
    raise _fail(
        cfg,
        ("parameters",),
        f"none given, so all {runs} runs would be the same prompt; uncomment or add at "
        "least one parameter (or set num_samples: 1 to run the workflow once)",
    )


def _check_seeds(cfg: SweepConfig, workflow: Workflow) -> None:
    if cfg.seeds_per_sample <= 1 or any(s.type == "random_seed" for s in cfg.parameters.values()):
        return
    seeds = [
        ref.path for ref, _ in workflow.literal_inputs() if ref.input_name in ("seed", "noise_seed")
    ]
    example = seeds[0] if seeds else "nodes.<id>.inputs.seed"
    raise _fail(
        cfg,
        ("seeds_per_sample",),
        f"is {cfg.seeds_per_sample} but no parameter has type random_seed, so the repetitions "
        f"would be identical; add one, e.g. `seed: {{path: {example}, type: random_seed}}`",
    )


def _dummy(spec: ParameterSpec) -> Any:
    if spec.type == "values" and spec.values:
        return spec.values[0]
    if spec.type == "template":
        return "text"
    if spec.type == "random_seed" or spec.integer:
        return 1
    return float(spec.min if spec.min is not None else 0.5)


def _check_pattern(cfg: SweepConfig) -> None:
    """Format run_name_pattern with stand-in values so a typo fails before any run."""
    pattern = cfg.output.run_name_pattern
    dummies = {name: _dummy(spec) for name, spec in cfg.parameters.items()}
    if cfg.inputs is not None:
        dummies[SET_COLUMN] = "set"
    key = ("output", "run_name_pattern")
    try:
        pattern.format(run_id=1, **dummies)
    except KeyError as err:
        known = ", ".join(["run_id", *dummies])
        raise _fail(
            cfg, key, f"unknown name {err.args[0]!r} in {pattern!r}; known names: {known}"
        ) from None
    except (ValueError, IndexError, AttributeError, TypeError) as err:
        raise _fail(cfg, key, f"cannot format {pattern!r}: {err}") from None
