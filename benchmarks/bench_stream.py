"""Streaming downloads: peak RSS growth while downloading a 1 GiB output.

A 1 GiB file is written straight into a fresh plain ComfyUI's output folder
(tests/comfy_harness.py) and downloaded through ``ComfyClient.download``
(GET /view, streamed to a .part file in 1 MiB chunks, renamed when complete)
in a child process; a second child only imports the CLI and talks to the
server (the idle baseline). Each child reports its own peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``). Target: growth <= ~50 MB.

    .venv/bin/python benchmarks/bench_stream.py [--mib 1024]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def child(address: str, dest: str | None) -> None:
    """Run inside the child: the CLI's imports, one request, maybe the download."""
    import comfy_sweep.cli.batch  # noqa: F401 - what an idle cr-batch has loaded
    import comfy_sweep.cli.run  # noqa: F401
    from comfy_sweep.client.comfyui import ComfyClient

    async def go() -> float:
        async with ComfyClient(address) as client:
            await client.system_stats()
            t0 = time.monotonic()
            if dest:
                await client.download("big.bin", "bench", "output", Path(dest))
            return time.monotonic() - t0

    seconds = asyncio.run(go())
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"peak_mib": peak_kib / 1024, "seconds": seconds}))


def run_child(address: str, dest: Path | None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", address]
    if dest is not None:
        cmd.append(str(dest))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    data: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return data


def write_big(path: Path, mib: int) -> str:
    """``mib`` MiB of incompressible bytes (no sparse file: a real read on the server)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for i in range(mib):
            chunk = block[i % 251 :] + block[: i % 251]  # differs per MiB, cheap to make
            f.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
        return
    from comfy_harness import ComfyServer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=1024)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        server = ComfyServer(Path(d) / "comfy", link_package=False).start()
        try:
            want = write_big(server.output_dir / "bench" / "big.bin", args.mib)
            idle = run_child(server.address, None)
            dest = Path(d) / "big.bin"
            got = run_child(server.address, dest)
            assert dest.stat().st_size == args.mib << 20 and sha256_of(dest) == want
        finally:
            server.stop()
    growth = got["peak_mib"] - idle["peak_mib"]
    rate = args.mib / got["seconds"] if got["seconds"] else float("inf")
    print(f"idle CLI peak RSS        {idle['peak_mib']:7.1f} MiB")
    print(f"downloading {args.mib} MiB peak {got['peak_mib']:7.1f} MiB  ({rate:.0f} MiB/s)")
    print(f"growth                   {growth:7.1f} MiB   (target <= ~50 MB)")


if __name__ == "__main__":
    main()
