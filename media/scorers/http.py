"""``type: http``: a scoring API, the video-analysis provider (media/vision.py)
generalised to images and videos.

One multipart POST per output file, the protocol of docs/video-analyze.md: a
``metadata`` JSON part (file, kind, metric, width, height, frame names; plus
fps, frames, duration for a video) and ``frame_NN.jpg`` parts (the image, or
the sampled video frames). ``Authorization: Bearer <key>`` with the key read
from ``api_key_env`` (never written, never in a message). The JSON answer's
numbers are the scores (its ``scores`` object when it has one).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from ...core.metrics.results import Answer, answer_from_json
from ...core.metrics.spec import MetricSpec
from ..video import probe_video
from ..vision import HttpProvider, frame_name
from . import api_key

if TYPE_CHECKING:
    from ..scoring import ScoreContext


def _jpeg(frame: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def http_answer(spec: MetricSpec, path: Path, ctx: ScoreContext) -> Answer:
    from ..scoring import decode

    assert spec.url is not None  # parse_metrics requires it
    provider = HttpProvider(spec.url, api_key=api_key(spec), timeout=spec.timeout)
    decoded = decode(path, frames=spec.frames or ctx.frames, max_side=ctx.max_side)
    jpegs = [_jpeg(f) for f in decoded.frames]
    height, width = decoded.frames[0].shape[:2]
    meta: dict[str, Any] = {"file": path.name, "kind": decoded.kind, "metric": spec.name}
    meta |= {
        "width": width,
        "height": height,
        "frame_names": [frame_name(i) for i in range(len(jpegs))],
    }
    if decoded.kind == "video":
        probe = probe_video(path)
        meta |= {k: probe[k] for k in ("fps", "frames", "duration_s", "codec")}
    return answer_from_json(provider.analyze(meta, jpegs))
