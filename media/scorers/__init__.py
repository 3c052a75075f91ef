"""Scorers that are the user's own: ``http`` (a scoring API), ``command`` (a
program on this machine), ``comfy`` (a scoring workflow on ComfyUI). Each turns
one output file into a number or an object of numbers (core/metrics/results.py).

``check_scorers`` is the pre-flight a sweep or cr-score runs once: the files,
variables and workflow nodes the metrics name exist (ConfigError naming the
``metrics.<name>.<key>`` field), so a typo fails at start, not as N warnings.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.errors import ConfigError
from ...core.metrics.results import Answer
from ...core.metrics.spec import MetricSpec

if TYPE_CHECKING:
    from ..scoring import ScoreContext


def external_answer(spec: MetricSpec, path: Path, ctx: ScoreContext) -> Answer:
    if spec.type == "command":
        from .command import command_answer

        return command_answer(spec, path, ctx)
    if spec.type == "http":
        from .http import http_answer

        return http_answer(spec, path, ctx)
    if spec.type == "comfy":
        from .comfy import comfy_answer

        return comfy_answer(spec, path, ctx)
    raise ValueError(f"type {spec.type} is not an external scorer")


def api_key(spec: MetricSpec) -> str | None:
    """The http scorer's key from its environment variable (never printed or stored)."""
    if not spec.api_key_env:
        return None
    key = os.environ.get(spec.api_key_env)
    if not key:
        raise ConfigError(
            f"metrics.{spec.name}.api_key_env: environment variable {spec.api_key_env} is not set",
            field=f"metrics.{spec.name}.api_key_env",
        )
    return key


def _check_file(spec: MetricSpec, key: str, path: Path) -> None:
    if not path.is_file():
        raise ConfigError(
            f"metrics.{spec.name}.{key}: file {path} not found", field=f"metrics.{spec.name}.{key}"
        )


def check_scorers(specs: Sequence[MetricSpec], ctx: ScoreContext) -> None:
    """Pre-flight: ConfigError naming the field for what cannot work at all."""
    for spec in specs:
        if spec.type == "similarity" and spec.reference:
            try:
                path = ctx.resolve(spec.reference)
            except ConfigError as err:  # an input-folder file outside the server
                raise ConfigError(
                    f"metrics.{spec.name}.{err.message}", field=f"metrics.{spec.name}.reference"
                ) from None
            _check_file(spec, "reference", path)
        elif spec.type == "http":
            api_key(spec)
        elif spec.type == "command":
            program = spec.command[0]
            if shutil.which(program) is None and not ctx.resolve(program).is_file():
                from .command import python_fallback

                if python_fallback(program) is None:
                    raise ConfigError(
                        f"metrics.{spec.name}.command: program {program!r} not found",
                        field=f"metrics.{spec.name}.command",
                    )
        elif spec.type == "comfy":
            from .comfy import scoring_workflow

            if not ctx.comfy_address:
                raise ConfigError(
                    f"metrics.{spec.name}: type comfy needs the ComfyUI address (--server)",
                    field=f"metrics.{spec.name}.type",
                )
            scoring_workflow(spec, ctx)
