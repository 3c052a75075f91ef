"""One ComfyUI process owned by one Ray actor, its life tied to the actor's.

The child asks the kernel for SIGKILL when its parent (the actor's process)
dies (``PR_SET_PDEATHSIG``, Linux), and runs in its own process group so an
explicit stop takes its children too: a killed actor never leaves a ComfyUI
holding a GPU.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1
MODEL_FOLDERS = (
    "checkpoints", "loras", "vae", "clip", "text_encoders", "diffusion_models", "unet",
    "upscale_models", "embeddings", "controlnet", "clip_vision", "style_models",
)  # fmt: skip


@dataclass
class Launch:
    """How a worker starts its ComfyUI (from the config's ``ray.comfyui``)."""

    comfy_dir: str
    python: str = sys.executable
    args: list[str] = field(default_factory=list)
    models_dir: str | None = None
    ready_timeout: float = 300.0


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ComfyProcess:
    def __init__(self, launch: Launch) -> None:
        self.launch = launch
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="comfy-sweep-worker-"))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def command(self) -> list[str]:
        home = self.home
        for sub in ("input", "output", "user", "temp"):
            (home / sub).mkdir(exist_ok=True)
        cmd = [
            self.launch.python, "main.py", "--listen", "127.0.0.1", "--port", str(self.port),
            "--disable-auto-launch", "--output-directory", str(home / "output"),
            "--input-directory", str(home / "input"), "--user-directory", str(home / "user"),
            "--temp-directory", str(home / "temp"),
            "--database-url", f"sqlite:///{home / 'user' / 'comfyui.db'}",
        ]  # fmt: skip
        if self.launch.models_dir:
            cmd += ["--extra-model-paths-config", str(self._model_paths())]
        return cmd + list(self.launch.args)

    def _model_paths(self) -> Path:
        lines = ["comfy_sweep_models:", f"  base_path: {self.launch.models_dir}"]
        lines += [f"  {name}: {name}/" for name in MODEL_FOLDERS]
        path = self.home / "extra_model_paths.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def start(self) -> None:
        log = open(self.home / "comfyui.log", "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            self.command(),
            cwd=self.launch.comfy_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),  # CUDA_VISIBLE_DEVICES from Ray
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.launch.ready_timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"ComfyUI exited while starting: {self.log_tail()}")
            try:
                url = f"http://{self.address}/system_stats"
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"ComfyUI did not answer within {self.launch.ready_timeout:.0f}s")

    def log_tail(self, lines: int = 20) -> str:
        path = self.home / "comfyui.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
