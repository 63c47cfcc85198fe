"""The principal alone grants the principal's, vice principal's and clerk's roles (001 Điều
16.2, 24.3, 33.2; core.services.role_grants): an admin's staff file that would grant or
withdraw one is refused row by row, and nothing of it is written, unless it executes the
principal's decision, named and audited. A school's first staff list (no principal on record
yet) is its set-up. A teacher imports no staff list at all."""

from __future__ import annotations

import pytest

from core.errors import PermissionDenied
from core.importing import import_file
from core.models import AuditEvent, Role, Staff, StaffRole
from core.services import roster
from core.services.access import Actor
from core.services.role_grants import grant_decision
from tests.integration.fixtures_sheets import STAFF, find, rejected, staff_xlsx, students_xlsx

NEW_VICE = ("PHT01", "Đặng Thị Phó", "Phó hiệu trưởng", None, None, None)
NEW_CLERK = ("VT01", "Hồ Văn Thư", "GVBM, Văn thư", None, None, None)
NEW_TEACHER = ("GV09", "Lý Văn Mới", "GVBM", None, None, None)


@pytest.fixture
async def staffed(secondary, admin_of, workers):
    """The school set up: classes, then its first staff list (HT01 the principal, QT01 admin
    and clerk), imported by the admin as the set-up."""
    school, year = secondary
    admin = admin_of(school)
    await import_file(admin, year, "students", students_xlsx(), "ds.xlsx", workers=workers)
    await import_file(admin, year, "staff", staff_xlsx(), "canbo.xlsx", workers=workers)
    return school, year, admin


async def _roles(code: str) -> set[Role]:
    return set(await StaffRole.filter(staff__code=code).values_list("role", flat=True))


async def _granted(role: Role, code: str) -> AuditEvent:
    """The audit event of `role` given to `code`."""
    staff = await Staff.get(code=code)
    events = await AuditEvent.filter(action="staff_role.create", target=f"staff:{staff.id}")
    (event,) = [e for e in events if e.after["role"] == role]
    return event


async def test_the_first_staff_list_is_the_set_up(staffed) -> None:
    _school, _year, _admin = staffed
    assert await _roles("HT01") == {Role.PRINCIPAL}
    event = await _granted(Role.PRINCIPAL, "HT01")
    assert event.after["decided_by"].startswith("thiết lập ban đầu")


async def test_admin_without_the_decision_is_refused_row_by_row(staffed, workers) -> None:
    _school, year, admin = staffed
    rows = [*STAFF, NEW_VICE, NEW_CLERK, NEW_TEACHER]
    problems = await rejected(admin, year, "staff", staff_xlsx(rows), "canbo.xlsx", workers)
    assert len(problems) == 2  # the new teacher's row is fine, yet nothing is written
    vice = find(problems, row=6, phrase="giao vai trò Phó hiệu trưởng cho PHT01")
    assert "là quyết định của Hiệu trưởng (Quy chế 001 Điều 16.2, 24.3, 33.2)" in vice.problem
    assert "hocba import staff TỆP --decided-by MÃ_HIỆU_TRƯỞNG" in vice.expected
    find(problems, row=7, phrase="giao vai trò Văn thư cho VT01")
    assert not await Staff.filter(code__in=["PHT01", "VT01", "GV09"]).exists()

    withdrawn = [list(r) for r in STAFF]
    withdrawn[0][2] = "Giáo viên"  # the principal made a teacher by the admin alone
    (problem,) = await rejected(admin, year, "staff", staff_xlsx(withdrawn), "canbo.xlsx", workers)
    assert "bỏ vai trò Hiệu trưởng của HT01" in problem.problem
    assert await _roles("HT01") == {Role.PRINCIPAL}


async def test_admin_executes_the_principals_decision_audited(staffed, workers) -> None:
    _school, year, admin = staffed
    principal = await Staff.get(code="HT01")
    rows = [*STAFF, NEW_VICE, NEW_CLERK]
    report = await import_file(
        admin, year, "staff", staff_xlsx(rows), "canbo.xlsx", workers=workers, decided_by=principal
    )
    assert report.parts["staff"].created == 2
    assert await _roles("PHT01") == {Role.VICE_PRINCIPAL}
    assert await _roles("VT01") == {Role.SUBJECT_TEACHER, Role.CLERK}
    event = await _granted(Role.VICE_PRINCIPAL, "PHT01")
    assert event.actor == "cli"
    assert event.after == {
        "role": "vice_principal",
        "decided_by": "Hiệu trưởng Vũ Văn Hải",
        "decided_by_staff": principal.id,
    }
    assert (await _granted(Role.CLERK, "VT01")).after["decided_by"] == "Hiệu trưởng Vũ Văn Hải"
    teacher_role = await _granted(Role.SUBJECT_TEACHER, "VT01")
    assert "decided_by" not in teacher_role.after  # a teacher's role is the admins' to give


async def test_only_the_principal_is_a_decision(staffed, workers) -> None:
    _school, year, admin = staffed
    teacher = await Staff.get(code="GV02")
    with pytest.raises(PermissionDenied, match="Trần Văn Bình không phải Hiệu trưởng"):
        await import_file(
            admin,
            year,
            "staff",
            staff_xlsx([*STAFF, NEW_VICE]),
            "canbo.xlsx",
            workers=workers,
            decided_by=teacher,
        )
    assert not await Staff.filter(code="PHT01").exists()


async def test_a_teacher_grants_nothing(staffed, workers) -> None:
    _school, year, _admin = staffed
    teacher = await Actor.of_staff(await Staff.get(code="GV02"))
    with pytest.raises(PermissionDenied, match="quyền quản trị"):
        await import_file(
            teacher, year, "staff", staff_xlsx([*STAFF, NEW_VICE]), "cb.xlsx", workers=workers
        )
    with pytest.raises(PermissionDenied, match="là quyết định của Hiệu trưởng"):
        await grant_decision(teacher, None)
    with pytest.raises(PermissionDenied, match="Chỉ quản trị học bạ số thực hiện"):
        await grant_decision(teacher, await Staff.get(code="HT01"))


async def test_the_principal_decides_themselves(staffed) -> None:
    _school, year, _admin = staffed
    principal = await Staff.get(code="HT01")
    await StaffRole.create(staff=principal, role=Role.ADMIN)  # a small school: also its admin
    actor = await Actor.of_staff(principal)
    decision = await grant_decision(actor, None)
    assert (decision.name, decision.staff_id) == ("Hiệu trưởng Vũ Văn Hải", principal.id)
    entries = [
        roster.StaffEntry("HT01", "Vũ Văn Hải", frozenset({Role.PRINCIPAL, Role.ADMIN})),
        roster.StaffEntry("PHT01", "Đặng Thị Phó", frozenset({Role.VICE_PRINCIPAL})),
    ]
    await roster.write_staff(actor, year, entries)
    assert await _roles("PHT01") == {Role.VICE_PRINCIPAL}
    event = await _granted(Role.VICE_PRINCIPAL, "PHT01")
    assert event.actor == f"staff:{principal.id}"
    assert event.after["decided_by"] == "Hiệu trưởng Vũ Văn Hải"


async def test_the_sign_in_phone_of_those_roles_is_the_principals_decision_too(
    staffed, workers
) -> None:
    """The phone is how a person signs in (Telegram's contact button): an admin who sets the
    principal's or the clerk's number to their own would sign, and seal, as them. A teacher's
    number is the admins' to keep."""
    _school, year, admin = staffed
    rows = [list(r) for r in STAFF]
    rows[0][4] = "0987654321"  # the principal's number replaced
    rows[3][4] = "0987654322"  # the clerk given one
    rows[1][4] = "0911000099"  # a teacher's number: no decision needed
    problems = await rejected(admin, year, "staff", staff_xlsx(rows), "canbo.xlsx", workers)
    assert len(problems) == 2
    principal = find(problems, row=2, phrase="đổi số điện thoại của HT01 (Hiệu trưởng)")
    assert "quyết định của Hiệu trưởng" in principal.problem
    assert "--decided-by MÃ_HIỆU_TRƯỞNG" in principal.expected
    find(problems, row=5, phrase="đổi số điện thoại của QT01 (Văn thư)")
    assert (await Staff.get(code="HT01")).phone == "+84911000001"
    assert (await Staff.get(code="GV01")).phone == "+84911000002"  # the file wrote nothing

    principal_staff = await Staff.get(code="HT01")
    await import_file(
        admin,
        year,
        "staff",
        staff_xlsx(rows),
        "canbo.xlsx",
        workers=workers,
        decided_by=principal_staff,
    )
    assert (await Staff.get(code="HT01")).phone == "+84987654321"
    assert (await Staff.get(code="QT01")).phone == "+84987654322"
