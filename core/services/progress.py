"""Progress of grade entry: for each teacher × class × subject × term, what is still missing.

What a complete sheet holds follows the rules, not a setting:
- secondary (Thông tư 22, Điều 6–7): every student has the cells of `gradebook.mark_columns`:
  TX1..TXn (2 for a comment-only subject, 2/3/4 by yearly periods for a scored one), the
  mid-term GK and the end-of-term CK; the upper-secondary learning-topic cell (CĐHT) is never
  missing, as only the students of the topic cluster have it;
- primary (Thông tư 27, Điều 7): every subject has a level at each assessment point of the
  term, a periodic test score where `periodic_tests` has one, and its teacher's comment at the
  term's end (000 Điều 7: «cập nhật nhận xét, đánh giá cuối kỳ và cuối năm học»; the record
  prints the year's);
- the homeroom teacher's own sheet of each class and term (no subject): conduct or the primary
  qualities, days absent, and the comment where the record prints it
  (core.services.homeroom_gaps says which, with the articles), due by the homeroom teacher's
  own deadline (`homeroom.termN`), not the subjects'.

Each missing column carries when it is due (core.services.calendar), so views sort the late
ones first and the reminder job picks the gaps whose deadline comes near or has passed. A whole
school is computed from a dozen queries, whatever the number of students.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core import audit
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import (
    Comment,
    Enrollment,
    Mark,
    MarkKind,
    PrimaryAssessment,
    SchoolClass,
    SchoolYear,
    Staff,
    Subject,
    TeachingAssignment,
)
from core.rules.catalog import SchoolLevel
from core.rules.primary import TestPoint, periodic_tests
from core.services import homeroom_gaps
from core.services.access import READ_ALL, Actor, ensure_can_read
from core.services.calendar import POINT_COLUMNS, POINT_TERM, Calendar, load_calendar
from core.services.gradebook import mark_column, mark_columns


def level_column(point: TestPoint) -> str:
    """ "Mức CHK1": the level of a primary subject at a point, as the teachers' sheet heads it."""
    return f"Mức {POINT_COLUMNS[point]}"


def score_column(point: TestPoint) -> str:
    return f"Điểm {POINT_COLUMNS[point]}"


SUBJECT_COMMENT = "Nhận xét"  # a primary subject's comment, as the teachers' sheet heads it
_TERM_END = {POINT_TERM[p]: p for p in (TestPoint.END_1, TestPoint.END_YEAR)}


@dataclass(frozen=True)
class StudentRef:
    id: int
    number: int
    name: str


@dataclass(frozen=True)
class ColumnGap:
    """One column of a sheet with students still missing, and when it is due."""

    column: str
    due: dt.datetime
    students: tuple[StudentRef, ...]

    @property
    def count(self) -> int:
        return len(self.students)

    @property
    def label(self) -> str:
        """The column as people read it ("TX3", "Rèn luyện", "Số ngày nghỉ")."""
        return homeroom_gaps.label(self.column)


@dataclass(frozen=True)
class Sheet:
    """A teacher's class × subject × term (or, with no subject, the homeroom teacher's own
    data of the class: conduct, or the primary qualities), with what is missing."""

    teacher_id: int | None
    teacher_name: str | None
    class_id: int
    class_name: str
    subject_id: int | None
    subject_name: str
    term: int
    students: int
    gaps: tuple[ColumnGap, ...]

    @property
    def homeroom(self) -> bool:
        """The homeroom teacher's own part of the class, not a subject's."""
        return self.subject_id is None

    @property
    def complete(self) -> bool:
        return not self.gaps

    @property
    def missing(self) -> int:
        """Missing cells: students × columns."""
        return sum(g.count for g in self.gaps)

    @property
    def due(self) -> dt.datetime | None:
        return min((g.due for g in self.gaps), default=None)

    def late(self, now: dt.datetime) -> bool:
        return any(g.due <= now for g in self.gaps)

    def due_by(self, moment: dt.datetime) -> tuple[ColumnGap, ...]:
        """The gaps due at or before `moment` (what a reminder for that deadline lists)."""
        return tuple(g for g in self.gaps if g.due <= moment)


def _urgency(sheets: Sequence[Sheet], now: dt.datetime) -> tuple[bool, dt.datetime]:
    due = min((s.due for s in sheets if s.due), default=dt.datetime.max.replace(tzinfo=dt.UTC))
    return (not any(s.late(now) for s in sheets), due)


@dataclass(frozen=True)
class Group:
    """Sheets of one teacher, or of one class; `key`/`name` say whose."""

    key: int | None
    name: str
    sheets: tuple[Sheet, ...]

    @property
    def complete(self) -> bool:
        return all(s.complete for s in self.sheets)

    @property
    def missing(self) -> int:
        return sum(s.missing for s in self.sheets)

    def late(self, now: dt.datetime) -> bool:
        return any(s.late(now) for s in self.sheets)

    def incomplete(self) -> tuple[Sheet, ...]:
        return tuple(s for s in self.sheets if not s.complete)


@dataclass(frozen=True)
class SchoolProgress:
    by_class: tuple[Group, ...]
    by_teacher: tuple[Group, ...]  # a group with key None holds unassigned sheets


def _sort_sheets(sheets: Iterable[Sheet], now: dt.datetime) -> tuple[Sheet, ...]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return tuple(
        sorted(
            sheets,
            key=lambda s: (
                not s.late(now),
                s.complete,
                s.due or far,
                s.term,
                s.class_name,
                s.subject_id is not None,
                s.subject_name,
            ),
        )
    )


def _groups(sheets: Sequence[Sheet], key: str, name: str, now: dt.datetime) -> tuple[Group, ...]:
    """Sheets grouped by an attribute, late groups first, then by the earliest due."""
    by: dict[int | None, list[Sheet]] = defaultdict(list)
    names: dict[int | None, str] = {}
    for sheet in sheets:
        by[getattr(sheet, key)].append(sheet)
        names[getattr(sheet, key)] = getattr(sheet, name) or _("(chưa phân công)")
    groups = [Group(k, names[k], _sort_sheets(v, now)) for k, v in by.items()]
    return tuple(sorted(groups, key=lambda g: (*_urgency(g.sheets, now), g.name)))


# ---------------------------------------------------------------------------------------------
# Computing


@dataclass
class _Loaded:
    calendar: Calendar
    level: SchoolLevel
    classes: list[SchoolClass]
    students: dict[int, list[StudentRef]]  # class id -> students in class-list order
    subjects: list[Subject]
    teachers: dict[tuple[int, int], list[int]]  # (class, subject) -> staff ids
    names: dict[int, str]


async def _load(year: SchoolYear, class_ids: Iterable[int] | None) -> _Loaded:
    calendar = await load_calendar(year)
    classes = SchoolClass.filter(year=year)
    if class_ids is not None:
        classes = classes.filter(id__in=list(class_ids))
    class_list = list(await classes.order_by("grade", "name"))
    ids = [c.id for c in class_list]
    students: dict[int, list[StudentRef]] = defaultdict(list)
    for class_id, student_id, number, name in (
        await Enrollment.filter(school_class_id__in=ids)
        .order_by("number", "id")
        .values_list("school_class_id", "student_id", "number", "student__full_name")
    ):
        students[class_id].append(StudentRef(student_id, number, name))
    teachers: dict[tuple[int, int], list[int]] = defaultdict(list)
    for staff_id, class_id, subject_id in (
        await TeachingAssignment.filter(school_class_id__in=ids)
        .order_by("staff_id")
        .values_list("staff_id", "school_class_id", "subject_id")
    ):
        teachers[class_id, subject_id].append(staff_id)
    return _Loaded(
        calendar,
        calendar.level,
        class_list,
        students,
        list(await Subject.filter(school_id=year.school_id).order_by("id")),
        teachers,
        dict(await Staff.filter(school_id=year.school_id).values_list("id", "full_name")),
    )


# (term id, subject id or None, column) -> students who have it
_Entered = dict[tuple[int, int | None, str], set[int]]


async def _entered(
    loaded: _Loaded,
    term_ids: list[int],
    student_ids: list[int] | None,
    subject_ids: Collection[int] | None,
) -> _Entered:
    """What is stored for the terms, as sets of students per column, in two or three queries.
    `student_ids` and `subject_ids` narrow the queries for a teacher's or a class's view (None:
    all): a teacher's own subjects are a tenth of their classes' marks."""
    narrow: dict[str, Any] = {"student_id__in": student_ids} if student_ids is not None else {}
    subjects = {"subject_id__in": list(subject_ids)} if subject_ids is not None else {}
    entered: _Entered = defaultdict(set)
    if loaded.level is SchoolLevel.PRIMARY:
        rows = await PrimaryAssessment.filter(
            term_id__in=term_ids, **narrow, **subjects
        ).values_list("student_id", "subject_id", "term_id", "point", "level", "score")
        for student, subject, term, point, level, score in rows:
            if level is not None:
                entered[term, subject, level_column(TestPoint(point))].add(student)
            if score is not None:
                entered[term, subject, score_column(TestPoint(point))].add(student)
        for student, subject, term in (
            await Comment.filter(
                term_id__in=term_ids, subject_id__isnull=False, **narrow, **subjects
            )
            .exclude(text="")
            .values_list("student_id", "subject_id", "term_id")
        ):
            entered[term, subject, SUBJECT_COMMENT].add(student)
    else:
        marks = await Mark.filter(term_id__in=term_ids, **narrow, **subjects).values_list(
            "student_id", "subject_id", "term_id", "kind", "index", "score", "verdict"
        )
        for student, subject, term, kind, index, score, verdict in marks:
            if score is not None or verdict is not None:
                entered[term, subject, mark_column(kind, index)].add(student)
    homeroom = await homeroom_gaps.entered(loaded.level, term_ids, narrow)
    for (term, column), students in homeroom.items():
        entered[term, None, column] = students
    return entered


@dataclass(frozen=True)
class _Column:
    name: str
    regular: bool
    test: str  # the test-date column that sets when it is due


def _subject_columns(level: SchoolLevel, subject: Subject, grade: int, term: int) -> list[_Column]:
    if level is SchoolLevel.PRIMARY:
        tested = periodic_tests(grade, subject.code)
        columns = []
        for point, number in POINT_TERM.items():
            if number == term:
                columns.append(_Column(level_column(point), False, POINT_COLUMNS[point]))
                if point in tested:
                    columns.append(_Column(score_column(point), False, POINT_COLUMNS[point]))
        end = POINT_COLUMNS[_TERM_END[term]]
        return [*columns, _Column(SUBJECT_COMMENT, False, end)]
    names = [(mark_column(k, i), k is MarkKind.REGULAR) for k, i in mark_columns(subject, grade)]
    return [_Column(name, regular, name) for name, regular in names]


def _gaps(
    entered: _Entered,
    term_id: int,
    subject_id: int | None,
    students: Sequence[StudentRef],
    columns: Iterable[tuple[str, dt.datetime]],
) -> tuple[ColumnGap, ...]:
    """The columns (name, due) some of `students` are missing, with who."""
    found = []
    for column, due in columns:
        have = entered.get((term_id, subject_id, column), set())
        missing = tuple(s for s in students if s.id not in have)
        if missing:
            found.append(ColumnGap(column, due, missing))
    return tuple(found)


def _sheets(
    loaded: _Loaded,
    terms: Sequence[int],
    entered: _Entered,
    subject_ids: Collection[int] | None = None,
) -> list[Sheet]:
    """Every class × subject × term sheet (of `subject_ids` only, when given) and each class's
    homeroom sheet per term, with their gaps."""
    calendar = loaded.calendar
    sheets = []
    for school_class in loaded.classes:
        students = loaded.students.get(school_class.id, [])
        grade = school_class.grade
        subjects = [
            s
            for s in loaded.subjects
            if s.taught_in(grade) and (subject_ids is None or s.id in subject_ids)
        ]
        for term in terms:
            term_id = calendar.terms[term].id
            for subject in subjects:
                columns = [
                    (
                        c.name,
                        calendar.due(
                            term,
                            c.test,
                            regular=c.regular,
                            class_id=school_class.id,
                            subject_id=subject.id,
                        ),
                    )
                    for c in _subject_columns(loaded.level, subject, grade, term)
                ]
                found = _gaps(entered, term_id, subject.id, students, columns)
                for teacher in loaded.teachers.get((school_class.id, subject.id)) or [None]:
                    sheets.append(
                        Sheet(
                            teacher,
                            loaded.names.get(teacher) if teacher else None,
                            school_class.id,
                            school_class.name,
                            subject.id,
                            subject.name,
                            term,
                            len(students),
                            found,
                        )
                    )
            homeroom = school_class.homeroom_id
            due = calendar.homeroom_deadline(term)
            columns = [(c, due) for c in homeroom_gaps.columns(loaded.level, term)]
            sheets.append(
                Sheet(
                    homeroom,
                    loaded.names.get(homeroom) if homeroom else None,
                    school_class.id,
                    school_class.name,
                    None,
                    _("Chủ nhiệm"),
                    term,
                    len(students),
                    _gaps(entered, term_id, None, students, columns),
                )
            )
    return sheets


def _terms(calendar: Calendar, terms: Sequence[int] | None, now: dt.datetime) -> list[int]:
    chosen = list(terms) if terms else [calendar.current_term(now)]
    unknown = [t for t in chosen if t not in calendar.terms]
    if unknown:
        raise InvalidValue(_("Học kỳ phải là 1 hoặc 2."))
    return chosen


async def _compute(
    year: SchoolYear,
    terms: Sequence[int] | None,
    now: dt.datetime,
    *,
    class_ids: Iterable[int] | None = None,
    subject_ids: Collection[int] | None = None,
) -> list[Sheet]:
    """The sheets of the school's classes (or of `class_ids`; of `subject_ids` only, besides
    the homeroom sheets) for `terms` (None: the term being worked on)."""
    loaded = await _load(year, class_ids)
    chosen = _terms(loaded.calendar, terms, now)
    student_ids = None
    if class_ids is not None:
        student_ids = sorted(s.id for group in loaded.students.values() for s in group)
    term_ids = [loaded.calendar.terms[t].id for t in chosen]
    entered = await _entered(loaded, term_ids, student_ids, subject_ids)
    return _sheets(loaded, chosen, entered, subject_ids)


async def _audit_read(actor: Actor, target: str, sheets: Sequence[Sheet]) -> None:
    """Progress names students, so reading it is logged like any read of personal data."""
    await audit.record(
        audit.Event(actor.label, "progress.read", target, after={"sheets": len(sheets)})
    )


# ---------------------------------------------------------------------------------------------
# Views


async def teacher_progress(
    actor: Actor,
    year: SchoolYear,
    *,
    now: dt.datetime,
    staff_id: int | None = None,
    terms: Sequence[int] | None = None,
) -> Group:
    """A teacher's sheets (their subjects and their homeroom class), late ones first.

    A teacher sees their own; leadership, admins and the office see anyone's. Without `terms`,
    the term being worked on (`Calendar.current_term`)."""
    staff_id = staff_id if staff_id is not None else actor.staff_id
    if year.school_id != actor.school_id or staff_id is None:
        raise PermissionDenied(_("Bạn không có quyền xem tiến độ này."))
    if staff_id != actor.staff_id and not actor.has(*READ_ALL):
        raise PermissionDenied(_("Bạn chỉ xem được tiến độ nhập điểm của chính mình."))
    staff = await Staff.get_or_none(id=staff_id, school_id=year.school_id)
    if staff is None:
        raise PermissionDenied(_("Bạn không có quyền xem tiến độ này."))
    taught = await TeachingAssignment.filter(
        staff_id=staff_id, school_class__year=year
    ).values_list("school_class_id", "subject_id")
    homeroom = await SchoolClass.filter(year=year, homeroom_id=staff_id).values_list(
        "id", flat=True
    )
    sheets = await _compute(
        year,
        terms,
        now,
        class_ids={c for c, _s in taught} | set(homeroom),
        subject_ids={s for _c, s in taught},
    )
    mine = [s for s in sheets if s.teacher_id == staff_id]
    await _audit_read(actor, f"progress:staff:{staff_id}", mine)
    return Group(staff_id, staff.full_name, _sort_sheets(mine, now))


async def class_progress(
    actor: Actor,
    school_class: SchoolClass,
    *,
    now: dt.datetime,
    terms: Sequence[int] | None = None,
) -> Group:
    """Every sheet of a class, late ones first: for the school's readers and the class's
    homeroom teacher."""
    await ensure_can_read(actor, school_class)
    year = await school_class.year
    sheets = await _compute(year, terms, now, class_ids=[school_class.id])
    await _audit_read(actor, f"progress:class:{school_class.id}", sheets)
    return Group(school_class.id, school_class.name, _sort_sheets(sheets, now))


async def school_progress(
    actor: Actor,
    year: SchoolYear,
    *,
    now: dt.datetime,
    terms: Sequence[int] | None = None,
) -> SchoolProgress:
    """The whole school by class and by teacher, late ones first: leadership, admins, office."""
    if year.school_id != actor.school_id or not actor.has(*READ_ALL):
        raise PermissionDenied(
            _("Tiến độ của cả trường dành cho Ban giám hiệu và quản trị học bạ số.")
        )
    sheets = await _compute(year, terms, now)
    await _audit_read(actor, f"progress:year:{year.id}", sheets)
    return SchoolProgress(
        _groups(sheets, "class_id", "class_name", now),
        _groups(sheets, "teacher_id", "teacher_name", now),
    )
