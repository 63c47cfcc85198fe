"""Importing the staff list: roles in the record-book system, homeroom classes, contacts."""

from __future__ import annotations

import pytest

from core.errors import PermissionDenied
from core.importing import import_file
from core.models import AuditEvent, Role, SchoolClass, Staff, StaffRole
from core.services.access import Actor
from tests.integration.fixtures_sheets import (
    STAFF,
    STAFF_HEADER,
    counts,
    find,
    rejected,
    staff_xlsx,
    students_xlsx,
    xlsx,
)


@pytest.fixture
async def school(secondary, admin_of, workers):
    """The secondary school with its classes (6A, 6B, 7A) from a class list import."""
    school, year = secondary
    await import_file(
        admin_of(school), year, "students", students_xlsx(), "ds.xlsx", workers=workers
    )
    return school, year, admin_of(school)


async def _roles(code: str) -> set[Role]:
    return set(await StaffRole.filter(staff__code=code).values_list("role", flat=True))


async def test_staff_roles_and_homeroom_are_stored(school, workers) -> None:
    school, year, admin = school
    report = await import_file(admin, year, "canbo", staff_xlsx(), "canbo.xlsx", workers=workers)

    assert report.parts["staff"].created == 4
    assert report.parts["homerooms"].updated == 1
    hoa = await Staff.get(school=school, code="GV01")
    assert (hoa.full_name, hoa.phone, hoa.email) == ("Lê Thị Hoa", "+84911000002", "")
    assert await _roles("GV01") == {Role.SUBJECT_TEACHER, Role.HOMEROOM}
    assert await _roles("HT01") == {Role.PRINCIPAL}
    assert await _roles("QT01") == {Role.ADMIN, Role.CLERK}
    assert (await Staff.get(code="HT01")).email == "hai@daian.edu.vn"
    six_a = await SchoolClass.get(year=year, name="6A")
    assert six_a.homeroom_id == hoa.id
    assert "Cán bộ: 4 thêm mới" in report.summary()


async def test_homeroom_class_gives_the_homeroom_role(school, workers) -> None:
    _school, year, admin = school
    rows = [("GV05", "Mai Văn Sơn", "Giáo viên bộ môn", "6B", None, None)]
    await import_file(admin, year, "staff", staff_xlsx(rows), "canbo.xlsx", workers=workers)
    assert await _roles("GV05") == {Role.SUBJECT_TEACHER, Role.HOMEROOM}


async def test_roles_in_the_file_replace_stored_roles_and_reimport_is_a_no_op(
    school, workers
) -> None:
    _school, year, admin = school
    await import_file(admin, year, "staff", staff_xlsx(), "canbo.xlsx", workers=workers)
    audit = await AuditEvent.all().count()
    again = await import_file(admin, year, "staff", staff_xlsx(), "canbo.xlsx", workers=workers)
    assert (again.created, again.updated) == (0, 0)
    assert await AuditEvent.all().count() == audit

    changed = [list(r) for r in STAFF]
    changed[3][2] = "Quản trị"  # QT01 is no longer the clerk, on the principal's decision
    principal = await Staff.get(code="HT01")
    report = await import_file(
        admin,
        year,
        "staff",
        staff_xlsx(changed),
        "canbo.xlsx",
        workers=workers,
        decided_by=principal,
    )
    assert report.parts["roles"].updated == 1
    assert await _roles("QT01") == {Role.ADMIN}


async def test_headers_written_loosely(school, workers) -> None:
    _school, year, admin = school
    rows = [
        ["DANH SÁCH CÁN BỘ, GIÁO VIÊN"],
        [None, "NĂM HỌC 2025-2026"],
        ["ma gv", "HO TEN", "chuc vu", "lop chu nhiem", "sdt", "E-mail", None, None],
        ["gv09", "Đinh Thị Yến", "GVCN, gvbm", "7a", 912000009, "Yen@Daian.edu.vn"],
    ]
    await import_file(admin, year, "staff", xlsx({"CB": rows}), "cb.xlsx", workers=workers)
    yen = await Staff.get(code="gv09")
    assert (yen.phone, yen.email) == ("+84912000009", "yen@daian.edu.vn")
    assert await _roles("gv09") == {Role.HOMEROOM, Role.SUBJECT_TEACHER}


async def test_bad_staff_rows_are_all_reported(school, workers) -> None:
    _school, year, admin = school
    rows = [
        ("GV01", "Lê Thị Hoa", "Giáo viên, Bảo vệ", None, None, None),
        ("GV02", "Trần Văn Bình", "GVBM", "9Z", "0123", None),
        ("GV03", "Hà Văn Cao", "GVBM", None, None, "cao@"),
        ("gv01", "Lê Hoa", "GVBM", None, None, None),
        ("GV04", "Phan Thị Duyên", None, "6A", None, None),
        ("GV05", "Lý Văn Em", "GVCN", "6A", None, None),
    ]
    problems = await rejected(admin, year, "staff", staff_xlsx(rows), "canbo.xlsx", workers=workers)

    assert find(problems, row=2, phrase="Bảo vệ").column == "Vai trò"
    assert "Hiệu trưởng" in find(problems, row=2, phrase="Bảo vệ").expected
    assert find(problems, row=3, phrase="Chưa có lớp 9Z").column == "Chủ nhiệm lớp"
    assert find(problems, row=3, phrase="0123").column == "Số điện thoại"
    assert find(problems, row=4, phrase="cao@").column == "Email"
    assert find(problems, row=5, phrase="dòng 2").column == "Mã cán bộ"
    assert find(problems, row=6, phrase="«Vai trò» để trống").column == "Vai trò"
    assert find(problems, row=7, phrase="chủ nhiệm lớp 6A đã có").column == "Chủ nhiệm lớp"
    assert len(problems) == 7


async def test_only_an_admin_imports_staff(school, workers) -> None:
    school, year, admin = school
    await import_file(admin, year, "staff", staff_xlsx(), "canbo.xlsx", workers=workers)
    teacher = await Actor.of_staff(await Staff.get(code="GV01"))
    before = await counts()
    with pytest.raises(PermissionDenied):
        await import_file(teacher, year, "staff", staff_xlsx(), "canbo.xlsx", workers=workers)
    assert await counts() == before


async def test_missing_required_column_names_its_spellings(school, workers) -> None:
    _school, year, admin = school
    header = [h for h in STAFF_HEADER if h != "Vai trò"]
    data = xlsx({"CB": [header, ("GV01", "Lê Thị Hoa", None, None, None)]})
    problems = await rejected(admin, year, "staff", data, "cb.xlsx", workers=workers)
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("CB", 1, None)
    assert "Thiếu cột «Vai trò»" in problem.problem
    assert "«Chức vụ»" in problem.expected
