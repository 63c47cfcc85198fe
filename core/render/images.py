"""Stamp images (regulation 001 Điều 13): a personal signature in blue on a transparent PNG,
and the school's seal in red.

Each signer uploads their own signature (core.services.signature_images), which `inked` turns
into blue strokes on a transparent ground; for the demo and the tests a plausible one is drawn
from the person's name (`handwritten_signature`: the same name always gives the same strokes).
"""

from __future__ import annotations

import hashlib
import math
import random
from functools import cache
from io import BytesIO

from PIL import Image, ImageChops, ImageDraw, ImageFont

from core.render.fonts import BOLD, font_path

BLUE = (20, 50, 170, 255)
RED = (200, 20, 30, 255)
# How dark a pixel must be to be ink: at or below INK_FULL (grey level) fully, at or above
# INK_NONE not at all (white, or the light halo a background removal leaves), between in
# proportion, so the strokes keep their smooth edges.
INK_FULL = 140
INK_NONE = 235


@cache
def handwritten_signature(name: str, width: int = 360, height: int = 150) -> bytes:
    """A blue, hand-like scrawl on a transparent background, seeded by `name`; PNG bytes."""
    rng = random.Random(hashlib.sha256(name.encode()).digest())
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = []
    x = 20.0
    while x < width - 30:
        phase = rng.uniform(0, math.tau)
        amplitude = rng.uniform(20, 45)
        for step in range(12):
            t = step / 12
            points.append((x + t * 40, height / 2 + amplitude * math.sin(phase + t * math.tau)))
        x += rng.uniform(30, 45)
    draw.line(points, fill=BLUE, width=4, joint="curve")
    draw.line([(30, height * 0.8), (width - 40, height * 0.7)], fill=BLUE, width=3)
    return _png(image)


@cache
def seal(school_name: str, size: int = 300) -> bytes:
    """A red round seal: two rings, a star and the school's name; PNG bytes."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((6, 6, size - 6, size - 6), outline=RED, width=10)
    draw.ellipse((40, 40, size - 40, size - 40), outline=RED, width=4)
    centre, radius = size / 2, size * 0.12
    star = [
        (
            centre + (radius if i % 2 == 0 else radius * 0.4) * math.sin(i * math.pi / 5),
            centre * 0.75 - (radius if i % 2 == 0 else radius * 0.4) * math.cos(i * math.pi / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=RED)
    font = ImageFont.truetype(str(font_path(BOLD)), size // 14)
    words = school_name.upper().split()
    lines = [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])]
    for index, line in enumerate(lines):
        draw.text(
            (centre, size * 0.56 + index * size * 0.09), line, fill=RED, font=font, anchor="mm"
        )
    return _png(image)


def _ramp(dark: float, light: float):
    """A grey level -> opacity table: 255 at or below `dark`, 0 at or above `light`."""
    return [round(255 * min(1.0, max(0.0, (light - v) / (light - dark)))) for v in range(256)]


def inked(image: Image.Image, paper: int | None = None) -> Image.Image:
    """The strokes of a signature image as BLUE on a transparent ground (001 Điều 13).

    A pixel's opacity is its own (None `paper`: the image has its own transparency) times its
    darkness, so a halo of opaque white left around the strokes disappears and black, blue or
    grey strokes all come out the regulation's blue. With `paper`, the grey level of the white
    paper an opaque scan was made on, opacity is darkness against that paper alone: the paper,
    and anything within 25 levels of it (its grain), becomes transparent."""
    rgba = image.convert("RGBA")
    grey = rgba.convert("L")
    if paper is None:
        alpha = ImageChops.multiply(rgba.getchannel("A"), grey.point(_ramp(INK_FULL, INK_NONE)))
    else:
        light = max(paper - 25, 1)
        alpha = grey.point(_ramp(min(INK_FULL, light - 1), light))
    out = Image.new("RGBA", rgba.size, (*BLUE[:3], 0))
    out.putalpha(alpha)
    return out


def png(image: Image.Image) -> bytes:
    """PNG bytes of `image`, compressed as far as PNG goes (a record embeds it every time)."""
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _png(image: Image.Image) -> bytes:
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
