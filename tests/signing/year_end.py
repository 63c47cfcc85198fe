"""Small schools at the end of the 2025-2026 year, for the closing tests: one student per
outcome of the year, the data entered through the gradebook as the teachers' sheets would,
while the gradebook was open (`DURING_2025_2026`); the clock is then left at the year's end
(`ISSUING_2025_2026`: term II's entry over, the final lock ahead).

Secondary school THCS-CUOI, class 6A (every result complete):
1. An     Xuất sắc: every mark 9,5, conduct Tốt          -> promoted, title Học sinh Xuất sắc
2. Bình   every mark 7,0, conduct Khá                    -> promoted
3. Chi    Toán 3,0, the rest 6,0                          -> re-examination (Toán)
4. Dũng   marks 7,0, conduct Chưa đạt in term II         -> summer conduct training
5. Em     marks 7,0, 30 + 20 sessions absent             -> repeats the year
6. Giang  Toán 3,0 and conduct Chưa đạt                   -> training, then re-examination
Class 6B (Hải) has no Toán end-of-term mark in term II and no absences in term II.

Staff: HT01 principal, PHT01 vice principal, QT01 admin, GV01 Toán teacher of 6A and 6B,
GV02 homeroom teacher of 6A and teacher of every other subject in both, GV03 homeroom teacher
of 6B.

Primary school TH-CUOI, class 1A: Lan completes the year (Hoàn thành tốt), Minh has Toán
Chưa hoàn thành and a test score of 4 (rèn luyện thêm trong hè).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from cryptography.hazmat.primitives.asymmetric import rsa

from core import clock
from core.models import Role, School, SchoolClass, Staff, Subject, Term
from core.rules import primary as tt27
from core.rules import secondary as tt22
from core.rules.catalog import Assessment, SchoolLevel
from core.services import certificates, gradebook, roster, school_rules
from core.services.access import Actor
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from demo.pki import SEAL_CODE, Issued, issue, make_ca
from tests.conftest import DURING_2025_2026
from tests.signing.conftest import ISSUING_2025_2026

YEAR = "2025-2026"
CERTIFICATES_FROM = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
PHONES = {
    "HT01": "+84913000001",
    "PHT01": "+84913000002",
    "QT01": "+84913000003",
    "GV01": "+84913000004",
    "GV02": "+84913000005",
    "GV03": "+84913000006",
}
STAFF = [
    ("HT01", "Đỗ Văn Hiệu", {Role.PRINCIPAL}, None),
    ("PHT01", "Lê Thị Phó", {Role.VICE_PRINCIPAL}, None),
    ("QT01", "Vũ Quản Trị", {Role.ADMIN}, None),
    ("GV01", "Hoàng Văn Toán", {Role.SUBJECT_TEACHER}, None),
    ("GV02", "Ngô Chủ Nhiệm", {Role.SUBJECT_TEACHER, Role.HOMEROOM}, "6A"),
    ("GV03", "Mai Chủ Nhiệm", {Role.SUBJECT_TEACHER, Role.HOMEROOM}, "6B"),
]
Level = tt22.Level


@dataclass(frozen=True)
class Profile:
    """A student's year: a mark per subject code (default for the others), conduct per term,
    sessions absent per term."""

    name: str
    mark: str
    marks: tuple[tuple[str, str], ...] = ()
    conduct: tuple[Level, Level] = (Level.GOOD, Level.GOOD)
    absent: tuple[int, int] = (1, 0)

    def value(self, subject: Subject) -> Decimal | tt22.Verdict:
        if subject.assessment == Assessment.COMMENT:
            return tt22.Verdict.PASS
        return Decimal(dict(self.marks).get(subject.code, self.mark))


CLASS_6A = [
    Profile("Nguyễn Thị An", "9.5"),
    Profile("Trần Thị Bình", "7", conduct=(Level.FAIR, Level.FAIR), absent=(3, 2)),
    Profile("Phạm Thị Chi", "6", marks=(("TOAN", "3"),)),
    Profile("Lê Thị Dũng", "7", conduct=(Level.PASS, Level.FAIL)),
    Profile("Vũ Thị Em", "7", absent=(30, 20)),
    Profile("Đặng Thị Giang", "6", marks=(("TOAN", "3"),), conduct=(Level.FAIL, Level.FAIL)),
]
CLASS_6B = [Profile("Bùi Thị Hải", "8")]


@dataclass
class YearEnd:
    school: School
    classes: dict[str, SchoolClass]
    staff: dict[str, Staff]

    async def actor(self, code: str) -> Actor:
        return await Actor.of_staff(self.staff[code])

    @property
    def admin(self) -> Actor:
        return Actor.command_line(self.school.id)


def _nid(n: int, born: int) -> str:
    """A female student's 12-digit ID born in 20xx (TT 07/2016/TT-BCA: 4th digit 3)."""
    return f"0013{born % 100:02d}{n:06d}"


async def _people(school: School, students: dict[str, list[str]], grade: int, born: int):
    year = await ensure_year(school, YEAR)
    admin = Actor.command_line(school.id)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                _nid(grade * 100 + 10 * k + n, born),
                name,
                dt.date(born, 3, n),
                Gender.FEMALE,
                klass,
                grade,
                n,
                birthplace="Ninh Bình",
            )
            for k, (klass, names) in enumerate(students.items())
            for n, name in enumerate(names, 1)
        ],
    )
    return year, admin


async def build_secondary() -> YearEnd:
    school = await create_school("THCS-CUOI", "Trường THCS Cuối Năm", SchoolLevel.LOWER_SECONDARY)
    profiles = {"6A": CLASS_6A, "6B": CLASS_6B}
    year, admin = await _people(
        school, {k: [p.name for p in v] for k, v in profiles.items()}, 6, 2014
    )
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry(code, name, frozenset(roles), PHONES[code], homeroom_class=hr)
            for code, name, roles, hr in STAFF
        ],
    )
    subjects = [s for s in await Subject.filter(school=school).order_by("id") if s.taught_in(6)]
    await roster.write_assignments(
        admin,
        year,
        [
            roster.AssignmentEntry("GV01" if s.code == "TOAN" else "GV02", k, s.id)
            for k in profiles
            for s in subjects
        ],
    )
    classes = {c.name: c for c in await SchoolClass.filter(year=year)}
    terms = {t.number: t for t in await Term.filter(year=year)}
    await _admin_enters_marks(admin, "HT01")
    with clock.staged(DURING_2025_2026):  # entered while the gradebook was open
        for klass, people in profiles.items():
            await _fill(
                admin, classes[klass], subjects, terms, people, skip=_gap if klass == "6B" else None
            )
    staff = {s.code: s for s in await Staff.filter(school=school)}
    clock.set_time(ISSUING_2025_2026)  # the end of the year, when classes are closed
    await register_certificates(school, list(staff.values()))
    return YearEnd(school, classes, staff)


async def _admin_enters_marks(admin: Actor, principal: str) -> None:
    """The school has its admin enter the teachers' paper sheets, on its principal's decision
    (001 Điều 17.2; core.services.on_behalf): these tests enter a whole year in a few writes."""
    await school_rules.set_rule(admin, "admin_enters_marks", "yes", decided_by=principal)


@cache
def _pki() -> tuple[Issued, rsa.RSAPrivateKey]:
    """A test CA valid over the whole year, and one key every certificate shares (nobody signs
    in these tests: a record's signer list only needs the certificates)."""
    return make_ca(not_before=CERTIFICATES_FROM), rsa.generate_private_key(65537, 2048)


async def register_certificates(school: School, staff: list[Staff]) -> None:
    """Everyone's certificate and the seal's in the school's register, as at key set-up: a
    record names its signers' certificates (core.services.certificates)."""
    ca, key = _pki()
    actor = Actor.command_line(school.id)
    for code, name in [*((s.code, s.full_name) for s in staff), (SEAL_CODE, school.name)]:
        issued = issue(ca, name, school.name, days=3 * 365, not_before=CERTIFICATES_FROM, key=key)
        await certificates.register(actor, code, issued.certificate, "pem", [ca.certificate])


def _gap(subject: Subject, term: int, column: str) -> bool:
    """6B's gap: Toán CK of term II."""
    return subject.code == "TOAN" and term == 2 and column == "CK"


async def _fill(
    admin: Actor,
    school_class: SchoolClass,
    subjects: list[Subject],
    terms: dict[int, Term],
    people: list[Profile],
    skip: Callable[[Subject, int, str], bool] | None = None,
) -> None:
    students = {s.full_name: s.id for _e, s in await gradebook.class_students(school_class)}
    marks, conducts, absences, comments = [], [], [], []
    for person in people:
        sid = students[person.name]
        for number, term in terms.items():
            for subject in subjects:
                for kind, index in gradebook.mark_columns(subject, school_class.grade):
                    if skip and skip(subject, number, gradebook.mark_column(kind, index)):
                        continue
                    marks.append(
                        gradebook.MarkEntry(
                            sid, school_class, subject, term, kind, index, person.value(subject)
                        )
                    )
            conducts.append(
                gradebook.ConductEntry(sid, school_class, term, person.conduct[number - 1])
            )
            if not (skip and number == 2):  # 6B: term II absences never entered
                absences.append(
                    gradebook.AbsenceEntry(sid, school_class, term, person.absent[number - 1], 0)
                )
        comments.append(gradebook.CommentEntry(sid, school_class, terms[2], COMMENT))
    await gradebook.write_marks(admin, marks)
    await gradebook.write_conducts(admin, conducts)
    await gradebook.write_absences(admin, absences)
    await gradebook.write_comments(admin, comments)


COMMENT = "Chăm ngoan, có ý thức học tập."


async def build_primary() -> YearEnd:
    school = await create_school("TH-CUOI", "Trường Tiểu học Cuối Năm", SchoolLevel.PRIMARY)
    year, admin = await _people(school, {"1A": ["Trần Thị Lan", "Phạm Thị Minh"]}, 1, 2019)
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry("HT09", "Hà Văn Trưởng", frozenset({Role.PRINCIPAL})),
            roster.StaffEntry(
                "GV09", "Lê Thị Chủ Nhiệm", frozenset({Role.HOMEROOM}), homeroom_class="1A"
            ),
        ],
    )
    school_class = await SchoolClass.get(year=year, name="1A")
    term = await Term.get(year=year, number=2)
    subjects = [s for s in await Subject.filter(school=school) if s.taught_in(1)]
    point = tt27.TestPoint.END_YEAR
    entries, qualities, absences, comments = [], [], [], []
    for _e, student in await gradebook.class_students(school_class):
        for each in await Term.filter(year=year):  # the homeroom part of both terms
            absences.append(gradebook.AbsenceEntry(student.id, school_class, each, 0, 0))
            comments.append(gradebook.CommentEntry(student.id, school_class, each, COMMENT))
        weak = student.full_name == "Phạm Thị Minh"
        for subject in subjects:
            tested = point in tt27.periodic_tests(1, subject.code)
            level = tt27.SubjectLevel.GOOD
            score = 9 if tested else None
            if weak and subject.code == "TOAN":
                level, score = tt27.SubjectLevel.NOT_DONE, 4
            entries.append(
                gradebook.PrimaryEntry(student.id, school_class, subject, term, point, level, score)
            )
        for code, _name in tt27.QUALITIES + tt27.COMPETENCIES:
            qualities.append(
                gradebook.QualityEntry(
                    student.id, school_class, term, point, code, tt27.QualityLevel.GOOD
                )
            )
    await _admin_enters_marks(admin, "HT09")
    with clock.staged(DURING_2025_2026):  # entered while the gradebook was open
        await gradebook.write_primary(admin, entries)
        await gradebook.write_qualities(admin, qualities)
        await gradebook.write_absences(admin, absences)
        await gradebook.write_comments(admin, comments)
    staff = {s.code: s for s in await Staff.filter(school=school)}
    clock.set_time(ISSUING_2025_2026)  # the end of the year, when classes are closed
    await register_certificates(school, list(staff.values()))
    await school_class.refresh_from_db()  # its homeroom teacher named
    return YearEnd(school, {"1A": school_class}, staff)
