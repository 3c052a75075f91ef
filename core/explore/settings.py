"""``--metric NAME=TYPE[:ARG]`` and ``--objective METRIC`` turned into a
``metrics:`` section and the objective that decides winners.

    --metric sim=similarity:ref.png       {type: similarity, reference: ref.png}
    --metric db=similarity:ref.png,psnr   the same in PSNR (dB) instead of SSIM
    --metric sharp=sharpness              a built-in metric
    --metric judge=http:http://host/score {type: http, url: ...}
    --metric mine=command:"python s.py {file}"
    --metric aes=comfy:score.json,nodes.1.inputs.image,nodes.3

``--objective`` names one of them, or a built-in type (added as a metric of
that name); with one ``--metric`` and no ``--objective`` that metric is the
objective; with none, the person's ratings decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..metrics.catalog import BUILTIN
from ..metrics.spec import MEASURES, MetricSpec, metrics_to_raw, parse_metrics
from .model import Objective

_ARG_KEY = {"similarity": "reference", "http": "url", "command": "command"}


def metric_arg(text: str, cwd: Path) -> tuple[str, dict[str, Any]]:
    """One ``--metric`` as (name, metrics: body); relative files made absolute."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip() or not rest.strip():
        raise ConfigError(f"--metric {text!r}: expected NAME=TYPE[:ARG]", field="metric")
    kind, _, arg = rest.partition(":")
    body: dict[str, Any] = {"type": kind.strip()}
    if kind == "comfy":
        parts = [p.strip() for p in arg.split(",")]
        if len(parts) != 3:
            raise ConfigError(
                f"--metric {text!r}: expected comfy:WORKFLOW,INPUT_PATH,OUTPUT_NODE", field="metric"
            )
        body.update(workflow=str(cwd / parts[0]), input=parts[1], output=parts[2])
    elif kind == "similarity" and arg.rsplit(",", 1)[-1].strip().lower() in MEASURES:
        ref, _, measure = arg.rpartition(",")
        body.update(reference=str(cwd / ref.strip()), measure=measure.strip().lower())
    elif arg:
        key = _ARG_KEY.get(kind)
        if key is None:
            raise ConfigError(f"--metric {text!r}: type {kind} takes no argument", field="metric")
        body[key] = str(cwd / arg) if key == "reference" else arg
    return name.strip(), body


def metrics_section(args: Sequence[str], objective: str | None, cwd: Path) -> dict[str, Any]:
    """The ``metrics:`` section for ``--metric`` options (and a built-in objective)."""
    raw: dict[str, Any] = {}
    for text in args:
        name, body = metric_arg(text, cwd)
        if name in raw:
            raise ConfigError(f"--metric {name}: given twice", field="metric")
        raw[name] = body
    specs = parse_metrics(with_builtin_objective(raw, objective), source="--metric")
    return metrics_to_raw(specs)


def with_builtin_objective(raw: dict[str, Any], objective: str | None) -> dict[str, Any]:
    """``raw`` with a metric of the objective's name when it names a built-in type
    (``objective: sharpness`` needs no ``metrics:`` entry)."""
    if objective and objective not in raw and objective in BUILTIN:
        return {**raw, objective: {"type": objective}}
    return raw


def choose_objective(raw: dict[str, Any], objective: str | None) -> Objective | None:
    specs = {s.name: s for s in parse_metrics(raw, source="--metric")}
    if objective is None:
        if len(specs) != 1:
            return None
        objective = next(iter(specs))
    name = objective.removeprefix("score_")
    spec: MetricSpec | None = specs.get(name)
    if spec is None:
        known = ", ".join(specs) or "none"
        raise ConfigError(
            f"--objective {objective}: not a built-in metric nor a --metric name ({known})",
            field="objective",
        )
    goal = spec.effective_goal
    if goal is None:
        raise ConfigError(
            f"--objective {name}: {spec.type} has no better direction; use another metric",
            field="objective",
        )
    return Objective(name, goal)
