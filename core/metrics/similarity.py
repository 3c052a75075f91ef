"""Similarity of an output to a reference: SSIM and PSNR, pure numpy (+ scipy).

Both arrays must have the same size (media/scoring.py resizes the reference to
the output). SSIM is Wang et al. (2004) on luma with the usual 11-tap Gaussian
window (sigma 1.5), K1 = 0.01, K2 = 0.03, L = 255: 1 for identical images.
PSNR is over the RGB values in dB, capped at ``PSNR_MAX`` so that identical
images give a finite number that CSV, JSON and sorting all handle.
"""

from __future__ import annotations

import math

import numpy as np

from .image import Array, luma, rgb

PSNR_MAX = 100.0
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def _same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"sizes differ: {a.shape[:2]} vs {b.shape[:2]}")


def ssim(img: Array, ref: Array) -> float:
    """Mean structural similarity of the lumas, -1..1 (1 identical)."""
    from scipy.ndimage import gaussian_filter  # lazy: CLI start-up time

    x, y = luma(img), luma(ref)
    _same_shape(x, y)

    def blur(a: np.ndarray) -> np.ndarray:
        return np.asarray(gaussian_filter(a, sigma=1.5, truncate=3.5, mode="reflect"))

    mx, my = blur(x), blur(y)
    vx = blur(x * x) - mx * mx
    vy = blur(y * y) - my * my
    cxy = blur(x * y) - mx * my
    num = (2 * mx * my + _C1) * (2 * cxy + _C2)
    den = (mx * mx + my * my + _C1) * (vx + vy + _C2)
    return float(np.clip(np.mean(num / den), -1.0, 1.0))


def psnr(img: Array, ref: Array) -> float:
    """Peak signal-to-noise ratio of the RGB values in dB, 0..PSNR_MAX (PSNR_MAX identical)."""
    a, b = rgb(img), rgb(ref)
    _same_shape(a, b)
    mse = float(np.mean((a - b) ** 2))
    if mse <= 0.0:
        return PSNR_MAX
    return min(PSNR_MAX, 10.0 * math.log10(255.0**2 / mse))
