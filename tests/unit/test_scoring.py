"""score_run on real files written here (PNG, JPEG, MP4 via PyAV): decoding,
bounds, failures as None plus one logged line, and the command and http
scorers (the http one against a real aiohttp server on loopback)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from aiohttp import BodyPartReader, web
from comfy_sweep.core.errors import ConfigError
from comfy_sweep.core.metrics.spec import parse_metrics
from comfy_sweep.media.scorers import check_scorers
from comfy_sweep.media.scoring import ScoreContext, decode, numeric, score_run
from PIL import Image, ImageFilter

KEY = "sk-unit-test-KEY-0a1b2c3d"


def photo(seed: int = 3, side: int = 256) -> Image.Image:
    coarse = np.random.default_rng(seed).integers(0, 256, (16, 16, 3)).astype(np.uint8)
    img = Image.fromarray(coarse).resize((side, side), Image.Resampling.NEAREST)
    return img.filter(ImageFilter.GaussianBlur(1))


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    out = {}
    src = photo()
    for name, img in {
        "src": src,
        "blurred": src.filter(ImageFilter.GaussianBlur(4)),
        "other": photo(seed=9),
    }.items():
        out[name] = tmp_path / f"{name}.png"
        img.save(out[name])
    return out


def write_mp4(path: Path, frames: list[np.ndarray], fps: int = 8) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        for f in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
        container.mux(stream.encode())
    return path


def test_builtins_on_files(images: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    specs = parse_metrics({
        "sharp": {"type": "sharpness"}, "noise": None, "exposure": None, "contrast": None,
        "entropy": None, "colorfulness": None, "flicker": None,
        "same": {"type": "similarity", "reference": "src.png"},
        "db": {"type": "similarity", "reference": "src.png", "measure": "psnr"},
    })  # fmt: skip
    ctx = ScoreContext(base_dir=images["src"].parent)
    src = score_run([images["src"]], specs, context=ctx)
    blurred = score_run([images["blurred"]], specs, context=ctx)
    assert blurred["sharp"] < src["sharp"] / 2  # type: ignore[operator]
    assert src["same"] == pytest.approx(1.0) and src["db"] == 100.0
    assert blurred["same"] < 0.95 and blurred["db"] < 40  # type: ignore[operator]
    assert src["flicker"] is None  # an image has no flicker: not applicable, not a failure
    assert all(isinstance(src[k], float) for k in ("noise", "exposure", "contrast", "entropy"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_reference_of_another_size_is_resized(images: dict[str, Path], tmp_path: Path) -> None:
    big = tmp_path / "big_ref.jpg"
    Image.open(images["src"]).resize((512, 512), Image.Resampling.LANCZOS).save(big, quality=95)
    specs = parse_metrics({"s": {"type": "similarity", "reference": str(big)}})
    value = score_run([images["src"]], specs, context=ScoreContext())["s"]
    assert value is not None and value > 0.9


def test_failures_give_none_and_one_line(
    images: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    specs = parse_metrics({"sharp": {"type": "sharpness"},
                           "ref": {"type": "similarity", "reference": "missing.png"}})  # fmt: skip
    ctx = ScoreContext(base_dir=tmp_path)
    assert score_run([broken], specs, context=ctx) == {"sharp": None, "ref": None}
    assert score_run([tmp_path / "gone.png"], specs, context=ctx) == {"sharp": None, "ref": None}
    assert score_run([tmp_path / "notes.txt"], specs, context=ctx) == {"sharp": None, "ref": None}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and all("\n" not in w for w in warnings)
    assert any("missing.png" in w for w in warnings)
    with pytest.raises(ConfigError) as err:
        check_scorers(specs, ctx)
    assert err.value.field == "metrics.ref.reference"


def test_large_images_are_reduced_before_scoring(tmp_path: Path) -> None:
    path = tmp_path / "large.jpg"
    photo(side=2048).resize((3000, 2000)).save(path, quality=85)
    d = decode(path, frames=1, max_side=512)
    assert max(d.frames[0].shape[:2]) <= 512 and d.frames[0].dtype == np.uint8


def test_video_metrics_on_a_still_and_a_flashing_clip(tmp_path: Path) -> None:
    base = np.asarray(photo(side=64))
    still = write_mp4(tmp_path / "still.mp4", [base] * 8)
    flashing = write_mp4(tmp_path / "flash.mp4", [base // (1 + i % 2) for i in range(8)])
    specs = parse_metrics(["flicker", "motion", "sharpness"])
    ctx = ScoreContext(frames=6)
    s = score_run([still], specs, context=ctx)
    f = score_run([flashing], specs, context=ctx)
    assert s["flicker"] < 0.5 and s["motion"] < 1.5  # type: ignore[operator]
    assert f["flicker"] > 20 and f["motion"] > 20  # type: ignore[operator]
    assert decode(still, frames=6, max_side=32).frames[0].shape == (32, 32, 3)


def test_diversity_against_the_siblings(images: dict[str, Path]) -> None:
    specs = parse_metrics(["diversity"])
    alone = score_run([images["src"]], specs, context=ScoreContext())
    assert alone == {"diversity": None}
    ctx = ScoreContext(siblings=[[images["blurred"]], [images["other"]]])
    value = score_run([images["src"]], specs, context=ctx)["diversity"]
    near = score_run(
        [images["src"]], specs, context=dataclasses.replace(ctx, siblings=[[images["blurred"]]])
    )
    assert value is not None and near["diversity"] is not None
    assert near["diversity"] < value <= 1.0


SCRIPT = """
import json, struct, sys
path = sys.argv[1]
if "slow" in sys.argv: import time; time.sleep(5)
if "fail" in sys.argv: sys.exit("model not found")
with open(path, "rb") as f:
    width, height = struct.unpack(">II", f.read(24)[16:24])  # the PNG header
print("loading...")
print(json.dumps({"width": width, "height": height, "name": "x"}))
"""


def test_command_scorer(
    images: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "myscore.py").write_text(SCRIPT)
    specs = parse_metrics({
        "dims": {"type": "command", "command": ["python", "myscore.py", "{file}"]},
        "slow": {"type": "command", "command": [sys.executable, "myscore.py", "{file}", "slow"], "timeout": 0.5},
        "fail": {"type": "command", "command": [sys.executable, "myscore.py", "{file}", "fail"]},
    })  # fmt: skip
    ctx = ScoreContext(base_dir=tmp_path)
    check_scorers(specs, ctx)
    got = score_run([images["src"], images["other"]], specs, context=ctx)
    assert got == {"dims_width": 256.0, "dims_height": 256.0, "slow": None, "fail": None}
    text = " | ".join(r.getMessage() for r in caplog.records)
    assert "did not finish within 0.5 s" in text and "exited with status 1: model not found" in text
    bad = parse_metrics({"x": {"type": "command", "command": ["no-such-program-xyz", "{file}"]}})
    with pytest.raises(ConfigError, match="not found"):
        check_scorers(bad, ctx)


SEEN = web.AppKey("seen", list)


async def _score(request: web.Request) -> web.Response:
    parts: dict[str, bytes] = {}
    async for part in await request.multipart():
        assert isinstance(part, BodyPartReader)
        parts[str(part.name)] = await part.read()
    meta = json.loads(parts.pop("metadata"))
    request.app[SEEN].append({"auth": request.headers.get("Authorization"), "meta": meta,
                              "frames": sorted(parts)})  # fmt: skip
    if meta["file"] == "other.png":
        return web.json_response({"error": "boom"}, status=400)
    return web.json_response({"scores": {"quality": meta["width"] / 100, "frames": len(parts)}})


async def test_http_scorer_on_loopback(
    images: dict[str, Path], tmp_path: Path, aiohttp_server: Any,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    app = web.Application()
    app[SEEN] = []
    app.router.add_post("/score", _score)
    server = await aiohttp_server(app, host="127.0.0.1")
    monkeypatch.setenv("SCORER_KEY", KEY)
    specs = parse_metrics({"judge": {"type": "http", "url": f"http://127.0.0.1:{server.port}/score",
                                     "api_key_env": "SCORER_KEY", "frames": 3}})  # fmt: skip
    clip = write_mp4(tmp_path / "clip.mp4", [np.asarray(photo(side=64))] * 8)
    ctx = ScoreContext()
    got = await asyncio.to_thread(score_run, [images["src"]], specs, context=ctx)
    assert got == {"judge_quality": 2.56, "judge_frames": 1.0}
    got = await asyncio.to_thread(score_run, [clip], specs, context=ctx)
    assert got == {"judge_quality": 0.64, "judge_frames": 3.0}
    failed = await asyncio.to_thread(score_run, [images["other"]], specs, context=ctx)
    assert failed == {"judge": None}
    seen = app[SEEN]
    assert all(s["auth"] == f"Bearer {KEY}" for s in seen)
    assert seen[1]["meta"]["kind"] == "video" and seen[1]["meta"]["fps"] == 8.0
    assert seen[1]["frames"] == ["frame_00.jpg", "frame_01.jpg", "frame_02.jpg"]
    assert "HTTP 400" in caplog.text and KEY not in caplog.text
    monkeypatch.delenv("SCORER_KEY")
    with pytest.raises(ConfigError) as err:
        check_scorers(specs, ctx)
    assert err.value.field == "metrics.judge.api_key_env" and KEY not in err.value.message
    assert numeric({"a": 1.0, "b": None}) == {"a": 1.0}
