"""A small school for the deadline, progress and lock tests, with known gaps.

Class 6A (An, Bình, Chi) and 6B (Dũng). GV01 teaches Toán in both and has entered everything
of term I; GV02 teaches Ngữ văn in 6A and has left gaps: Bình has no TX4 and no CK, Chi no CK.
GV03 is 6A's homeroom teacher and has entered the conduct and the days absent of An and Bình,
not Chi's. HT01 is the
principal, QT01 an admin. Lock tests run in a year still to come, so the wall clock (which the
gradebook's check reads) is before every calendar lock of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from core import clock
from core.models import (
    MarkKind,
    Role,
    School,
    SchoolClass,
    SchoolYear,
    Staff,
    Student,
    Subject,
    Term,
)
from core.rules.catalog import SchoolLevel
from core.rules.secondary import Level
from core.services import gradebook, roster
from core.services.access import Actor
from core.services.schools import create_school, ensure_year, year_name_for
from core.validation import Gender

STUDENTS = {
    "6A": [
        ("001214000001", "Nguyễn Văn An"),
        ("001314000002", "Trần Thị Bình"),
        ("001314000003", "Phạm Thị Chi"),
    ],
    "6B": [("001214000004", "Lê Văn Dũng")],
}
STAFF = [
    ("HT01", "Đỗ Thị Hiệu", {Role.PRINCIPAL}, None),
    ("QT01", "Vũ Quản Trị", {Role.ADMIN}, None),
    ("GV01", "Hoàng Văn Toán", {Role.SUBJECT_TEACHER}, None),
    ("GV02", "Bùi Thị Văn", {Role.SUBJECT_TEACHER}, None),
    ("GV03", "Ngô Chủ Nhiệm", {Role.SUBJECT_TEACHER, Role.HOMEROOM}, "6A"),
]
ALL_COLUMNS = [(MarkKind.REGULAR, i) for i in range(1, 5)] + [
    (MarkKind.MIDTERM, 1),
    (MarkKind.FINAL, 1),
]


def at(day: str, hm: str = "17:00") -> dt.datetime:
    """ "15/01/2026" at 17:00 on the school's clock."""
    return dt.datetime.strptime(f"{day} {hm}", "%d/%m/%Y %H:%M").replace(tzinfo=clock.zone())


@pytest.fixture
def clock_at() -> Iterator[Callable[[str, str], dt.datetime]]:
    """Moves the clock (core.clock, which the core, jobs and the command line read) to a day
    and time on the school's clock; back to real time after the test."""

    def move(day: str, hm: str = "10:00") -> dt.datetime:
        moment = at(day, hm)
        clock.set_time(moment.astimezone(dt.UTC))
        return moment

    yield move
    clock.set_time(None)


def future_year() -> str:
    """A school year that has not started yet, whatever today's date."""
    return year_name_for(dt.date.today() + dt.timedelta(days=400))


@dataclass
class Small:
    school: School
    year: SchoolYear
    terms: dict[int, Term]
    classes: dict[str, SchoolClass]
    subjects: dict[str, Subject]
    staff: dict[str, Staff]
    students: dict[str, int]  # name -> id
    admin: Actor

    async def actor(self, code: str) -> Actor:
        return await Actor.of_staff(self.staff[code])

    def mark(self, name: str, klass: str, subject: str, kind: MarkKind, index: int, value):
        return gradebook.MarkEntry(
            self.students[name],
            self.classes[klass],
            self.subjects[subject],
            self.terms[1],
            kind,
            index,
            Decimal(value),
        )

    def cell(self, name: str, subject: str, column: str, term: int = 1) -> str:
        """The gradebook's audit target of a mark cell, as the correction flow names it."""
        return (
            f"mark:{self.students[name]}:{self.subjects[subject].id}:{self.terms[term].id}:{column}"
        )


async def build_small(year_name: str) -> Small:
    school = await create_school("THCS-NHO", "Trường THCS Nhỏ", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, year_name)
    admin = Actor.command_line(school.id)
    first = int(year_name[:4])
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(nid, name, dt.date(first - 11, 3, 1), Gender.FEMALE, klass, 6, n)
            for klass, people in STUDENTS.items()
            for n, (nid, name) in enumerate(people, 1)
        ],
    )
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry(code, name, frozenset(roles), homeroom_class=hr)
            for code, name, roles, hr in STAFF
        ],
    )
    subjects = {s.code: s for s in await Subject.filter(school=school)}
    await roster.write_assignments(
        admin,
        year,
        [
            roster.AssignmentEntry("GV01", "6A", subjects["TOAN"].id),
            roster.AssignmentEntry("GV01", "6B", subjects["TOAN"].id),
            roster.AssignmentEntry("GV02", "6A", subjects["NV"].id),
        ],
    )
    small = Small(
        school,
        year,
        {t.number: t for t in await Term.filter(year=year)},
        {c.name: c for c in await SchoolClass.filter(year=year)},
        subjects,
        {s.code: s for s in await Staff.filter(school=school)},
        {s.full_name: s.id for s in await Student.filter(school=school)},
        admin,
    )
    # The marks entered during term I, before the year's first lock (writes are checked against
    # the locks at the clock's time); the test then runs on the clock it chooses.
    with clock.staged(at(f"15/12/{first}", "10:00")):
        await _fill(small)
    return small


async def _fill(small: Small) -> None:
    """GV01's Toán complete, GV02's Ngữ văn with gaps (each teacher enters their own marks,
    001 Điều 17.2), conduct and days absent of two (by 6A's homeroom teacher)."""
    toan = [
        small.mark(name, klass, "TOAN", kind, index, 8)
        for klass, people in STUDENTS.items()
        for _nid, name in people
        for kind, index in ALL_COLUMNS
    ]
    await gradebook.write_marks(await small.actor("GV01"), toan)
    nv = [small.mark("Nguyễn Văn An", "6A", "NV", k, i, 7) for k, i in ALL_COLUMNS]
    nv += [small.mark("Trần Thị Bình", "6A", "NV", k, i, 6) for k, i in ALL_COLUMNS[:3]]
    nv += [small.mark("Trần Thị Bình", "6A", "NV", MarkKind.MIDTERM, 1, 6)]
    nv += [small.mark("Phạm Thị Chi", "6A", "NV", k, i, 9) for k, i in ALL_COLUMNS[:5]]
    await gradebook.write_marks(await small.actor("GV02"), nv)
    homeroom = await small.actor("GV03")
    await gradebook.write_conducts(
        homeroom,
        [
            gradebook.ConductEntry(
                small.students[n], small.classes["6A"], small.terms[1], Level.GOOD
            )
            for n in ("Nguyễn Văn An", "Trần Thị Bình")
        ],
    )
    await gradebook.write_absences(
        homeroom,
        [
            gradebook.AbsenceEntry(small.students[n], small.classes["6A"], small.terms[1], 1, 0)
            for n in ("Nguyễn Văn An", "Trần Thị Bình")
        ],
    )


@pytest.fixture
async def small(db: str) -> Small:
    """The small school in the 2025-2026 year (calendar dates known in advance)."""
    return await build_small("2025-2026")


@pytest.fixture
async def upcoming(db: str) -> Small:
    """The small school in a year still to come, for tests that write through the gradebook."""
    return await build_small(future_year())
