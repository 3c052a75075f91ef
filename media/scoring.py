"""Scores of one finished run: decode its outputs (bounded), compute its metrics.

``score_run(outputs, specs, context=...)`` is what a sweep calls when a run
finishes, in a worker thread (never on ComfyUI's event loop): it is
thread-safe and raises nothing. A metric that cannot be computed gives None
and logs one line saying why (warning for a failure, info for "not
applicable", e.g. ``flicker`` of an image).

Memory stays bounded: an image is reduced so its longer side is at most
``context.max_side`` before any math (JPEG decodes at reduced size directly);
a video decodes only ``frames`` evenly sampled frames (media/video.py), each
reduced the same way. One run's outputs are decoded once for all its metrics.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..core.errors import ConfigError
from ..core.metrics import diversity as div
from ..core.metrics import image as img_math
from ..core.metrics import similarity as sim
from ..core.metrics import video as vid_math
from ..core.metrics.catalog import BUILTIN
from ..core.metrics.results import Answer, columns, mean_answers
from ..core.metrics.spec import MetricSpec, input_name
from ..core.report.sheet import media_kind
from ..core.store.format import one_line
from .video import sample_frames

log = logging.getLogger("comfy_sweep.scoring")

DEFAULT_FRAMES = 8
DEFAULT_MAX_SIDE = 1024
Frame = np.ndarray


class NotApplicable(Exception):
    """The metric does not apply to this run (logged at info, not as a failure)."""


@dataclass
class Decoded:
    path: Path
    kind: str  # "image" | "video"
    frames: list[Frame]  # uint8 H x W x 3, longer side <= max_side


@dataclass
class ScoreContext:
    """What scoring needs beyond the run's outputs; one per sweep, shared by threads.

    ``siblings``: the outputs of the other repetitions (seeds) of the run's
    sample, for ``diversity``; set per run (``dataclasses.replace``)."""

    base_dir: Path | None = None  # relative reference/workflow/command paths start here
    input_dir: Path | None = None  # ComfyUI's input folder, for "name [input]" references (server)
    siblings: Sequence[Sequence[Path]] = ()
    comfy_address: str | None = None
    comfy_auth_token: str | None = field(default=None, repr=False)
    frames: int = DEFAULT_FRAMES
    max_side: int = DEFAULT_MAX_SIDE
    cache: ScoreCache = field(default_factory=lambda: ScoreCache())

    def resolve(self, name: str) -> Path:
        inside = input_name(name)
        if inside is not None:
            if self.input_dir is None:
                raise ConfigError(
                    f"reference {name!r} is a file in ComfyUI's input folder: only a sweep "
                    "run by the ComfyUI server (server mode, the panel) reads it; give a path",
                    field="reference",
                )
            return self.input_dir / inside
        p = Path(name).expanduser()
        return p if p.is_absolute() or self.base_dir is None else self.base_dir / p


class ScoreCache:
    """Things worth computing once per sweep (decoded references, sibling hashes,
    loaded scoring workflows), keyed by what they depend on; thread-safe."""

    def __init__(self, limit: int = 256) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[Any, ...], Any] = {}
        self._limit = limit

    def get(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                return self._items[key]
        value = make()  # outside the lock: two threads may both make it, both correct
        with self._lock:
            if len(self._items) >= self._limit:
                self._items.pop(next(iter(self._items)))
            self._items[key] = value
        return value


# ---- decoding -----------------------------------------------------------------


def _reduce(image: Image.Image, max_side: int) -> Frame:
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def decode(path: Path, *, frames: int, max_side: int) -> Decoded:
    """An image (first frame) or ``frames`` sampled video frames as bounded arrays."""
    kind = media_kind(path.name)
    if kind == "video":
        return Decoded(path, kind, [_reduce(f, max_side) for f in sample_frames(path, frames)])
    if kind != "image":
        raise ValueError(f"{path.name} is neither an image nor a video")
    with Image.open(path) as im:
        im.draft("RGB", (max_side, max_side))  # JPEG: decode at 1/2, 1/4, 1/8 size
        return Decoded(path, kind, [_reduce(im, max_side)])


class _Outputs:
    """One run's media outputs, each decoded at most once per frame count."""

    def __init__(self, paths: Sequence[Path], context: ScoreContext) -> None:
        self.paths = [Path(p) for p in paths if media_kind(Path(p).name) in ("image", "video")]
        self.context = context
        self._memo: dict[tuple[Path, int], Decoded] = {}

    def decoded(self, spec: MetricSpec) -> list[Decoded]:
        if not self.paths:
            raise NotApplicable("the run has no image or video output")
        n = spec.frames or self.context.frames
        out = []
        for path in self.paths:
            if (path, n) not in self._memo:
                self._memo[(path, n)] = decode(path, frames=n, max_side=self.context.max_side)
            out.append(self._memo[(path, n)])
        return out


# ---- built-in metrics ----------------------------------------------------------

_IMAGE_FNS: dict[str, Callable[[Frame], float]] = {
    "sharpness": img_math.sharpness,
    "colorfulness": img_math.colorfulness,
    "exposure": img_math.exposure,
    "contrast": img_math.contrast,
    "entropy": img_math.entropy,
    "noise": img_math.noise,
}
_VIDEO_FNS: dict[str, Callable[[Sequence[Frame]], float]] = {
    "flicker": vid_math.flicker,
    "motion": vid_math.motion,
}


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values))


def _image_metric(spec: MetricSpec, outs: _Outputs, ctx: ScoreContext) -> float:
    fn = _IMAGE_FNS[spec.type]
    return _mean([_mean([fn(f) for f in d.frames]) for d in outs.decoded(spec)])


def _video_metric(spec: MetricSpec, outs: _Outputs, ctx: ScoreContext) -> float:
    videos = [d for d in outs.decoded(spec) if d.kind == "video"]
    if not videos:
        raise NotApplicable(f"{spec.type} needs a video output")
    return _mean([_VIDEO_FNS[spec.type](d.frames) for d in videos])


def _resized(frame: Frame, size: tuple[int, int]) -> Frame:
    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS))


def _aligned(frames: Sequence[Frame], n: int) -> list[Frame]:
    """``n`` frames of ``frames`` at the same relative times (a still image repeats)."""
    if len(frames) == 1 or n == 1:
        return [frames[len(frames) // 2]] * n
    return [frames[round(i * (len(frames) - 1) / (n - 1))] for i in range(n)]


def _similarity(spec: MetricSpec, outs: _Outputs, ctx: ScoreContext) -> float:
    assert spec.reference is not None  # parse_metrics requires it
    ref_path = ctx.resolve(spec.reference)
    if not ref_path.is_file():
        raise FileNotFoundError(f"reference {ref_path} not found")
    n = spec.frames or ctx.frames
    key = ("reference", str(ref_path), ref_path.stat().st_mtime_ns, n, ctx.max_side)
    ref: Decoded = ctx.cache.get(key, lambda: decode(ref_path, frames=n, max_side=ctx.max_side))
    measure = sim.ssim if spec.measure == "ssim" else sim.psnr
    per_output = []
    for d in outs.decoded(spec):
        refs = _aligned(ref.frames, len(d.frames))
        pairs = zip(d.frames, refs, strict=True)
        per_output.append(
            _mean([measure(f, _resized(r, (f.shape[1], f.shape[0]))) for f, r in pairs])
        )
    return _mean(per_output)


def _hashes(decoded: Sequence[Decoded]) -> list[int]:
    return [div.phash(f) for d in decoded for f in d.frames]


def _diversity(spec: MetricSpec, outs: _Outputs, ctx: ScoreContext) -> float:
    own = _hashes(outs.decoded(spec))
    n = spec.frames or ctx.frames
    others = [h for sibling in ctx.siblings if (h := _sibling_hashes(sibling, n, ctx))]
    if not others:
        raise NotApplicable("no other repetition of this sample has finished yet")
    return float(div.diversity(own, others))


def _sibling_hashes(sibling: Sequence[Path], n: int, ctx: ScoreContext) -> list[int]:
    """The hashes of another repetition's outputs ([] while they are not on disk)."""
    paths = [Path(p) for p in sibling if media_kind(Path(p).name) in ("image", "video")]
    if not paths or not all(p.is_file() for p in paths):
        return []
    key = ("phash", tuple(map(str, paths)), tuple(p.stat().st_mtime_ns for p in paths), n)

    def make() -> list[int]:
        return _hashes([decode(p, frames=n, max_side=ctx.max_side) for p in paths])

    hashes: list[int] = ctx.cache.get(key, make)
    return hashes


_BUILTIN_FNS: dict[str, Callable[[MetricSpec, _Outputs, ScoreContext], float]] = {
    **dict.fromkeys(_IMAGE_FNS, _image_metric),
    **dict.fromkeys(_VIDEO_FNS, _video_metric),
    "similarity": _similarity,
    "diversity": _diversity,
}


# ---- one run ------------------------------------------------------------------


def _external(spec: MetricSpec, outs: _Outputs, ctx: ScoreContext) -> Answer:
    from .scorers import external_answer

    if not outs.paths:
        raise NotApplicable("the run has no image or video output")
    return mean_answers(external_answer(spec, path, ctx) for path in outs.paths)


def _score_one(spec: MetricSpec, outs: _Outputs, ctx: ScoreContext) -> dict[str, float | None]:
    try:
        if spec.type in BUILTIN:
            return {spec.name: _BUILTIN_FNS[spec.type](spec, outs, ctx)}
        return dict(columns(spec.name, _external(spec, outs, ctx)))
    except NotApplicable as why:
        log.info("metric %s: %s", spec.name, one_line(why))
    # The edge of scoring: a sweep must never stop for a metric, whatever a
    # decoder, a user's program or a remote scorer raised.
    except Exception as exc:  # noqa: BLE001
        log.warning("metric %s of %s: %s", spec.name, _where(outs), one_line(exc))
    return {spec.name: None}


def _where(outs: _Outputs) -> str:
    return outs.paths[0].parent.name if outs.paths else "run"


def score_run(
    outputs: Sequence[Path], specs: Sequence[MetricSpec], *, context: ScoreContext
) -> dict[str, float | None]:
    """Every metric of one run: score names (without ``score_``) to values, None
    where a metric could not be computed. Thread-safe; never raises."""
    outs = _Outputs(outputs, context)
    result: dict[str, float | None] = {}
    for spec in specs:
        result.update(_score_one(spec, outs, context))
    return result


def numeric(scores: Mapping[str, float | None]) -> dict[str, float]:
    """The computed scores only, ready for ``RunStore.merge_scores``."""
    return {k: v for k, v in scores.items() if v is not None}
