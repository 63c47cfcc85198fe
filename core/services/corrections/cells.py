"""The cells a correction is about: the teacher's classes, subjects and students, one student's
sheet of a term loaded and checked once, its current values, and a new value.

A sheet is a subject's marks (class × subject × term, `StudentSheet`), a primary subject's
levels and periodic scores of the term (`PrimarySheet`, whose cells
core.services.corrections.primary describes) or, for the class's homeroom teacher, their own
data of the term (conduct, days absent, qualities and competencies: `HomeroomSheet`, whose
cells core.services.corrections.homeroom describes). All give the same things: their columns,
a `Cell` for each, and every current value at once.

A request names a class, a student, a subject (or the homeroom data), a term and columns, all
of which arrive as ids from buttons or from a kept draft: `load_sheet` checks every one of them
again (the class is the actor's school's, the actor teaches that subject there or is its
homeroom teacher, the student is in that class, the term is the class's year's) in a handful
of queries, and `values` reads every current value of the sheet in one or two more, so drawing
the column keyboard costs the same whatever the number of columns. A stale or forged id is a
NotFound that says what to do, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.expressions import Q

from core import formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    CellKind,
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
from core.services.corrections import homeroom, primary
from core.services.gradebook import (
    MarkEntry,
    MarkValue,
    entry_columns,
    mark_column,
    validate_mark,
    write_marks,
)
from core.services.schools import current_year
from core.text import fold

Column = tuple[CellKind, int]


# ---------------------------------------------------------------------------------------------
# Values


def canonical(value: MarkValue) -> str:
    """A mark as stored on a request: "8.5", "8", "Đ" (comparable as text)."""
    if isinstance(value, Verdict):
        return value.value
    whole = value == value.to_integral_value()
    return str(value.quantize(Decimal(1) if whole else Decimal("0.1")))


def shown(value: str | None, kind: CellKind | None = None) -> str:
    """A stored value as people read it: 8,5 / Đạt / Cần cố gắng / Hoàn thành tốt / 3 /
    (trống). `kind` says how to read a homeroom or primary cell's value (a mark's reads by
    itself)."""
    if value is None:
        return _("(trống)")
    if kind is not None and kind.is_primary:
        return primary.shown(kind, value)
    if kind is not None and homeroom.is_homeroom(kind):
        return homeroom.shown(kind, value)
    if value in (v.value for v in Verdict):
        return Verdict(value).label
    return formatting.score(Decimal(value))


def stored_value(mark: Mark | None) -> str | None:
    if mark is None:
        return None
    if mark.verdict is not None:
        return Verdict(mark.verdict).value
    return None if mark.score is None else canonical(mark.score)


def column_of(kind: CellKind | str, index: int) -> str:
    """A cell's short name: TX1, GK, CK for marks; «Mức CHK1», «Điểm CHK1» for a primary
    subject; «Rèn luyện», «Chăm chỉ» for homeroom data."""
    kind = CellKind(kind)
    if kind.is_primary:
        return primary.label(kind, index)
    if kind.mark_kind is None:
        return homeroom.label(kind, index)
    return mark_column(kind.mark_kind, index)


def column_words(kind: MarkKind, index: int) -> str:
    """A mark column as TT22 (Điều 7) and the grade sheet name it: ĐĐGtx 1, ĐĐGgk (giữa kỳ),
    ĐĐGck (cuối kỳ)."""
    return {
        MarkKind.REGULAR: _("ĐĐGtx {n}"),
        MarkKind.MIDTERM: _("ĐĐGgk (giữa kỳ)"),
        MarkKind.FINAL: _("ĐĐGck (cuối kỳ)"),
        MarkKind.TOPIC: _("ĐĐG cụm chuyên đề học tập (CĐHT)"),
    }[kind].format(n=index)


def cell_words(kind: CellKind | str, index: int, term: int) -> str:
    """A cell in words, as the minutes name it: «ĐĐGtx 1», «Mức đạt được cuối học kì I» (the
    minutes say the subject and term above it), «Rèn luyện học kỳ I», «Số ngày nghỉ có phép
    học kỳ II»."""
    kind = CellKind(kind)
    if kind.is_primary:
        return primary.words(kind, index)
    if kind.mark_kind is None:
        return homeroom.words(kind, index, term)
    return column_words(kind.mark_kind, index)


def hint(kind: CellKind) -> str:
    """What may be typed into a cell, where its column's name does not say it (a mark's
    does: none)."""
    if kind.is_primary:
        return primary.hint(kind)
    return homeroom.hint(kind) if homeroom.is_homeroom(kind) else ""


def cell_target(student_id: int, subject_id: int, term_id: int, column: str) -> str:
    """The gradebook's audit target of a cell (what write_marks records and locks open)."""
    return f"mark:{student_id}:{subject_id}:{term_id}:{column}"


# ---------------------------------------------------------------------------------------------
# What a teacher may ask about


async def my_classes(actor: Actor) -> list[SchoolClass]:
    """The classes the teacher teaches a subject in, or is the homeroom teacher of (this
    year)."""
    year = await current_year(actor.school_id)
    ids = await TeachingAssignment.filter(
        staff_id=actor.staff_id, school_class__year_id=year.id
    ).values_list("school_class_id", flat=True)
    mine = Q(id__in=list(ids))
    if actor.staff_id is not None:
        mine |= Q(homeroom_id=actor.staff_id)
    return list(await SchoolClass.filter(mine, year_id=year.id).order_by("grade", "name"))


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
    """The subjects the actor teaches in the class (perhaps none, for its homeroom teacher);
    someone who neither teaches there nor is its homeroom teacher is refused."""
    ids = set(
        await TeachingAssignment.filter(
            staff_id=actor.staff_id, school_class_id=school_class.id
        ).values_list("subject_id", flat=True)
    )
    if actor.staff_id is None or not (ids or homeroom.is_homeroom_of(actor, school_class)):
        raise PermissionDenied(
            _("Thầy cô không dạy lớp {klass}, nên không lập phiếu sửa điểm cho lớp này.").format(
                klass=school_class.name
            )
        )
    return ids


async def my_subjects(actor: Actor, school_class: SchoolClass) -> list[Subject]:
    """The subjects the teacher teaches in the class: marks (TT22), or a primary subject's
    levels and periodic scores (TT27 Điều 7)."""
    ids = await taught_subjects(actor, school_class)
    return list(await Subject.filter(id__in=list(ids)).order_by("name"))


async def subject_of(actor: Actor, school_class: SchoolClass, subject_id: int) -> Subject:
    """A subject that the actor is assigned to teach in the class (000 Điều 8: the subject
    teacher asks to correct their own subject's data)."""
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
    """One cell a request is about, loaded and checked: a mark of `subject`, a primary
    subject's level or score (its kind says which), or (no subject) one of the homeroom
    teacher's cells of the term."""

    school_class: SchoolClass
    student: Student
    subject: Subject | None
    term: Term
    kind: CellKind
    index: int

    @property
    def column(self) -> str:
        return column_of(self.kind, self.index)

    @property
    def quality(self) -> str:
        """A quality's code, as the request stores it; empty for any other cell."""
        return homeroom.quality_code(self.index) if self.kind is CellKind.QUALITY else ""

    @property
    def target(self) -> str:
        if self.subject is None:
            return homeroom.target(self.kind, self.index, self.student.id, self.term)
        if self.kind.is_primary:
            return primary.target(self.kind, self.index, self.student.id, self.subject.id)
        return cell_target(self.student.id, self.subject.id, self.term.id, self.column)

    def touch(self) -> locks.Touch:
        """Where the cell is for the locks: a homeroom cell is in its class's term (no
        subject), so a lock of the term, the class or the year covers it."""
        sc = self.school_class
        subject_id = self.subject.id if self.subject else None
        return locks.Touch(sc.year_id, self.term.id, sc.id, subject_id, self.target)

    def sheet(self) -> Sheet:
        if self.subject is None:
            return HomeroomSheet(self.school_class, self.student, self.term)
        if self.kind.is_primary:
            return PrimarySheet(self.school_class, self.student, self.subject, self.term)
        return StudentSheet(self.school_class, self.student, self.subject, self.term)

    async def read(self) -> dict[Column, str | None]:
        """The current values of the cell's sheet (the cell's own, and what its check needs)."""
        return await self.sheet().values()

    def parse(self, raw: str, values: dict[Column, str | None]) -> str:
        """The value as stored, by the same rules as entry (`values`: the sheet's current
        ones, which a count of days absent is checked against)."""
        if self.subject is None:
            return homeroom.check_value(
                self.kind,
                raw,
                grade=self.school_class.grade,
                term=self.term,
                values=values,
            )
        if self.kind.is_primary:
            return primary.check_value(self.kind, raw)
        mark_kind = self.kind.mark_kind
        assert mark_kind is not None
        return canonical(
            validate_mark(self.subject, self.school_class.grade, mark_kind, self.index, raw)
        )

    def check(self, raw: str, values: dict[Column, str | None]) -> str:
        """The new value, by the same rules as entry, and different from the current one."""
        value = self.parse(raw, values)
        if value == values.get((self.kind, self.index)):
            raise InvalidValue(
                _("Giá trị mới {value} trùng giá trị hiện tại: không có gì để sửa.").format(
                    value=shown(value, self.kind)
                )
            )
        return value

    async def write(self, actor: Actor, value: str, values: dict[Column, str | None]) -> None:
        """Write a checked value through the gradebook (rights, locks and audit are its)."""
        sc = self.school_class
        if self.subject is None:
            await homeroom.write_value(
                actor,
                self.kind,
                self.index,
                value,
                student_id=self.student.id,
                school_class=sc,
                term=self.term,
                values=values,
            )
            return
        if self.kind.is_primary:
            await primary.write_value(
                actor,
                self.kind,
                self.index,
                value,
                student_id=self.student.id,
                school_class=sc,
                subject=self.subject,
                term=self.term,
            )
            return
        mark_kind = self.kind.mark_kind
        assert mark_kind is not None
        mark = validate_mark(self.subject, sc.grade, mark_kind, self.index, value)
        entry = MarkEntry(self.student.id, sc, self.subject, self.term, mark_kind, self.index, mark)
        await write_marks(actor, [entry])


def _no_column(school_class: SchoolClass, what: str, column: str) -> InvalidValue:
    return InvalidValue(
        _("{what} lớp {klass} không có cột {column}.").format(
            what=what, klass=school_class.name, column=column
        )
    )


@dataclass(frozen=True)
class StudentSheet:
    """One student's marks of a subject in a term, every id checked (`load_sheet`)."""

    school_class: SchoolClass
    student: Student
    subject: Subject
    term: Term

    def columns(self) -> list[Column]:
        grade = self.school_class.grade
        return [(CellKind(kind.value), index) for kind, index in entry_columns(self.subject, grade)]

    def cell(self, kind: CellKind | str, index: int) -> Cell:
        kind = CellKind(kind)
        if (kind, index) not in self.columns():
            what = _("Môn {subject}").format(subject=self.subject.name)
            raise _no_column(self.school_class, what, column_of(kind, index))
        return Cell(self.school_class, self.student, self.subject, self.term, kind, index)

    async def values(self) -> dict[Column, str | None]:
        """Every current value of the sheet, in one query (an empty cell is None)."""
        marks = await Mark.filter(
            student_id=self.student.id, subject_id=self.subject.id, term_id=self.term.id
        )
        found = {(CellKind(m.kind), m.index): stored_value(m) for m in marks}
        return {column: found.get(column) for column in self.columns()}


@dataclass(frozen=True)
class PrimarySheet:
    """One student's levels and periodic scores of a primary subject in a term (TT27 Điều 7;
    core.services.corrections.primary), every id checked (`load_sheet`)."""

    school_class: SchoolClass
    student: Student
    subject: Subject
    term: Term

    def columns(self) -> list[Column]:
        return primary.columns(self.subject, self.school_class.grade, self.term.number)

    def cell(self, kind: CellKind | str, index: int) -> Cell:
        kind = CellKind(kind)
        if (kind, index) not in self.columns():
            raise primary.no_column(self.school_class, self.subject, self.term, kind, index)
        return Cell(self.school_class, self.student, self.subject, self.term, kind, index)

    async def values(self) -> dict[Column, str | None]:
        return await primary.read_values(
            self.student.id, self.subject, self.school_class.grade, self.term.number
        )


@dataclass(frozen=True)
class HomeroomSheet:
    """One student's homeroom data of a term (core.services.corrections.homeroom), for the
    class's homeroom teacher (`load_sheet` checks it)."""

    school_class: SchoolClass
    student: Student
    term: Term
    subject: None = None

    def columns(self) -> list[Column]:
        return homeroom.columns(self.school_class.grade)

    def cell(self, kind: CellKind | str, index: int) -> Cell:
        kind = CellKind(kind)
        if (kind, index) not in self.columns():
            what = _("Dữ liệu chủ nhiệm")
            name = str(index) if kind is CellKind.QUALITY else column_of(kind, index)
            raise _no_column(self.school_class, what, name)
        return Cell(self.school_class, self.student, None, self.term, kind, index)

    async def values(self) -> dict[Column, str | None]:
        return await homeroom.read_values(self.student.id, self.term, self.school_class.grade)


Sheet = StudentSheet | PrimarySheet | HomeroomSheet


async def load_sheet(
    actor: Actor, class_id: int, student_id: int, subject_id: int | None, term_id: int
) -> Sheet:
    """The sheet, if the actor teaches the subject in the class (no subject: is its homeroom
    teacher) and the student is in it: a primary subject's levels and scores, or a subject's
    marks."""
    school_class = await class_of(actor, class_id)
    if subject_id is None:
        homeroom.ensure_homeroom(actor, school_class)
        student = await student_in(school_class, student_id)
        return HomeroomSheet(school_class, student, await term_of(school_class, term_id))
    subject = await subject_of(actor, school_class, subject_id)
    student = await student_in(school_class, student_id)
    term = await term_of(school_class, term_id)
    if subject.assessment == Assessment.LEVELS:  # a primary subject (TT27 Điều 7)
        return PrimarySheet(school_class, student, subject, term)
    return StudentSheet(school_class, student, subject, term)


async def load_cell(
    actor: Actor,
    class_id: int,
    student_id: int,
    subject_id: int | None,
    term_id: int,
    kind: str = CellKind.REGULAR,
    index: int = 1,
) -> Cell:
    """One cell, checked as `load_sheet` checks its sheet."""
    sheet = await load_sheet(actor, class_id, student_id, subject_id, term_id)
    return sheet.cell(kind, index)
