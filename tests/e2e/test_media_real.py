"""Thumbnails and cr-video-analyze on real MP4s made by the real ComfyUI from
examples/video_noise_blur.json (via cr-batch and examples/configs/video_grid.yaml);
the vision API is a real aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import BodyPartReader, web
from comfy_sweep.core.report.sheet import build_report_data
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.media.thumbnails import ensure_thumbnails
from comfy_sweep.media.video import probe_video
from PIL import Image

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent
KEY = "sk-real-test-KEY-9f8e7d6c5b4a"
KEY_ENV = "COMFY_SWEEP_E2E_VISION_KEY"


@pytest.fixture(scope="module")
def video_batch(comfy_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    examples = Path(__file__).resolve().parents[2] / "examples"
    dest = tmp_path_factory.mktemp("media_real")
    data = yaml.safe_load((examples / "configs" / "video_grid.yaml").read_text())
    data["workflow_file"] = str((examples / "video_noise_blur.json").resolve())
    data["output"] = {**data["output"], "base_dir": str(dest / "output")}
    (dest / "video.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    cmd = [
        str(BIN / "cr-batch"),
        str(dest / "video.yaml"),
        "--server",
        comfy_server.address,
        "--mode",
        "client",
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    (batch,) = [p for p in (dest / "output").iterdir() if p.is_dir()]
    return batch


def videos(batch: Path) -> list[Path]:
    found = sorted(batch.glob("runs/*/*.mp4"))
    assert len(found) == 4
    return found


def test_probe_real_video(video_batch: Path) -> None:
    for path in videos(video_batch):
        meta = probe_video(path)
        fps = 8.0 if "fps8" in path.parent.name else 12.0
        assert (meta["width"], meta["height"], meta["frames"]) == (128, 128, 8)
        assert meta["fps"] == pytest.approx(fps) and meta["duration_s"] == pytest.approx(
            8 / fps, abs=0.02
        )
        assert meta["codec"] == "h264"


def test_thumbnails_of_real_videos(video_batch: Path) -> None:
    # cr-batch already made them as runs finished; make them again from the videos.
    shutil.rmtree(video_batch / "thumbnails", ignore_errors=True)
    report = ensure_thumbnails(video_batch)
    assert report.made == [1, 2, 3, 4] and report.placeholders == {}
    for run_id in report.made:
        with Image.open(video_batch / "thumbnails" / f"thumb_{run_id:04d}.jpg") as img:
            # 8-frame clips: a strip of 4 evenly spaced 128 px frames, 2 px gutters
            assert img.size == (4 * 128 + 3 * 2, 128)
            for i in range(4):
                tile = img.crop((i * 130, 0, i * 130 + 128, 128))
                assert len(tile.getcolors(maxcolors=100_000) or []) > 50  # noise, not flat


def test_noop_on_one_real_video(video_batch: Path) -> None:
    clip = videos(video_batch)[0]
    cmd = [
        str(BIN / "cr-video-analyze"),
        str(clip),
        "--provider",
        "noop",
        "--frames",
        "4",
        "--keep-frames",
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    out = clip.with_name(f"{clip.stem}_analysis.json")
    assert res.stdout.strip() == str(out)
    record = json.loads(out.read_text())
    assert record["provider"] == "noop" and record["metadata"]["frames"] == 8
    frames = sorted(clip.with_name(f"{clip.stem}_frames").glob("frame_*.jpg"))
    assert [f.name for f in frames] == [
        "frame_00.jpg",
        "frame_01.jpg",
        "frame_02.jpg",
        "frame_03.jpg",
    ]
    with Image.open(frames[0]) as img:
        assert img.size == (128, 128)


SEEN = web.AppKey("seen", list)


async def _analyze(request: web.Request) -> web.Response:
    parts: dict[str, bytes] = {}
    async for part in await request.multipart():
        assert isinstance(part, BodyPartReader)
        parts[str(part.name)] = await part.read()
    meta = json.loads(parts.pop("metadata"))
    request.app[SEEN].append(
        {"auth": request.headers.get("Authorization"), "meta": meta, "frames": parts}
    )
    # a made-up score that depends on the video, so the merged column can be checked per run
    return web.json_response({"scores": {"fps_seen": meta["fps"]}, "frames_seen": len(parts),
                              "debug_auth": request.headers.get("Authorization")})  # fmt: skip


async def test_http_provider_over_real_batch(video_batch: Path, aiohttp_server: Any) -> None:
    app = web.Application()
    app[SEEN] = []
    app.router.add_post("/v1/analyze", _analyze)
    server = await aiohttp_server(app, host="127.0.0.1")
    cmd = [str(BIN / "cr-video-analyze"), str(video_batch), "--provider", "http", "--frames", "3",
           "--api-base", f"http://127.0.0.1:{server.port}/v1/analyze", "--api-key-env", KEY_ENV]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        env={**os.environ, KEY_ENV: KEY},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    text = out.decode() + err.decode()
    assert proc.returncode == 0, text
    assert "4 video(s) analysed, 0 failed; scores merged into metadata.csv" in text
    seen = app[SEEN]
    assert len(seen) == 4 and all(s["auth"] == f"Bearer {KEY}" for s in seen)
    assert all(list(s["frames"]) == ["frame_00.jpg", "frame_01.jpg", "frame_02.jpg"] for s in seen)
    assert all(s["meta"]["width"] == 128 and s["meta"]["codec"] == "h264" for s in seen)
    store = RunStore.open(video_batch)
    for rec in store.records():
        assert rec.scores == {"fps_seen": store.plan.runs[rec.run_id - 1].values["fps"]}
    assert "score_fps_seen" in build_report_data(video_batch)["metrics"]  # sortable, plottable
    written = "\n".join(
        p.read_bytes().decode("latin-1") for p in video_batch.rglob("*") if p.is_file()
    )
    assert KEY not in written and KEY not in text
