"""The record PDF's fixed parts: the footer of every page and, at the foot of the last page,
the signature blocks of the paper book, where the PAdES stamps land.

On paper the homeroom teacher signs at the bottom left and the principal at the bottom right,
under the place and date line and the title HIỆU TRƯỞNG, the school's seal over the left third
of the handwritten signature (regulation 001 Điều 13), the name under both. The PDF keeps that
order at fixed positions of the last page: the titles above the stamps' boxes, the names below
them, the homeroom teacher's block left of the seal. So the stamps (drawn later by pyhanko in
`PRINCIPAL_BOX` and `SEAL_BOX`, core.signing.pades) never cover a word of the page: the
content of the last page ends above `SIGNATURE_AREA`; other pages run down to `PAGE_MARGIN`.

Which page is the last is known only when the document is finished, so the canvas keeps every
page's state and draws the fixed parts when it is saved (the usual reportlab page-count
pattern).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from reportlab.pdfgen.canvas import Canvas

from core import formatting
from core.i18n import _
from core.models.records import SignatureRole
from core.render.fonts import register_reportlab_fonts
from core.render.xml_record import StudentRecord

# (x1, y1, x2, y2) in points from the bottom left of the last page. The seal overlaps the left
# third of the principal's signature (regulation 001, Điều 13).
PRINCIPAL_BOX = (340, 70, 520, 160)
SEAL_BOX = (290, 60, 400, 170)
SIGNATURE_AREA = 225  # the last page's content ends above the signature blocks
PAGE_MARGIN = 40  # every page's content ends above the footer
_LEFT_CENTRE = 150  # the homeroom teacher's block, clear of the seal (x ≥ 290)
_RIGHT_CENTRE = (PRINCIPAL_BOX[0] + PRINCIPAL_BOX[2]) / 2
_TITLE_Y = 192  # the blocks' titles: above both stamps (top 170)
_NAME_Y = 44  # the signers' names: below both stamps (bottom 60)
_FOOTER_Y = 20


def _date_line(record: StudentRecord, moment: dt.datetime | None) -> str:
    """ "An Dương, ngày 02 tháng 06 năm 2026": the place and the day the principal signed."""
    if moment is None:
        return _("{place}, ngày … tháng … năm …").format(place=record.school.district)
    day = formatting.to_school_time(moment)
    return _("{place}, ngày {d:02d} tháng {m:02d} năm {y}").format(
        place=record.school.district, d=day.day, m=day.month, y=day.year
    )


class _BookCanvas(Canvas):
    """A canvas that draws each page's footer and the last page's signature blocks on save."""

    def __init__(self, *args, record: StudentRecord, signed: Mapping[str, dt.datetime], **kw):
        super().__init__(*args, **kw)
        self._record = record
        self._signed = signed
        self._pages: list[dict] = []
        self._fonts = register_reportlab_fonts()

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, 1):
            self.__dict__.update(state)
            self._footer(number, total)
            if number == total:
                self._signature_blocks()
            super().showPage()
        super().save()

    def _text(self, x: float, y: float, text: str, size: float, bold: bool = False) -> None:
        regular, heavy = self._fonts
        self.setFont(heavy if bold else regular, size)
        self.drawCentredString(x, y, text)

    def _footer(self, number: int, total: int) -> None:
        record = self._record
        text = _("Học bạ {name} — mã {code}, phiên bản {version} — trang {n}/{total}").format(
            name=record.full_name,
            code=record.record_code,
            version=record.version,
            n=number,
            total=total,
        )
        self._text(self._pagesize[0] / 2, _FOOTER_Y, text, 7)

    def _signature_blocks(self) -> None:
        record, signed = self._record, self._signed
        homeroom = signed.get(SignatureRole.HOMEROOM.signature_id)
        self._text(_LEFT_CENTRE, _TITLE_Y, _("GIÁO VIÊN CHỦ NHIỆM"), 10, bold=True)
        self._text(_LEFT_CENTRE, _TITLE_Y - 12, _("(ký số trên học bạ XML)"), 8)
        if homeroom is not None:
            self._text(_LEFT_CENTRE, 118, _("Đã ký số"), 9, bold=True)
            self._text(_LEFT_CENTRE, 106, formatting.date_time(homeroom), 8)
        listed = next((s for s in record.signers if s.role == SignatureRole.HOMEROOM.value), None)
        if listed is not None and listed.name != record.homeroom:  # 001 Điều 18.7
            self._text(_LEFT_CENTRE, 90, _("{name} ký thay").format(name=listed.name), 8)
        self._text(_LEFT_CENTRE, _NAME_Y, record.homeroom, 10, bold=True)
        principal = signed.get(SignatureRole.PRINCIPAL.signature_id)
        self._text(_RIGHT_CENTRE, _TITLE_Y + 14, _date_line(record, principal), 9)
        self._text(_RIGHT_CENTRE, _TITLE_Y, _("HIỆU TRƯỞNG"), 10, bold=True)
        self._text(_RIGHT_CENTRE, _TITLE_Y - 12, _("(ký số, đóng dấu)"), 8)
        self._text(_RIGHT_CENTRE, _NAME_Y, record.principal, 10, bold=True)


def book_canvas(record: StudentRecord, signed: Mapping[str, dt.datetime]) -> Callable[..., Canvas]:
    """The canvas maker reportlab's document builds `record`'s PDF with."""

    def make(*args, **kwargs) -> Canvas:
        return _BookCanvas(*args, record=record, signed=signed, **kwargs)

    return make
