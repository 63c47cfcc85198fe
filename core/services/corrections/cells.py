"""The cells a correction is about: the teacher's classes, subjects and students, one student's
sheet (class × subject × term) loaded and checked once, its current values, and a new value.

A request names a class, a student, a subject, a term and columns, all of which arrive as ids
from buttons or from a kept draft: `load_sheet` checks every one of them again (the class is
the actor's school's, the actor teaches that subject there, the student is in that class, the
term is the class's year's) in a handful of queries, and `StudentSheet.values` reads every
current value of the sheet in one more, so drawing the column keyboard costs the same whatever
the number of columns. A stale or forged id is a NotFound that says what to do, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core import formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    Enrollment,
    Mark,
    MarkKind,
    SchoolClass,
    Student,
    Subject,
    TeachingAssignment,
    Term,
)
from core.rules.catalog import Assessment
from core.rules.secondary import Verdict
from core.services import locks
from core.services.access import Actor
from core.services.gradebook import MarkValue, mark_column, mark_columns, validate_mark
from core.services.schools import current_year
from core.text import fold

Column = tuple[MarkKind, int]


# ---------------------------------------------------------------------------------------------
# Values


def canonical(value: MarkValue) -> str:
    """A mark as stored on a request: "8.5", "8", "Đ" (comparable as text)."""
    if isinstance(value, Verdict):
        return value.value
    whole = value == value.to_integral_value()
    return str(value.quantize(Decimal(1) if whole else Decimal("0.1")))


def shown(value: str | None) -> str:
    """A stored value as people read it: 8,5 / Đạt / (trống)."""
    if value is None:
        return _("(trống)")
    if value in (v.value for v in Verdict):
        return Verdict(value).label
    return formatting.score(Decimal(value))


def stored_value(mark: Mark | None) -> str | None:
    if mark is None:
        return None
    if mark.verdict is not None:
        return Verdict(mark.verdict).value
    return None if mark.score is None else canonical(mark.score)


def column_of(kind: MarkKind | str, index: int) -> str:
    return mark_column(MarkKind(kind), index)


def cell_target(student_id: int, subject_id: int, term_id: int, column: str) -> str:
    """The gradebook's audit target of a cell (what write_marks records and locks open)."""
    return f"mark:{student_id}:{subject_id}:{term_id}:{column}"


def roman(number: int) -> str:
    return "I" if number == 1 else "II"


# ---------------------------------------------------------------------------------------------
# What a teacher may ask about


async def my_classes(actor: Actor) -> list[SchoolClass]:
    """The classes the teacher teaches a subject in (this year)."""
    year = await current_year(actor.school_id)
    ids = await TeachingAssignment.filter(
        staff_id=actor.staff_id, school_class__year_id=year.id
    ).values_list("school_class_id", flat=True)
    return list(await SchoolClass.filter(id__in=list(ids)).order_by("grade", "name"))


async def class_of(actor: Actor, class_id: int) -> SchoolClass:
    """A class of the actor's school (its year loaded); any other id is a NotFound."""
    school_class = (
        await SchoolClass.filter(id=class_id, year__school_id=actor.school_id)
        .select_related("year")
        .first()
    )
    if school_class is None:
        raise NotFound(_("Lớp này không còn trong danh sách của trường. Gõ /suadiem để chọn lại."))
    return school_class


async def taught_subjects(actor: Actor, school_class: SchoolClass) -> set[int]:
    """The subjects the actor teaches in the class; none is a refusal."""
    ids = set(
        await TeachingAssignment.filter(
            staff_id=actor.staff_id, school_class_id=school_class.id
        ).values_list("subject_id", flat=True)
    )
    if actor.staff_id is None or not ids:
        raise PermissionDenied(
            _("Thầy cô không dạy lớp {klass}, nên không lập phiếu sửa điểm cho lớp này.").format(
                klass=school_class.name
            )
        )
    return ids


async def my_subjects(actor: Actor, school_class: SchoolClass) -> list[Subject]:
    """The subjects the teacher teaches in the class that have marks (not primary levels)."""
    ids = await taught_subjects(actor, school_class)
    subjects = await Subject.filter(id__in=list(ids)).order_by("name")
    return [s for s in subjects if s.assessment != Assessment.LEVELS]


async def subject_of(actor: Actor, school_class: SchoolClass, subject_id: int) -> Subject:
    """A subject with marks that the actor teaches in the class."""
    taught = await taught_subjects(actor, school_class)
    subject = await Subject.get_or_none(id=subject_id, school_id=actor.school_id)
    if subject is None:
        raise NotFound(_("Môn này không còn trong danh sách của trường. Gõ /suadiem để chọn lại."))
    if subject.id not in taught:
        raise PermissionDenied(
            _(
                "Thầy cô không được phân công dạy môn {subject} lớp {klass}, nên không lập phiếu "
                "sửa điểm môn này. Nếu phân công sai, hãy báo quản trị học bạ số của trường."
            ).format(subject=subject.name, klass=school_class.name)
        )
    if subject.assessment == Assessment.LEVELS:
        raise InvalidValue(
            _("Môn {subject} đánh giá bằng mức, không có điểm để sửa.").format(subject=subject.name)
        )
    return subject


async def find_students(actor: Actor, school_class: SchoolClass, query: str) -> list[Student]:
    """Students of the class whose name contains `query`, accents and case optional."""
    school_class = await class_of(actor, school_class.id)
    await taught_subjects(actor, school_class)
    return await students_named(school_class, query)


async def students_named(school_class: SchoolClass, query: str) -> list[Student]:
    """The class list (in its order) narrowed to names containing `query`; no rights check."""
    needle = fold(query)
    enrolled = (
        await Enrollment.filter(school_class=school_class)
        .prefetch_related("student")
        .order_by("number", "id")
    )
    return [e.student for e in enrolled if needle in fold(e.student.full_name)]


async def student_in(school_class: SchoolClass, student_id: int) -> Student:
    enrolled = (
        await Enrollment.filter(student_id=student_id, school_class_id=school_class.id)
        .select_related("student")
        .first()
    )
    if enrolled is None:
        raise NotFound(_("Học sinh này không thuộc lớp {klass}.").format(klass=school_class.name))
    return enrolled.student


async def term_of(school_class: SchoolClass, term_id: int) -> Term:
    term = await Term.get_or_none(id=term_id, year_id=school_class.year_id)
    if term is None:
        raise NotFound(_("Không có học kỳ này trong năm học của lớp."))
    return term


# ---------------------------------------------------------------------------------------------
# A cell, and the student's sheet it belongs to


@dataclass(frozen=True)
class Cell:
    """One cell of the gradebook a request is about, loaded and checked."""

    school_class: SchoolClass
    student: Student
    subject: Subject
    term: Term
    kind: MarkKind
    index: int

    @property
    def column(self) -> str:
        return mark_column(self.kind, self.index)

    @property
    def target(self) -> str:
        return cell_target(self.student.id, self.subject.id, self.term.id, self.column)

    def touch(self) -> locks.Touch:
        sc = self.school_class
        return locks.Touch(sc.year_id, self.term.id, sc.id, self.subject.id, self.target)

    def check(self, raw: str, current: str | None) -> str:
        """The new value, by the same rules as entry, and different from `current`."""
        sc = self.school_class
        value = canonical(validate_mark(self.subject, sc.grade, self.kind, self.index, raw))
        if value == current:
            raise InvalidValue(
                _("Giá trị mới {value} trùng giá trị hiện tại: không có gì để sửa.").format(
                    value=shown(value)
                )
            )
        return value


@dataclass(frozen=True)
class StudentSheet:
    """One student's marks of a subject in a term, every id checked (`load_sheet`)."""

    school_class: SchoolClass
    student: Student
    subject: Subject
    term: Term

    def columns(self) -> list[Column]:
        return mark_columns(self.subject, self.school_class.grade)

    def cell(self, kind: MarkKind | str, index: int) -> Cell:
        kind = MarkKind(kind)
        if (kind, index) not in self.columns():
            raise InvalidValue(
                _("Môn {subject} lớp {klass} không có cột {column}.").format(
                    subject=self.subject.name,
                    klass=self.school_class.name,
                    column=mark_column(kind, index),
                )
            )
        return Cell(self.school_class, self.student, self.subject, self.term, kind, index)

    async def values(self) -> dict[Column, str | None]:
        """Every current value of the sheet, in one query (an empty cell is None)."""
        marks = await Mark.filter(
            student_id=self.student.id, subject_id=self.subject.id, term_id=self.term.id
        )
        found = {(MarkKind(m.kind), m.index): stored_value(m) for m in marks}
        return {column: found.get(column) for column in self.columns()}


async def load_sheet(
    actor: Actor, class_id: int, student_id: int, subject_id: int, term_id: int
) -> StudentSheet:
    """The sheet, if the actor teaches the subject in the class and the student is in it."""
    school_class = await class_of(actor, class_id)
    subject = await subject_of(actor, school_class, subject_id)
    student = await student_in(school_class, student_id)
    return StudentSheet(school_class, student, subject, await term_of(school_class, term_id))


async def load_cell(
    actor: Actor,
    class_id: int,
    student_id: int,
    subject_id: int,
    term_id: int,
    kind: str = MarkKind.REGULAR,
    index: int = 1,
) -> Cell:
    """One cell, checked as `load_sheet` checks its sheet."""
    sheet = await load_sheet(actor, class_id, student_id, subject_id, term_id)
    return sheet.cell(kind, index)
