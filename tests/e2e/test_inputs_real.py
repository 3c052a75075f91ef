"""Prompt variations and input sets through cr-batch against the real ComfyUI
(model-free nodes): a prompt search/replace and a template sweep whose outputs
follow the text, an input-set sweep with uploaded images (each set's loader
executed once per set, nothing re-uploaded on resume), and the original suite's
shots.yaml refused with the files: mapping to paste."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from comfy_sweep.cli.batch import main as cr_batch
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from shared_paths import SHARED
from test_cli_batch import assert_batch_complete, metadata_rows, only_batch
from test_cli_resume import wait_rows

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent

# The text's length becomes the width of a saved image, so the output follows the text.
TEXT_WF: dict[str, Any] = {
    "4": {"class_type": "PrimitiveStringMultiline", "inputs": {"value": "a photo of a cat"}},
    "10": {"class_type": "StringLength", "inputs": {"string": ["4", 0]}},
    "11": {"class_type": "EmptyImage",
           "inputs": {"width": ["10", 0], "height": 4, "batch_size": 1, "color": 0}},
    "12": {"class_type": "SaveImage", "inputs": {"images": ["11", 0], "filename_prefix": "len"}},
}  # fmt: skip
IMAGE_WF: dict[str, Any] = {
    **TEXT_WF,
    "1": {"class_type": "LoadImage", "inputs": {"image": "example.png"}},
    "2": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 1, "sigma": 1.0}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "blur"}},
}  # fmt: skip


def write(tmp: Path, workflow: dict[str, Any], config: dict[str, Any]) -> Path:
    (tmp / "wf.json").write_text(json.dumps(workflow), encoding="utf-8")
    path = tmp / "c.yaml"
    path.write_text(yaml.safe_dump({"workflow_file": "wf.json", **config}), encoding="utf-8")
    return path


def run_batch(cfg: Path, address: str) -> str:
    res = CliRunner().invoke(cr_batch, [str(cfg), "--server", address, "--mode", "client"])
    assert res.exit_code == 0, res.output
    return res.output


def widths(batch: Path, prefix: str = "len") -> dict[int, int]:
    """run_id -> width of the run's image named ``prefix``* (a run whose text did not
    change since the previous run has it cached, and no such image)."""
    out = {}
    for row in metadata_rows(batch):
        for rel in [o for o in row["outputs"].split(";") if Path(o).name.startswith(prefix)]:
            with Image.open(batch / rel) as im:
                out[int(row["run_id"])] = im.width
    return out


def values_of(batch: Path) -> dict[int, dict[str, str]]:
    return {int(r["run_id"]): r for r in metadata_rows(batch)}


def test_prompt_replace_and_template_sweeps(comfy_server, isolated_cwd: Path) -> None:
    cfg = write(isolated_cwd, TEXT_WF, {
        "sampling_strategy": "grid",
        "parameters": {"animal": {"path": "nodes.4.inputs.value", "search": "a cat",
                                  "values": ["a cat", "two owls", "a very big fox"]}},
        "output": {"base_dir": "out_replace", "run_name_pattern": "{run_id:02d}_{animal}"},
    })  # fmt: skip
    run_batch(cfg, comfy_server.address)
    batch = only_batch(isolated_cwd / "out_replace")
    assert_batch_complete(batch)
    rows = values_of(batch)
    for run_id, width in widths(batch).items():
        assert width == len(f"a photo of {rows[run_id]['animal']}")
    # run folders carry the replaced words
    assert {p.name[3:] for p in (batch / "runs").iterdir()} == {
        "a cat",
        "two owls",
        "a very big fox",
    }

    cfg = write(isolated_cwd, TEXT_WF, {
        "sampling_strategy": "grid",
        "parameters": {
            "animal": {"values": ["cat", "hippo"]},
            "prompt": {"path": "nodes.4.inputs.value", "type": "template",
                       "template": "a {animal} in {red|green}"},
        },
        "output": {"base_dir": "out_template"},
    })  # fmt: skip
    run_batch(cfg, comfy_server.address)
    batch = only_batch(isolated_cwd / "out_template")
    assert_batch_complete(batch)
    rows = values_of(batch)
    got = {(rows[i]["animal"], rows[i]["prompt_w1"]): w for i, w in widths(batch).items()}
    assert got == {(a, c): len(f"a {a} in {c}") for a in ("cat", "hippo") for c in ("red", "green")}
    assert all(r["prompt"] == f"a {r['animal']} in {r['prompt_w1']}" for r in rows.values())


def make_sets(root: Path, tag: str) -> dict[str, int]:
    """Three set folders, each an image of its own colour and a prompt; returns colours."""
    colours = {"alpha": 40, "beta": 140, "gamma": 240}
    for i, (name, grey) in enumerate(colours.items()):
        folder = root / "sets" / name
        folder.mkdir(parents=True)
        # A per-test tag in the text makes the content hashes new on a shared server.
        image = Image.new("RGB", (24 + i, 16), (grey, grey, grey))
        image.save(folder / "frame.png", pnginfo=_info(tag))
        (folder / "prompt.txt").write_text(f"{name} {tag}" + "!" * i, encoding="utf-8")
    return colours


def _info(tag: str) -> PngInfo:
    info = PngInfo()
    info.add_text("tag", tag)
    return info


def sets_config(base: str, blur: list[int]) -> dict[str, Any]:
    return {
        "sampling_strategy": "grid",
        "parameters": {"blur": {"path": "nodes.2.inputs.blur_radius", "values": blur}},
        "inputs": {"directory": "sets",
                   "files": {"frame.png": "nodes.1.inputs.image", "prompt.txt": "nodes.4.inputs.value"}},
        "output": {"base_dir": base, "run_name_pattern": "{set}_{blur}"},
    }  # fmt: skip


def uploads(server: Any) -> dict[str, int]:
    folder = Path(server.input_dir) / "comfy-sweep"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.is_dir() else {}


def test_input_sets_upload_and_run_each_loader_once_per_set(
    comfy_server, isolated_cwd: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    colours = make_sets(isolated_cwd, tag)
    before = uploads(comfy_server)
    cfg = write(isolated_cwd, IMAGE_WF, sets_config("out_sets", [1, 3]))
    run_batch(cfg, comfy_server.address)
    batch = only_batch(isolated_cwd / "out_sets")
    assert_batch_complete(batch)
    rows = sorted(metadata_rows(batch), key=lambda r: int(r["run_id"]))
    assert [r["set"] for r in rows] == ["alpha", "alpha", "beta", "beta", "gamma", "gamma"]
    # outputs differ per set: each set's own image and text went through
    for row in rows:
        (rel,) = [o for o in row["outputs"].split(";") if Path(o).name.startswith("blur")]
        with Image.open(batch / rel) as im:
            assert abs(im.convert("L").getpixel((8, 8)) - colours[row["set"]]) <= 2
    text_widths = widths(batch)
    assert sorted(text_widths) == [1, 3, 5]  # the text branch ran once per set
    for row in rows:
        i = list(colours).index(row["set"])
        if int(row["run_id"]) in text_widths:
            assert text_widths[int(row["run_id"])] == len(f"{row['set']} {tag}") + i
    # the set is the outermost axis: its loader ran on the set's first run only
    loader_cached = [("1" in r["cached_nodes"].split(";")) for r in rows]
    assert loader_cached == [False, True, False, True, False, True]
    # three images uploaded once each, content-hashed, into input/comfy-sweep/
    new = set(uploads(comfy_server)) - set(before)
    assert len(new) == 3 and all(len(n) == 16 + 4 and n.endswith(".png") for n in new)


def test_resumed_input_set_sweep_uploads_nothing_again(comfy_server, isolated_cwd: Path) -> None:
    make_sets(isolated_cwd, uuid.uuid4().hex[:8])
    cfg = write(isolated_cwd, IMAGE_WF, sets_config("output", list(range(1, 13))))
    exe = shutil.which("cr-batch", path=str(BIN))
    assert exe
    cmd = [exe, str(cfg), "--server", comfy_server.address, "--mode", "client"]
    before = uploads(comfy_server)
    proc = subprocess.Popen(cmd, cwd=isolated_cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        batch = wait_rows(isolated_cwd / "output", 2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert len(metadata_rows(batch)) < 36
    first = {n: t for n, t in uploads(comfy_server).items() if n not in before}
    assert first  # at least the first set's image is on the server
    res = subprocess.run(cmd, cwd=isolated_cwd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    assert_batch_complete(batch)
    after = uploads(comfy_server)
    assert {n: after[n] for n in first} == first  # not uploaded again
    assert len(set(after) - set(before)) == 3


@pytest.mark.skipif(
    not (SHARED / "reference" / "original-suite-shots").is_dir(), reason="no shared reference"
)
def test_original_shots_yaml_gets_the_mapping_message(comfy_server, isolated_cwd: Path) -> None:
    src = SHARED / "reference" / "original-suite-shots"
    (isolated_cwd / "configs").mkdir()
    shutil.copy(src / "workflow.json", isolated_cwd / "workflow.json")
    shutil.copy(src / "shots.yaml", isolated_cwd / "configs" / "shots.yaml")
    res = CliRunner().invoke(
        cr_batch,
        [str(isolated_cwd / "configs" / "shots.yaml"), "--server", comfy_server.address],
    )
    assert res.exit_code == 2
    assert "shots.files: missing" in res.output
    assert "first_frame.png: nodes.68.inputs.image" in res.output
    assert "Traceback" not in res.output
