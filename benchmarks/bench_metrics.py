"""Cost of scoring one run: each built-in metric on a PNG of several sizes and
on an MP4 (8 sampled frames), median of a few repetitions, in ms; plus peak
memory of the Python heap while scoring the largest image (decoding is
bounded by max_side, so it should not grow with the image).

    .venv/bin/python benchmarks/bench_metrics.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import av
import numpy as np
from comfy_sweep.core.metrics.spec import parse_metrics
from comfy_sweep.media.scoring import ScoreContext, score_run
from PIL import Image

METRICS = ["sharpness", "colorfulness", "exposure", "contrast", "entropy", "noise"]


def picture(side: int) -> Image.Image:
    coarse = np.random.default_rng(side).integers(0, 256, (32, 32, 3)).astype(np.uint8)
    noisy = np.asarray(Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC))
    return Image.fromarray(
        np.clip(noisy + np.random.default_rng(1).normal(0, 8, noisy.shape), 0, 255).astype(np.uint8)
    )


def clip(path: Path, side: int, n: int = 48) -> Path:
    base = np.asarray(picture(side))
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=24)
        s.width = s.height = side
        s.pix_fmt = "yuv420p"
        for i in range(n):
            c.mux(
                s.encode(av.VideoFrame.from_ndarray(np.roll(base, 4 * i, axis=1), format="rgb24"))
            )
        c.mux(s.encode())
    return path


def timed(paths: list[Path], names: list[str], ctx: ScoreContext, repeat: int) -> float:
    specs = parse_metrics(names)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        score_run(paths, specs, context=ctx)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    ctx = ScoreContext()
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for side in (512, 1024, 2048, 4096):
            files[f"png {side}"] = Path(tmp) / f"p{side}.png"
            picture(side).save(files[f"png {side}"])
        files["mp4 512 x48"] = clip(Path(tmp) / "c.mp4", 512)
        print(
            f"{'file':<14}"
            + "".join(f"{m[:8]:>10}" for m in METRICS)
            + f"{'all 6':>10}{'3 common':>10}"
        )
        for label, path in files.items():
            cells = [timed([path], [m], ctx, args.repeat) for m in METRICS]
            both = timed([path], METRICS, ctx, args.repeat)
            three = timed([path], ["sharpness", "noise", "exposure"], ctx, args.repeat)
            print(
                f"{label:<14}"
                + "".join(f"{c:>10.1f}" for c in cells)
                + f"{both:>10.1f}{three:>10.1f}"
            )
        for label in ("png 1024", "png 4096"):
            tracemalloc.start()
            score_run([files[label]], parse_metrics(METRICS), context=ctx)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"peak Python heap scoring {label} with all 6: {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
