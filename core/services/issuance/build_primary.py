"""A primary class's year in its documents (Thông tư 27/2020/TT-BGDĐT): each student's
`PrimaryYear` and the class × subject sheets of the two terms.

In primary school the homeroom teacher teaches most subjects; only some (foreign language,
music, fine arts, physical education, informatics...) have their own teacher, named by a
teaching assignment. A subject without one is the homeroom teacher's: it has no separate sheet,
and the homeroom teacher's signature over the whole record covers it (001 Điều 24.5b; 000
Điều 5: the subject teacher signs "phần đánh giá môn học thuộc trách nhiệm của mình").
"""

from __future__ import annotations

from collections import defaultdict

from core.errors import InvalidValue
from core.i18n import _
from core.models import Comment, PrimaryAssessment, Subject, Term
from core.render import xml_primary as tt27_fmt
from core.render import xml_sheet
from core.rules import primary as tt27
from core.services.calendar import POINT_COLUMNS, POINT_TERM
from core.services.results import PrimaryResult

# The record book's three groups of qualities and competencies (CT GDPT 2018, mục II), in order.
QUALITY_GROUPS = (
    ("phamchat", tt27.QUALITIES),
    ("nanglucchung", tt27.GENERAL_COMPETENCIES),
    ("nanglucdacthu", tt27.SPECIFIC_COMPETENCIES),
)
PERIODS = ("1", "2")  # a sheet per term: term II's end is the year's (TT27 Điều 7)


def _missing(name: str, what: str) -> InvalidValue:
    return InvalidValue(
        _("Còn thiếu {what} của học sinh {name}: chưa thể lập học bạ.").format(what=what, name=name)
    )


def primary_year(
    row: PrimaryResult,
    subjects: list[Subject],
    grade: int,
    teacher_names: dict[int, str],
    comments: dict[int, str],
) -> tt27_fmt.PrimaryYear:
    """The student's year as the record holds it. `teacher_names`: subject id → who teaches
    it (the homeroom teacher where nobody else does); `comments`: subject id → the teacher's
    comment of the year (written at its end, term II)."""
    if row.result is None:
        raise _missing(row.full_name, _("kết quả cuối năm"))
    lines = []
    for subject in subjects:
        level = row.levels.get(subject.code)
        if level is None:
            raise _missing(row.full_name, subject.name)
        score = row.scores.get(subject.code)
        if subject.code in row.scores and score is None:
            raise _missing(row.full_name, _("điểm KTĐK cuối năm môn {s}").format(s=subject.name))
        lines.append(
            tt27_fmt.PrimarySubject(
                subject.code,
                subject.name,
                level.value,
                "" if score is None else str(score),
                comments.get(subject.id, ""),
                teacher_names.get(subject.id, ""),
            )
        )
    qualities = []
    for group, entries in QUALITY_GROUPS:
        for code, name in entries:
            found = row.qualities.get(code)
            if found is None:
                raise _missing(row.full_name, name)
            qualities.append(tt27_fmt.QualityLine(code, name, group, found.value))
    # TT27 Điều 11–12: a student assessed Hoàn thành (or better) completes the class's
    # programme, and in grade 5 primary school; Chưa hoàn thành is helped and assessed again.
    completed = row.result is not tt27.YearResult.NOT_DONE
    return tt27_fmt.PrimaryYear(
        subjects=tuple(lines),
        qualities=tuple(qualities),
        result=row.result.value,
        class_completed=completed,
        primary_completed=completed if grade == 5 else None,
        award="xuat_sac" if row.result is tt27.YearResult.EXCELLENT else "",
        absent_days=row.absent_days,
    )


async def year_comments(year_id: int, ids: list[int]) -> dict[int, dict[int, str]]:
    """student id → subject id → the subject teacher's comment of the year (term II's)."""
    last = await Term.get(year_id=year_id, number=2)
    found: dict[int, dict[int, str]] = defaultdict(dict)
    for student_id, subject_id, text in await Comment.filter(
        student_id__in=ids, term=last, subject_id__isnull=False
    ).values_list("student_id", "subject_id", "text"):
        found[student_id][subject_id] = text
    return found


async def assessment_cells(
    ids: list[int], year_id: int
) -> dict[tuple[int, int], dict[tt27.TestPoint, PrimaryAssessment]]:
    """(student, subject) → point → the stored assessment, for the year."""
    cells: dict[tuple[int, int], dict[tt27.TestPoint, PrimaryAssessment]] = defaultdict(dict)
    for a in await PrimaryAssessment.filter(student_id__in=ids, term__year_id=year_id):
        cells[(a.student_id, a.subject_id)][tt27.TestPoint(a.point)] = a
    return cells


def sheet_row(
    number: int,
    national_id: str,
    full_name: str,
    grade: int,
    subject: Subject,
    period: str,
    cells: dict[tt27.TestPoint, PrimaryAssessment],
) -> xml_sheet.SheetRow:
    """One student's line of a primary term sheet: the level at each of the term's points
    (M-GHK1, M-CHK1...) and the test score where there is a test (Đ-CHK1...), TT27 Điều 7;
    the result is the level at the term's end."""
    tested = tt27.periodic_tests(grade, subject.code)
    marks: list[tuple[str, str]] = []
    points = [p for p, term in POINT_TERM.items() if str(term) == period]
    for point in points:
        found = cells.get(point)
        if found is None or found.level is None:
            raise _missing(
                full_name, _("{subject} ({point})").format(subject=subject.name, point=point.label)
            )
        marks.append((f"M-{POINT_COLUMNS[point]}", found.level.value))
        if point in tested:
            if found.score is None:
                raise _missing(
                    full_name,
                    _("điểm KTĐK môn {subject} ({point})").format(
                        subject=subject.name, point=point.label
                    ),
                )
            marks.append((f"Đ-{POINT_COLUMNS[point]}", str(found.score)))
    end = cells[points[-1]].level
    assert end is not None  # checked above
    return xml_sheet.SheetRow(number, national_id, full_name, tuple(marks), end.value)
