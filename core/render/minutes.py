"""The minutes of a correction (Biên bản sửa chữa dữ liệu) as a Vietnamese PDF.

Regulation 000 (Điều 8) and 003 (Điều 8, khoản 2) end the procedure with minutes witnessed by
the leadership, the admin board and the teacher. The document follows the usual administrative
layout: the school at the top left, the national motto at the top right, the title, then the
facts (request, evidence with their SHA-256, approval, old → new values with times), who
confirmed what and when (the approver, each witness, the teacher who entered the approved
value: they confirm in the assistant, not with a pen), and at the foot the school's seal.
Everything comes from `MinutesFacts`, so the same data always gives the same text, and the
minutes can be drawn up again at any time. Noto Sans is embedded, so every Vietnamese letter
renders and can be extracted.

The seal is a PAdES signature with a visible stamp (core.signing.pades), put on afterwards in
the place the drawing leaves for it: `render_minutes` says where that place fell on the last
page (`DrawnMinutes.seal_box`), since the facts decide how long the minutes are. Where the
school's seal cannot be used, the minutes say so at the top and in the seal's place.

Rendering is CPU work: `render_minutes` runs in the worker pool (core.workers), so its input is
plain picklable values (the corrections service reads them from the database), and it carries
the language and the zone to write in, which a worker process does not share with the bot.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core import formatting
from core.i18n import _, use_language
from core.render.fonts import register_reportlab_fonts

SEAL_SIZE = 110  # points: the seal's stamp, the size of the record book's (book_canvas.SEAL_BOX)
Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in points on the last page


@dataclass(frozen=True)
class WitnessLine:
    role: str
    name: str
    confirmed_at: dt.datetime | None


@dataclass(frozen=True)
class ChangeLine:
    """One corrected cell: its column in words (ĐĐGtx 1; Rèn luyện học kỳ I), the values as
    shown, and when it was applied."""

    column: str
    old: str
    new: str
    applied_at: dt.datetime | None


@dataclass(frozen=True)
class MinutesFacts:
    """Everything the minutes say, read from the data so they can be drawn up again, in the
    language and the zone they are written in."""

    language: str
    zone: dt.tzinfo
    school_name: str
    province: str
    number: str
    created_at: dt.datetime
    teacher: str
    student: str
    school_class: str
    subject: str  # empty: the homeroom teacher's data of the term
    term: str
    year: str
    reason: str
    items: tuple[ChangeLine, ...]
    evidence: tuple[tuple[str, str, int], ...]  # name, sha256, size
    approver: str
    approved_at: dt.datetime | None
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    witnesses: tuple[WitnessLine, ...]

    @property
    def applied_at(self) -> dt.datetime | None:
        """When the teacher entered the last approved value."""
        return max((i.applied_at for i in self.items if i.applied_at), default=None)


@dataclass(frozen=True)
class DrawnMinutes:
    """The PDF, and where on its last page the school's seal goes."""

    pdf: bytes
    seal_box: Box


class _SealPlace(Flowable):
    """The empty square left for the seal's stamp; it notes where it was drawn."""

    def __init__(self, found: list[Box]) -> None:
        super().__init__()
        self.width = self.height = SEAL_SIZE
        self._found = found

    def wrap(self, _available_width: float, _available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        self._found[:] = [(x, y, x + self.width, y + self.height)]


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = register_reportlab_fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=11, leading=15)
    return {
        "base": base,
        "center": ParagraphStyle("center", base, alignment=1),
        "head": ParagraphStyle("head", base, fontName=bold, alignment=1),
        "title": ParagraphStyle("title", base, fontName=bold, fontSize=15, leading=20, alignment=1),
        "bold": ParagraphStyle("bold", base, fontName=bold),
        "small": ParagraphStyle("small", base, fontSize=8.5, leading=11),
        "cell": ParagraphStyle("cell", base, fontSize=10, leading=13),
        "note": ParagraphStyle("note", base, fontName=bold, textColor="#b00000"),
    }


def render_minutes(facts: MinutesFacts, sealed: bool = True) -> DrawnMinutes:
    """The minutes as PDF bytes with the place of the seal (a worker task: module level,
    picklable input). `sealed` False: the school's seal cannot be put on, and the minutes
    say so."""
    with use_language(facts.language):
        return _render(facts, sealed)


def _grid(rows: list[list[object]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#444444")]))
    return table


def _sheet(facts: MinutesFacts) -> str:
    """What the request is about: a subject's marks of a term, or the homeroom data."""
    if not facts.subject:
        return _("Dữ liệu của giáo viên chủ nhiệm, học kỳ {term}").format(term=facts.term)
    return _("Môn {subject}, học kỳ {term}").format(subject=escape(facts.subject), term=facts.term)


def _render(facts: MinutesFacts, sealed: bool) -> DrawnMinutes:
    st = _styles()

    def when(value: dt.datetime | None, missing: str = "—") -> str:
        return formatting.date_time(value, facts.zone) if value else missing

    def para(text: str, style: str = "base") -> Paragraph:
        return Paragraph(text, st[style])

    unsealed_note = _(
        "Biên bản này chưa có chữ ký số (con dấu) của nhà trường: con dấu số của trường chưa "
        "được cấu hình hoặc không dùng được lúc lập biên bản. Ban quản trị đã được báo."
    )
    header = Table(
        [
            [
                para(escape(facts.school_name.upper()), "head"),
                para(_("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "head"),
            ],
            ["", para(_("Độc lập - Tự do - Hạnh phúc"), "head")],
        ],
        colWidths=[80 * mm, 100 * mm],
    )
    story: list[Flowable] = [
        header,
        Spacer(1, 8 * mm),
        para(_("BIÊN BẢN SỬA CHỮA DỮ LIỆU"), "title"),
        para(
            _("Biên bản sửa chữa dữ liệu học bạ số theo phiếu {number}").format(
                number=facts.number
            ),
            "center",
        ),
        Spacer(1, 6 * mm),
    ]
    if not sealed:
        story += [para(unsealed_note, "note"), Spacer(1, 3 * mm)]
    story += [
        para(_("1. Phiếu đề nghị"), "bold"),
        para(
            _(
                "Giáo viên đề nghị: {teacher}. Học sinh: {student}, lớp {klass}, năm học {year}. "
                "{sheet}. Lập phiếu lúc {at}."
            ).format(
                teacher=escape(facts.teacher),
                student=escape(facts.student),
                klass=escape(facts.school_class),
                year=escape(facts.year),
                sheet=_sheet(facts),
                at=when(facts.created_at),
            )
        ),
        para(_("Lý do: {reason}").format(reason=escape(facts.reason))),
        Spacer(1, 3 * mm),
        para(_("2. Minh chứng (mã SHA-256)"), "bold"),
    ]
    story += [
        para(
            _("{n}. {name} ({size} byte): {sha}").format(
                n=n, name=escape(name), size=formatting.integer(size), sha=sha
            ),
            "small",
        )
        for n, (name, sha, size) in enumerate(facts.evidence, 1)
    ]
    story += [
        Spacer(1, 3 * mm),
        para(_("3. Phê duyệt"), "bold"),
        para(
            _("Người duyệt: {who}, lúc {at}.").format(
                who=escape(facts.approver) or "—", at=when(facts.approved_at)
            )
        ),
        para(
            _("Mở ô điểm lúc {opened}; khóa lại lúc {closed}.").format(
                opened=when(facts.opened_at), closed=when(facts.closed_at)
            )
        ),
        Spacer(1, 3 * mm),
        para(_("4. Dữ liệu đã sửa"), "bold"),
        _grid(
            [
                [
                    para(_("Cột"), "bold"),
                    para(_("Giá trị cũ"), "bold"),
                    para(_("Giá trị mới"), "bold"),
                    para(_("Đã sửa lúc"), "bold"),
                ],
                *(
                    [
                        para(escape(item.column), "cell"),
                        para(item.old, "cell"),
                        para(item.new, "cell"),
                        para(when(item.applied_at, _("chưa sửa")), "cell"),
                    ]
                    for item in facts.items
                ),
            ],
            [40 * mm, 30 * mm, 30 * mm, 80 * mm],
        ),
        Spacer(1, 3 * mm),
        para(_("5. Những người xác nhận (trên Trợ lý học bạ số)"), "bold"),
        _grid(
            [
                [
                    para(_("Vai trò"), "bold"),
                    para(_("Họ và tên"), "bold"),
                    para(_("Xác nhận lúc"), "bold"),
                ],
                [
                    para(_("Người duyệt phiếu"), "cell"),
                    para(escape(facts.approver) or "—", "cell"),
                    para(when(facts.approved_at), "cell"),
                ],
                *(
                    [
                        para(escape(w.role), "cell"),
                        para(escape(w.name), "cell"),
                        para(when(w.confirmed_at, _("chưa xác nhận")), "cell"),
                    ]
                    for w in facts.witnesses
                ),
                [
                    para(_("Giáo viên nhập giá trị đã duyệt"), "cell"),
                    para(escape(facts.teacher), "cell"),
                    para(when(facts.applied_at, _("chưa nhập")), "cell"),
                ],
            ],
            [60 * mm, 55 * mm, 65 * mm],
        ),
        Spacer(1, 8 * mm),
    ]
    found: list[Box] = []
    seal_cell: list[Flowable] = [para(_("XÁC NHẬN CỦA NHÀ TRƯỜNG"), "head"), Spacer(1, 2 * mm)]
    seal_cell.append(_SealPlace(found) if sealed else para(unsealed_note, "small"))
    seal = Table([["", seal_cell]], colWidths=[90 * mm, 90 * mm])
    seal.setStyle(
        TableStyle([("ALIGN", (1, 0), (1, 0), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story.append(KeepTogether([seal]))  # the last flowable: the seal's place is on the last page
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Biên bản sửa chữa dữ liệu {number}").format(number=facts.number),
        invariant=True,
    ).build(story)
    return DrawnMinutes(out.getvalue(), found[0] if found else (0.0, 0.0, 0.0, 0.0))
