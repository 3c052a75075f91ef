"""Diversity of a sample's repetitions: perceptual-hash distances, pure numpy (+ scipy).

pHash (Zauner 2010): luma averaged down to 32 x 32, 2-D DCT, the 8 x 8 lowest
frequencies compared with their median (DC left out) give 64 bits. Two images
that look alike differ in few bits whatever their size or compression; the
distance here is the Hamming distance over 64, 0..1 (about 0.5 for unrelated
images).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .image import Array, luma

HASH_BITS = 64
_SIDE = 32


def _area_resize(y: np.ndarray, n: int) -> np.ndarray:
    """Mean of the pixels falling in each of n x n cells (nearest when smaller)."""
    h, w = y.shape
    rows = np.arange(h) * n // h if h >= n else None
    cols = np.arange(w) * n // w if w >= n else None
    if rows is None or cols is None:  # tiny image: nearest-neighbour up first
        y = y[np.arange(max(h, n)) * h // max(h, n)][:, np.arange(max(w, n)) * w // max(w, n)]
        return _area_resize(y, n)
    labels = rows[:, None] * n + cols[None, :]
    sums = np.bincount(labels.ravel(), weights=y.ravel(), minlength=n * n)
    counts = np.bincount(labels.ravel(), minlength=n * n)
    return (sums / counts).reshape(n, n)


def phash(img: Array) -> int:
    """The 64-bit perceptual hash of an image array."""
    from scipy.fft import dctn  # lazy: CLI start-up time

    low = np.asarray(dctn(_area_resize(luma(img), _SIDE), norm="ortho"))[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int(sum(1 << i for i, b in enumerate(bits) if b))


def distance(a: int, b: int) -> float:
    """Normalised Hamming distance of two hashes, 0..1."""
    return (a ^ b).bit_count() / HASH_BITS


def run_distance(own: Sequence[int], other: Sequence[int]) -> float:
    """Two runs' outputs (hashes in output/frame order), aligned position by position."""
    n = min(len(own), len(other))
    if n == 0:
        raise ValueError("nothing to compare")
    return sum(distance(own[i], other[i]) for i in range(n)) / n


def diversity(own: Sequence[int], siblings: Sequence[Sequence[int]]) -> float:
    """Mean distance of a run's hashes to those of the other repetitions of its sample."""
    others = [s for s in siblings if s]
    if not own or not others:
        raise ValueError("no other repetition of this sample to compare with")
    return sum(run_distance(own, s) for s in others) / len(others)
