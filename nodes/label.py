"""SweepLabel: stamps text (filled per run by the sweep engine) onto images.

The drawing is plain Pillow (``stamp_text``) so it is testable without torch;
torch is imported lazily inside the node function, as ComfyUI provides it.
"""

from __future__ import annotations

from typing import Any

from PIL import Image, ImageDraw, ImageFont

CATEGORY = "comfy-sweep"
_PAD = 4


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has no sized default font
        return ImageFont.load_default()


def stamp_text(
    img: Image.Image, text: str, *, size: int = 14, position: str = "bottom"
) -> Image.Image:
    """Return a copy of ``img`` with ``text`` on a dark band at the top or bottom."""
    out = img.convert("RGB")
    if not text.strip():
        return out
    draw = ImageDraw.Draw(out)
    font = _font(size)
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font)
    band = bottom - top + 2 * _PAD
    y0 = 0 if position == "top" else max(0, out.height - band)
    draw.rectangle((0, y0, out.width, y0 + band), fill=(0, 0, 0))
    draw.multiline_text((_PAD - left, y0 + _PAD - top), text, font=font, fill=(255, 255, 255))
    return out


class SweepLabel:
    """IMAGE + text -> IMAGE with the text stamped on every frame of the batch."""

    CATEGORY = CATEGORY
    RETURN_TYPES = ("IMAGE",)
    RETURN_NAMES = ("images",)
    FUNCTION = "run"
    DESCRIPTION = "Stamps a sweep run's values onto images; the sweep fills the text per run."

    @classmethod
    def INPUT_TYPES(cls) -> dict[str, Any]:
        return {
            "required": {
                "images": ("IMAGE",),
                "text": ("STRING", {"default": "", "multiline": True}),
                "font_size": ("INT", {"default": 14, "min": 6, "max": 256}),
                "position": (["bottom", "top"],),
            }
        }

    def run(self, images: Any, text: str, font_size: int, position: str) -> tuple[Any]:
        import numpy as np
        import torch  # provided by ComfyUI; lazy so importing the pack stays light

        frames = []
        for frame in images:
            arr = (frame.cpu().numpy().clip(0.0, 1.0) * 255.0).round().astype(np.uint8)
            pil = stamp_text(Image.fromarray(arr[..., :3]), text, size=font_size, position=position)
            frames.append(torch.from_numpy(np.asarray(pil, dtype=np.float32) / 255.0))
        return (torch.stack(frames).to(images.device),)
