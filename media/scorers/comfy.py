"""``type: comfy``: a scoring workflow on ComfyUI (client/comfy_scorer.py does the talking).

An image output is uploaded as it is; a video gives ``frames`` sampled frames
(default 1, the middle one) as PNGs, and its score is their mean.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.errors import ConfigError, WorkflowError
from ...core.metrics.results import Answer, mean_answers
from ...core.metrics.spec import MetricSpec
from ...core.report.sheet import media_kind
from ...core.workflow import InputRef, Workflow, load_workflow
from ..video import sample_frames

if TYPE_CHECKING:
    from ..scoring import ScoreContext


def _output_node(wf: Workflow, spec: MetricSpec) -> str:
    assert spec.output is not None
    if spec.output in wf.prompt:
        return str(spec.output)
    titled = [n for n in wf.prompt if wf.title(n) == spec.output]
    if len(titled) == 1:
        return str(titled[0])
    raise ConfigError(
        f"metrics.{spec.name}.output: no single node with id or title {spec.output!r} in "
        f"{wf.source}; nodes are {', '.join(wf.prompt)}",
        field=f"metrics.{spec.name}.output",
    )


def _load(spec: MetricSpec, path: Path) -> tuple[Workflow, InputRef, str]:
    assert spec.input is not None
    field = f"metrics.{spec.name}.workflow"
    try:
        wf = load_workflow(path)
    except WorkflowError as err:
        raise ConfigError(f"{field}: {err.message}", field=field) from None
    try:
        ref = wf.resolve(spec.input, field=f"metrics.{spec.name}.input")
    except WorkflowError as err:
        raise ConfigError(err.message, field=f"metrics.{spec.name}.input") from None
    return wf, ref, _output_node(wf, spec)


def scoring_workflow(spec: MetricSpec, ctx: ScoreContext) -> tuple[Workflow, InputRef, str]:
    """The workflow, its marked input and output node (cached per file version)."""
    assert spec.workflow is not None
    path = ctx.resolve(spec.workflow)
    if not path.is_file():
        field = f"metrics.{spec.name}.workflow"
        raise ConfigError(f"{field}: file {path} not found", field=field)
    key = ("comfy-workflow", str(path), path.stat().st_mtime_ns, spec.input, spec.output)
    loaded: tuple[Workflow, InputRef, str] = ctx.cache.get(key, lambda: _load(spec, path))
    return loaded


def _images(path: Path, frames: int) -> list[tuple[bytes, str]]:
    if media_kind(path.name) == "image":
        return [(path.read_bytes(), path.suffix.lower())]
    out = []
    for frame in sample_frames(path, frames):
        buf = io.BytesIO()
        frame.save(buf, "PNG")
        out.append((buf.getvalue(), ".png"))
    return out


def comfy_answer(spec: MetricSpec, path: Path, ctx: ScoreContext) -> Answer:
    from ...client.comfy_scorer import score_images

    if not ctx.comfy_address:
        raise ConfigError(f"metrics.{spec.name}: type comfy needs the ComfyUI address")
    wf, ref, node = scoring_workflow(spec, ctx)
    answers = score_images(
        ctx.comfy_address,
        wf,
        ref,
        node,
        _images(path, spec.frames or 1),
        auth_token=ctx.comfy_auth_token,
        timeout=spec.timeout,
    )
    return mean_answers(answers)
