"""Start and stop a real ComfyUI 0.3.75 for tests, benchmarks and the demo.

The ComfyUI tree and its venv come from scripts/provision-comfyui.sh (or from
COMFYUI_DIR / COMFYUI_PYTHON for a ComfyUI of your own). Every server gets its
own base/input/output/user folders so parallel runs cannot collide, and this
checkout linked into its own custom_nodes/ folder, so our package loads exactly
as a user's install would. The cached ComfyUI tree is never written to.

Also usable from the shell (the demo uses it):
    python tests/comfy_harness.py serve --dir /tmp/x [--port N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("COMFY_SWEEP_CACHE", Path.home() / ".cache" / "comfy-sweep"))
# The folder name under custom_nodes/ differs from the project name on purpose:
# it proves we do not depend on it (ComfyUI imports us under a mangled name).
LINK_NAME = "comfy-sweep-under-test"
IMPORT_FAILURE_MARKERS = ("IMPORT FAILED", "Cannot import")


def comfyui_dir() -> Path:
    return Path(os.environ.get("COMFYUI_DIR", CACHE / "comfyui-0.3.75"))


def comfyui_python() -> Path:
    return Path(os.environ.get("COMFYUI_PYTHON", CACHE / "venv-comfyui" / "bin" / "python"))


def ensure_provisioned() -> None:
    """Provision the cached ComfyUI once (a no-op when it is already there)."""
    if (comfyui_dir() / "main.py").exists() and comfyui_python().exists():
        return
    subprocess.run(["bash", str(REPO / "scripts" / "provision-comfyui.sh")], check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Several servers side by side on a small machine: one torch/OpenMP thread each,
# so two or three CPU servers do not fight over the same cores.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class ComfyServer:
    """One ComfyUI process with private folders; may be killed and restarted.
    ``env`` is added to the process environment (e.g. ``ONE_THREAD``)."""

    def __init__(
        self,
        root: Path,
        *,
        port: int | None = None,
        front_end_root: Path | None = None,
        extra_args: list[str] | None = None,
        link_package: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.port = port or free_port()
        self.front_end_root = front_end_root
        self.extra_args = list(extra_args or [])
        self.base_dir = root / "base"
        self.output_dir = root / "output"
        self.input_dir = root / "input"
        self.user_dir = root / "user"
        self.log_path = root / "comfyui.log"
        self.link_package = link_package
        self.env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def _prepare(self) -> None:
        for d in (self.base_dir / "custom_nodes", self.output_dir, self.input_dir, self.user_dir):
            d.mkdir(parents=True, exist_ok=True)
        link = self.base_dir / "custom_nodes" / LINK_NAME
        if self.link_package and not link.exists():
            try:
                link.symlink_to(REPO, target_is_directory=True)
            except OSError:  # no symlinks (Windows without privilege): copy instead
                shutil.copytree(
                    REPO, link, ignore=shutil.ignore_patterns(".git", ".venv", "output")
                )

    def command(self) -> list[str]:
        cmd = [
            str(comfyui_python()),
            "main.py",
            "--cpu",
            "--listen",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--disable-auto-launch",
            "--base-directory",
            str(self.base_dir),
            "--output-directory",
            str(self.output_dir),
            "--input-directory",
            str(self.input_dir),
            "--user-directory",
            str(self.user_dir),
            # The default database path lives in the (read-only to us) ComfyUI tree.
            "--database-url",
            f"sqlite:///{self.user_dir / 'comfyui.db'}",
        ]
        if self.front_end_root:
            cmd += ["--front-end-root", str(self.front_end_root)]
        return cmd + self.extra_args

    def start(self, timeout: float = 180.0) -> ComfyServer:
        ensure_provisioned()
        self._prepare()
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.env)
        self.proc = subprocess.Popen(
            self.command(),
            cwd=comfyui_dir(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)
        self._check_imports()
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(
                    f"ComfyUI exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/system_stats", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"ComfyUI did not answer within {timeout:.0f}s:\n{self.log_tail()}")

    def _check_imports(self) -> None:
        text = self.log_text()
        bad = [ln for ln in text.splitlines() if any(m in ln for m in IMPORT_FAILURE_MARKERS)]
        ours = [ln for ln in bad if LINK_NAME in ln]
        if ours:
            self.stop()
            raise RuntimeError("our package failed to import in ComfyUI:\n" + self.log_tail(80))

    def log_text(self) -> str:
        """This start's part of the log."""
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode("utf-8", "replace")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, not a shutdown."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> ComfyServer:
        self.stop()
        return self.start()

    # Small synchronous helpers so tests need no HTTP library of their own.
    def get_json(self, path: str) -> object:
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.loads(r.read())

    def post_json(self, path: str, body: object) -> object:
        req = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def run_prompt(self, prompt: dict, timeout: float = 120.0) -> dict:
        """Queue a prompt through the real /prompt and wait for its history entry."""
        res = self.post_json("/prompt", {"prompt": prompt})
        assert isinstance(res, dict)
        pid = res["prompt_id"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hist = self.get_json(f"/history/{pid}")
            if isinstance(hist, dict) and pid in hist:
                entry = hist[pid]
                assert isinstance(entry, dict)
                return entry
            time.sleep(0.2)
        raise TimeoutError(f"prompt {pid} did not finish in {timeout}s")


def _serve(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="Run the provisioned ComfyUI with comfy-sweep loaded.")
    p.add_argument("--dir", required=True, type=Path, help="folder for this server's files")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--pidfile", type=Path, default=None)
    args = p.parse_args(argv)
    server = ComfyServer(args.dir.resolve(), port=args.port).start()
    if args.pidfile:
        args.pidfile.write_text(str(server.proc.pid if server.proc else ""))
    print(server.url, flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        sys.exit(_serve(sys.argv[2:]))
    print("usage: comfy_harness.py serve --dir DIR [--port N]", file=sys.stderr)
    sys.exit(2)
