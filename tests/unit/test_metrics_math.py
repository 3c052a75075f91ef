"""The pure metric math on synthetic arrays with known answers (explicit seeds)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from comfy_sweep.core.metrics import diversity as div
from comfy_sweep.core.metrics import image, similarity, video

RNG = np.random.default_rng(1234)


def smooth_image(h: int = 96, w: int = 128) -> np.ndarray:
    """A colourful gradient with a few edges: textured but not noisy."""
    yy, xx = np.mgrid[0:h, 0:w]
    r = 255 * xx / (w - 1)
    g = 255 * yy / (h - 1)
    b = np.where((xx // 16 + yy // 16) % 2 == 0, 200.0, 40.0)
    return np.stack([r, g, b], axis=2).round().astype(np.uint8)


def box_blur(a: np.ndarray, k: int = 5) -> np.ndarray:
    out = a.astype(np.float64)
    for axis in (0, 1):
        out = sum(np.roll(out, s, axis=axis) for s in range(-(k // 2), k // 2 + 1)) / k
    return out.round().astype(np.uint8)


def with_noise(a: np.ndarray, sigma: float, seed: int = 7) -> np.ndarray:
    noisy = a + np.random.default_rng(seed).normal(0, sigma, a.shape)
    return np.clip(noisy, 0, 255).round().astype(np.uint8)


def test_blur_lowers_sharpness_and_noise_raises_noise() -> None:
    src = smooth_image()
    assert image.sharpness(box_blur(src)) < image.sharpness(src) / 2
    assert image.noise(with_noise(src, 20)) > image.noise(src) + 10


def test_noise_estimate_recovers_the_sigma_of_gaussian_noise() -> None:
    flat = np.full((256, 256), 128.0)
    noisy = flat + RNG.normal(0, 10, flat.shape)
    assert image.noise(noisy) == pytest.approx(10, rel=0.05)
    assert image.noise(flat) == 0.0


def test_flat_grey_image() -> None:
    grey = np.full((32, 32, 3), 100, np.uint8)
    assert image.sharpness(grey) == 0.0
    assert image.colorfulness(grey) == 0.0
    assert image.contrast(grey) == 0.0
    assert image.entropy(grey) == 0.0
    assert image.exposure(grey) == 0.0


def test_exposure_is_the_clipped_fraction() -> None:
    a = np.full((10, 10, 3), 128, np.uint8)
    a[:5] = 255  # half blown out
    a[5:6] = 0  # a tenth crushed
    assert image.exposure(a) == pytest.approx(0.6)


def test_contrast_and_entropy_of_a_half_black_half_white_image() -> None:
    a = np.zeros((10, 10), np.float64)
    a[:, 5:] = 255
    assert image.contrast(a) == pytest.approx(0.5)
    assert image.entropy(a) == pytest.approx(1.0)
    assert image.entropy(RNG.integers(0, 256, (256, 256))) > 7.9


def test_colorfulness_orders_grey_pastel_and_saturated() -> None:
    grey = np.full((16, 16, 3), 128, np.uint8)
    pastel = grey.copy()
    pastel[:, :8] = (160, 128, 128)
    vivid = np.zeros((16, 16, 3), np.uint8)
    vivid[:, :8] = (255, 0, 0)
    vivid[:, 8:] = (0, 0, 255)
    assert image.colorfulness(grey) < image.colorfulness(pastel) < image.colorfulness(vivid)


def test_similarity_of_an_image_to_itself_and_to_a_degraded_copy() -> None:
    src = smooth_image()
    assert similarity.ssim(src, src) == pytest.approx(1.0)
    assert similarity.psnr(src, src) == similarity.PSNR_MAX
    noisy = with_noise(src, 25)
    assert similarity.ssim(noisy, src) < 0.9
    assert 15 < similarity.psnr(noisy, src) < 25  # 20 log10(255/25) ~ 20 dB
    assert similarity.ssim(255 - src, src) < 0.2
    with pytest.raises(ValueError, match="sizes differ"):
        similarity.ssim(src, src[:50])


def test_flicker_and_motion() -> None:
    still = [smooth_image()] * 5
    assert video.flicker(still) == 0.0 and video.motion(still) == 0.0
    flashing = [np.full((16, 16, 3), v, np.uint8) for v in (50, 150, 50, 150)]
    assert video.flicker(flashing) == pytest.approx(100 * (0.299 + 0.587 + 0.114))
    panning = [np.roll(smooth_image(), 4 * i, axis=1) for i in range(5)]
    assert video.motion(panning) > 5 and video.flicker(panning) < 1
    with pytest.raises(ValueError, match="at least 2 frames"):
        video.motion(still[:1])


def blobs(seed: int, side: int = 128) -> np.ndarray:
    """A photo-like picture: random low-frequency colour blobs."""
    coarse = np.random.default_rng(seed).integers(0, 256, (8, 8, 3)).astype(np.float64)
    return box_blur(np.kron(coarse, np.ones((side // 8, side // 8, 1))).astype(np.uint8), 9)


def test_phash_is_stable_under_resize_and_far_for_different_images() -> None:
    src = blobs(1)
    half = src[::2, ::2]
    other = blobs(2)
    assert div.distance(div.phash(src), div.phash(half)) <= 4 / 64
    assert div.distance(div.phash(src), div.phash(other)) > 0.25
    assert div.phash(np.zeros((5, 7, 3))) == div.phash(np.zeros((5, 7, 3)))  # tiny images too


def test_diversity_is_the_mean_distance_to_the_siblings() -> None:
    assert div.diversity([0b1111], [[0b0000], [0b1111]]) == pytest.approx((4 / 64 + 0) / 2)
    with pytest.raises(ValueError, match="no other repetition"):
        div.diversity([1], [])


@pytest.mark.parametrize(
    "fn", [image.sharpness, image.colorfulness, image.exposure, image.contrast, image.noise]
)
def test_bad_shapes_are_value_errors(fn: object) -> None:
    assert callable(fn)
    with pytest.raises(ValueError):
        fn(np.zeros((2, 2, 3)))  # type: ignore[operator]
    with pytest.raises(ValueError):
        fn(np.zeros((8, 8, 5)))  # type: ignore[operator]


def test_results_are_finite_floats() -> None:
    a = RNG.integers(0, 256, (40, 40, 3)).astype(np.uint8)
    for fn in (image.sharpness, image.colorfulness, image.exposure, image.contrast,
               image.entropy, image.noise):  # fmt: skip
        value = fn(a)
        assert isinstance(value, float) and math.isfinite(value)
