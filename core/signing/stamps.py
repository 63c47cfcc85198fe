"""The visible stamps of the record's PAdES signatures: what each draws, and where in its box.

Regulation 001 Điều 13: a personal signature shows the person's handwritten signature image,
blue on a transparent PNG; the school's seal is red and covers about a third of the
principal's signature, on its left. The two stamps' boxes overlap accordingly
(core.render.book_canvas.PRINCIPAL_BOX, SEAL_BOX), so their captions ("Ký bởi: …", "Thời gian:
…") must not be written in the overlap, or they print over each other (issue 13): each caption
goes in the part of its box the other stamp leaves free (`stamp_layout`).

A stamp is the same for every document of a batch step (same signer, picture, moment), so it
is laid out once and its finished form XObject copied into each document (`render_stamp`,
core.signing.pades.PadesSigner).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from io import BytesIO

from PIL import Image, ImageFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import AppearanceContent
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.layout import (
    AxisAlignment,
    BoxConstraints,
    InnerScaling,
    Margins,
    SimpleBoxLayoutRule,
)
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter, PdfFileWriter
from pyhanko.stamp import TextStampStyle
from pyhanko.stamp.base import BaseStampStyle

from core.formatting import date_time
from core.i18n import _
from core.models.records import SignatureRole
from core.render.book_canvas import PRINCIPAL_BOX, SEAL_BOX
from core.render.fonts import stamp_font_path
from core.render.images import seal

Box = tuple[float, float, float, float]  # (x1, y1, x2, y2), points
FIELD_NAMES = {SignatureRole.PRINCIPAL: "HieuTruong", SignatureRole.SEAL: "DauNhaTruong"}
BOXES: dict[SignatureRole, Box] = {
    SignatureRole.PRINCIPAL: PRINCIPAL_BOX,
    SignatureRole.SEAL: SEAL_BOX,
}
PAD = 2.0  # points between a stamp's edge, its picture and its caption
GAP = 3.0  # points kept clear between a caption and the other stamp's box
# The caption's sizes, tried in turn until it fits its part; whole points, because pyhanko
# writes the size with %d. Six points is what a printed record's stamp caption can be read at.
CAPTION_SIZES = (6, 5, 4)
CAPTION_DESCENT = 2  # points below the caption's last baseline, for its descenders
STACKED_CAPTION_SHARE = 0.4  # at most this share of a stamp's height for a caption under it
_STAMP_KEY = "/HocbaStamp"


@cache
def _image(png: bytes) -> PdfImage:
    return PdfImage(Image.open(BytesIO(png)))


@cache
def _font_factory():
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory

    return GlyphAccumulatorFactory(str(stamp_font_path()))


@cache
def _measuring_font() -> ImageFont.FreeTypeFont:
    """The stamp font at 1000 units, to measure a caption's lines before pyhanko draws them."""
    return ImageFont.truetype(str(stamp_font_path()), 1000)


def _text_width(text: str, size: int) -> float:
    return _measuring_font().getlength(text) * size / 1000


def _wrapped(text: str, size: int, width: float) -> tuple[str, ...]:
    """`text` broken at spaces into lines at most `width` points wide (a word longer than
    that keeps a line of its own: the caption's box then shrinks it to fit)."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and _text_width(candidate, size) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return tuple(lines)


def _leading(size: int) -> int:
    return size + 1


def _text_height(lines: Sequence[str], size: int) -> float:
    """What pyhanko's text box of these lines takes: a leading per line, and the room below
    the last baseline for descenders (CAPTION_DESCENT)."""
    return len(lines) * _leading(size) + CAPTION_DESCENT


@dataclass(frozen=True)
class StampLayout:
    """Where a stamp's picture and caption go, in points from its box's bottom left.

    The record's two stamps overlap on purpose (the seal over the left third of the
    principal's signature, 001 Điều 13; core.render.book_canvas), so each caption is written
    in the part of its box the other stamp's box leaves free, and the picture takes the rest:
    - a wide free part (the principal's right two thirds) holds the caption UNDER the
      picture, and the picture spans the whole width, so the seal still covers its left third;
    - a narrow free part (the seal's strip left of the principal's box) holds the caption
      BESIDE the picture, which sits on the overlapping side.
    A stamp alone on its page (the minutes' seal) has its whole box free: caption under picture.
    """

    width: float
    height: float
    picture: Box
    caption: Box
    lines: tuple[str, ...]
    font_size: int
    beside: bool  # the caption beside the picture (True) or under it
    picture_x: AxisAlignment  # the picture pushed towards the other stamp, or centred


def _free_strip(box: Box, other: Box | None) -> tuple[float, float]:
    """The widest vertical strip of `box` (in its own x from 0) that keeps GAP points away
    from `other`'s box; all of it when the two do not overlap."""
    x1, y1, x2, y2 = box
    width = x2 - x1
    if other is None or not (other[0] < x2 and x1 < other[2] and other[1] < y2 and y1 < other[3]):
        return 0.0, width
    left = (0.0, max(0.0, other[0] - x1 - GAP))
    right = (min(width, other[2] - x1 + GAP), width)
    return max(left, right, key=lambda part: part[1] - part[0])


def stamp_layout(box: Box, other: Box | None, caption: str) -> StampLayout:
    """The layout of a stamp in `box` whose caption must keep off `other` (see StampLayout).
    The caption is wrapped to its part at the largest of CAPTION_SIZES that fits, so it is
    never drawn over the other stamp: at worst pyhanko shrinks it a little more."""
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    start, end = _free_strip(box, other)
    beside = end - start < width / 2
    column = end - start - 2 * PAD
    room = height - 2 * PAD if beside else height * STACKED_CAPTION_SHARE
    for size in CAPTION_SIZES:
        lines = _wrapped(caption, size, column)
        if _text_height(lines, size) <= room:
            break
    text_height = min(_text_height(lines, size), room)
    caption_box = (start + PAD, PAD, end - PAD, (height - PAD) if beside else PAD + text_height)
    if not beside:
        picture, align = (
            (PAD, caption_box[3] + PAD, width - PAD, height - PAD),
            AxisAlignment.ALIGN_MID,
        )
    elif start == 0:  # the caption on the left, the picture to the right, towards the other
        picture, align = (end + PAD, PAD, width - PAD, height - PAD), AxisAlignment.ALIGN_MAX
    else:
        picture, align = (PAD, PAD, start - PAD, height - PAD), AxisAlignment.ALIGN_MIN
    return StampLayout(width, height, picture, caption_box, lines, size, beside, align)


def _inside(part: Box, width: float, height: float) -> Margins:
    """pyhanko's margins that leave `part` of a box of this size."""
    x1, y1, x2, y2 = part
    return Margins(left=x1, right=width - x2, top=height - y2, bottom=y1)


def _other_box(role: SignatureRole, box: Box) -> Box | None:
    """The record's other stamp, when this one is in its place on the record."""
    if BOXES.get(role) != box:
        return None
    others = [b for r, b in BOXES.items() if r is not role]
    return others[0] if others else None


def stamp_style(
    role: SignatureRole,
    signer_name: str,
    moment: dt.datetime,
    handwriting: bytes | None = None,
    box: Box | None = None,
) -> TextStampStyle:
    """The stamp of the principal (their handwritten signature image, blue on transparent:
    `handwriting`, None for none) or of the school's red seal, with the signer's name and the
    signing time on the school's clock (Asia/Ho_Chi_Minh) as its caption; laid out by
    `stamp_layout` in `box` (the role's place on the record by default)."""
    box = box or BOXES[role]
    picture = handwriting if role is SignatureRole.PRINCIPAL else seal(signer_name)
    text = _("Ký bởi: {signer}\nThời gian: {time}").format(
        signer=signer_name, time=date_time(moment)
    )
    layout = stamp_layout(box, _other_box(role, box), text)
    w, h = layout.width, layout.height
    return TextStampStyle(
        stamp_text="\n".join(layout.lines).replace("%", "%%"),  # pyhanko interpolates %(name)s
        background=_image(picture) if picture else None,
        background_opacity=1.0,
        background_layout=SimpleBoxLayoutRule(
            x_align=layout.picture_x,
            y_align=AxisAlignment.ALIGN_MID,
            margins=_inside(layout.picture, w, h),
            inner_content_scaling=InnerScaling.STRETCH_TO_FIT,
        ),
        border_width=0,
        text_box_style=TextBoxStyle(
            font=_font_factory(),
            font_size=layout.font_size,
            leading=_leading(layout.font_size),
            box_layout_rule=SimpleBoxLayoutRule(
                x_align=AxisAlignment.ALIGN_MIN,
                y_align=AxisAlignment.ALIGN_MIN,
                margins=Margins(bottom=CAPTION_DESCENT),
            ),
        ),
        inner_content_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MIN,
            y_align=AxisAlignment.ALIGN_MID if layout.beside else AxisAlignment.ALIGN_MIN,
            margins=_inside(layout.caption, w, h),
            inner_content_scaling=InnerScaling.SHRINK_TO_FIT,
        ),
    )


class _RenderedStamp(AppearanceContent):
    """A stamp rendered once elsewhere, copied into each document's writer."""

    def __init__(self, writer: BasePdfFileWriter, source: generic.IndirectObject) -> None:
        super().__init__(box=None, writer=writer)
        self._source = source

    def register(self) -> generic.IndirectObject:
        imported = self._ensure_writer.import_object(self._source)
        assert isinstance(imported, generic.IndirectObject)
        return imported


@dataclass(frozen=True)
class RenderedStampStyle(BaseStampStyle):
    """A pyhanko stamp style whose appearance is a stamp rendered once (`rendered_stamp`)."""

    source: generic.IndirectObject | None = None

    def create_stamp(self, writer: BasePdfFileWriter, box: BoxConstraints, text_params: dict):
        assert self.source is not None
        return _RenderedStamp(writer, self.source)


def rendered_stamp(
    role: SignatureRole,
    signer_name: str,
    moment: dt.datetime,
    handwriting: bytes | None,
    box: Box,
) -> RenderedStampStyle:
    """Lay out the stamp (`stamp_style`), subset and embed its font, once, in a scratch PDF;
    the form XObject read back from it is complete (font and images encoded) and is copied as
    is into each document."""
    x1, y1, x2, y2 = box
    style = stamp_style(role, signer_name, moment, handwriting, box)
    scratch = PdfFileWriter()
    stamp = style.create_stamp(scratch, BoxConstraints(width=x2 - x1, height=y2 - y1), {})
    scratch.root[_STAMP_KEY] = stamp.register()
    out = BytesIO()
    scratch.write(out)
    source = PdfFileReader(BytesIO(out.getvalue())).root.raw_get(_STAMP_KEY)
    return RenderedStampStyle(border_width=0, source=source)
