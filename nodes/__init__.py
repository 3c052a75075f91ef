"""ComfyUI nodes of comfy-sweep: axis nodes that carry a sweep axis inside a
workflow, and SweepLabel that stamps each run's values onto its images.

The package root imports these mappings only when running inside ComfyUI.
Nothing here imports torch or ComfyUI at import time.
"""

from .axes import SweepFloatRange, SweepIntRange, SweepSeed, SweepValues
from .label import SweepLabel

NODE_CLASS_MAPPINGS = {
    "SweepFloatRange": SweepFloatRange,
    "SweepIntRange": SweepIntRange,
    "SweepValues": SweepValues,
    "SweepSeed": SweepSeed,
    "SweepLabel": SweepLabel,
}

NODE_DISPLAY_NAME_MAPPINGS = {
    "SweepFloatRange": "Sweep Float Range",
    "SweepIntRange": "Sweep Int Range",
    "SweepValues": "Sweep Values",
    "SweepSeed": "Sweep Seed",
    "SweepLabel": "Sweep Label",
}

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
