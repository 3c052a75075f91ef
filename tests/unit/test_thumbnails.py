"""media/thumbnails.py: image and video thumbnails, cache, placeholders."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from comfy_sweep.core.errors import MediaError
from comfy_sweep.core.report.sheet import build_report_data
from comfy_sweep.media.thumbnails import (
    STRIP_MIN_FRAMES,
    ensure_thumbnails,
    frame_strip,
    make_thumbnail,
)
from PIL import Image, ImageChops
from sheet_fixtures import write_synthetic_batch

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(
    FFMPEG is None, reason="ffmpeg not installed (used to make test videos)"
)


def make_mp4(path: Path, size: str = "96x64", seconds: float = 2) -> Path:
    assert FFMPEG
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=8",
           "-t", str(seconds), "-pix_fmt", "yuv420p", "-c:v", "libx264", str(path)]  # fmt: skip
    subprocess.run(cmd, check=True, timeout=60)
    return path


def test_image_thumbnail_fits_the_size(tmp_path: Path) -> None:
    src = tmp_path / "big.png"
    Image.new("RGB", (800, 400), (200, 10, 10)).save(src)
    dest = make_thumbnail(src, tmp_path / "t.jpg", size=128)
    with Image.open(dest) as img:
        assert img.format == "JPEG" and img.size == (128, 64)
        r, g, b = img.getpixel((64, 32))
        assert r > 150 and g < 60  # the picture, not a placeholder


def tiles(img: Image.Image, n: int, tile_w: int) -> list[Image.Image]:
    return [
        img.crop((i * (tile_w + 2), 0, i * (tile_w + 2) + tile_w, img.height)) for i in range(n)
    ]


@needs_ffmpeg
def test_video_thumbnail_is_a_strip_of_four_frames(tmp_path: Path) -> None:
    src = make_mp4(tmp_path / "v.mp4")  # 16 frames of a moving test pattern
    dest = make_thumbnail(src, tmp_path / "t.jpg", size=256)
    with Image.open(dest) as img:
        assert img.size == (4 * 96 + 3 * 2, 64)  # frames side by side, never upscaled
        parts = tiles(img, 4, 96)
        assert all(len(p.getcolors(maxcolors=100_000) or []) > 20 for p in parts)  # pictures
        # evenly spaced frames of a moving pattern: no two tiles alike
        diffs = [ImageChops.difference(a, b).getbbox() for a, b in itertools.pairwise(parts)]
        assert all(d is not None for d in diffs)
        gutter = img.crop((96, 0, 98, 64)).convert("L")
        assert gutter.getextrema()[1] < 60  # the dark gutter between frames


@needs_ffmpeg
def test_large_video_frames_shrink_to_half_size_each(tmp_path: Path) -> None:
    src = make_mp4(tmp_path / "v.mp4", size="640x360")
    with Image.open(make_thumbnail(src, tmp_path / "t.jpg", size=256)) as img:
        assert img.size == (4 * 128 + 3 * 2, 72)


@needs_ffmpeg
def test_very_short_clip_keeps_a_single_frame(tmp_path: Path) -> None:
    src = make_mp4(tmp_path / "v.mp4", seconds=0.5)  # 4 frames < STRIP_MIN_FRAMES
    assert STRIP_MIN_FRAMES > 4
    with Image.open(make_thumbnail(src, tmp_path / "t.jpg", size=256)) as img:
        assert img.size == (96, 64)


def test_frame_strip_centres_mixed_heights() -> None:
    frames = [Image.new("RGB", (40, 40), (200, 0, 0)), Image.new("RGB", (40, 20), (0, 200, 0))]
    strip = frame_strip(frames, 128)
    assert strip.size == (82, 40)
    assert strip.getpixel((60, 20))[1] > 150  # the short frame sits in the middle
    assert strip.getpixel((60, 2)) == (16, 16, 16)


def test_undecodable_file_raises_media_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(MediaError, match="bad.png"):
        make_thumbnail(bad, tmp_path / "t.jpg")


def test_batch_thumbnails_placeholder_and_note_never_crash(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 4, failed=[4])
    (root / "runs/0002/image_00002_.png").write_bytes(b"\x89PNG garbage")
    report = ensure_thumbnails(root, workers=2)
    assert report.made == [1, 3]
    assert list(report.placeholders) == [2] and "image_00002_.png" in report.placeholders[2]
    assert report.skipped == [4]  # failed: no output
    with Image.open(root / "thumbnails/thumb_0002.jpg") as img:
        assert img.size == (256, 256)
    notes = json.loads((root / "thumbnails/notes.json").read_text())
    assert list(notes) == ["2"]
    assert build_report_data(root)["runs"][1]["note"] == notes["2"]


def test_cache_skips_fresh_thumbnails_and_remakes_stale_ones(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 3)
    assert ensure_thumbnails(root).made == [1, 2, 3]
    again = ensure_thumbnails(root)
    assert again.made == [] and again.cached == [1, 2, 3]
    src = root / "runs/0002/image_00002_.png"
    thumb = root / "thumbnails/thumb_0002.jpg"
    later = thumb.stat().st_mtime_ns + 10**9
    os.utime(src, ns=(later, later))  # the output was rewritten after the thumbnail
    assert ensure_thumbnails(root).made == [2]


def test_only_the_requested_runs(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 5)
    report = ensure_thumbnails(root, run_ids=[2, 5])
    assert report.made == [2, 5]
    assert sorted(p.name for p in (root / "thumbnails").iterdir()) == [
        "thumb_0002.jpg",
        "thumb_0005.jpg",
    ]


def test_fixed_output_clears_its_note(tmp_path: Path) -> None:
    root = write_synthetic_batch(tmp_path / "b", 2)
    good = (root / "runs/0001/image_00001_.png").read_bytes()
    bad = root / "runs/0001/image_00001_.png"
    bad.write_bytes(b"junk")
    assert list(ensure_thumbnails(root).placeholders) == [1]
    bad.write_bytes(good)
    later = (root / "thumbnails/thumb_0001.jpg").stat().st_mtime_ns + 10**9
    os.utime(bad, ns=(later, later))
    assert ensure_thumbnails(root).made == [1]
    assert json.loads((root / "thumbnails/notes.json").read_text()) == {}
