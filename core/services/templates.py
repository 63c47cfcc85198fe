"""The grade sheet a teacher fills: one class × subject × term as an .xlsx file.

The file is exactly what the marks importer reads back (core.importing.marks and primary_marks):
"Lớp: 6A", "Môn: Toán", "Học kỳ: I" written once above a one-row header STT / Mã định danh /
Họ và tên / the subject's columns, one row per student of the class in class-list order, with
the marks already stored. A teacher fills the blanks and sends it back; blank cells never
erase anything, so the round trip writes only what was added or changed.

Only the subject's assigned teacher (or an admin) gets it, as only they may write it back; the
marks in it are personal data, so handing it out is audited like any read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from core import audit
from core.errors import NotFound
from core.i18n import _
from core.importing.headers import GUIDE_HEADING
from core.models import PrimaryAssessment, SchoolClass, Subject, Term
from core.rules.catalog import Assessment, SchoolLevel
from core.rules.primary import TestPoint, periodic_tests
from core.rules.secondary import Verdict
from core.services.access import Actor, ensure_can_write_subject
from core.services.calendar import POINT_TERM
from core.services.gradebook import class_students, mark_column, mark_columns, read_sheet
from core.services.progress import level_column, score_column
from core.text import fold
from core.workers import WorkerPool

SHEET_TITLE = "Bảng điểm"
_HEADER_ROW = 5
_IDENTITY = ("STT", "Mã định danh", "Họ và tên")
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Template:
    filename: str
    data: bytes


def _roman(term: Term) -> str:
    return "I" if term.number == 1 else "II"


def _filename(school_class: SchoolClass, subject: Subject, term: Term) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(f"{school_class.name} {subject.name}")).strip("-")
    return f"bang-diem-{slug}-hk{term.number}.xlsx"


def _cell_value(value: object) -> object:
    """Scores as numbers (7,5 shows as the teacher's Excel shows numbers), verdicts as Đ/CĐ."""
    if isinstance(value, Verdict):
        return value.value
    return float(value) if value is not None else None  # type: ignore[arg-type]


async def _secondary_rows(
    actor: Actor, school_class: SchoolClass, subject: Subject, term: Term
) -> tuple[list[str], list[list[object]]]:
    columns = [mark_column(k, i) for k, i in mark_columns(subject, school_class.grade)]
    sheet = await read_sheet(actor, school_class, subject, term)
    rows = [
        [
            r.number or None,
            r.national_id,
            r.full_name,
            *(_cell_value(r.marks.get(c)) for c in columns),
        ]
        for r in sheet
    ]
    return columns, rows


async def _primary_rows(
    actor: Actor, school_class: SchoolClass, subject: Subject, term: Term
) -> tuple[list[str], list[list[object]]]:
    tested = periodic_tests(school_class.grade, subject.code)
    points = [p for p, n in POINT_TERM.items() if n == term.number]
    columns: list[tuple[str, TestPoint, str]] = []
    for point in points:
        columns.append((level_column(point), point, "level"))
        if point in tested:
            columns.append((score_column(point), point, "score"))
    students = await class_students(school_class)
    stored = {
        (a.student_id, TestPoint(a.point)): a
        for a in await PrimaryAssessment.filter(
            student_id__in=[s.id for _e, s in students], subject=subject, point__in=points
        )
    }
    rows = []
    for enrollment, student in students:
        values: list[object] = []
        for _name, point, part in columns:
            found = stored.get((student.id, point))
            value = getattr(found, part) if found else None
            values.append(str(value) if part == "level" and value is not None else value)
        rows.append([enrollment.number or None, student.national_id, student.full_name, *values])
    await audit.record(
        audit.Event(
            actor.label,
            "gradebook.read",
            f"sheet:{school_class.id}:{subject.id}:{term.id}",
            after={"students": len(students)},
        )
    )
    return [c for c, _p, _k in columns], rows


def _expected(level: SchoolLevel, subject: Subject) -> str:
    if level is SchoolLevel.PRIMARY:
        return _(
            "Cột «Mức»: T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành). "
            "Cột «Điểm»: số nguyên từ 1 đến 10."
        )
    if subject.assessment == Assessment.COMMENT:
        return _("Mỗi ô: Đ (Đạt) hoặc CĐ (Chưa đạt).")
    return _("Mỗi ô: điểm từ 0 đến 10, số nguyên hoặc một chữ số thập phân (ví dụ 7 hoặc 7,5).")


@dataclass(frozen=True)
class _Book:
    """Everything the worker needs to build the file: plain, picklable values, with every text
    already in the reader's language (a worker process does not share the bot's language)."""

    school_name: str
    title: str
    heading: tuple[str, str, str]  # "Lớp: 6A", "Môn: Toán", "Học kỳ: I"
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    guide_title: str
    guide: tuple[str, ...]


def build_workbook(book: _Book) -> bytes:
    """The .xlsx bytes (runs in a worker process: openpyxl is pure-Python CPU work)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append([book.school_name.upper()])
    sheet.append([book.title])
    klass, subject, term = book.heading
    sheet.append([klass, None, subject, None, term])
    sheet.append([])
    sheet.append([*_IDENTITY, *book.columns])
    for row in book.rows:
        sheet.append(list(row))
    for cell in sheet[_HEADER_ROW]:
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    sheet["A1"].font = sheet["A2"].font = _BOLD
    for row in sheet.iter_rows(min_row=_HEADER_ROW + 1, min_col=2, max_col=2):
        row[0].number_format = "@"  # a 12-digit ID keeps its leading zeros
    sheet.column_dimensions["A"].width = 5
    sheet.column_dimensions["B"].width = 15
    sheet.column_dimensions["C"].width = 28
    sheet.freeze_panes = sheet.cell(row=_HEADER_ROW + 1, column=4)
    guide = workbook.create_sheet(book.guide_title)
    for line in book.guide:
        guide.append([line])
    guide["A1"].font = _BOLD
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def grade_sheet_template(
    actor: Actor, school_class: SchoolClass, subject: Subject, term: Term, *, workers: WorkerPool
) -> Template:
    """The .xlsx of a class × subject × term, pre-filled with its students and stored marks,
    for the assigned teacher or an admin; audited as a read of the sheet. The marks are read
    here; the file is built in the worker pool."""
    await ensure_can_write_subject(actor, school_class, subject)
    school = await subject.school
    level = SchoolLevel(school.level)
    read = _primary_rows if level is SchoolLevel.PRIMARY else _secondary_rows
    columns, rows = await read(actor, school_class, subject, term)
    book = _Book(
        school_name=school.name,
        title=_("BẢNG ĐIỂM"),
        # the importer reads these three labels back, so they are never translated
        heading=(f"Lớp: {school_class.name}", f"Môn: {subject.name}", f"Học kỳ: {_roman(term)}"),
        columns=tuple(columns),
        rows=tuple(tuple(row) for row in rows),
        guide_title=_("Hướng dẫn"),
        guide=(
            GUIDE_HEADING,  # the importer knows this sheet by it and passes over it
            _("Điền vào các ô trống của trang «{sheet}», rồi gửi lại tệp này.").format(
                sheet=SHEET_TITLE
            ),
            _expected(level, subject),
            _("Ô để trống nghĩa là chưa nhập: không xóa điểm đã có."),
            _("Không thêm hay bớt dòng học sinh, không sửa mã định danh."),
        ),
    )
    data = await workers.run(build_workbook, book)
    return Template(_filename(school_class, subject, term), data)


async def template_for(
    actor: Actor, class_id: int, subject_id: int, term_number: int, *, workers: WorkerPool
) -> Template:
    """The template a button names by ids (a reminder's «📄 Gửi bảng điểm»): ids of another
    school, or no longer there, are refused plainly before anything is read."""
    school_class = await SchoolClass.get_or_none(id=class_id, year__school_id=actor.school_id)
    subject = await Subject.get_or_none(id=subject_id, school_id=actor.school_id)
    term = school_class and await Term.get_or_none(year_id=school_class.year_id, number=term_number)
    if not (school_class and subject and term):
        raise NotFound(_("Bảng điểm này không còn. Hãy mở lại nhắc nhở."))
    return await grade_sheet_template(actor, school_class, subject, term, workers=workers)
