"""Thumbnails of a batch's outputs: ``thumbnails/thumb_<run_id:04d>.jpg``.

Images go through Pillow. A video becomes a short strip: ``STRIP_FRAMES``
evenly spaced frames side by side (media/video.py: PyAV, ffmpeg as fallback),
so motion shows at a glance; a clip too short for that (fewer than
``STRIP_MIN_FRAMES`` frames) gets its middle frame. Made in parallel, cached (a thumbnail newer than its
source is kept), and a file that cannot be decoded gets a grey placeholder plus
a note in ``thumbnails/notes.json`` (run id -> reason) that the contact sheet
shows; one bad file never stops the others.

The ``thumb_0001.jpg`` names are the original suite's, kept so existing
scripts that look for them keep working.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, UnidentifiedImageError

from ..core.errors import MediaError
from ..core.report.sheet import (
    NOTES_FILE,
    THUMB_DIR,
    media_kind,
    primary_output,
    read_batch,
    thumb_name,
)
from ..core.store import atomic
from .video import probe_video, representative_frame, sample_frames

DEFAULT_SIZE = 256
JPEG_QUALITY = 82
STRIP_FRAMES = 4
STRIP_MIN_FRAMES = 2 * STRIP_FRAMES  # below this a strip would repeat near-identical frames
STRIP_GAP = 2  # px of dark gutter between strip frames
STRIP_BG = (16, 16, 16)


@dataclass
class ThumbReport:
    """What ``ensure_thumbnails`` did, by run id."""

    made: list[int] = field(default_factory=list)
    cached: list[int] = field(default_factory=list)
    placeholders: dict[int, str] = field(default_factory=dict)  # run id -> reason
    skipped: list[int] = field(default_factory=list)  # no image/video output (yet)


def frame_strip(frames: list[Image.Image], box: int) -> Image.Image:
    """``frames`` side by side, each fitted into a ``box`` px square (never
    upscaled), separated by a thin dark gutter."""
    tiles = [f.copy() for f in frames]
    for tile in tiles:
        tile.thumbnail((box, box))
    width = sum(t.width for t in tiles) + STRIP_GAP * (len(tiles) - 1)
    strip = Image.new("RGB", (width, max(t.height for t in tiles)), STRIP_BG)
    x = 0
    for tile in tiles:
        strip.paste(tile, (x, (strip.height - tile.height) // 2))
        x += tile.width + STRIP_GAP
    return strip


def video_preview(src: Path, size: int = DEFAULT_SIZE) -> Image.Image:
    """A strip of ``STRIP_FRAMES`` frames (each at most ``size // 2`` px), or the
    middle frame (at most ``size`` px) of a very short clip."""
    frames = int(probe_video(src).get("frames") or 0)  # 0: unknown, try a strip
    strip = sample_frames(src, STRIP_FRAMES) if frames == 0 or frames >= STRIP_MIN_FRAMES else []
    if len(strip) >= 2:
        return frame_strip(strip, size // 2)
    img = strip[0] if strip else representative_frame(src)
    img.thumbnail((size, size))
    return img


def _preview(src: Path, size: int) -> Image.Image:
    kind = media_kind(src.name)
    if kind == "video":
        return video_preview(src, size)
    if kind == "image":
        with Image.open(src) as img:
            img.seek(0)  # first frame of an animated image
            rgb: Image.Image = img.convert("RGB")
        rgb.thumbnail((size, size))
        return rgb
    raise MediaError(f"not an image or video: {src.name}")


def _save_jpeg(img: Image.Image, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = atomic.temp_path(dest)
    try:
        img.save(tmp, "JPEG", quality=JPEG_QUALITY)
        os.replace(tmp, dest)  # a reader never sees half a JPEG
    finally:
        tmp.unlink(missing_ok=True)


def make_thumbnail(src: Path, dest: Path, size: int = DEFAULT_SIZE) -> Path:
    """Write a JPEG: an image at most ``size`` px on its longer side, a video's
    strip (see ``video_preview``). MediaError if ``src`` cannot be decoded (the
    caller decides on a placeholder)."""
    try:
        img = _preview(src, size)
    except MediaError:
        raise
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise MediaError(f"cannot decode {src.name}: {exc}", field=str(src)) from None
    _save_jpeg(img, dest)
    return dest


def make_placeholder(dest: Path, reason: str, size: int = DEFAULT_SIZE) -> Path:
    """A grey square saying the output could not be decoded."""
    img = Image.new("RGB", (size, size), (64, 64, 64))
    draw = ImageDraw.Draw(img)
    draw.rectangle((4, 4, size - 5, size - 5), outline=(200, 80, 80), width=3)
    draw.text((12, size // 2 - 16), "cannot decode", fill=(235, 235, 235))
    draw.text((12, size // 2), reason[:40], fill=(200, 200, 200))
    _save_jpeg(img, dest)
    return dest


def is_fresh(src: Path, dest: Path) -> bool:
    """A cached thumbnail is kept while it is at least as new as its source."""
    try:
        return dest.stat().st_mtime_ns >= src.stat().st_mtime_ns
    except OSError:
        return False


def _one(src: Path, dest: Path, size: int) -> str | None:
    """Make one thumbnail; return the reason on failure (a placeholder is written)."""
    try:
        make_thumbnail(src, dest, size)
        return None
    except MediaError as exc:
        reason = exc.message
    except Exception as exc:  # noqa: BLE001 - Pillow/PyAV raise many types for one bad file; it must not stop the others
        reason = f"cannot decode {src.name}: {type(exc).__name__}: {exc}"
    make_placeholder(dest, reason, size)
    return reason


def _read_notes(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / NOTES_FILE).read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_notes(folder: Path, report: ThumbReport, done: Iterable[int]) -> None:
    notes = _read_notes(folder)
    for run_id in done:
        notes.pop(str(run_id), None)
    notes.update({str(k): v for k, v in report.placeholders.items()})
    if notes or (folder / NOTES_FILE).exists():
        atomic.write_json(
            folder / NOTES_FILE, dict(sorted(notes.items(), key=lambda kv: int(kv[0])))
        )


def ensure_thumbnails(
    store_root: Path,
    run_ids: Iterable[int] | None = None,
    *,
    size: int = DEFAULT_SIZE,
    workers: int | None = None,
) -> ThumbReport:
    """Make the missing or stale thumbnails of a batch (all runs, or ``run_ids``),
    so a running sweep's contact sheet fills in as runs finish."""
    wanted = set(run_ids) if run_ids is not None else None
    outputs = {
        run.run_id: run.outputs
        for run in read_batch(Path(store_root)).runs
        if wanted is None or run.run_id in wanted
    }
    return thumbnails_for(Path(store_root), outputs, size=size, workers=workers)


def thumbnails_for(
    store_root: Path,
    outputs: Mapping[int, Sequence[str]],
    *,
    size: int = DEFAULT_SIZE,
    workers: int | None = None,
) -> ThumbReport:
    """``ensure_thumbnails`` for runs whose outputs the caller knows (run id ->
    paths relative to the batch folder), without reading the batch."""
    folder = store_root / THUMB_DIR
    report = ThumbReport()
    jobs: dict[int, tuple[Path, Path]] = {}
    for run_id, outs in outputs.items():
        rel = primary_output(outs)
        if rel is None:
            report.skipped.append(run_id)
            continue
        src, dest = store_root / rel, folder / thumb_name(run_id)
        if is_fresh(src, dest):
            report.cached.append(run_id)
        else:
            jobs[run_id] = (src, dest)
    for run_id, reason in sorted(_make_all(jobs, size, workers).items()):
        if reason is None:
            report.made.append(run_id)
        else:
            report.placeholders[run_id] = reason
    _write_notes(folder, report, report.made)
    return report


def _make_all(
    jobs: Mapping[int, tuple[Path, Path]], size: int, workers: int | None
) -> dict[int, str | None]:
    """Each job's failure reason (None: made); in ``workers`` threads when there
    are several jobs and more than one worker."""
    if len(jobs) <= 1 or workers == 1:
        return {run_id: _one(src, dest, size) for run_id, (src, dest) in jobs.items()}
    n = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=n) as pool:
        made = pool.map(lambda j: _one(j[0], j[1], size), jobs.values())
        return dict(zip(jobs, made, strict=True))
