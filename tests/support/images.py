"""Small real images for the photo tests (made with Pillow, as a phone's canvas would)."""

from __future__ import annotations

import io
import random

from PIL import Image


def image_bytes(width: int = 64, height: int = 48, fmt: str = "JPEG", quality: int = 85, noise: bool = False) -> bytes:
    """An image of the given size; ``noise`` makes it hard to compress (to reach a given file size)."""
    if noise:
        rng = random.Random(width * 7919 + height)
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (40, 120, 200))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": quality} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def jpeg_near(size: int) -> bytes:
    """A JPEG just under ``size`` bytes (noise, quality lowered until it fits), like a shrunk phone photo."""
    for quality in range(95, 10, -5):
        data = image_bytes(1280, 960, "JPEG", quality=quality, noise=True)
        if len(data) <= size:
            return data
    side = 1280
    while True:
        side = int(side * 0.9)
        data = image_bytes(side, side * 3 // 4, "JPEG", quality=60, noise=True)
        if len(data) <= size:
            return data
