"""Video analysis: probe a video, sample frames, ask a provider, keep the answer.

Providers:
  noop  writes the metadata (and the frames with keep_frames) only;
  http  a generic protocol (docs/video-analyze.md): one multipart/form-data POST
        with a ``metadata`` part (JSON) and ``frame_00.jpg``... parts (JPEG),
        ``Authorization: Bearer <key>`` when a key is given; bounded retries with
        exponential backoff on connection errors, timeouts, 429 and 5xx.

The JSON answer is stored whole in ``<video stem>_analysis.json``; its numeric
fields become scores (``score_<name>`` columns of metadata.csv): the entries of
a ``scores`` object when there is one, else the numeric top-level fields.

The API key lives only in memory and in the request header: it is redacted
from stored answers and never put in a message.
"""

from __future__ import annotations

import io
import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..core.errors import SweepError, VisionError
from ..core.store import atomic
from .video import probe_video, sample_frames

if TYPE_CHECKING:
    from PIL import Image  # Pillow loads where frames are decoded, not at CLI start

DEFAULT_FRAMES = 8
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDACTED = "***"


class Provider(Protocol):
    name: str

    def analyze(self, metadata: Mapping[str, Any], frames: Sequence[bytes]) -> dict[str, Any]: ...


class NoopProvider:
    """No remote call: the analysis file holds the metadata and frame names only."""

    name = "noop"

    def analyze(self, metadata: Mapping[str, Any], frames: Sequence[bytes]) -> dict[str, Any]:
        return {}


def encode_multipart(metadata: Mapping[str, Any], frames: Sequence[bytes]) -> tuple[bytes, str]:
    """The request body and its Content-Type (boundary included)."""
    boundary = f"comfy-sweep-{uuid.uuid4().hex}"
    out = io.BytesIO()

    def part(headers: str, data: bytes) -> None:
        out.write(f"--{boundary}\r\n{headers}\r\n\r\n".encode())
        out.write(data)
        out.write(b"\r\n")

    meta = json.dumps(metadata, ensure_ascii=False).encode("utf-8")
    part('Content-Disposition: form-data; name="metadata"\r\nContent-Type: application/json', meta)
    for i, jpeg in enumerate(frames):
        name = frame_name(i)
        disp = f'Content-Disposition: form-data; name="{name}"; filename="{name}"'
        part(f"{disp}\r\nContent-Type: image/jpeg", jpeg)
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def frame_name(i: int) -> str:
    return f"frame_{i:02d}.jpg"


def _safe_url(url: str) -> str:
    """Scheme, host and path only: a query string may carry credentials."""
    p = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((p.scheme, p.netloc.rpartition("@")[2], p.path, "", ""))


def redact(value: Any, secret: str | None) -> Any:
    """``value`` with every occurrence of ``secret`` in its strings replaced."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, REDACTED)
    if isinstance(value, list):
        return [redact(v, secret) for v in value]
    if isinstance(value, dict):
        return {redact(k, secret): redact(v, secret) for k, v in value.items()}
    return value


@dataclass
class HttpProvider:
    """The generic HTTP provider (see module docstring)."""

    api_base: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    attempts: int = 3
    backoff: float = 1.0
    name: str = "http"

    def __post_init__(self) -> None:
        if urllib.parse.urlsplit(self.api_base).scheme not in ("http", "https"):
            raise VisionError("--api-base must be an http:// or https:// URL", field="api_base")

    def analyze(self, metadata: Mapping[str, Any], frames: Sequence[bytes]) -> dict[str, Any]:
        body, ctype = encode_multipart(metadata, frames)
        last = ""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                return self._post(body, ctype)
            except _Retryable as exc:
                last = str(exc)
        raise VisionError(
            f"{_safe_url(self.api_base)}: gave up after {self.attempts} attempts: {last}"
        )

    def _post(self, body: bytes, ctype: str) -> dict[str, Any]:
        req = urllib.request.Request(self.api_base, data=body, method="POST")
        req.add_header("Content-Type", ctype)
        req.add_header("Accept", "application/json")
        if self.api_key:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        where = _safe_url(self.api_base)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code in RETRY_STATUSES:
                raise _Retryable(f"HTTP {exc.code}") from None
            raise VisionError(
                f"{where}: HTTP {exc.code} {redact(str(exc.reason), self.api_key)}"
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _Retryable(
                f"{type(reason).__name__}: {redact(str(reason), self.api_key)}"
            ) from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise VisionError(f"{where}: the answer is not JSON") from None
        if not isinstance(data, dict):
            raise VisionError(f"{where}: the answer is JSON but not an object")
        return dict(redact(data, self.api_key))


class _Retryable(Exception):
    """A failure worth another attempt (connection, timeout, 429, 5xx)."""


def extract_scores(response: Mapping[str, Any]) -> dict[str, float]:
    """Numeric entries of ``response["scores"]`` if it is an object, else the
    numeric top-level fields; names without the ``score_`` prefix."""
    source = response.get("scores")
    items = source.items() if isinstance(source, Mapping) else response.items()
    out: dict[str, float] = {}
    for key, value in items:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if math.isfinite(float(value)):
            name = str(key).removeprefix("score_")
            out[name] = float(value)
    return out


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def analysis_path(video: Path) -> Path:
    return video.with_name(f"{video.stem}_analysis.json")


def analyze_video(
    video: Path,
    provider: Provider,
    *,
    frames: int = DEFAULT_FRAMES,
    keep_frames: bool = False,
    out: Path | None = None,
) -> dict[str, Any]:
    """Probe, sample, ask the provider; write and return the analysis record."""
    video = Path(video)
    meta = probe_video(video)
    jpegs = [_jpeg(img) for img in sample_frames(video, frames)]
    names = [frame_name(i) for i in range(len(jpegs))]
    if keep_frames:
        folder = video.with_name(f"{video.stem}_frames")
        folder.mkdir(exist_ok=True)
        for name, data in zip(names, jpegs, strict=True):
            atomic.write_bytes(folder / name, data)
    response = provider.analyze({"video": video.name, **meta, "frame_names": names}, jpegs)
    record = {
        "video": video.name,
        "provider": provider.name,
        "metadata": meta,
        "frames": names,
        "frames_dir": f"{video.stem}_frames" if keep_frames else None,
        "response": response,
        "scores": extract_scores(response),
        "analyzed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    atomic.write_json(Path(out) if out else analysis_path(video), record)
    return record


@dataclass
class BatchAnalysis:
    """What ``analyze_batch`` did, by run id."""

    files: dict[int, Path] = field(default_factory=dict)
    scores: dict[int, dict[str, float]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    merged: bool = False


def analyze_batch(
    root: Path, provider: Provider, *, frames: int = DEFAULT_FRAMES, keep_frames: bool = False
) -> BatchAnalysis:
    """Analyse every done run's video and merge the scores into metadata.csv
    through the run store (it takes the batch lock, so it never races a sweep)."""
    from ..core.report.sheet import media_kind, read_batch

    result = BatchAnalysis()
    for run in read_batch(Path(root)).runs:
        videos = [o for o in run.outputs if media_kind(o) == "video"]
        if run.status != "done" or not videos:
            continue
        try:
            rec = analyze_video(
                Path(root) / videos[0], provider, frames=frames, keep_frames=keep_frames
            )
        except SweepError as exc:
            result.errors[run.run_id] = exc.message
            continue
        result.files[run.run_id] = analysis_path(Path(root) / videos[0])
        if rec["scores"]:
            result.scores[run.run_id] = rec["scores"]
    if result.scores:
        _merge(Path(root), result.scores)
        result.merged = True
    return result


def _merge(root: Path, scores: Mapping[int, Mapping[str, float]]) -> None:
    from ..core.errors import StoreLockedError
    from ..core.store.runstore import RunStore

    try:
        RunStore.open(root).merge_scores(scores)
    except StoreLockedError as exc:
        raise StoreLockedError(
            f"{exc.message}; scores not merged into metadata.csv (the *_analysis.json files "
            "are written): run cr-video-analyze on the batch again when the sweep has finished",
            details=exc.details,
        ) from None
