"""Where a PDF's text is drawn, as poppler's pdftotext reads it, and which boxes overprint.

An oracle that knows nothing of our layout: `pdftotext -bbox-layout` draws each page as a
viewer does (the signature widgets' appearance streams included) and gives every word its box.
Coordinates are poppler's: points, from the page's TOP left.

A word's box runs from the font's ascent to its descent: for Noto Sans 1.36 em, room for
Vietnamese stacked diacritics. Lines of one paragraph are set closer than that (about 1.2
em), so their boxes touch, sharing up to a quarter of their height; that is ordinary
typesetting, not an overprint. Two boxes overprint when they share more than a third of the
smaller one's height (lines less than about 0.9 em apart, or text written on text) and more
than half a point of width.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from tests.signing.conftest import tool

XHTML = "{http://www.w3.org/1999/xhtml}"
OVERPRINT_SHARE = 1 / 3  # of the smaller box's height (see the module's docstring)
MIN_WIDTH = 0.5  # points of shared width below which two boxes only touch


@dataclass(frozen=True)
class TextBox:
    """One word (or one line a PDF draws as a single run) on a page."""

    page: int  # from 1
    text: str
    x1: float
    y1: float  # top
    x2: float
    y2: float  # bottom

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    def meets(self, area: tuple[float, float, float, float]) -> bool:
        """Whether the box has any area in common with `area` (x1, y1, x2, y2, top-down)."""
        x1, y1, x2, y2 = area
        return self.x1 < x2 and x1 < self.x2 and self.y1 < y2 and y1 < self.y2


@dataclass(frozen=True)
class Page:
    """A page's size (points) and its words."""

    number: int  # from 1
    width: float
    height: float
    boxes: tuple[TextBox, ...]

    def from_bottom(self, area: tuple[float, float, float, float]) -> tuple[float, ...]:
        """A PDF area (x1, y1, x2, y2 from the bottom left, as a signature box is given) in
        poppler's coordinates, from the top."""
        x1, y1, x2, y2 = area
        return x1, self.height - y2, x2, self.height - y1


def read_pages(pdf: bytes, folder: Path) -> list[Page]:
    """Every page with its words' boxes (pdftotext -bbox-layout)."""
    path = folder / "text-boxes.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        [tool("pdftotext"), "-bbox-layout", str(path), "-"], capture_output=True, check=True
    ).stdout
    root = etree.fromstring(out, etree.XMLParser(resolve_entities=False, no_network=True))
    pages = []
    for number, page in enumerate(root.iter(f"{XHTML}page"), 1):
        boxes = []
        for word in page.iter(f"{XHTML}word"):
            x1, y1, x2, y2 = (float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
            boxes.append(TextBox(number, word.text or "", x1, y1, x2, y2))
        size = (float(page.get("width")), float(page.get("height")))
        pages.append(Page(number, *size, tuple(boxes)))
    return pages


def text_boxes(pdf: bytes, folder: Path) -> list[TextBox]:
    """Every word of every page, with its box."""
    return [box for page in read_pages(pdf, folder) for box in page.boxes]


def overprints(boxes: Sequence[TextBox]) -> list[tuple[TextBox, TextBox]]:
    """The pairs of boxes of one page that overprint (see the module's docstring)."""
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a.page != b.page:
                continue
            width = min(a.x2, b.x2) - max(a.x1, b.x1)
            height = min(a.y2, b.y2) - max(a.y1, b.y1)
            if width > MIN_WIDTH and height > OVERPRINT_SHARE * min(a.height, b.height):
                found.append((a, b))
    return found


def described(pairs: Sequence[tuple[TextBox, TextBox]]) -> str:
    """The overprinting pairs, one line each, for an assertion's message."""
    return "\n".join(
        f"page {a.page}: {a.text!r} ({a.x1:.1f}, {a.y1:.1f}, {a.x2:.1f}, {a.y2:.1f}) over "
        f"{b.text!r} ({b.x1:.1f}, {b.y1:.1f}, {b.x2:.1f}, {b.y2:.1f})"
        for a, b in pairs
    )
