"""The minutes of a correction (Biên bản sửa chữa dữ liệu) as a Vietnamese PDF.

Regulation 000 (Điều 8) and 003 (Điều 8, khoản 2) end the procedure with minutes witnessed by
the leadership, the admin board and the teacher. The document follows the usual administrative
layout: the school at the top left, the national motto at the top right, the title, then the
facts (request, evidence with their SHA-256, approval, witnesses, old → new values with times)
and the signature lines. Everything comes from `MinutesFacts`, so the same data always gives
the same text, and the minutes can be drawn up again at any time. Noto Sans is embedded, so
every Vietnamese letter renders and can be extracted.

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
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core import formatting
from core.i18n import _, use_language
from core.render.fonts import register_reportlab_fonts


@dataclass(frozen=True)
class WitnessLine:
    role: str
    name: str
    confirmed_at: dt.datetime | None


@dataclass(frozen=True)
class ChangeLine:
    """One corrected cell: its column, the values as shown, and when it was applied."""

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
    subject: str
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
    }


def render_minutes(facts: MinutesFacts) -> bytes:
    """The minutes as PDF bytes (a worker task: module level, picklable input)."""
    with use_language(facts.language):
        return _render(facts)


def _render(facts: MinutesFacts) -> bytes:
    st = _styles()
    p = Paragraph

    def when(value: dt.datetime | None) -> str:
        return formatting.date_time(value, facts.zone) if value else "—"

    def para(text: str, style: str = "base") -> Paragraph:
        return p(text, st[style])

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
    story: list[object] = [
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
        para(_("1. Phiếu đề nghị"), "bold"),
        para(
            _(
                "Giáo viên đề nghị: {teacher}. Học sinh: {student}, lớp {klass}, năm học {year}. "
                "Môn {subject}, học kỳ {term}. Lập phiếu lúc {at}."
            ).format(
                teacher=escape(facts.teacher),
                student=escape(facts.student),
                klass=escape(facts.school_class),
                year=escape(facts.year),
                subject=escape(facts.subject),
                term=facts.term,
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
        para(_("4. Người chứng kiến"), "bold"),
    ]
    story += [
        para(
            _("{role}: {name} (xác nhận lúc {at})").format(
                role=w.role, name=escape(w.name), at=when(w.confirmed_at)
            )
        )
        for w in facts.witnesses
    ]
    rows = [
        [
            para(_("Cột"), "bold"),
            para(_("Giá trị cũ"), "bold"),
            para(_("Giá trị mới"), "bold"),
            para(_("Đã sửa lúc"), "bold"),
        ]
    ]
    rows += [
        [
            para(item.column),
            para(item.old),
            para(item.new),
            para(when(item.applied_at) if item.applied_at else _("chưa sửa")),
        ]
        for item in facts.items
    ]
    table = Table(rows, colWidths=[25 * mm, 35 * mm, 35 * mm, 65 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#444444")]))
    story += [Spacer(1, 3 * mm), para(_("5. Dữ liệu đã sửa"), "bold"), table, Spacer(1, 10 * mm)]
    signers = [w.role for w in facts.witnesses]
    signature_rows = [
        [para(escape(role), "head") for role in signers[i : i + 2]]
        + [""] * (2 - len(signers[i : i + 2]))
        for i in range(0, len(signers), 2)
    ]
    for row in signature_rows:
        story += [
            Table([row, [para(_("(Ký, ghi rõ họ tên)"), "center")] * 2], colWidths=[90 * mm] * 2),
            Spacer(1, 22 * mm),
        ]
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
    return out.getvalue()
