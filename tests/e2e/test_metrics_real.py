"""Metrics on real outputs of the real ComfyUI: PNGs from examples/image_noise_blur.json
and MP4s from a model-free video workflow, made by cr-batch; values on known
inputs, the comfy scorer end to end (LoadImage -> GetImageSize -> Preview Any),
and cr-score on a real batch (including a batch locked by a sweep)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from comfy_sweep.core.metrics.spec import parse_metrics
from comfy_sweep.core.store.runstore import RunStore
from comfy_sweep.media.scorers import check_scorers
from comfy_sweep.media.scoring import ScoreContext, score_run

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Frames of a still clip: one noisy image repeated; of a moving clip: 8 noisy frames.
VIDEO_WORKFLOW = {
    "1": {"class_type": "EmptyImage", "_meta": {"title": "Canvas"},
          "inputs": {"width": 128, "height": 128, "batch_size": 1, "color": 3355443}},
    "2": {"class_type": "ImageAddNoise", "inputs": {"image": ["1", 0], "seed": 7, "strength": 0.4}},
    "3": {"class_type": "RepeatImageBatch", "inputs": {"image": ["2", 0], "amount": 8}},
    "4": {"class_type": "CreateVideo", "inputs": {"images": ["3", 0], "fps": 8.0}},
    "5": {"class_type": "SaveVideo", "inputs": {"video": ["4", 0], "filename_prefix": "metrics/v",
                                                 "format": "mp4", "codec": "h264"}},
}  # fmt: skip
SCORING_WORKFLOW = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
    "2": {"class_type": "GetImageSize", "inputs": {"image": ["1", 0]}},
    "3": {"class_type": "PreviewAny", "_meta": {"title": "Score"}, "inputs": {"source": ["2", 0]}},
}


def cr_batch(config: dict[str, Any], dest: Path, server: Any) -> Path:
    (dest / "sweep.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cmd = [str(BIN / "cr-batch"), str(dest / "sweep.yaml"), "--server", server.address,
           "--mode", "client"]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    (batch,) = [p for p in (dest / "output").iterdir() if p.is_dir()]
    return batch


@pytest.fixture(scope="module")
def image_batch(comfy_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("metrics_images")
    return cr_batch({
        "workflow_file": str(EXAMPLES / "image_noise_blur.json"),
        "sampling_strategy": "grid", "seeds_per_sample": 2, "sweep_seed": 5,
        "parameters": {
            "strength": {"path": "nodes.2.inputs.strength", "values": [0.1, 0.6]},
            "blur": {"path": "nodes.3.inputs.blur_radius", "values": [1, 8]},
            "seed": {"path": "nodes.2.inputs.seed", "type": "random_seed"},
        },
        "output": {"base_dir": str(dest / "output")},
    }, dest, comfy_server)  # fmt: skip


@pytest.fixture(scope="module")
def video_batch(comfy_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("metrics_videos")
    (dest / "video.json").write_text(json.dumps(VIDEO_WORKFLOW))
    return cr_batch({
        "workflow_file": str(dest / "video.json"), "sampling_strategy": "grid",
        "parameters": {  # batch 1 x 8 repeats: still; batch 8 x 1: every frame new noise
            "frames": {"path": "nodes.1.inputs.batch_size", "values": [1, 8]},
            "repeats": {"path": "nodes.3.inputs.amount", "values": [8, 1]},
        },
        "output": {"base_dir": str(dest / "output")},
    }, dest, comfy_server)  # fmt: skip


def runs(batch: Path) -> list[tuple[dict[str, Any], list[Path]]]:
    store = RunStore.open(batch)
    plan = {r.run_id: r for r in store.plan.runs}
    return [
        (dict(plan[r.run_id].values, repeat=plan[r.run_id].repeat), [batch / o for o in r.outputs])
        for r in store.records()
    ]


def clip(batch: Path, frames: int, repeats: int) -> Path:
    """The video of the run with this batch size and repeat count (1 x 8 is still)."""
    (outs,) = [o for v, o in runs(batch) if (v["frames"], v["repeats"]) == (frames, repeats)]
    return outs[0]


def score_rows(batch: Path) -> list[dict[str, str]]:
    with open(batch / "metadata.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def mean(rows: list[dict[str, str]], metric: str, **want: float) -> float:
    cell = [r for r in rows if all(float(r[k]) == v for k, v in want.items())]
    assert len(cell) == 2  # the two repetitions of one grid cell
    return sum(float(r[f"score_{metric}"]) for r in cell) / len(cell)


def test_cr_score_builtins_on_real_images(image_batch: Path, tmp_path: Path) -> None:
    rows = score_rows(image_batch)
    assert len(rows) == 8
    ref = next(o for v, outs in runs(image_batch) for o in outs
               if v["strength"] == 0.1 and v["blur"] == 1 and v["repeat"] == 0)  # fmt: skip
    (tmp_path / "dims.py").write_text(
        "import json, struct, sys\n"
        "w, h = struct.unpack('>II', open(sys.argv[1], 'rb').read(24)[16:24])\n"
        "print(json.dumps({'w': w, 'h': h}))\n"
    )
    metrics = {"sharp": {"type": "sharpness"}, "noise": None, "exposure": None, "contrast": None,
               "entropy": None, "colorfulness": None, "diversity": None,
               "same": {"type": "similarity", "reference": str(ref)},
               "db": {"type": "similarity", "reference": str(ref), "measure": "psnr"},
               "dims": {"type": "command", "command": ["python", "dims.py", "{file}"]}}  # fmt: skip
    (tmp_path / "metrics.yaml").write_text(yaml.safe_dump({"metrics": metrics}))
    cmd = [str(BIN / "cr-score"), str(image_batch), "--config", str(tmp_path / "metrics.yaml")]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "scored 8 done run(s) in 10 metric(s)" in res.stdout and res.stderr == ""
    rows = score_rows(image_batch)
    for r in rows:
        assert float(r["score_dims_w"]) == 256 and float(r["score_dims_h"]) == 256
        assert 0.1 < float(r["score_diversity"]) <= 1  # other noise seed, other picture
        assert 0 <= float(r["score_exposure"]) <= 1 and 0 < float(r["score_entropy"]) <= 8
    same = [r for r in rows if (Path(image_batch) / r["outputs"]) == ref]
    assert len(same) == 1 and float(same[0]["score_same"]) == pytest.approx(1.0)
    assert float(same[0]["score_db"]) == 100.0
    assert all(float(r["score_same"]) < 0.99 for r in rows if r is not same[0])
    # Each grid cell has two repetitions with other noise seeds: compare their means.
    for strength in (0.1, 0.6):
        assert mean(rows, "sharp", strength=strength, blur=8) < mean(
            rows, "sharp", strength=strength, blur=1
        )
    for blur in (1, 8):
        for metric in ("noise", "contrast"):
            assert mean(rows, metric, strength=0.6, blur=blur) > mean(
                rows, metric, strength=0.1, blur=blur
            )
    assert mean(rows, "exposure", strength=0.6, blur=1) > mean(
        rows, "exposure", strength=0.1, blur=1
    )


def test_video_metrics_on_real_mp4s(video_batch: Path) -> None:
    by_kind = {
        ("still" if v["frames"] == 1 else "moving"): outs[0] for v, outs in runs(video_batch)
    }
    assert by_kind["still"].suffix == ".mp4"
    specs = parse_metrics({"flicker": None, "motion": None, "sharpness": None, "noise": None,
                           "self": {"type": "similarity", "reference": str(by_kind["moving"])},
                           "self_db": {"type": "similarity", "reference": str(by_kind["moving"]),
                                       "measure": "psnr"}})  # fmt: skip
    still = score_run([by_kind["still"]], specs, context=ScoreContext())
    moving = score_run([by_kind["moving"]], specs, context=ScoreContext())
    assert still["motion"] < 1.5 and still["flicker"] < 0.5  # type: ignore[operator]
    assert moving["motion"] > 10 * max(still["motion"], 0.1)  # type: ignore[operator,type-var]
    assert moving["self"] == pytest.approx(1.0) and moving["self_db"] == 100.0
    assert still["self"] < 0.5  # type: ignore[operator]  # one frame of 8 matches at best
    assert still["noise"] > 5 and still["sharpness"] > 0  # type: ignore[operator]


def write_scorer(folder: Path) -> Path:
    path = folder / "score_size.json"
    path.write_text(json.dumps(SCORING_WORKFLOW))
    return path


def test_comfy_scorer_end_to_end(
    comfy_server: Any, image_batch: Path, video_batch: Path, tmp_path: Path
) -> None:
    write_scorer(tmp_path)
    specs = parse_metrics({"width": {"type": "comfy", "workflow": "score_size.json",
                                     "input": "nodes.1.inputs.image", "output": "nodes.Score",
                                     "timeout": 60},
                           "frames2": {"type": "comfy", "workflow": "score_size.json",
                                       "input": "nodes.1.inputs.image", "output": 3,
                                       "frames": 2}})  # fmt: skip
    ctx = ScoreContext(base_dir=tmp_path, comfy_address=comfy_server.address)
    check_scorers(specs, ctx)
    image = runs(image_batch)[0][1]
    video = [clip(video_batch, 1, 8)]
    assert score_run(image, specs, context=ctx) == {"width": 256.0, "frames2": 256.0}
    assert score_run(image, specs, context=ctx) == {"width": 256.0, "frames2": 256.0}  # cached
    assert score_run(video, specs, context=ctx) == {"width": 128.0, "frames2": 128.0}
    uploads = list((comfy_server.input_dir / "comfy-sweep-scoring").iterdir())
    # The image, and the still clip's frames: identical, so uploaded once (content-hash names).
    assert len(uploads) == 2


def test_comfy_scorer_failures_are_none(
    comfy_server: Any, image_batch: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_scorer(tmp_path)
    ctx = ScoreContext(base_dir=tmp_path, comfy_address=comfy_server.address)
    not_output = parse_metrics({"w": {"type": "comfy", "workflow": "score_size.json",
                                      "input": "nodes.1.inputs.image", "output": 2}})  # fmt: skip
    assert score_run(runs(image_batch)[0][1], not_output, context=ctx) == {"w": None}
    assert "node 2 gave no UI result" in caplog.text
    bad_input = parse_metrics({"w": {"type": "comfy", "workflow": "score_size.json",
                                     "input": "nodes.1.inputs.picture", "output": 3}})  # fmt: skip
    with pytest.raises(Exception) as err:
        check_scorers(bad_input, ctx)
    assert getattr(err.value, "field", None) == "metrics.w.input"


def test_cr_score_from_the_batch_config_and_the_locked_batch(
    comfy_server: Any, image_batch: Path, tmp_path: Path
) -> None:
    write_scorer(tmp_path)
    config = image_batch / "config.yaml"
    data = yaml.safe_load(config.read_text())
    # What the sweep will save once it carries metrics: absolute paths.
    data["metrics"] = {"size": {"type": "comfy", "workflow": str(tmp_path / "score_size.json"),
                                "input": "nodes.1.inputs.image", "output": "nodes.3"},
                       "sharp": {"type": "sharpness"}}  # fmt: skip
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    cmd = [str(BIN / "cr-score"), str(image_batch), "--metric", "size",
           "--server", comfy_server.address]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "wrote score_size" in res.stdout and "score_sharp" not in res.stdout
    assert {float(r["score_size"]) for r in score_rows(image_batch)} == {256.0}

    before = (image_batch / "metadata.csv").read_bytes()
    store = RunStore.open(image_batch)
    with store.lock(f"cr-batch (pid {os.getpid()})"):
        res = subprocess.run([str(BIN / "cr-score"), str(image_batch), "--metric", "sharp"],
                             capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert res.returncode == 4 and res.stdout == ""  # locked: the exit code table
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "is in use by cr-batch" in lines[0]
    assert "cr-score changed nothing" in lines[0] and "Traceback" not in res.stderr
    assert (image_batch / "metadata.csv").read_bytes() == before

    res = subprocess.run([str(BIN / "cr-score"), str(image_batch), "--metric", "nope"],
                         capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert res.returncode == 2
    assert res.stderr.strip() == "error: --metric nope: not in the config's metrics (size, sharp)"
