"""The homeroom teacher's guided entry (core.services.homeroom_entry) on its own: what each step
returns, values refused with nothing written, who may enter, a locked term, a primary school.

The small school of this folder, in a year still to come: Ngô Chủ Nhiệm (GV03) is 6A's
homeroom teacher; 6A's conduct and days absent of term I are in for An and Bình, not for Chi.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import Absence, AuditEvent, Conduct, Role, SchoolClass, Staff, Student, Term
from core.rules.catalog import SchoolLevel
from core.rules.secondary import Level
from core.services import homeroom_entry as entry
from core.services import locks, roster
from core.services.access import Actor
from core.services.locks import ScopeLocked
from core.services.schools import create_school, ensure_year
from core.services.student_form import Confirmation, StudentChoices, TermChoices, ValueAsked
from core.validation import Gender
from tests.on_behalf import enable_on_behalf

from .conftest import future_year

CHI = "Phạm Thị Chi"
FIELDS = {"class_id", "term", "what", "student_id", "value"}


async def _to_students(small, code: str = "GV03", what: str = "rl") -> StudentChoices:
    teacher = await small.actor(code)
    terms = await entry.start(teacher)
    assert isinstance(terms, TermChoices)  # one class: straight to its terms
    kinds = await entry.choose_term(teacher, terms.draft, 1)
    assert isinstance(kinds, entry.KindChoices)
    return await entry.choose_kind(teacher, kinds.draft, what)


async def test_a_guided_conduct_entry_step_by_step(upcoming) -> None:
    small = upcoming
    teacher = await small.actor("GV03")
    before = await AuditEvent.all().count()  # GV03 entered the class's term I in the fixture
    terms = await entry.start(teacher)
    assert isinstance(terms, TermChoices) and terms.title == "Lớp 6A"
    assert [c.data for c in terms.choices] == ["hr:t:1", "hr:t:2"]
    kinds = await entry.choose_term(teacher, terms.draft, 1)
    assert isinstance(kinds, entry.KindChoices) and kinds.title == "Lớp 6A, HK I"
    assert [(c.label, c.data) for c in kinds.choices] == [
        ("Rèn luyện", "hr:k:rl"),
        ("Số ngày nghỉ", "hr:k:ng"),
    ]
    students = await entry.choose_kind(teacher, kinds.draft, "rl")
    assert [c.label for c in students.choices] == [
        "1. Nguyễn Văn An · Tốt",
        "2. Trần Thị Bình · Tốt",
        f"3. {CHI} · —",
    ]
    asked = await entry.search_student(teacher, students.draft, "chi")
    assert isinstance(asked, ValueAsked) and asked.student.current == "(trống)"
    assert [c.label for c in asked.choices] == ["Tốt", "Khá", "Đạt", "Chưa đạt"]
    assert [c.data for c in asked.choices] == ["hr:l:T", "hr:l:K", "hr:l:Đ", "hr:l:CĐ"]
    refused = await entry.type_value(teacher, asked.draft, "Giỏi")
    assert isinstance(refused, ValueAsked)
    assert "Kết quả rèn luyện «Giỏi» không hợp lệ" in refused.refused
    check = await entry.type_value(teacher, asked.draft, "K")
    assert isinstance(check, Confirmation) and check.new == "Khá"
    saved = await entry.save(teacher, check.draft)
    assert saved.changed and set(saved.draft) == {"class_id", "term", "what"}
    assert saved.choices[0].data == "hr:n"
    stored = await Conduct.get(student_id=small.students[CHI], term=small.terms[1])
    assert stored.level is Level.FAIR and stored.updated_by_id == small.staff["GV03"].id
    actions = await (
        AuditEvent.filter(actor=teacher.label, seq__gt=before)
        .order_by("seq")
        .values_list("action", "target")
    )
    assert actions == [
        ("homeroom.read", f"homeroom:{small.classes['6A'].id}:{small.terms[1].id}:rl"),
        ("conduct.create", f"conduct:{small.students[CHI]}:{small.terms[1].id}"),
    ]
    again = await entry.next_student(teacher, saved.draft)
    assert f"3. {CHI} · Khá" in [c.label for c in again.choices]


async def test_days_absent_are_checked_and_a_refusal_writes_nothing(upcoming) -> None:
    small = upcoming
    teacher = await small.actor("GV03")
    students = await _to_students(small, what="ng")
    assert students.choices[0].label == "1. Nguyễn Văn An · CP 1, KP 0"
    asked = await entry.choose_student(teacher, students.draft, small.students[CHI])
    assert asked.choices == () and "Học kỳ này có" in asked.expected
    for typed, reason in (
        ("2, -1", "số ngày không thể âm"),
        ("1.5, 0", "phải là số nguyên"),
        ("500, 0", "nhiều hơn số ngày học của học kỳ"),
        ("3", "Cần hai số"),
        ("x" * 4000, "dài quá 40 ký tự"),
    ):
        refused = await entry.type_value(teacher, asked.draft, typed)
        assert isinstance(refused, ValueAsked) and reason in refused.refused, typed
        assert len(refused.refused) < 400
        assert refused.draft == asked.draft  # asked again, nothing kept
    assert not await Absence.exists(student_id=small.students[CHI])
    check = await entry.type_value(teacher, asked.draft, "2, 1")
    assert check.new == "2 có phép, 1 không phép"
    # a value forged into the kept draft is checked again when saved
    with pytest.raises(InvalidValue, match="nghỉ có phép «900»"):
        await entry.save(teacher, {**check.draft, "value": "900, 0"})
    assert not await Absence.exists(student_id=small.students[CHI])
    saved = await entry.save(teacher, check.draft)
    assert saved.value == "2 có phép, 1 không phép"
    stored = await Absence.get(student_id=small.students[CHI], term=small.terms[1])
    assert (stored.excused, stored.unexcused) == (2, 1)
    # the same value again changes nothing and writes no audit event
    before = await AuditEvent.filter(action__startswith="absence").count()
    assert not (await entry.save(teacher, check.draft)).changed
    assert await AuditEvent.filter(action__startswith="absence").count() == before


async def test_only_the_homeroom_teacher_or_an_admin(upcoming) -> None:
    small = upcoming
    klass, other = small.classes["6A"], small.classes["6B"]
    subject_teacher = await small.actor("GV02")
    with pytest.raises(NotFound, match="không chủ nhiệm lớp nào"):
        await entry.start(subject_teacher)
    with pytest.raises(PermissionDenied, match="Chỉ giáo viên chủ nhiệm lớp 6A"):
        await entry.choose_class(subject_teacher, klass.id)
    homeroom = await small.actor("GV03")
    with pytest.raises(PermissionDenied, match="Chỉ giáo viên chủ nhiệm lớp 6B"):
        await entry.choose_class(homeroom, other.id)
    with pytest.raises(NotFound, match="Không tìm thấy lớp này"):
        await entry.choose_class(homeroom, 999_999)
    # a draft kept from the homeroom teacher is refused to anyone else
    students = await _to_students(small)
    with pytest.raises(PermissionDenied):
        await entry.choose_student(subject_teacher, students.draft, small.students[CHI])
    # a student of another class is not on this list
    dung = small.students["Lê Văn Dũng"]
    with pytest.raises(NotFound, match="không có trong danh sách lớp 6A"):
        await entry.choose_student(homeroom, students.draft, dung)
    # junk in the draft is dropped, a mistyped key ends the session plainly
    junk = {**students.draft, "history": list(range(1000)), "term": "1"}
    with pytest.raises(NotFound, match="Phiên nhập này đã kết thúc"):
        await entry.choose_student(homeroom, junk, small.students[CHI])
    asked = await entry.choose_student(homeroom, {**students.draft, "x": 1}, small.students[CHI])
    assert set(asked.draft) <= FIELDS

    admin = await small.actor("QT01")
    classes = await entry.start(admin)
    assert isinstance(classes, entry.ClassChoices)
    assert [c.label for c in classes.choices] == ["6A", "6B"]
    terms = await entry.choose_class(admin, other.id)
    kinds = await entry.choose_term(admin, terms.draft, 2)
    listed = await entry.choose_kind(admin, kinds.draft, "rl")
    check = await entry.type_value(
        admin, (await entry.search_student(admin, listed.draft, "1")).draft, "Tốt"
    )
    with pytest.raises(PermissionDenied, match="chưa quyết định cho quản trị nhập hộ"):
        await entry.save(admin, check.draft)  # 001 Điều 17.2: unless the principal enabled it
    await enable_on_behalf(small.school.id)
    assert (await entry.save(admin, check.draft)).changed
    assert await Conduct.exists(student_id=dung, term=small.terms[2], level=Level.GOOD)


async def test_a_locked_term_is_refused_before_anything_is_typed(upcoming) -> None:
    small = upcoming
    teacher = await small.actor("GV03")
    students = await _to_students(small)
    asked = await entry.search_student(teacher, students.draft, "chi")
    check = await entry.type_value(teacher, asked.draft, "Đạt")
    scope = await locks.parse_scope(small.year, ["6A", "HK1"])
    await locks.lock(await small.actor("HT01"), scope, now=clock.now())
    with pytest.raises(ScopeLocked, match="Đỗ Thị Hiệu"):
        await entry.save(teacher, check.draft)
    assert not await Conduct.exists(student_id=small.students[CHI])
    terms = await entry.start(teacher)
    with pytest.raises(ScopeLocked, match="Không ghi được"):
        await entry.choose_term(teacher, terms.draft, 1)
    # term II is open
    assert isinstance(await entry.choose_term(teacher, terms.draft, 2), entry.KindChoices)


async def test_a_primary_school_enters_days_absent_and_no_conduct(db: str) -> None:
    school = await create_school("TH-CN", "Trường Tiểu học Chủ Nhiệm", SchoolLevel.PRIMARY)
    year = await ensure_year(school, future_year())
    admin = Actor.command_line(school.id)
    born = dt.date(int(year.name[:4]) - 7, 1, 1)
    await roster.write_students(
        admin,
        year,
        [roster.StudentEntry("001214000009", "Đào Văn Em", born, Gender.MALE, "1A", 1, 1)],
    )
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry(
                "GV09", "Lý Thị Nhiệm", frozenset({Role.HOMEROOM}), homeroom_class="1A"
            )
        ],
    )
    teacher = await Actor.of_staff(await Staff.get(code="GV09"))
    terms = await entry.start(teacher)
    students = await entry.choose_term(teacher, terms.draft, 1)
    assert isinstance(students, StudentChoices)  # no conduct to choose in primary school
    assert students.what == "Số ngày nghỉ" and students.draft["what"] == "ng"
    with pytest.raises(InvalidValue, match="Tiểu học không xếp loại rèn luyện"):
        await entry.choose_kind(teacher, students.draft, "rl")
    asked = await entry.search_student(teacher, students.draft, "em")
    check = await entry.type_value(teacher, asked.draft, "0 0")
    assert (await entry.save(teacher, check.draft)).changed
    term = await Term.get(year=year, number=1)
    student = await Student.get(full_name="Đào Văn Em")
    assert await Absence.exists(student=student, term=term, excused=0, unexcused=0)
    assert await SchoolClass.filter(year=year).count() == 1
