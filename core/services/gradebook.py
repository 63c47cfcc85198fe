"""Reading and writing the gradebook, with the actor's rights checked and every change audited.

Values are validated by core.rules before they get here (`validate_mark`, the primary parsers);
this module decides who may write what and stores it through `upsert`, so the spreadsheet
import, the chat entry and the command line share one path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from core import audit
from core.errors import InvalidValue
from core.i18n import _
from core.models import (
    Absence,
    Comment,
    Conduct,
    Enrollment,
    Mark,
    MarkKind,
    PrimaryAssessment,
    QualityAssessment,
    SchoolClass,
    Student,
    Subject,
    Term,
)
from core.rules.catalog import Assessment, SchoolLevel, grades, has_learning_topics
from core.rules.primary import QualityLevel, SubjectLevel, TestPoint
from core.rules.secondary import (
    LEARNING_TOPIC_ASSESSMENTS,
    MAX_REGULAR_ASSESSMENTS,
    Level,
    Verdict,
    parse_score,
    regular_assessments,
)
from core.services import on_behalf
from core.services.access import Actor, ensure_can_read
from core.services.locks import Touch, ensure_writable
from core.services.upsert import Row, Shape, Written, upsert, upsert_cells

MarkValue = Decimal | Verdict
Column = tuple[MarkKind, int]
# The learning-topic column (cụm chuyên đề học tập, TT22 Điều 6 khoản 3), as schools head it.
TOPIC_COLUMN = "CĐHT"
_FIXED = {TOPIC_COLUMN: MarkKind.TOPIC, "GK": MarkKind.MIDTERM, "CK": MarkKind.FINAL}


def mark_column(kind: MarkKind, index: int = 1) -> str:
    """The column as schools label it: TX1..TX4, CĐHT, GK, CK."""
    if kind == MarkKind.REGULAR:
        return f"TX{index}"
    return next(code for code, fixed in _FIXED.items() if fixed == kind)


def parse_column(code: str) -> Column:
    """The column a label names (the inverse of `mark_column`, any case); ValueError if none."""
    text = code.strip().upper()
    if text in _FIXED:
        return _FIXED[text], 1
    number = text.removeprefix("TX")
    if text.startswith("TX") and number.isdigit() and 1 <= int(number) <= MAX_REGULAR_ASSESSMENTS:
        return MarkKind.REGULAR, int(number)
    raise ValueError(f"not a mark column: {code!r}")


def _columns(subject: Subject, grade: int, *, topics: bool) -> list[Column]:
    if subject.assessment == Assessment.LEVELS:
        return []
    count = regular_assessments(Assessment(subject.assessment), subject.yearly_periods(grade))
    regular = [(MarkKind.REGULAR, i) for i in range(1, count + 1)]
    topic = topic_columns(subject, grade) if topics else []
    return [*regular, *topic, (MarkKind.MIDTERM, 1), (MarkKind.FINAL, 1)]


def mark_columns(subject: Subject, grade: int) -> list[Column]:
    """The cells every student has per term in a secondary subject, the one list that progress,
    reminders, results and the demo follow: TX1..TXn, n = `regular_assessments` (2 for a
    comment-only subject, 2/3/4 by yearly periods for a scored one: TT22 Điều 6, khoản 2), then
    GK and CK (Điều 7); none for primary subjects (levels). The learning-topic column is not
    here: only some students have it (`entry_columns`)."""
    return _columns(subject, grade, topics=False)


def topic_columns(subject: Subject, grade: int) -> list[Column]:
    """CĐHT, for an upper-secondary subject with learning topics (TT22 Điều 6, khoản 3), else
    none. Only the students who take the subject's topic cluster have it, so it is never
    counted missing; when present it is one more regular assessment (Điều 9)."""
    if not has_learning_topics(subject.code, grade):
        return []
    return [(MarkKind.TOPIC, i) for i in range(1, LEARNING_TOPIC_ASSESSMENTS + 1)]


def entry_columns(subject: Subject, grade: int) -> list[Column]:
    """Every cell a teacher may fill, in the order sheets show them: `mark_columns` with the
    topic column after the regular ones. What grade sheets, single-mark entry and corrections
    offer."""
    return _columns(subject, grade, topics=True)


def _refuse_regular(subject: Subject, grade: int, index: int, allowed: int) -> InvalidValue:
    if subject.assessment == Assessment.COMMENT:
        text = _(
            "Môn {subject} đánh giá bằng nhận xét nên mỗi học kỳ có {allowed} lần ĐĐGtx "
            "(TX1–TX{allowed}, Thông tư 22 Điều 6); không có cột TX{index}."
        )
    else:
        text = _(
            "Môn {subject} khối {grade} có {n} tiết/năm nên chỉ có {allowed} cột ĐĐGtx "
            "(TX1–TX{allowed}); không có cột TX{index}."
        )
    return InvalidValue(
        text.format(
            subject=subject.name,
            grade=grade,
            n=subject.yearly_periods(grade),
            allowed=allowed,
            index=index,
        )
    )


def _refuse_topic(subject: Subject, grade: int) -> InvalidValue:
    if grade in grades(SchoolLevel.UPPER_SECONDARY):
        return InvalidValue(
            _(
                "Môn {subject} không có cụm chuyên đề học tập nên không có cột {column}; "
                "để trống cột này."
            ).format(subject=subject.name, column=TOPIC_COLUMN)
        )
    return InvalidValue(
        _(
            "Cột {column} (cụm chuyên đề học tập) chỉ có ở trung học phổ thông (Thông tư 22 "
            "Điều 6 khoản 3); khối {grade} không có cột này, để trống cột này."
        ).format(column=TOPIC_COLUMN, grade=grade)
    )


def validate_mark(
    subject: Subject, grade: int, kind: MarkKind, index: int, raw: object
) -> MarkValue:
    """A mark as Thông tư 22 allows it for this subject and grade (Điều 5–7): the column must
    be one of `entry_columns`, the value a score or, for a comment-only subject, a verdict."""
    if subject.assessment == Assessment.LEVELS:
        raise InvalidValue(
            _("Môn {subject} là môn tiểu học, đánh giá bằng mức, không nhập điểm ĐĐG.").format(
                subject=subject.name
            )
        )
    if kind is MarkKind.REGULAR:
        allowed = regular_assessments(Assessment(subject.assessment), subject.yearly_periods(grade))
        if not 1 <= index <= allowed:
            raise _refuse_regular(subject, grade, index, allowed)
    elif kind is MarkKind.TOPIC and not topic_columns(subject, grade):
        raise _refuse_topic(subject, grade)
    elif index != 1:
        raise InvalidValue(_("Mỗi học kỳ chỉ có một cột {column}.").format(column=kind.label))
    if subject.assessment == Assessment.COMMENT:
        return Verdict.parse(str(raw))
    return parse_score(raw)  # type: ignore[arg-type]


class MarkEntry(NamedTuple):
    """One mark to write (a tuple: a year's import makes 180,000)."""

    student_id: int
    school_class: SchoolClass
    subject: Subject
    term: Term
    kind: MarkKind
    index: int
    value: MarkValue


@dataclass(frozen=True)
class ConductEntry:
    student_id: int
    school_class: SchoolClass
    term: Term
    level: Level


@dataclass(frozen=True)
class AbsenceEntry:
    student_id: int
    school_class: SchoolClass
    term: Term
    excused: int
    unexcused: int


@dataclass(frozen=True)
class PrimaryEntry:
    student_id: int
    school_class: SchoolClass
    subject: Subject
    term: Term
    point: TestPoint
    level: SubjectLevel | None
    score: int | None


@dataclass(frozen=True)
class QualityEntry:
    student_id: int
    school_class: SchoolClass
    term: Term
    point: TestPoint
    quality: str
    level: QualityLevel


def _ids(values: Iterable[int]) -> list[int]:
    return sorted(set(values))


_MARK = Shape(
    ("student_id", "subject_id", "term_id", "kind", "index"),
    ("score", "verdict"),
    ("updated_by_id",),
)


async def write_marks(actor: Actor, entries: Sequence[MarkEntry]) -> Written:
    """A year's marks are 180,000 entries: their rows are made as `upsert_cells` takes them,
    not all at once (the cells' targets are kept to check the locks first)."""
    behalf = await on_behalf.ensure_writes(actor, ((e.school_class, e.subject) for e in entries))
    targets = [
        f"mark:{e.student_id}:{e.subject.id}:{e.term.id}:{mark_column(e.kind, e.index)}"
        for e in entries
    ]
    touched = [Touch.of(e, target) for e, target in zip(entries, targets, strict=True)]
    await ensure_writable(actor, touched)  # refused in a locked scope
    del touched
    meta = (actor.staff_id,)
    rows = (
        (
            (e.student_id, e.subject.id, e.term.id, e.kind, e.index),
            (e.value, None) if isinstance(e.value, Decimal) else (None, e.value),
            target,
            meta,
        )
        for e, target in zip(entries, targets, strict=True)
    )
    scope = {
        "student_id__in": _ids(e.student_id for e in entries),
        "subject_id__in": _ids(e.subject.id for e in entries),
        "term_id__in": _ids(e.term.id for e in entries),
    }
    written = await upsert_cells(Mark, _MARK, rows, scope=scope, actor=actor.label, action="mark")
    await on_behalf.record(actor, behalf, written)
    return written


async def write_conducts(actor: Actor, entries: Sequence[ConductEntry]) -> Written:
    behalf = await on_behalf.ensure_writes(actor, ((e.school_class, None) for e in entries))
    rows = [
        Row(
            key={"student_id": e.student_id, "term_id": e.term.id},
            values={"level": e.level},
            target=f"conduct:{e.student_id}:{e.term.id}",
            meta={"updated_by_id": actor.staff_id},
        )
        for e in entries
    ]
    await ensure_writable(actor, Touch.each(entries, rows))  # refused in a locked scope
    scope = {"student_id__in": _ids(e.student_id for e in entries)}
    written = await upsert(Conduct, rows, scope=scope, actor=actor.label, action="conduct")
    await on_behalf.record(actor, behalf, written)
    return written


async def write_absences(actor: Actor, entries: Sequence[AbsenceEntry]) -> Written:
    behalf = await on_behalf.ensure_writes(actor, ((e.school_class, None) for e in entries))
    rows = [
        Row(
            key={"student_id": e.student_id, "term_id": e.term.id},
            values={"excused": e.excused, "unexcused": e.unexcused},
            target=f"absence:{e.student_id}:{e.term.id}",
        )
        for e in entries
    ]
    await ensure_writable(actor, Touch.each(entries, rows))  # refused in a locked scope
    scope = {"student_id__in": _ids(e.student_id for e in entries)}
    written = await upsert(Absence, rows, scope=scope, actor=actor.label, action="absence")
    await on_behalf.record(actor, behalf, written)
    return written


async def write_primary(actor: Actor, entries: Sequence[PrimaryEntry]) -> Written:
    behalf = await on_behalf.ensure_writes(actor, ((e.school_class, e.subject) for e in entries))
    rows = [
        Row(
            key={"student_id": e.student_id, "subject_id": e.subject.id, "point": e.point},
            values={"term_id": e.term.id, "level": e.level, "score": e.score},
            target=f"primary:{e.student_id}:{e.subject.id}:{e.point}",
            meta={"updated_by_id": actor.staff_id},
        )
        for e in entries
    ]
    await ensure_writable(actor, Touch.each(entries, rows))  # refused in a locked scope
    scope = {
        "student_id__in": _ids(e.student_id for e in entries),
        "subject_id__in": _ids(e.subject.id for e in entries),
    }
    written = await upsert(
        PrimaryAssessment, rows, scope=scope, actor=actor.label, action="primary"
    )
    await on_behalf.record(actor, behalf, written)
    return written


async def write_qualities(actor: Actor, entries: Sequence[QualityEntry]) -> Written:
    """Qualities and competencies are judged by the homeroom teacher (Thông tư 27, Điều 6)."""
    behalf = await on_behalf.ensure_writes(actor, ((e.school_class, None) for e in entries))
    rows = [
        Row(
            key={"student_id": e.student_id, "point": e.point, "quality": e.quality},
            values={"term_id": e.term.id, "level": e.level},
            target=f"quality:{e.student_id}:{e.point}:{e.quality}",
            meta={"updated_by_id": actor.staff_id},
        )
        for e in entries
    ]
    await ensure_writable(actor, Touch.each(entries, rows))  # refused in a locked scope
    scope = {"student_id__in": _ids(e.student_id for e in entries)}
    written = await upsert(
        QualityAssessment, rows, scope=scope, actor=actor.label, action="quality"
    )
    await on_behalf.record(actor, behalf, written)
    return written


@dataclass(frozen=True)
class CommentEntry:
    """A teacher's written comment on a student for a term: the homeroom teacher's general
    one (no subject), or a subject teacher's on their subject (Thông tư 22 Điều 4, Thông tư
    27 Điều 6: nhận xét), which the record prints beside the subject's results."""

    student_id: int
    school_class: SchoolClass
    term: Term
    text: str
    subject: Subject | None = None


async def write_comments(actor: Actor, entries: Sequence[CommentEntry]) -> Written:
    """The teachers' comments on the students: a general one by the homeroom teacher
    (regulation 001 Điều 24.5b and 34.5, 000 Điều 7), a subject's by its teacher (000 Điều 5);
    or an admin, as for marks and conduct."""
    behalf = await on_behalf.ensure_writes(actor, ((e.school_class, e.subject) for e in entries))
    rows = [
        Row(
            key={
                "student_id": e.student_id,
                "term_id": e.term.id,
                "subject_id": e.subject.id if e.subject else None,
            },
            values={"text": e.text},
            target=f"comment:{e.student_id}:{e.term.id}"
            + (f":{e.subject.id}" if e.subject else ""),
            meta={"author_id": actor.staff_id},
        )
        for e in entries
    ]
    await ensure_writable(actor, Touch.each(entries, rows))  # refused in a locked scope
    scope = {
        "student_id__in": _ids(e.student_id for e in entries),
        "term_id__in": _ids(e.term.id for e in entries),
    }
    written = await upsert(Comment, rows, scope=scope, actor=actor.label, action="comment")
    await on_behalf.record(actor, behalf, written)
    return written


@dataclass(frozen=True)
class SheetRow:
    """One student's line of a class × subject × term sheet, columns as schools label them."""

    number: int
    student_id: int
    national_id: str
    full_name: str
    marks: dict[str, MarkValue]


async def class_students(school_class: SchoolClass) -> list[tuple[Enrollment, Student]]:
    enrollments = (
        await Enrollment.filter(school_class=school_class)
        .prefetch_related("student")
        .order_by("number", "id")
    )
    return [(e, e.student) for e in enrollments]


async def sheet_rows(
    school_class: SchoolClass, subject: Subject, term: Term, *, student_id: int | None = None
) -> list[SheetRow]:
    """The lines of a class × subject × term sheet (only `student_id`'s when given), in
    class-list order, in two queries. No rights check and no audit: for a service that has
    checked the actor's right to write the sheet and audited what it showed (`read_sheet`)."""
    enrollments = Enrollment.filter(school_class=school_class)
    if student_id is not None:
        enrollments = enrollments.filter(student_id=student_id)
    students = [
        (e, e.student)
        for e in await enrollments.prefetch_related("student").order_by("number", "id")
    ]
    marks = await Mark.filter(
        student_id__in=[s.id for _e, s in students], subject=subject, term=term
    )
    by_student: dict[int, dict[str, MarkValue]] = {}
    for mark in marks:
        value = mark.score if mark.score is not None else mark.verdict
        if value is not None:
            by_student.setdefault(mark.student_id, {})[mark_column(mark.kind, mark.index)] = value
    return [
        SheetRow(e.number, s.id, s.national_id, s.full_name, by_student.get(s.id, {}))
        for e, s in students
    ]


async def read_sheet(
    actor: Actor, school_class: SchoolClass, subject: Subject, term: Term
) -> list[SheetRow]:
    """The marks of a class × subject × term; reading personal data is audited."""
    await ensure_can_read(actor, school_class, subject)
    rows = await sheet_rows(school_class, subject, term)
    await audit.record(
        audit.Event(
            actor.label,
            "gradebook.read",
            f"sheet:{school_class.id}:{subject.id}:{term.id}",
            after={"students": len(rows)},
        )
    )
    return rows
