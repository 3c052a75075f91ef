"""cr-run and the HTTP client against the real ComfyUI (tests/conftest.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest
from click.testing import CliRunner
from comfy_sweep.cli.run import main as cr_run
from comfy_sweep.client.comfyui import ComfyClient
from comfy_sweep.core.errors import PromptRejected
from PIL import Image

pytestmark = pytest.mark.comfy
BIN = Path(sys.executable).parent


def _outputs(out: Path) -> tuple[Path, list[Path]]:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    files = sorted(p for p in run_dir.iterdir() if p.name != "prompt.json")
    return run_dir, files


def test_cr_run_image(comfy_server, examples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [str(examples_dir / "image_noise_blur.json"), "--server", comfy_server.address]
    args += ["--out", str(out), "--set", "nodes.Noise.inputs.strength=0.25"]
    res = CliRunner().invoke(cr_run, args)
    assert res.exit_code == 0, res.output
    run_dir, files = _outputs(out)
    assert [f.suffix for f in files] == [".png"]
    assert str(files[0]) in res.output
    with Image.open(files[0]) as im:
        assert im.size == (256, 256)
    prompt = json.loads((run_dir / "prompt.json").read_text())
    assert prompt["2"]["inputs"]["strength"] == 0.25
    assert not list(run_dir.glob("*.part"))


def test_cr_run_video(comfy_server, examples_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        str(examples_dir / "video_noise_blur.json"),
        "--server",
        comfy_server.url,
        "--out",
        str(out),
    ]
    res = CliRunner().invoke(cr_run, args)
    assert res.exit_code == 0, res.output
    _, files = _outputs(out)
    videos = [f for f in files if f.suffix == ".mp4"]
    assert videos, files
    with av.open(str(videos[0])) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames > 0


def test_cr_run_out_of_bounds_is_plain_words(
    comfy_server, examples_dir: Path, tmp_path: Path
) -> None:
    args = [str(examples_dir / "image_noise_blur.json"), "--server", comfy_server.address]
    args += ["--out", str(tmp_path), "--set", "nodes.3.inputs.blur_radius=500"]
    exe = shutil.which("cr-run", path=str(BIN))
    assert exe
    res = subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    assert "blur_radius" in res.stderr and "500" in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # nothing queued, nothing written


def test_cr_run_unreachable_server(tmp_path: Path, examples_dir: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = shutil.which("cr-run", path=str(BIN))
    assert exe
    args = [
        exe,
        str(examples_dir / "image_noise_blur.json"),
        "--server",
        f"127.0.0.1:{port}",
        "--out",
        str(tmp_path),
    ]
    res = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert res.returncode == 3  # ComfyUI unreachable: its own exit code (issue 12)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert f"cannot reach ComfyUI at 127.0.0.1:{port}" in lines[0]
    assert "--server" in lines[0]


async def test_rejection_names_node_title_class_and_input(comfy_server, examples_dir: Path) -> None:
    prompt = json.loads((examples_dir / "image_noise_blur.json").read_text())
    prompt["3"]["inputs"]["blur_radius"] = 999  # ComfyUI checks V1 INT bounds itself
    async with ComfyClient(comfy_server.address) as client:
        with pytest.raises(PromptRejected) as info:
            await client.queue_prompt(prompt, "00000000-0000-4000-8000-000000000001")
        msg = info.value.message
        assert 'node 3 "Blur" (ImageBlur) input blur_radius' in msg
        assert "999" in msg
        assert not await client.known("00000000-0000-4000-8000-000000000001")


async def test_download_streams_to_part_then_renames(comfy_server, tmp_path: Path) -> None:
    src = comfy_server.output_dir / "cs-test" / "blob.bin"
    src.parent.mkdir(parents=True, exist_ok=True)
    payload = bytes(range(256)) * 20_000  # ~5 MB: several chunks
    src.write_bytes(payload)
    async with ComfyClient(comfy_server.address) as client:
        dest = await client.download("blob.bin", "cs-test", "output", tmp_path / "blob.bin")
    assert dest.read_bytes() == payload
    assert not (tmp_path / "blob.bin.part").exists()
