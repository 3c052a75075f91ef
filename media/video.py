"""Video probing and frame sampling: PyAV first, ffprobe/ffmpeg as a fallback.

PyAV ships its own FFmpeg, so it works where no ffmpeg binary is installed;
the binaries are a fallback for containers PyAV's build cannot open.
Every failure becomes a ``MediaError`` naming the file, never a traceback.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import MediaError

if TYPE_CHECKING:
    from PIL import Image  # Pillow loads where frames are decoded, not at CLI start

# Decoding every frame and keeping the wanted ones is exact and fast for the
# short clips sweeps make; past this many frames, seek per timestamp instead.
SEQUENTIAL_FRAME_LIMIT = 3000


def _check_exists(path: Path) -> None:
    if not path.is_file():
        raise MediaError(f"video not found: {path}", field=str(path))


def probe_video(path: str | Path) -> dict[str, Any]:
    """Duration (s), fps, width, height, codec, frame count, container, size in bytes."""
    path = Path(path)
    _check_exists(path)
    try:
        info = _probe_av(path)
    except Exception as av_err:  # noqa: BLE001 - PyAV raises many unrelated types for bad input; ffprobe decides
        info = _probe_ffprobe(path, av_err)
    info["size_bytes"] = path.stat().st_size
    return info


def _probe_av(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or stream.guessed_rate or 0)
        duration = _av_duration(container, stream)
        frames = int(stream.frames or 0) or (round(duration * fps) if fps and duration else 0)
        return {
            "duration_s": round(duration, 6),
            "fps": round(fps, 6),
            "width": int(stream.codec_context.width),
            "height": int(stream.codec_context.height),
            "codec": stream.codec_context.name,
            "frames": frames,
            "format": container.format.name,
        }


def _av_duration(container: Any, stream: Any) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000  # AV_TIME_BASE
    return 0.0


def _probe_ffprobe(path: Path, cause: BaseException) -> dict[str, Any]:
    exe = shutil.which("ffprobe")
    if exe is None:
        raise MediaError(f"cannot decode video {path}: {cause}", field=str(path)) from None
    cmd = [exe, "-v", "error", "-select_streams", "v:0", "-show_entries",
           "stream=codec_name,width,height,avg_frame_rate,nb_frames,duration:format=format_name,duration",
           "-of", "json", str(path)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    try:
        data = json.loads(proc.stdout or "{}")
        stream = data["streams"][0]
    except (ValueError, KeyError, IndexError):
        raise MediaError(f"cannot decode video {path}: {cause}", field=str(path)) from None
    fmt = data.get("format", {})
    fps = (
        float(Fraction(stream.get("avg_frame_rate") or "0/1"))
        if stream.get("avg_frame_rate") != "0/0"
        else 0.0
    )
    duration = float(stream.get("duration") or fmt.get("duration") or 0)
    return {
        "duration_s": round(duration, 6),
        "fps": round(fps, 6),
        "width": int(stream.get("width", 0)),
        "height": int(stream.get("height", 0)),
        "codec": stream.get("codec_name", ""),
        "frames": int(stream.get("nb_frames") or round(duration * fps)),
        "format": fmt.get("format_name", ""),
    }


def even_indices(total: int, n: int) -> list[int]:
    """``n`` frame indices spread evenly over ``total`` frames (centre of each share)."""
    if total <= 0 or n <= 0:
        return []
    n = min(n, total)
    return [min(total - 1, int((i + 0.5) * total / n)) for i in range(n)]


def sample_frames(path: str | Path, n: int) -> list[Image.Image]:
    """``n`` RGB frames spread evenly over the video (fewer if it has fewer frames)."""
    path = Path(path)
    _check_exists(path)
    if n <= 0:
        return []
    try:
        return _sample_av(path, n)
    except MediaError:
        raise
    except Exception as av_err:  # noqa: BLE001 - PyAV's many error types: fall back to the ffmpeg binary, as for probing
        return _sample_ffmpeg(path, n, av_err)


def _sample_av(path: Path, n: int) -> list[Image.Image]:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        total = int(stream.frames or 0)
        if 0 < total <= SEQUENTIAL_FRAME_LIMIT:
            return _sample_sequential(container, stream, even_indices(total, n))
        return _sample_seek(container, stream, n)


def _sample_sequential(container: Any, stream: Any, wanted: list[int]) -> list[Image.Image]:
    want = set(wanted)
    got: dict[int, Image.Image] = {}
    for i, frame in enumerate(container.decode(stream)):
        if i in want:
            got[i] = frame.to_image().convert("RGB")
        if len(got) == len(want):
            break
    if not got:
        raise MediaError("video has no decodable frames")
    # A container may announce more frames than it holds: repeat the last one.
    last = got[max(got)]
    return [got.get(i, last) for i in wanted]


def _sample_seek(container: Any, stream: Any, n: int) -> list[Image.Image]:
    duration = _av_duration(container, stream)
    if duration <= 0 or stream.time_base is None:
        frames = [f.to_image().convert("RGB") for f in container.decode(stream)]
        return [frames[i] for i in even_indices(len(frames), n)]
    out: list[Image.Image] = []
    for i in range(n):
        target = duration * (i + 0.5) / n
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.time is None or frame.time >= target - 1e-6:
                out.append(frame.to_image().convert("RGB"))
                break
    if not out:
        raise MediaError("video has no decodable frames")
    return out


def _sample_ffmpeg(path: Path, n: int, cause: BaseException) -> list[Image.Image]:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise MediaError(f"cannot decode video {path}: {cause}", field=str(path)) from None
    duration = float(probe_video(path).get("duration_s") or 0)
    frames: list[Image.Image] = []
    for i in range(n):
        t = duration * (i + 0.5) / n
        cmd = [exe, "-v", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
               "-f", "image2pipe", "-vcodec", "png", "-"]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
        if proc.returncode == 0 and proc.stdout:
            from PIL import Image

            frames.append(Image.open(io.BytesIO(proc.stdout)).convert("RGB"))
    if not frames:
        raise MediaError(f"cannot decode video {path}: {cause}", field=str(path))
    return frames


def representative_frame(path: str | Path) -> Image.Image:
    """The middle frame: past fade-ins, and the one a single even sample picks."""
    return sample_frames(path, 1)[0]
