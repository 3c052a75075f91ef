"""What each metric type measures, on which media, its default goal and range.

The one table docs/metrics.md, the config parser and the scorer dispatch share.
``goal`` None means "neither direction is better": an objective over such a
metric must name its goal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Goal = Literal["maximize", "minimize"]
Media = Literal["image", "video", "any"]


@dataclass(frozen=True)
class MetricInfo:
    type: str
    media: Media  # image metrics also score videos (mean over sampled frames)
    goal: Goal | None
    low: float
    high: float  # math.inf when unbounded
    summary: str


_INF = float("inf")

BUILTIN: dict[str, MetricInfo] = {
    m.type: m
    for m in (
        MetricInfo("sharpness", "image", "maximize", 0.0, _INF, "variance of the Laplacian of luma"),
        MetricInfo("colorfulness", "image", "maximize", 0.0, _INF, "Hasler-Suesstrunk colourfulness"),
        MetricInfo("exposure", "image", "minimize", 0.0, 1.0, "fraction of channel values clipped at 0 or 255"),
        MetricInfo("contrast", "image", "maximize", 0.0, 0.5, "RMS contrast: std of luma in [0, 1]"),
        MetricInfo("entropy", "image", "maximize", 0.0, 8.0, "Shannon entropy of the luma histogram, bits"),
        MetricInfo("noise", "image", "minimize", 0.0, _INF, "Immerkaer noise sigma, grey levels"),
        MetricInfo("flicker", "video", "minimize", 0.0, 255.0, "mean change of mean luma between sampled frames"),
        MetricInfo("motion", "video", None, 0.0, 255.0, "mean absolute luma difference between sampled frames"),
        MetricInfo("similarity", "any", "maximize", -1.0, 1.0, "SSIM (or PSNR in dB, 0-100) to a reference"),
        MetricInfo("diversity", "any", "maximize", 0.0, 1.0, "mean perceptual-hash distance to the other seeds"),
    )
}  # fmt: skip

# Scorers that are the user's own: any media, numbers of their choosing.
EXTERNAL: tuple[str, ...] = ("http", "command", "comfy")
METRIC_TYPES: tuple[str, ...] = (*BUILTIN, *EXTERNAL)
