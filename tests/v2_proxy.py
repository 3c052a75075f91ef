"""comfy-api-proxy (PyPI, the Comfy API v2 in front of a ComfyUI) on loopback,
for tests and benchmarks. Pinned: PROXY_VERSION is the version we test against
(the API is 0.x); another installed version skips the tests that need it.

Its defaults (cli.py of comfy-api-proxy 0.1.6): binds 127.0.0.1 only, no token,
no --state-dir (job records in memory), an origin guard that only refuses
browser cross-site requests. We pass --comfyui and --port, both on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from comfy_harness import free_port

PROXY_VERSION = "0.1.6"


def proxy_problem() -> str | None:
    """Why the pinned proxy cannot run here, or None."""
    try:
        found = version("comfy-api-proxy")
    except PackageNotFoundError:
        return f"comfy-api-proxy=={PROXY_VERSION} is not installed (pip install -e '.[test]')"
    if found != PROXY_VERSION:
        return f"comfy-api-proxy {found} installed; these tests pin {PROXY_VERSION}"
    return None


class ApiProxy:
    """One comfy-api-proxy process in front of the ComfyUI at ``comfyui_url``."""

    def __init__(self, comfyui_url: str, log_dir: Path, *, token: str | None = None) -> None:
        self.port = free_port()
        self.comfyui_url = comfyui_url
        self.log_path = log_dir / "comfy-api-proxy.log"
        self.token = token
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def start(self, timeout: float = 30.0) -> ApiProxy:
        exe = shutil.which("comfy-api-proxy", path=str(Path(sys.executable).parent))
        cmd = [exe or "comfy-api-proxy", "run", "--comfyui", self.comfyui_url]
        cmd += ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.token:
            cmd += ["--token", self.token]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"comfy-api-proxy exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/api/v2/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"comfy-api-proxy not ready in {timeout}s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
