"""Image metrics: pure numpy, one RGB (or grey) array in, one float out.

Arrays are H x W x 3 (or 4: alpha is ignored, or H x W grey) with values on the
0..255 scale (uint8, or floats on that scale). Luma is BT.601
(0.299 R + 0.587 G + 0.114 B), the weighting JPEG and most metric papers use.
Ranges and directions: catalog.py and docs/metrics.md.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.generic]
Float = npt.NDArray[np.float64]
_BT601 = np.array([0.299, 0.587, 0.114])


def rgb(img: Array) -> Float:
    """H x W x 3 floats on 0..255 (grey repeated; alpha dropped)."""
    a = np.asarray(img, dtype=np.float64)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"expected an H x W x 3 image array, got shape {a.shape}")
    if a.shape[0] < 3 or a.shape[1] < 3:
        raise ValueError(f"image too small to score ({a.shape[1]}x{a.shape[0]})")
    return a[:, :, :3]


def luma(img: Array) -> Float:
    """H x W floats on 0..255."""
    a = np.asarray(img)
    if a.ndim == 2:
        if a.shape[0] < 3 or a.shape[1] < 3:
            raise ValueError(f"image too small to score ({a.shape[1]}x{a.shape[0]})")
        return a.astype(np.float64)
    return np.asarray(rgb(a) @ _BT601, dtype=np.float64)


def sharpness(img: Array) -> float:
    """Variance of the 4-neighbour Laplacian of luma (Pech-Pacheco 2000): edges
    and fine detail raise it, blur lowers it. Noise raises it too."""
    y = luma(img)
    lap = y[1:-1, :-2] + y[1:-1, 2:] + y[:-2, 1:-1] + y[2:, 1:-1] - 4.0 * y[1:-1, 1:-1]
    return float(lap.var())


def colorfulness(img: Array) -> float:
    """Hasler and Suesstrunk (2003), M3: std and mean of the opponent channels
    rg = R - G and yb = (R + G)/2 - B. 0 for grey; ~15 slightly, ~110 extremely colourful."""
    a = rgb(img)
    rg = a[:, :, 0] - a[:, :, 1]
    yb = 0.5 * (a[:, :, 0] + a[:, :, 1]) - a[:, :, 2]
    std = math.hypot(float(rg.std()), float(yb.std()))
    mean = math.hypot(float(rg.mean()), float(yb.mean()))
    return std + 0.3 * mean


def exposure(img: Array) -> float:
    """Fraction of channel values at 0 or 255 (after rounding): crushed shadows
    plus blown highlights. 0 is no clipping."""
    a = np.rint(rgb(img))
    return float(np.mean((a <= 0.0) | (a >= 255.0)))


def contrast(img: Array) -> float:
    """RMS contrast: the standard deviation of luma scaled to 0..1 (at most 0.5)."""
    return float(luma(img).std() / 255.0)


def entropy(img: Array) -> float:
    """Shannon entropy of the 256-bin luma histogram, in bits (0 flat, 8 at most)."""
    y = np.clip(np.rint(luma(img)), 0, 255).astype(np.int64)
    counts = np.bincount(y.ravel(), minlength=256).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0: no "-0.0" for a flat image


def noise(img: Array) -> float:
    """Immerkaer's fast noise estimate (1996): the standard deviation, in grey
    levels, of Gaussian noise that would explain luma's response to a mask
    that cancels smooth gradients and edges to first order."""
    y = luma(img)
    h, w = y.shape
    # M = [[1,-2,1],[-2,4,-2],[1,-2,1]] as a sum of shifted views (no scipy needed).
    conv = (
        y[:-2, :-2] + y[:-2, 2:] + y[2:, :-2] + y[2:, 2:]
        - 2.0 * (y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:])
        + 4.0 * y[1:-1, 1:-1]
    )  # fmt: skip
    return float(math.sqrt(math.pi / 2.0) * np.abs(conv).sum() / (6.0 * (w - 2) * (h - 2)))
