"""A model-free workflow with a known optimum, for the adaptive search and
cr-refine (tests/e2e/test_adaptive_real.py, benchmarks/bench_adaptive.py).

A reference image is rendered at HIDDEN values: a flat canvas, noise with a
fixed seed at some strength, a Gaussian blur of some sigma (its radius fixed
at 12, past 3 sigma over the whole range: the radius and a small sigma would
otherwise be interchangeable, a ridge with no single optimum). A sweep over
the two inputs scored by ``similarity`` (SSIM) to the reference has its
maximum (1.0) exactly there.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

HIDDEN: dict[str, Any] = {"strength": 0.42, "sigma": 1.6}
RANGES: dict[str, tuple[float, float]] = {"strength": (0.0, 1.0), "sigma": (0.3, 4.0)}
RADIUS = 12
SIZE = 96


def workflow(values: dict[str, Any] | None = None) -> dict[str, Any]:
    v = {**HIDDEN, **(values or {})}
    return {
        "1": {"class_type": "EmptyImage",
              "inputs": {"width": SIZE, "height": SIZE, "batch_size": 1, "color": 8421504}},
        "2": {"class_type": "ImageAddNoise",
              "inputs": {"image": ["1", 0], "seed": 7, "strength": v["strength"]}},
        "3": {"class_type": "ImageBlur",
              "inputs": {"image": ["2", 0], "blur_radius": RADIUS, "sigma": v["sigma"]}},
        "4": {"class_type": "SaveImage",
              "inputs": {"images": ["3", 0], "filename_prefix": "hidden/ref"}},
    }  # fmt: skip


def render_reference(server: Any, dest: Path) -> Path:
    """The reference image, rendered by the real ComfyUI at HIDDEN, copied to ``dest``."""
    entry = server.run_prompt(workflow())
    image = entry["outputs"]["4"]["images"][0]
    src = Path(server.output_dir) / image["subfolder"] / image["filename"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest


def sweep_config(
    workflow_file: Path,
    reference: Path,
    strategy: str,
    num_samples: int,
    seed: int,
    measure: str = "ssim",
) -> dict[str, Any]:
    params = {
        "strength": {"path": "nodes.2.inputs.strength"},
        "sigma": {"path": "nodes.3.inputs.sigma"},
    }
    for name, (lo, hi) in RANGES.items():
        params[name].update(min=lo, max=hi)
    data: dict[str, Any] = {
        "workflow_file": str(workflow_file),
        "sampling_strategy": strategy,
        "num_samples": num_samples,
        "sweep_seed": seed,
        "parameters": params,
        "metrics": {
            "like": {"type": "similarity", "reference": str(reference), "measure": measure}
        },
        "comfyui": {"queue_window": 2, "poll_interval": 0.05},
    }
    if strategy == "adaptive":
        data["objective"] = {"metric": "like"}
    return data
