"""A model-free workflow with a hidden optimum for comfy-sweep explore
(tests/e2e/test_explore_real.py, benchmarks/bench_explore.py).

No sampler (so no surfing), two continuous inputs (noise strength, blur
sigma), a COMBO (the rotation: only the right one lines the noise up with the
reference) and a seed. The reference is rendered by the real ComfyUI at
HIDDEN; ``similarity`` to it is highest exactly there.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

HIDDEN: dict[str, Any] = {"strength": 0.55, "sigma": 1.7, "rotation": "180 degrees"}
RANGES: dict[str, tuple[float, float]] = {"strength": (0.05, 0.95), "sigma": (0.3, 4.0)}
SEED = 7
ONLY = (
    "nodes.2.inputs.strength=0.05:0.95",
    "nodes.3.inputs.sigma=0.3:4",
    "nodes.4.inputs.rotation",
)


def workflow(
    values: dict[str, Any] | None = None, size: int = 64, radius: int = 4
) -> dict[str, Any]:
    """The workflow as a person would hand it over: defaults away from the optimum."""
    v = {"strength": 0.3, "sigma": 1.0, "rotation": "none", **(values or {})}
    return {
        "1": {"class_type": "EmptyImage",
              "inputs": {"width": size, "height": size, "batch_size": 1, "color": 8421504}},
        "2": {"class_type": "ImageAddNoise",
              "inputs": {"image": ["1", 0], "seed": SEED, "strength": v["strength"]}},
        "3": {"class_type": "ImageBlur",
              "inputs": {"image": ["2", 0], "blur_radius": radius, "sigma": v["sigma"]}},
        "4": {"class_type": "ImageRotate", "inputs": {"image": ["3", 0], "rotation": v["rotation"]}},
        "5": {"class_type": "SaveImage", "inputs": {"images": ["4", 0], "filename_prefix": "explore/out"}},
    }  # fmt: skip


def render_reference(server: Any, dest: Path) -> Path:
    """The reference, rendered by the real ComfyUI at HIDDEN, copied to ``dest``."""
    entry = server.run_prompt(workflow(HIDDEN))
    image = entry["outputs"]["5"]["images"][0]
    src = Path(server.output_dir) / image["subfolder"] / image["filename"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest


def distance(values: dict[str, Any]) -> float:
    """The largest distance of the continuous values from HIDDEN, as a share of their range."""
    return max(abs(float(values[k]) - HIDDEN[k]) / (hi - lo) for k, (lo, hi) in RANGES.items())
