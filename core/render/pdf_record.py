"""A student's year record as a PDF on the layout of the ministry's paper record book (A4).

Rendered from the XML record (`record_from_xml`), so the PDF shows exactly what was signed in
XML. The signature area at the foot of the last page leaves room for the visible PAdES stamps;
their boxes (`PRINCIPAL_BOX`, `SEAL_BOX`) and the signature blocks around them are laid out in
core.render.book_canvas, so layout and signing agree.

The record's signer list (001 Điều 4.1) is printed for the reader and attached as
`danhsachky.xml` (hocba.xsd, thongtinkypdf) for a verifier: the principal and the seal sign the
PDF with the list inside, so the PDF, like the XML, says whose signatures make it complete
(core.signing.pdf_verify).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from io import BytesIO
from xml.sax.saxutils import escape  # teachers' text goes into reportlab markup

from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core import formatting
from core.formatting import grouped
from core.i18n import _
from core.models.records import SignatureRole
from core.render.book_canvas import PAGE_MARGIN, SIGNATURE_AREA, book_canvas
from core.render.fonts import register_reportlab_fonts
from core.render.qr import QrCode
from core.render.xml_record import (
    PDF_SIGNERS_FILE,
    StudentRecord,
    build_pdf_signers,
    data_element,
    earlier_years,
    parse_own,
    record_from_data,
    record_from_xml,
    signing_times,
)
from core.rules import primary as tt27
from core.rules import secondary as tt22


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = register_reportlab_fonts()
    return {
        "cover": ParagraphStyle(
            "cover", fontName=bold, fontSize=40, leading=48, alignment=1, spaceAfter=8
        ),
        "title": ParagraphStyle("title", fontName=bold, fontSize=16, alignment=1, spaceAfter=6),
        "centre": ParagraphStyle("centre", fontName=bold, fontSize=10, alignment=1),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10, leading=14),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=9, leading=11),
        "head": ParagraphStyle("head", fontName=bold, fontSize=9, leading=11, alignment=1),
        "small": ParagraphStyle("small", fontName=regular, fontSize=8, leading=10, alignment=1),
    }


def _score(value: str) -> str:
    """Marks print with a decimal comma, as on the paper record: 7,5."""
    return value.replace(".", ",")


PHOTO = (30 * mm, 40 * mm)  # the book's 3 × 4 photo
Year = tuple[StudentRecord, Mapping[str, dt.datetime]]  # a year section, and when it was signed


def render_record_pdf(
    record: StudentRecord,
    signed: Mapping[str, dt.datetime] | None = None,
    earlier: Sequence[Year] = (),
) -> bytes:
    """The record as the paper book lays it out: a cover (the national motto, the student,
    the school, the QR code of the record's page), the sections of the `earlier` years of the
    level, each with its signatures, then this year's section (its results, the teachers'
    comments, the signer list), and at the foot of the last page this year's signature
    blocks. `signed`: signature Id (chuky-gvcn...) → when the XML was signed, for the blocks
    of the signatures already on it (`signing_times`)."""
    styles = _styles()
    p = lambda text, style="body": Paragraph(text, styles[style])  # noqa: E731
    story = _cover(record, [year for year, _times in earlier], p)
    for year, times in earlier:
        story += [PageBreak(), *_year(year, styles, p), Spacer(1, 3 * mm)]
        story.append(_signer_table(year, p, times))
    story += [PageBreak(), *_year(record, styles, p), Spacer(1, 3 * mm)]
    story += [_signer_table(record, p), _SignatureRoom()]
    out = BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=PAGE_MARGIN,
        title=_("Học bạ {name} {year}").format(name=record.full_name, year=record.year_name),
        author=record.school.name,
    )
    document.build(story, canvasmaker=book_canvas(record, signed or {}))
    return _attach_signer_list(out.getvalue(), record)


def _year(record: StudentRecord, styles: dict[str, ParagraphStyle], p) -> list:
    """One year's section: its heading, its results, the homeroom teacher's comment."""
    story = _section_head(record, p)
    story += _primary(record, styles, p) if record.primary else _secondary(record, styles, p)
    if record.homeroom_comment:
        story.append(
            p(
                _("Nhận xét của giáo viên chủ nhiệm: {text}").format(
                    text=escape(record.homeroom_comment)
                )
            )
        )
    return story


def render_from_xml(xml: bytes) -> bytes:
    """The PDF of a record XML being signed: what its data says, year by year, and the
    signature blocks of the signatures already on it (core.signing.chain renders it at the
    principal's step)."""
    root = parse_own(xml)
    earlier = [
        (record_from_data(data_element(year)), signing_times(year)) for year in earlier_years(root)
    ]
    return render_record_pdf(record_from_xml(root), signing_times(root), earlier)


class _SignatureRoom(Flowable):
    """The foot of the last page kept for the signature blocks (book_canvas): an empty block
    that cannot be split, so when the content ends too low for it, it moves to a page of its
    own and the content never runs into the blocks."""

    def wrap(self, _available_width: float, _available_height: float) -> tuple[float, float]:
        return 0, SIGNATURE_AREA - PAGE_MARGIN

    def split(self, _available_width: float, _available_height: float) -> list:
        return []

    def draw(self) -> None:
        return None


def _cover(record: StudentRecord, earlier: Sequence[StudentRecord], p) -> list:
    """The book's cover: the national motto, the title and level, the student (with their
    photo when the school gave one) and school, and the learning history: every year of the
    level the record holds, oldest first."""
    history = [
        [
            p(year.year_name, "cell"),
            p(year.class_name, "cell"),
            p(f"{year.school.name}, {year.school.district}, {year.school.province}", "cell"),
        ]
        for year in [*earlier, record]
    ]
    return [
        p(_("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), "centre"),
        p(_("Độc lập - Tự do - Hạnh phúc"), "centre"),
        Spacer(1, 18 * mm),
        p(_("HỌC BẠ"), "cover"),
        p(record.school.level.upper(), "title"),
        Spacer(1, 12 * mm),
        *_about(record, p),
        Spacer(1, 10 * mm),
        p(_("QUÁ TRÌNH HỌC TẬP"), "centre"),
        Spacer(1, 2 * mm),
        _grid(
            [
                [p(h, "head") for h in (_("Năm học"), _("Lớp"), _("Tên trường, huyện, tỉnh"))],
                *history,
            ],
            [30 * mm, 25 * mm, 125 * mm],
        ),
    ]


def _section_head(record: StudentRecord, p) -> list:
    """The heading of the year's section, as the book heads each year's pages."""
    return [
        p(
            _("NĂM HỌC {year} — LỚP {klass}").format(
                year=record.year_name, klass=record.class_name
            ),
            "title",
        ),
        p(
            _("{school} — Mã học bạ {code} (phiên bản {version})").format(
                school=record.school.name, code=record.record_code, version=record.version
            ),
            "centre",
        ),
        Spacer(1, 4 * mm),
    ]


def _grid(rows: list, widths: list[float], *extra: tuple) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                *extra,
            ]
        )
    )
    return table


def _secondary(record: StudentRecord, styles: dict[str, ParagraphStyle], p) -> list:
    """Thông tư 22: subjects by term and year, learning and conduct, promotion, title."""
    rows = [
        [p(h, "head") for h in (_("Môn học"), _("HK I"), _("HK II"), _("Cả năm"), _("Giáo viên"))]
    ]
    for line in record.subjects:
        rows.append(
            [p(line.name, "cell")]
            # Marks are short: plain cells, drawn without paragraph layout (a third of the time).
            + [_score(v) for v in (line.term1, line.term2, line.year)]
            + [p(line.teacher, "cell")]
        )
    marks = _grid(
        rows,
        [55 * mm, 20 * mm, 20 * mm, 20 * mm, 55 * mm],
        ("FONT", (1, 1), (3, -1), styles["cell"].fontName, styles["cell"].fontSize),
        ("ALIGN", (1, 1), (3, -1), "CENTER"),
    )
    story: list = [marks, Spacer(1, 2 * mm)]
    said = [line for line in record.subjects if line.comment]
    if said:
        story.append(p(_("Nhận xét của giáo viên bộ môn:"), "cell"))
        story += [p(f"• {escape(line.name)}: {escape(line.comment)}", "cell") for line in said]
    story.append(Spacer(1, 4 * mm))
    summary = [
        [p(h, "head") for h in ("", _("HK I"), _("HK II"), _("Cả năm"))],
        [p(_("Kết quả học tập"), "cell")]
        + [p(tt22.Level.label_of(v), "cell") for v in record.learning],
        [p(_("Kết quả rèn luyện"), "cell")]
        + [p(tt22.Level.label_of(v), "cell") for v in record.conduct],
    ]
    table = Table(summary, colWidths=[55 * mm, 30 * mm, 30 * mm, 30 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story += [
        table,
        Spacer(1, 3 * mm),
        p(_("Tổng số ngày nghỉ: {days}").format(days=record.absent_days)),
        p(
            _("Kết quả cuối năm: {promotion}").format(
                promotion=tt22.Promotion.label_of(record.promotion)
            )
        ),
    ]
    if record.title:
        story.append(p(_("Danh hiệu: {title}").format(title=tt22.Title.label_of(record.title))))
    return story


def _primary(record: StudentRecord, styles: dict[str, ParagraphStyle], p) -> list:
    """Thông tư 27 (core.render.xml_primary): each subject's level, test score and comment;
    the qualities and competencies; the education result, completion, award, days absent."""
    year = record.primary
    assert year is not None
    heads = (_("Môn học và hoạt động giáo dục"), _("Mức đạt được"), _("Điểm KTĐK"))
    rows = [[p(h, "head") for h in (*heads, _("Nhận xét"), _("Giáo viên"))]]
    for line in year.subjects:
        rows.append(
            [
                p(line.name, "cell"),
                tt27.SubjectLevel.label_of(line.level),
                line.score,
                p(escape(line.comment), "cell"),
                p(line.teacher, "cell"),
            ]
        )
    centred = ("ALIGN", (1, 1), (2, -1), "CENTER")
    font = ("FONT", (1, 1), (2, -1), styles["cell"].fontName, styles["cell"].fontSize)
    subjects = _grid(rows, [46 * mm, 25 * mm, 22 * mm, 52 * mm, 35 * mm], centred, font)
    groups = {
        "phamchat": _("Phẩm chất chủ yếu"),
        "nanglucchung": _("Năng lực chung"),
        "nanglucdacthu": _("Năng lực đặc thù"),
    }
    rows = [[p(h, "head") for h in (_("Nhóm"), _("Phẩm chất, năng lực"), _("Mức đạt được"))]]
    for quality in year.qualities:
        rows.append(
            [
                p(groups.get(quality.group, quality.group), "cell"),
                p(quality.name, "cell"),
                tt27.QualityLevel.label_of(quality.level),
            ]
        )
    font = ("FONT", (2, 1), (2, -1), styles["cell"].fontName, styles["cell"].fontSize)
    qualities = _grid(rows, [50 * mm, 80 * mm, 50 * mm], font)
    yes, no = _("Có"), _("Chưa")
    story = [
        subjects,
        Spacer(1, 4 * mm),
        qualities,
        Spacer(1, 3 * mm),
        p(
            _("Kết quả giáo dục cả năm: <b>{result}</b>").format(
                result=tt27.YearResult.label_of(year.result)
            )
        ),
        p(
            _("Hoàn thành chương trình lớp học: {done}").format(
                done=yes if year.class_completed else no
            )
        ),
    ]
    if year.primary_completed is not None:
        story.append(
            p(
                _("Hoàn thành chương trình tiểu học: {done}").format(
                    done=yes if year.primary_completed else no
                )
            )
        )
    if year.award:
        story.append(p(_("Khen thưởng: {award}").format(award=_("Học sinh Xuất sắc"))))
    story.append(p(_("Tổng số ngày nghỉ: {days}").format(days=year.absent_days)))
    return story


def _about(record: StudentRecord, p) -> list:
    """The student and the school, after their photo when there is one; beside them, the QR
    code of the record's page on the portal and the access code that page asks for
    (core.services.record_lookup)."""
    about = [
        p(
            _("Họ và tên: <b>{name}</b>   Giới tính: {gender}").format(
                name=record.full_name, gender=record.gender
            )
        ),
        p(
            _("Ngày sinh: {born}   Nơi sinh: {place}   Dân tộc: {ethnicity}").format(
                born=record.born.strftime("%d/%m/%Y"),
                place=record.birthplace,
                ethnicity=record.ethnicity,
            )
        ),
        p(_("Mã định danh cá nhân: {id}").format(id=record.national_id)),
        p(
            _("Trường: {school} ({code}), {district}, {province}").format(
                school=record.school.name,
                code=record.school.code,
                district=record.school.district,
                province=record.school.province,
            )
        ),
    ]
    cells: list = [about]
    widths = [180 * mm]
    if record.photo:
        cells.insert(0, Image(BytesIO(record.photo), width=PHOTO[0], height=PHOTO[1]))
        widths = [PHOTO[0] + 4 * mm, widths[0] - PHOTO[0] - 4 * mm]
    if record.lookup is not None:  # None: a record built before records carried one
        codes = _("Mã tra cứu: {code}<br/>Mã truy cập: <b>{access}</b>").format(
            code=grouped(record.lookup.code, sep="-"), access=grouped(record.lookup.access)
        )
        code = Table(
            [[QrCode(record.lookup.url, 30 * mm)], [p(codes, "small")]], colWidths=[46 * mm]
        )
        code.setStyle(TableStyle([("ALIGN", (0, 0), (-1, -1), "CENTER")]))
        cells.append(code)
        widths[-1] -= 46 * mm
        widths.append(46 * mm)
    if len(cells) == 1:
        return about
    side = Table([cells], colWidths=widths)
    side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    if record.lookup is None:
        return [side]
    how = _(
        "Tra cứu tình trạng học bạ: quét mã QR hoặc mở {url}, rồi nhập mã truy cập in dưới mã QR."
    ).format(url=record.lookup.url)
    return [side, p(how, "small")]


def _signer_table(
    record: StudentRecord, p, signed: Mapping[str, dt.datetime] | None = None
) -> Table:
    """The signer list as the reader sees it: role, name, certificate fingerprint; for an
    earlier year, whose signature blocks are not drawn, when each signed (`signed`)."""
    heads = [_("Người ký"), _("Họ và tên"), _("Vân tay chứng thư")]
    widths = [40 * mm, 50 * mm, 90 * mm]
    if signed is not None:
        heads.append(_("Đã ký"))
        widths = [36 * mm, 44 * mm, 70 * mm, 30 * mm]
    rows = [[p(h, "head") for h in heads]]
    for signer in record.signers:
        role = SignatureRole(signer.role)
        row = [
            p(role.label, "cell"),
            p(signer.name, "cell"),
            p(f"<font size=6>{signer.fingerprint}</font>", "cell"),
        ]
        if signed is not None:
            moment = signed.get(role.signature_id)
            row.append(p(formatting.date_time(moment) if moment else "—", "cell"))
        rows.append(row)
    table = Table(rows, colWidths=widths)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    return table


def _attach_signer_list(pdf: bytes, record: StudentRecord) -> bytes:
    """Attach danhsachky.xml before anyone signs, so every signature covers it."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    data = EmbeddedFileObject.from_file_data(
        writer, build_pdf_signers(record), mime_type="application/xml"
    )
    embed_file(
        writer,
        FileSpec(
            PDF_SIGNERS_FILE,
            file_name=PDF_SIGNERS_FILE,
            embedded_data=data,
            description=_("Danh sách ký của học bạ (Điều 4.1)"),
        ),
    )
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
