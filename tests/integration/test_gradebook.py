"""Gradebook services: rights checked in the core, values validated, every change audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import InvalidValue, PermissionDenied
from core.models import AuditEvent, Mark, MarkKind, Role, SchoolClass, Subject, Term
from core.rules.catalog import SchoolLevel
from core.rules.secondary import Level, Verdict
from core.services import gradebook, roster
from core.services.access import Actor
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from tests.on_behalf import enable_on_behalf


@pytest.fixture
async def school6a(secondary, admin_of):
    """6A with one student, a maths teacher (also homeroom of 6A) and a literature teacher."""
    school, year = secondary
    admin = admin_of(school)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                "037214000001", "Nguyễn Văn An", dt.date(2014, 3, 2), Gender.MALE, "6A", 6, 1
            )
        ],
    )
    math = await Subject.get(school=school, code="TOAN")
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry(
                "GV01", "Lê Thị Hoa", frozenset({Role.SUBJECT_TEACHER}), homeroom_class="6A"
            ),
            roster.StaffEntry("GV02", "Trần Văn Bình", frozenset({Role.SUBJECT_TEACHER})),
        ],
    )
    await roster.write_assignments(admin, year, [roster.AssignmentEntry("GV01", "6A", math.id)])
    school_class = await SchoolClass.get(year=year, name="6A")
    term = await Term.get(year=year, number=1)
    from core.models import Staff, Student

    teacher = await Actor.of_staff(await Staff.get(code="GV01"))
    other = await Actor.of_staff(await Staff.get(code="GV02"))
    student = await Student.get(national_id="037214000001")
    return school, school_class, term, math, teacher, other, student


def _entry(school_class, subject, term, student, value, kind=MarkKind.REGULAR, index=1):
    return gradebook.MarkEntry(student.id, school_class, subject, term, kind, index, value)


async def test_teacher_writes_own_subject_and_it_is_audited(school6a) -> None:
    _school, klass, term, math, teacher, _other, student = school6a
    before = await AuditEvent.all().count()
    written = await gradebook.write_marks(
        teacher, [_entry(klass, math, term, student, Decimal("7.5"))]
    )
    assert written.created == 1
    mark = await Mark.get(student=student, subject=math, term=term)
    assert mark.score == Decimal("7.5") and mark.updated_by_id == teacher.staff_id
    event = await AuditEvent.filter(action="mark.create").order_by("-seq").first()
    assert event.actor == teacher.label and event.after == {"score": "7.5", "verdict": None}
    assert await AuditEvent.all().count() == before + 1

    # same value again: nothing changes, nothing is logged
    again = await gradebook.write_marks(
        teacher, [_entry(klass, math, term, student, Decimal("7.50"))]
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert await AuditEvent.all().count() == before + 1

    changed = await gradebook.write_marks(
        teacher, [_entry(klass, math, term, student, Decimal("8"))]
    )
    assert changed.updated == 1
    event = await AuditEvent.filter(action="mark.update").first()
    assert event.before == {"score": "7.5"} and event.after == {"score": "8"}


async def test_teacher_refused_outside_assignment(school6a) -> None:
    school, klass, term, math, _teacher, other, student = school6a
    literature = await Subject.get(school=school, code="NV")
    with pytest.raises(PermissionDenied, match="không được phân công dạy môn Toán lớp 6A"):
        await gradebook.write_marks(other, [_entry(klass, math, term, student, Decimal("5"))])
    with pytest.raises(PermissionDenied):
        await gradebook.write_marks(
            school6a[4], [_entry(klass, literature, term, student, Decimal("5"))]
        )
    assert await Mark.all().count() == 0


async def test_staff_of_another_school_refused(school6a) -> None:
    _school, klass, term, math, _teacher, _other, student = school6a
    stranger_school = await create_school("THCS-KHAC", "Trường khác", SchoolLevel.LOWER_SECONDARY)
    await ensure_year(stranger_school, "2025-2026")
    stranger = Actor.command_line(stranger_school.id)  # even an admin, of the other school
    with pytest.raises(PermissionDenied):
        await gradebook.write_marks(stranger, [_entry(klass, math, term, student, Decimal("5"))])
    with pytest.raises(PermissionDenied):
        await gradebook.read_sheet(stranger, klass, math, term)
    assert await Mark.all().count() == 0


async def test_mark_validation(school6a) -> None:
    school, *_ = school6a
    informatics = await Subject.get(school=school, code="TH")  # 35 periods: 2 regular marks
    maths = await Subject.get(school=school, code="TOAN")  # 140 periods: 4 regular marks
    pe = await Subject.get(school=school, code="GDTC")  # comment only
    assert gradebook.validate_mark(maths, 6, MarkKind.REGULAR, 4, "7,5") == Decimal("7.5")
    with pytest.raises(InvalidValue, match="TX1–TX2"):
        gradebook.validate_mark(informatics, 6, MarkKind.REGULAR, 3, "7")
    with pytest.raises(InvalidValue):
        gradebook.validate_mark(maths, 6, MarkKind.FINAL, 1, "10.5")
    with pytest.raises(InvalidValue):
        gradebook.validate_mark(maths, 6, MarkKind.FINAL, 1, "7.25")
    with pytest.raises(InvalidValue, match="một cột"):
        gradebook.validate_mark(maths, 6, MarkKind.MIDTERM, 2, "7")
    assert gradebook.validate_mark(pe, 6, MarkKind.FINAL, 1, "Đạt") is Verdict.PASS
    with pytest.raises(InvalidValue):
        gradebook.validate_mark(pe, 6, MarkKind.FINAL, 1, "8")
    # TT22 Điều 6 khoản 2 điểm a: 2 regular assessments for a comment-only subject, though
    # GDTC has 70 periods (3 by điểm b, which is for scored subjects only)
    assert gradebook.validate_mark(pe, 6, MarkKind.REGULAR, 2, "Đ") is Verdict.PASS
    with pytest.raises(InvalidValue, match=r"đánh giá bằng nhận xét.*TX1–TX2.*không có cột TX3"):
        gradebook.validate_mark(pe, 6, MarkKind.REGULAR, 3, "Đ")
    # the learning-topic column is upper secondary only (Điều 6 khoản 3)
    with pytest.raises(InvalidValue, match=r"CĐHT .* chỉ có ở trung học phổ thông"):
        gradebook.validate_mark(maths, 6, MarkKind.TOPIC, 1, "8")


@pytest.mark.parametrize(
    ("periods", "columns"),
    [
        (35, "TX1 TX2 GK CK"),
        (36, "TX1 TX2 TX3 GK CK"),
        (70, "TX1 TX2 TX3 GK CK"),
        (71, "TX1 TX2 TX3 TX4 GK CK"),
    ],
)
async def test_the_columns_of_a_scored_subject_follow_its_periods(
    school6a, periods, columns
) -> None:
    """TT22 Điều 6 khoản 2 điểm b, as every sheet, reminder and result sees it."""
    school, *_ = school6a
    informatics = await Subject.get(school=school, code="TH")
    informatics.periods_by_grade = {"6": periods}
    names = [gradebook.mark_column(k, i) for k, i in gradebook.mark_columns(informatics, 6)]
    assert names == columns.split()
    last = len(columns.split()) - 2
    assert gradebook.validate_mark(informatics, 6, MarkKind.REGULAR, last, "7") == Decimal(7)
    with pytest.raises(InvalidValue, match=f"không có cột TX{last + 1}"):
        gradebook.validate_mark(informatics, 6, MarkKind.REGULAR, last + 1, "7")


async def test_reading_is_checked_and_audited(school6a) -> None:
    _school, klass, term, math, teacher, other, student = school6a
    await gradebook.write_marks(teacher, [_entry(klass, math, term, student, Decimal("9"))])
    rows = await gradebook.read_sheet(teacher, klass, math, term)
    assert rows[0].full_name == "Nguyễn Văn An" and rows[0].marks == {"TX1": Decimal("9")}
    assert await AuditEvent.filter(action="gradebook.read", actor=teacher.label).exists()
    with pytest.raises(PermissionDenied):
        await gradebook.read_sheet(other, klass, math, term)


async def test_conduct_only_by_homeroom_or_admin(school6a, admin_of) -> None:
    school, klass, term, _math, teacher, other, student = school6a
    entry = gradebook.ConductEntry(student.id, klass, term, Level.GOOD)
    with pytest.raises(PermissionDenied, match="giáo viên chủ nhiệm"):
        await gradebook.write_conducts(other, [entry])
    assert (await gradebook.write_conducts(teacher, [entry])).created == 1
    with pytest.raises(PermissionDenied, match="trường chưa quyết định cho quản trị nhập hộ"):
        await gradebook.write_conducts(admin_of(school), [entry])  # 001 Điều 17.2
    await enable_on_behalf(school.id)
    assert (await gradebook.write_conducts(admin_of(school), [entry])).unchanged == 1
