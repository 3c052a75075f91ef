"""Scores for every run as it finishes (``metrics:``), on the real ComfyUI: client
mode through cr-batch, server mode through the extension's routes."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from test_cli_batch import assert_batch_complete, copy_config, only_batch

pytestmark = pytest.mark.comfy

METRICS = {"sharp": {"type": "sharpness"}, "noise": {"type": "noise"}}


def test_client_mode_scores_every_run_as_it_finishes(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd, metrics=METRICS)
    res = CliRunner().invoke(
        cr_batch, [str(cfg), "--server", comfy_server.address, "--mode", "client"]
    )
    assert res.exit_code == 0, res.output
    batch = only_batch(isolated_cwd / "output")
    rows = assert_batch_complete(batch)
    assert all(r["score_sharp"] and r["score_noise"] for r in rows)
    # The grid blurs by radius 1, 4, 7: at one noise strength, more blur is less sharp.
    by = {(r["strength"], int(r["blur_radius"])): float(r["score_sharp"]) for r in rows}
    for strength in {k[0] for k in by}:
        assert by[(strength, 1)] > by[(strength, 4)] > by[(strength, 7)]
    saved = yaml.safe_load((batch / "config.yaml").read_text())
    assert saved["metrics"] == METRICS  # cr-score can recompute from the batch alone


def test_server_mode_scores_on_the_server_and_mirrors_them(
    comfy_server, examples_dir: Path, isolated_cwd: Path
) -> None:
    cfg = copy_config(examples_dir, "image_grid", isolated_cwd, metrics=METRICS)
    res = CliRunner().invoke(
        cr_batch, [str(cfg), "--server", comfy_server.address, "--mode", "server"]
    )
    assert res.exit_code == 0, res.output
    assert "server sweep" in res.output
    rows = assert_batch_complete(only_batch(isolated_cwd / "output"))
    assert all(r["score_sharp"] and r["score_noise"] for r in rows)


def test_a_posted_command_scorer_is_refused(comfy_server, examples_dir: Path) -> None:
    import urllib.request

    prompt = json.loads((examples_dir / "image_noise_blur.json").read_text())
    body = {
        "prompt": prompt,
        "config": {
            "sampling_strategy": "grid",
            "parameters": {"b": {"path": "nodes.3.inputs.blur_radius", "values": [1, 2]}},
            "metrics": {"mine": {"type": "command", "command": ["python", "x.py", "{file}"]}},
        },
    }
    req = urllib.request.Request(
        f"http://{comfy_server.address}/comfy-sweep/sweeps",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=30)
    assert info.value.code == 400
    err = json.loads(info.value.read())["error"]
    assert err["field"] == "config.metrics.mine.type"
    assert "COMFY_SWEEP_ALLOW_COMMAND_SCORERS" in err["message"]


def _upload(server: Any, png: bytes, name: str) -> dict[str, Any]:
    """ComfyUI's own /upload/image, as the panel's upload control posts it."""
    import urllib.request

    boundary = "comfy-sweep-test"
    parts = [
        (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
         "Content-Type: image/png\r\n\r\n").encode() + png + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="subfolder"\r\n\r\ncomfy-sweep\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\ninput\r\n'.encode(),
        f"--{boundary}--\r\n".encode(),
    ]  # fmt: skip
    req = urllib.request.Request(
        f"http://{server.address}/upload/image", data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as r:
        return dict(json.loads(r.read()))


def test_a_posted_reference_may_name_an_uploaded_input(
    comfy_server, examples_dir: Path, tmp_path: Path
) -> None:
    """``sub/name.png [input]`` (ComfyUI's own annotation) is the one file a posted
    config may name: the server scores against it; a name leaving the folder is a 400."""
    import io

    from PIL import Image
    from server_http import poll, request

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (128, 128, 128)).save(buf, format="PNG")
    answer = _upload(comfy_server, buf.getvalue(), "grey_ref.png")
    reference = f"{answer['subfolder']}/{answer['name']} [input]"
    prompt = json.loads((examples_dir / "image_noise_blur.json").read_text())
    config: dict[str, Any] = {
        "sampling_strategy": "grid",
        "parameters": {"b": {"path": "nodes.3.inputs.blur_radius", "values": [1, 9]}},
        "metrics": {"like": {"type": "similarity", "reference": reference, "measure": "psnr"}},
    }
    bad = {**config, "metrics": {"like": {"type": "similarity", "reference": "../x.png [input]"}}}
    status, body = request(
        comfy_server, "POST", "/comfy-sweep/sweeps", {"prompt": prompt, "config": bad}
    )
    assert status == 400 and body["error"]["field"] == "config.metrics.like.reference", body
    status, made = request(
        comfy_server, "POST", "/comfy-sweep/sweeps", {"prompt": prompt, "config": config}
    )
    assert status == 202, made
    poll(comfy_server, f"/comfy-sweep/sweeps/{made['id']}", lambda b: b["state"] == "done", 120)
    meta = Path(comfy_server.output_dir) / "sweeps" / made["id"] / "metadata.csv"
    deadline = time.monotonic() + 30  # the last score lands just after the last run
    while True:
        with open(meta, newline="", encoding="utf-8") as f:
            scores = {int(r["b"]): r["score_like"] for r in csv.DictReader(f)}
        if all(scores.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # a grey reference: the more blurred noise is closer to it
    assert set(scores) == {1, 9} and float(scores[9]) > float(scores[1]) > 0, scores
