"""A realistic demo: a lower-secondary school of 12 classes and a small primary school.

Everything goes through the same services as real data (so it is validated and audited). The
generator is seeded, so two runs give the same school. Class 6A of the secondary school and
every class of the primary school are complete for the whole year; the other secondary classes
are complete for term I and partly filled for term II, which leaves realistic gaps for the
reminder and progress flows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from tortoise.transactions import in_transaction

from core import clock
from core.models import Role, School, SchoolClass, SchoolYear, Staff, Subject, Term
from core.rules import primary as tt27
from core.rules import secondary as tt22
from core.rules.catalog import Assessment, SchoolLevel, grades
from core.services import gradebook, roster
from core.services.access import Actor
from core.services.gradebook import class_students
from core.services.schools import create_school, ensure_year
from core.validation import Gender

FAMILY = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Mai Trịnh".split()
)
MIDDLE = {
    Gender.MALE: "Văn Đức Minh Quang Hữu Thành Gia Anh Công Trọng Bảo Đăng".split(),
    Gender.FEMALE: "Thị Ngọc Thu Thanh Phương Bảo Khánh Minh Hải Diệu Kim Mỹ".split(),
}
GIVEN = {
    Gender.MALE: (
        "An Bình Cường Dũng Hải Hiếu Hoàng Huy Khang Khoa Kiên Long Minh Nam Phong Phúc Quân "
        "Sơn Thắng Trung Tuấn Việt Đạt Khải Lâm Nhật Tùng Vinh"
    ).split(),
    Gender.FEMALE: (
        "Anh Chi Giang Hà Hạnh Hoa Hương Lan Linh Mai My Ngân Nhung Phương Quỳnh Thảo Trang "
        "Trâm Uyên Vy Yến Ngọc Diệp Hằng Loan Nhi Thư"
    ).split(),
}
PROVINCE = {SchoolLevel.LOWER_SECONDARY: "037", SchoolLevel.PRIMARY: "031"}


@dataclass(frozen=True)
class DemoSchool:
    code: str
    name: str
    level: SchoolLevel
    classes_per_grade: int
    students_per_class: int
    province: str
    district: str


SECONDARY = DemoSchool(
    "THCS-DEMO", "Trường THCS Đại An", SchoolLevel.LOWER_SECONDARY, 3, 40, "Ninh Bình", "Ý Yên"
)
PRIMARY = DemoSchool(
    "TH-DEMO", "Trường Tiểu học An Hồng", SchoolLevel.PRIMARY, 1, 25, "Hải Phòng", "An Dương"
)
COMPLETE_CLASS = "6A"
COMPLETE_PRIMARY_CLASS = "5A"
# The class of each demo school that `hocba demo` leaves closed, ready to issue.
COMPLETE_CLASSES = ((SECONDARY, COMPLETE_CLASS), (PRIMARY, COMPLETE_PRIMARY_CLASS))
LevelT = TypeVar("LevelT", tt27.SubjectLevel, tt27.QualityLevel)


class People:
    """Seeded names, IDs and phones that pass the same validators as real data."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()

    def name(self, gender: Gender) -> str:
        pick = self.rng.choice
        return f"{pick(FAMILY)} {pick(MIDDLE[gender])} {pick(GIVEN[gender])}"

    def national_id(self, province: str, born: dt.date, gender: Gender) -> str:
        century = (born.year // 100 - 19) * 2 + (gender is Gender.FEMALE)
        while True:
            candidate = f"{province}{century}{born.year % 100:02d}{self.rng.randrange(10**6):06d}"
            if candidate not in self.used_ids:
                self.used_ids.add(candidate)
                return candidate

    def phone(self) -> str:
        while True:
            prefix = self.rng.choice(["90", "91", "94", "96", "97", "98", "86", "88", "35", "39"])
            candidate = f"+84{prefix}{self.rng.randrange(10**7):07d}"
            if candidate not in self.used_phones:
                self.used_phones.add(candidate)
                return candidate


async def create_demo(year_name: str, seed: int = 2025) -> list[School]:
    """Create both demo schools unless they exist; returns the schools created."""
    created = []
    for spec in (SECONDARY, PRIMARY):
        if await School.exists(code=spec.code):
            continue
        async with in_transaction():
            created.append(await _build(spec, year_name, People(seed)))
    return created


async def _build(spec: DemoSchool, year_name: str, people: People) -> School:
    school = await create_school(
        spec.code, spec.name, spec.level, province=spec.province, district=spec.district
    )
    year = await ensure_year(school, year_name)
    actor = Actor.command_line(school.id)
    first_year = int(year_name[:4])
    students = []
    for grade in grades(spec.level):
        for letter in "ABCDEFGH"[: spec.classes_per_grade]:
            for number in range(1, spec.students_per_class + 1):
                gender = people.rng.choice(list(Gender))
                born = dt.date(
                    first_year - grade - 5, people.rng.randint(1, 12), people.rng.randint(1, 28)
                )
                students.append(
                    roster.StudentEntry(
                        national_id=people.national_id(PROVINCE[spec.level], born, gender),
                        full_name=people.name(gender),
                        born=born,
                        gender=gender,
                        class_name=f"{grade}{letter}",
                        grade=grade,
                        number=number,
                        birthplace=spec.province,
                        guardians=(
                            roster.GuardianEntry(people.name(Gender.MALE), "Cha", people.phone()),
                            roster.GuardianEntry(people.name(Gender.FEMALE), "Mẹ", people.phone()),
                        ),
                    )
                )
    await roster.write_students(actor, year, students)
    classes = await SchoolClass.filter(year=year).order_by("grade", "name")
    subjects = await Subject.filter(school=school).order_by("id")
    await _staff(actor, year, spec, people, classes, subjects)
    classes = await SchoolClass.filter(year=year).order_by("grade", "name")  # homerooms named
    terms = {t.number: t for t in await Term.filter(year=year)}
    # Every write is checked against the calendar's locks at the clock's time, and the demo's
    # year is usually over: its data is entered at one moment before any of its locks fell,
    # term II's first day (term I's lock falls two weeks after the term's end).
    with clock.staged(clock.at_school(terms[2].starts, dt.time(8, 0))):
        for school_class in classes:
            complete = school_class.name == COMPLETE_CLASS or spec.level is SchoolLevel.PRIMARY
            await _fill(spec.level)(people.rng, school_class, subjects, terms, complete)
    return school


def _fill(level: SchoolLevel) -> Callable[..., Awaitable[None]]:
    return _fill_primary if level is SchoolLevel.PRIMARY else _fill_secondary


async def fill_year(rng: random.Random, school_class: SchoolClass) -> None:
    """A class's whole year entered as the demo's complete class has it, by its teachers, at
    the demo's moment of entry in that year (tests make a next year of the level with it)."""
    year = await school_class.year
    school = await year.school
    subjects = await Subject.filter(school=school).order_by("id")
    terms = {t.number: t for t in await Term.filter(year=year)}
    with clock.staged(clock.at_school(terms[2].starts, dt.time(8, 0))):
        await _fill(school.level)(rng, school_class, subjects, terms, True)


async def _staff(
    actor: Actor,
    year: SchoolYear,
    spec: DemoSchool,
    people: People,
    classes: list[SchoolClass],
    subjects: list[Subject],
) -> None:
    """Leadership and office staff, then subject teachers with up to six classes each."""
    entries: list[roster.StaffEntry] = []

    def add(roles: set[Role], homeroom: str | None = None) -> str:
        gender = people.rng.choice(list(Gender))
        code = f"GV{len(entries) + 1:03d}"
        entries.append(
            roster.StaffEntry(
                code=code,
                full_name=people.name(gender),
                roles=frozenset(roles),
                phone=people.phone(),
                email=f"{code.lower()}@{spec.code.lower()}.edu.vn",
                homeroom_class=homeroom,
            )
        )
        return code

    add({Role.PRINCIPAL})
    add({Role.VICE_PRINCIPAL, Role.ADMIN})
    add({Role.ADMIN, Role.REGISTRAR})
    add({Role.CLERK})
    add({Role.INSPECTOR})
    assignments = []
    homerooms = iter(classes)
    for subject in subjects:
        taught = [c for c in classes if subject.taught_in(c.grade)]
        per_teacher = 6 if spec.level is not SchoolLevel.PRIMARY else len(taught)
        for start in range(0, len(taught), per_teacher):
            homeroom = next(homerooms, None)
            code = add(
                {Role.SUBJECT_TEACHER} | ({Role.HOMEROOM} if homeroom else set()),
                homeroom.name if homeroom else None,
            )
            assignments += [
                roster.AssignmentEntry(code, c.name, subject.id)
                for c in taught[start : start + per_teacher]
            ]
    await roster.write_staff(actor, year, entries)
    await roster.write_assignments(actor, year, assignments)


async def _as_owners(
    school_class: SchoolClass,
    write: Callable[[Actor, list[Any]], Awaitable[object]],
    entries: list[Any],
) -> None:
    """`entries` of the class written by the people whose they are, as the school's default
    has it (001 Điều 17.2: teachers enter their results themselves, no admin "nhập hộ"): a
    subject's by its assigned teacher, the homeroom part by the homeroom teacher."""
    groups: dict[int | None, list[Any]] = {}
    for entry in entries:
        subject = getattr(entry, "subject", None)
        groups.setdefault(subject.id if subject else None, []).append(entry)
    for subject_id, group in groups.items():
        owners = Staff.filter(id=school_class.homeroom_id)
        if subject_id is not None:
            owners = Staff.filter(
                assignments__school_class=school_class, assignments__subject_id=subject_id
            )
        owner = await owners.order_by("id").first()
        assert owner is not None  # the demo assigns every subject and every homeroom
        await write(await Actor.of_staff(owner), group)


def _score(rng: random.Random, ability: float) -> Decimal:
    value = min(10.0, max(2.0, rng.gauss(ability, 1.2)))
    return Decimal(round(value * 2) / 2).quantize(Decimal("0.1"))


async def _fill_secondary(
    rng: random.Random,
    school_class: SchoolClass,
    subjects: list[Subject],
    terms: dict[int, Term],
    complete: bool,
) -> None:
    """Term I is complete everywhere; term II only in the complete class (elsewhere the first
    regular marks are in, mid-term and end-of-term not yet)."""
    marks, conducts, absences, comments = [], [], [], []
    for _enrollment, student in await class_students(school_class):
        ability = rng.gauss(7.0, 1.3)
        for number, term in terms.items():
            whole_term = complete or number == 1
            for subject in (s for s in subjects if s.taught_in(school_class.grade)):
                cells = gradebook.mark_columns(subject, school_class.grade)
                if not whole_term:
                    cells = cells[: rng.randint(0, 2)]
                for kind, index in cells:
                    value: Decimal | tt22.Verdict = (
                        _score(rng, ability)
                        if subject.assessment == Assessment.SCORED
                        else (tt22.Verdict.PASS if rng.random() > 0.02 else tt22.Verdict.FAIL)
                    )
                    marks.append(
                        gradebook.MarkEntry(
                            student.id, school_class, subject, term, kind, index, value
                        )
                    )
            if whole_term:
                level = rng.choices(list(tt22.Level), weights=[70, 22, 7, 1])[0]
                conducts.append(gradebook.ConductEntry(student.id, school_class, term, level))
                absences.append(_absence(rng, student.id, school_class, term))
                if number == 2:  # the homeroom comment of the year's end (homeroom_gaps)
                    comments.append(_comment(rng, student.id, school_class, term))
                if number == 2 and complete:
                    comments += _subject_comments(student.id, school_class, subjects, term)
    await _as_owners(school_class, gradebook.write_marks, marks)
    await _as_owners(school_class, gradebook.write_conducts, conducts)
    await _as_owners(school_class, gradebook.write_absences, absences)
    await _as_owners(school_class, gradebook.write_comments, comments)


COMMENTS = (
    "Chăm ngoan, tích cực phát biểu xây dựng bài.",
    "Có ý thức học tập tốt, hòa đồng với bạn bè.",
    "Tiến bộ rõ trong học kỳ; cần cẩn thận hơn khi làm bài.",
    "Ngoan, lễ phép; cần mạnh dạn hơn trong các hoạt động tập thể.",
)


SUBJECT_COMMENTS = (
    "Nắm vững kiến thức, vận dụng tốt.",
    "Hoàn thành tốt các nhiệm vụ học tập của môn học.",
    "Có cố gắng; cần luyện tập thêm ở nhà.",
    "Tích cực, hứng thú với môn học.",
)


def _subject_comments(
    student_id: int, school_class: SchoolClass, subjects: list[Subject], term: Term
) -> list[gradebook.CommentEntry]:
    """Each subject teacher's comment of the year's end on the student (picked without the
    generator, so the rest of the demo stays what it was)."""
    return [
        gradebook.CommentEntry(
            student_id,
            school_class,
            term,
            SUBJECT_COMMENTS[(student_id + subject.id) % len(SUBJECT_COMMENTS)],
            subject,
        )
        for subject in subjects
        if subject.taught_in(school_class.grade)
    ]


def _absence(
    rng: random.Random, student_id: int, school_class: SchoolClass, term: Term
) -> gradebook.AbsenceEntry:
    """A term's days absent, with and without permission (mostly none)."""
    return gradebook.AbsenceEntry(
        student_id,
        school_class,
        term,
        rng.choice([0, 0, 0, 1, 2, 3]),
        rng.choice([0, 0, 0, 0, 1]),
    )


def _comment(
    rng: random.Random, student_id: int, school_class: SchoolClass, term: Term
) -> gradebook.CommentEntry:
    return gradebook.CommentEntry(student_id, school_class, term, rng.choice(COMMENTS))


def _level(mark: float, levels: type[LevelT]) -> LevelT:
    """Top, middle or bottom level for a student's mark of the moment (≥ 7.5, ≥ 4.5, lower)."""
    top, middle, bottom = list(levels)
    return top if mark >= 7.5 else middle if mark >= 4.5 else bottom


async def _fill_primary(
    rng: random.Random,
    school_class: SchoolClass,
    subjects: list[Subject],
    terms: dict[int, Term],
    complete: bool,
) -> None:
    """Levels at the four assessment points, periodic test scores where Thông tư 27 has them,
    and at the end of each term the qualities and competencies and each subject's comment."""
    entries, qualities, absences, comments = [], [], [], []
    points = {
        tt27.TestPoint.MID_1: terms[1],
        tt27.TestPoint.END_1: terms[1],
        tt27.TestPoint.MID_2: terms[2],
        tt27.TestPoint.END_YEAR: terms[2],
    }
    for _enrollment, student in await class_students(school_class):
        ability = rng.gauss(8.0, 1.0)
        for point, term in points.items():
            for subject in (s for s in subjects if s.taught_in(school_class.grade)):
                mark = rng.gauss(ability, 0.9)
                level = _level(mark, tt27.SubjectLevel)
                score = None
                if point in tt27.periodic_tests(school_class.grade, subject.code):
                    score = max(1, min(10, round(mark)))
                entries.append(
                    gradebook.PrimaryEntry(
                        student.id, school_class, subject, term, point, level, score
                    )
                )
            if point in (tt27.TestPoint.END_1, tt27.TestPoint.END_YEAR):
                for code, _name in tt27.QUALITIES + tt27.COMPETENCIES:
                    level = _level(rng.gauss(ability, 0.9), tt27.QualityLevel)
                    qualities.append(
                        gradebook.QualityEntry(student.id, school_class, term, point, code, level)
                    )
                absences.append(_absence(rng, student.id, school_class, term))
                comments.append(_comment(rng, student.id, school_class, term))
                comments += _subject_comments(student.id, school_class, subjects, term)
    await _as_owners(school_class, gradebook.write_primary, entries)
    await _as_owners(school_class, gradebook.write_qualities, qualities)
    await _as_owners(school_class, gradebook.write_absences, absences)
    await _as_owners(school_class, gradebook.write_comments, comments)
