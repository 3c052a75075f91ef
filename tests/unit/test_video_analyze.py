"""media/video.py + media/vision.py + cr-video-analyze, against a real loopback
aiohttp server standing in for the vision API."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import comfy_sweep.media.video as video_mod
import numpy as np
import pytest
from aiohttp import BodyPartReader, web
from click.testing import CliRunner
from comfy_sweep.cli.video_analyze import main as video_cli
from comfy_sweep.core.config.load import load_config, resolve_workflow_path
from comfy_sweep.core.errors import StoreLockedError, VisionError
from comfy_sweep.core.plan.build import build_plan
from comfy_sweep.core.store.format import RunRecord
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.core.workflow import load_workflow
from comfy_sweep.media.video import even_indices, probe_video, sample_frames
from comfy_sweep.media.vision import (
    HttpProvider,
    NoopProvider,
    analyze_batch,
    analyze_video,
    extract_scores,
)

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-test-VERY-SECRET-0123456789"
KEY_ENV = "COMFY_SWEEP_TEST_VISION_KEY"


def gray_video(path: Path, frames: int = 16, fps: int = 8) -> Path:
    """Frame i is flat grey of level 15*i, so a sampled frame tells its index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(
            "libx264" if "libx264" in av.codecs_available else "mpeg4", rate=fps
        )
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(frames):
            arr = np.full((48, 64, 3), 15 * i, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")))
        out.mux(stream.encode())
    return path


# ---------------------------------------------------------------- video
def test_probe_reports_duration_fps_size_codec(tmp_path: Path) -> None:
    meta = probe_video(gray_video(tmp_path / "g.mp4", frames=16, fps=8))
    assert meta["duration_s"] == pytest.approx(2.0, abs=0.01)
    assert meta["fps"] == pytest.approx(8.0)
    assert (meta["width"], meta["height"], meta["frames"]) == (64, 48, 16)
    assert meta["codec"] in ("h264", "mpeg4") and meta["size_bytes"] > 0


def test_even_indices() -> None:
    assert even_indices(16, 4) == [2, 6, 10, 14]
    assert even_indices(3, 8) == [0, 1, 2]
    assert even_indices(0, 4) == []


@pytest.mark.parametrize("sequential_limit", [3000, 0])  # decode-all and seek paths
def test_sample_frames_are_spread_evenly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sequential_limit: int
) -> None:
    monkeypatch.setattr(video_mod, "SEQUENTIAL_FRAME_LIMIT", sequential_limit)
    frames = sample_frames(gray_video(tmp_path / "g.mp4"), 4)
    levels = [f.getpixel((10, 10))[0] for f in frames]
    assert levels == pytest.approx([30, 90, 150, 210], abs=6)


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_ffprobe_fallback_when_pyav_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> dict[str, Any]:
        raise RuntimeError("pyav cannot")

    monkeypatch.setattr(video_mod, "_probe_av", broken)
    meta = probe_video(gray_video(tmp_path / "g.mp4"))
    assert (meta["width"], meta["height"]) == (64, 48) and meta["fps"] == pytest.approx(8.0)


def test_missing_and_broken_videos_are_media_errors(tmp_path: Path) -> None:
    with pytest.raises(video_mod.MediaError, match="not found"):
        probe_video(tmp_path / "nope.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(video_mod.MediaError, match="bad.mp4"):
        probe_video(bad)


# --------------------------------------------------------------- scores
def test_scores_object_wins_over_top_level() -> None:
    assert extract_scores({"scores": {"a": 1, "score_b": 0.5, "c": "x"}, "d": 3}) == {
        "a": 1.0,
        "b": 0.5,
    }


def test_top_level_numbers_when_no_scores_object() -> None:
    assert extract_scores({"q": 2, "ok": True, "name": "v", "nan": float("nan")}) == {"q": 2.0}


def test_noop_writes_metadata_and_kept_frames(tmp_path: Path) -> None:
    vid = gray_video(tmp_path / "clip.mp4")
    rec = analyze_video(vid, NoopProvider(), frames=3, keep_frames=True)
    stored = json.loads((tmp_path / "clip_analysis.json").read_text())
    assert stored == json.loads(json.dumps(rec))
    assert stored["provider"] == "noop" and stored["metadata"]["frames"] == 16
    kept = sorted(p.name for p in (tmp_path / "clip_frames").iterdir())
    assert kept == ["frame_00.jpg", "frame_01.jpg", "frame_02.jpg"]


# ------------------------------------------------------- the vision API
@dataclass
class FakeApi:
    """State of the loopback vision API."""

    fail_first: int = 0
    status: int = 503
    delay: float = 0.0
    calls: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)


API_KEY = web.AppKey("api", FakeApi)


async def _handle(request: web.Request) -> web.StreamResponse:
    api = request.app[API_KEY]
    api.calls += 1
    if api.delay:
        await asyncio.sleep(api.delay)
    if api.fail_first > 0:
        api.fail_first -= 1
        return web.Response(status=api.status, text="try later")
    parts: dict[str, tuple[str | None, str | None, bytes]] = {}
    async for part in await request.multipart():
        assert isinstance(part, BodyPartReader)
        parts[str(part.name)] = (part.filename, part.headers.get("Content-Type"), await part.read())
    auth = request.headers.get("Authorization", "")
    api.requests.append({"auth": auth, "parts": parts})
    # echoes the header back: the key must still never reach a file
    return web.json_response(
        {"scores": {"quality": 0.75, "motion": 3}, "label": "ok", "echo": auth}
    )


@pytest.fixture
async def api(aiohttp_server: Any) -> tuple[FakeApi, str]:
    app = web.Application()
    state = FakeApi()
    app[API_KEY] = state
    app.router.add_post("/analyze", _handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    return state, f"http://127.0.0.1:{server.port}/analyze"


async def test_http_provider_protocol(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    state, url = api
    vid = gray_video(tmp_path / "clip.mp4")
    prov = HttpProvider(url, api_key=KEY, timeout=5)
    rec = await asyncio.to_thread(analyze_video, vid, prov, frames=4)
    req = state.requests[0]
    assert req["auth"] == f"Bearer {KEY}"
    name, ctype, body = req["parts"]["metadata"]
    meta = json.loads(body)
    assert ctype == "application/json" and meta["width"] == 64 and meta["fps"] == pytest.approx(8)
    frames = [k for k in req["parts"] if k != "metadata"]
    assert frames == ["frame_00.jpg", "frame_01.jpg", "frame_02.jpg", "frame_03.jpg"]
    assert all(
        req["parts"][k][1] == "image/jpeg" and req["parts"][k][2][:2] == b"\xff\xd8" for k in frames
    )
    assert rec["scores"] == {"quality": 0.75, "motion": 3.0}
    stored = (tmp_path / "clip_analysis.json").read_text()
    assert KEY not in stored and json.loads(stored)["response"]["echo"] == "Bearer ***"


async def test_no_key_no_authorization_header(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    state, url = api
    await asyncio.to_thread(
        analyze_video, gray_video(tmp_path / "c.mp4"), HttpProvider(url), frames=1
    )
    assert state.requests[0]["auth"] == ""


async def test_retries_with_backoff_then_succeeds(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    state, url = api
    state.fail_first = 2
    prov = HttpProvider(url, api_key=KEY, timeout=5, attempts=3, backoff=0.05)
    t0 = time.monotonic()
    rec = await asyncio.to_thread(analyze_video, gray_video(tmp_path / "c.mp4"), prov, frames=2)
    assert state.calls == 3 and rec["scores"]["quality"] == 0.75
    assert time.monotonic() - t0 >= 0.05 + 0.1  # backoff 0.05, then 0.1


async def test_bounded_retries_then_one_clear_error(
    tmp_path: Path, api: tuple[FakeApi, str]
) -> None:
    state, url = api
    state.fail_first = 99
    prov = HttpProvider(url + "?token=" + KEY, api_key=KEY, timeout=5, attempts=3, backoff=0.01)
    with pytest.raises(VisionError) as err:
        await asyncio.to_thread(analyze_video, gray_video(tmp_path / "c.mp4"), prov, frames=1)
    assert state.calls == 3 and "gave up after 3 attempts: HTTP 503" in err.value.message
    assert KEY not in err.value.message and KEY not in str(err.value.to_envelope())


async def test_client_error_is_not_retried(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    state, url = api
    state.fail_first, state.status = 99, 401
    prov = HttpProvider(url, api_key=KEY, timeout=5, backoff=0.01)
    with pytest.raises(VisionError, match="HTTP 401"):
        await asyncio.to_thread(analyze_video, gray_video(tmp_path / "c.mp4"), prov, frames=1)
    assert state.calls == 1


async def test_timeout_is_retried_and_bounded(tmp_path: Path, api: tuple[FakeApi, str]) -> None:
    state, url = api
    state.delay = 1.0
    prov = HttpProvider(url, timeout=0.2, attempts=2, backoff=0.01)
    t0 = time.monotonic()
    with pytest.raises(VisionError, match="gave up after 2 attempts"):
        await asyncio.to_thread(analyze_video, gray_video(tmp_path / "c.mp4"), prov, frames=1)
    assert state.calls == 2 and time.monotonic() - t0 < 1.5


# ------------------------------------------------------------ batches
@pytest.fixture
def video_batch(tmp_path: Path) -> Iterator[RunStore]:
    """A real run store (examples/configs/video_grid.yaml) with 3 of 4 runs done."""
    cfg = load_config(REPO / "examples/configs/video_grid.yaml")
    wf = load_workflow(resolve_workflow_path(cfg))
    store = RunStore.create(tmp_path / "out", cfg, wf, build_plan(cfg, wf))
    for run in store.plan.runs[:3]:
        rel = f"runs/{run.folder}/video.mp4"
        gray_video(store.root / rel)
        store.record_result(
            RunRecord(run.run_id, "done", {}, f"p{run.run_id}", None, None, None, 1.0, [rel])
        )
    yield store


def _all_text(root: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in root.rglob("*") if p.is_file())


async def test_cli_batch_http_merges_scores_and_never_leaks_the_key(
    video_batch: RunStore, api: tuple[FakeApi, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = api
    monkeypatch.setenv(KEY_ENV, KEY)
    args = [str(video_batch.root), "--provider", "http", "--api-base", url, "--api-key-env", KEY_ENV,
            "--frames", "2", "--keep-frames"]  # fmt: skip
    result = await asyncio.to_thread(CliRunner().invoke, video_cli, args)
    assert result.exit_code == 0, result.output
    assert "3 video(s) analysed, 0 failed; scores merged" in result.output
    assert len(state.requests) == 3 and state.requests[0]["auth"] == f"Bearer {KEY}"
    recs = RunStore.open(video_batch.root).records()
    assert [r.scores for r in recs] == [{"quality": 0.75, "motion": 3.0}] * 3
    header = (video_batch.root / "metadata.csv").read_text().splitlines()[0]
    assert header.endswith("score_quality,score_motion") or header.endswith(
        "score_motion,score_quality"
    )
    assert KEY not in result.output and KEY not in _all_text(video_batch.root)


def test_cli_missing_key_env_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    vid = gray_video(tmp_path / "c.mp4")
    args = [
        str(vid),
        "--provider",
        "http",
        "--api-base",
        "http://127.0.0.1:9/x",
        "--api-key-env",
        KEY_ENV,
    ]
    result = CliRunner().invoke(video_cli, args)
    assert result.exit_code == 2 and KEY_ENV in result.output and "Traceback" not in result.output


def test_cli_noop_single_video_with_out(tmp_path: Path) -> None:
    vid = gray_video(tmp_path / "c.mp4")
    out = tmp_path / "elsewhere.json"
    result = CliRunner().invoke(video_cli, [str(vid), "--frames", "2", "--out", str(out)])
    assert result.exit_code == 0 and result.output.strip() == str(out)
    assert json.loads(out.read_text())["frames"] == ["frame_00.jpg", "frame_01.jpg"]
    assert not (tmp_path / "c_analysis.json").exists()


async def test_locked_batch_is_reported_clearly(
    video_batch: RunStore, api: tuple[FakeApi, str]
) -> None:
    _, url = api
    holder = RunStore.open(video_batch.root)
    with holder.lock("cr-batch (test sweep)"), pytest.raises(StoreLockedError) as err:
        await asyncio.to_thread(analyze_batch, video_batch.root, HttpProvider(url), frames=1)
    assert "scores not merged" in err.value.message
    analysis = video_batch.root / "runs" / video_batch.plan.runs[0].folder / "video_analysis.json"
    assert json.loads(analysis.read_text())["scores"]["quality"] == 0.75
    assert "score_quality" not in (video_batch.root / "metadata.csv").read_text()
