"""Video metrics over sampled frames: pure numpy, a sequence of frames in, one float out.

Frames are image arrays as in image.py, all of one size, in time order. They
are the frames media/scoring.py sampled evenly over the clip, so "between
frames" means between consecutive samples (every frame of a short clip).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .image import Array, luma


def _lumas(frames: Sequence[Array]) -> list[np.ndarray]:
    if len(frames) < 2:
        raise ValueError(f"needs at least 2 frames, got {len(frames)}")
    ys = [luma(f) for f in frames]
    if len({y.shape for y in ys}) != 1:
        raise ValueError("frames differ in size")
    return ys


def flicker(frames: Sequence[Array]) -> float:
    """Temporal instability of brightness: the mean absolute change of the
    frames' mean luma from one frame to the next, in grey levels (0 steady)."""
    means = np.array([y.mean() for y in _lumas(frames)])
    return float(np.abs(np.diff(means)).mean())


def motion(frames: Sequence[Array]) -> float:
    """How much the picture changes: the mean absolute luma difference between
    consecutive frames, in grey levels (0 for a still clip). Flow-free, so a
    pan and a flicker both count; pair it with flicker to tell them apart."""
    ys = _lumas(frames)
    return float(np.mean([np.abs(b - a).mean() for a, b in zip(ys, ys[1:], strict=False)]))
