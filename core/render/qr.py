"""A QR code as vector squares in a ReportLab story (segno encodes it).

Drawn as filled runs of modules rather than placed as an image: it stays sharp at any zoom and
on any printer, and costs a few hundred bytes of the page's content.
"""

from __future__ import annotations

import segno
from reportlab.lib import colors
from reportlab.platypus import Flowable

QUIET_ZONE = 4  # modules of white around the symbol, as readers expect (ISO/IEC 18004)


class QrCode(Flowable):
    """`text` as a QR code of `size` points square, quiet zone included; error correction M,
    which survives a stamp's edge or a fold across the code."""

    def __init__(self, text: str, size: float):
        super().__init__()
        self.matrix = segno.make(text, error="m", micro=False).matrix
        self.size = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        canvas = self.canv
        unit = self.size / (len(self.matrix) + 2 * QUIET_ZONE)
        canvas.setFillColor(colors.black)
        for y, row in enumerate(self.matrix):
            top = self.size - (y + QUIET_ZONE + 1) * unit
            x = 0
            while x < len(row):
                if not row[x]:
                    x += 1
                    continue
                start = x
                while x < len(row) and row[x]:
                    x += 1
                canvas.rect(
                    (start + QUIET_ZONE) * unit, top, (x - start) * unit, unit, stroke=0, fill=1
                )
