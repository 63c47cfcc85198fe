"""The grade sheet a teacher fills: one class × subject × term as an .xlsx file.

The file is exactly what the marks importer reads back (core.importing.marks and primary_marks):
"Lớp: 6A", "Môn: Toán", "Học kỳ: I" written once above a one-row header STT / Mã định danh /
Họ và tên / the subject's columns / Nhận xét, one row per student of the class in class-list
order, with the marks and the subject teacher's comment of the term already stored (Thông tư 22
Điều 4, Thông tư 27 Điều 6: the subject teacher assesses by comment too; the comment of term
II is the one the record prints as the year's). A teacher fills the blanks and sends it back;
blank cells never erase anything, so the round trip writes only what was added or changed.

Only the subject's assigned teacher (or an admin) gets it, as only they may write it back; the
marks in it are personal data, so handing it out is audited like any read. Its layout is the
one it shares with the homeroom teacher's sheet (core.services.sheet_workbook).
"""

from __future__ import annotations

import re

from core import audit, formatting
from core.errors import NotFound
from core.formatting import roman
from core.i18n import _
from core.importing.fields import subject_comment
from core.importing.headers import GUIDE_HEADING
from core.models import Comment, PrimaryAssessment, SchoolClass, Subject, Term
from core.rules.catalog import Assessment, SchoolLevel
from core.rules.homeroom import MAX_COMMENT
from core.rules.primary import TestPoint, periodic_tests
from core.rules.secondary import Verdict
from core.services.access import Actor, ensure_can_write_subject
from core.services.calendar import POINT_TERM
from core.services.gradebook import (
    TOPIC_COLUMN,
    class_students,
    entry_columns,
    mark_column,
    read_sheet,
    topic_columns,
)
from core.services.progress import level_column, score_column
from core.services.sheet_workbook import Book, Column, Rule, Template, build_workbook
from core.text import fold
from core.workers import WorkerPool

SHEET_TITLE = "Bảng điểm"
COMMENT_COLUMN = subject_comment().aliases[0]  # the importer's own spelling: "Nhận xét"


def _filename(school_class: SchoolClass, subject: Subject, term: Term) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(f"{school_class.name} {subject.name}")).strip("-")
    return f"bang-diem-{slug}-hk{term.number}.xlsx"


def _cell_value(value: object) -> object:
    """Scores as numbers (7,5 shows as the teacher's Excel shows numbers), verdicts as Đ/CĐ."""
    if isinstance(value, Verdict):
        return value.value
    return float(value) if value is not None else None  # type: ignore[arg-type]


async def _comments(student_ids: list[int], subject: Subject, term: Term) -> dict[int, str]:
    """The subject teacher's stored comment of each student for the term."""
    return dict(
        await Comment.filter(student_id__in=student_ids, subject=subject, term=term).values_list(
            "student_id", "text"
        )
    )


def _comment_column() -> Column:
    """The comment, a long text: wide, wrapped, and no longer than the record's cell."""
    rule = Rule(
        "textLength",
        str(MAX_COMMENT),
        None,
        "lessThanOrEqual",
        _("Nhận xét tối đa {limit} ký tự.").format(limit=formatting.integer(MAX_COMMENT)),
    )
    return Column(COMMENT_COLUMN, 50, rule)


async def _secondary_rows(
    actor: Actor, school_class: SchoolClass, subject: Subject, term: Term
) -> tuple[list[str], list[list[object]]]:
    columns = [mark_column(k, i) for k, i in entry_columns(subject, school_class.grade)]
    sheet = await read_sheet(actor, school_class, subject, term)
    comments = await _comments([r.student_id for r in sheet], subject, term)
    rows = [
        [
            r.number or None,
            r.national_id,
            r.full_name,
            *(_cell_value(r.marks.get(c)) for c in columns),
            comments.get(r.student_id),
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
    comments = await _comments([s.id for _e, s in students], subject, term)
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
        rows.append(
            [
                enrollment.number or None,
                student.national_id,
                student.full_name,
                *values,
                comments.get(student.id),
            ]
        )
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


def _comment_guide(level: SchoolLevel) -> str:
    """What the comment column is for, and which of the two terms' comments the record prints."""
    rule = _("Thông tư 27, Điều 6") if level is SchoolLevel.PRIMARY else _("Thông tư 22, Điều 4")
    return _(
        "Cột «{column}»: nhận xét của giáo viên bộ môn về học sinh trong học kỳ ({rule}), "
        "tối đa {limit} ký tự. Nhận xét học kỳ II được in vào học bạ làm nhận xét cả năm của môn."
    ).format(column=COMMENT_COLUMN, rule=rule, limit=formatting.integer(MAX_COMMENT))


def _topic_guide(subject: Subject, grade: int) -> tuple[str, ...]:
    """The line that explains the learning-topic column, where the sheet has one."""
    if not topic_columns(subject, grade):
        return ()
    return (
        _(
            "Cột {column}: kết quả cụm chuyên đề học tập của môn (Thông tư 22 Điều 6 khoản 3), "
            "tính là một lần ĐĐGtx. Chỉ điền cho học sinh học cụm chuyên đề của môn này; "
            "học sinh khác để trống."
        ).format(column=TOPIC_COLUMN),
    )


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
    book = Book(
        sheet_title=SHEET_TITLE,
        header_colour="DDEBF7",
        school_name=school.name,
        title=_("BẢNG ĐIỂM"),
        # the importer reads these three labels back, so they are never translated
        heading=(
            f"Lớp: {school_class.name}",
            f"Môn: {subject.name}",
            f"Học kỳ: {roman(term.number)}",
        ),
        columns=(*(Column(c) for c in columns), _comment_column()),
        rows=tuple(tuple(row) for row in rows),
        error_title=_("Giá trị không hợp lệ"),
        guide_title=_("Hướng dẫn"),
        guide=(
            GUIDE_HEADING,  # the importer knows this sheet by it and passes over it
            _("Điền vào các ô trống của trang «{sheet}», rồi gửi lại tệp này.").format(
                sheet=SHEET_TITLE
            ),
            _expected(level, subject),
            *_topic_guide(subject, school_class.grade),
            _comment_guide(level),
            _("Ô để trống nghĩa là chưa nhập: không xóa điểm hay nhận xét đã có."),
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
