"""Marks are written by the assigned teacher, the homeroom part by the homeroom teacher (001
Điều 17.2); an admin enters them for a teacher (nhập hộ) only where the principal enabled it
(the school's rule `admin_enters_marks`), and each such write is audited with the decision and
for whom (core.services.on_behalf). Every path goes through the gradebook: the chat, the
teacher's sheet, `hocba import marks`.

The small school in a year still to come (no lock binds): GV01 teaches Toán in 6A and 6B,
GV02 Ngữ văn in 6A, GV03 is 6A's homeroom teacher, HT01 the principal, QT01 an admin."""

from __future__ import annotations

import pytest

from core.errors import InvalidValue, PermissionDenied
from core.importing import FileRejected, import_file
from core.models import AuditEvent, Conduct, Mark, MarkKind
from core.rules.secondary import Level
from core.services import gradebook
from core.services.school_rules import set_rule
from tests.integration.fixtures_sheets import xlsx

TX4 = (MarkKind.REGULAR, 4)


async def _refused_admin_mark(small) -> str:
    entry = small.mark("Nguyễn Văn An", "6A", "NV", *TX4, 3)
    with pytest.raises(PermissionDenied) as refused:
        await gradebook.write_marks(small.admin, [entry])
    return str(refused.value)


async def test_the_assigned_teacher_writes_an_admin_does_not_by_default(upcoming) -> None:
    small = upcoming
    before = await Mark.all().count()
    why = await _refused_admin_mark(small)
    assert why.startswith("Điểm môn Ngữ văn lớp 6A do giáo viên Bùi Thị Văn trực tiếp nhập")
    assert "(Quy chế 001 Điều 17.2)" in why and "Hãy nhờ Bùi Thị Văn nhập" in why
    assert "hocba rules set admin_enters_marks yes --decided-by MÃ_HIỆU_TRƯỞNG" in why
    with pytest.raises(PermissionDenied, match="không được phân công dạy môn Ngữ văn"):
        entry = small.mark("Nguyễn Văn An", "6A", "NV", *TX4, 3)
        await gradebook.write_marks(await small.actor("GV01"), [entry])  # another's subject
    with pytest.raises(PermissionDenied, match="không được phân công"):  # the principal neither
        entry = small.mark("Nguyễn Văn An", "6A", "NV", *TX4, 3)
        await gradebook.write_marks(await small.actor("HT01"), [entry])
    assert await Mark.all().count() == before
    assert not await AuditEvent.exists(action="gradebook.on_behalf")

    mine = small.mark("Trần Thị Bình", "6A", "NV", *TX4, 7)
    assert (await gradebook.write_marks(await small.actor("GV02"), [mine])).created == 1
    assert not await AuditEvent.exists(action="gradebook.on_behalf")  # their own sheet


async def test_the_homeroom_part_is_the_homeroom_teachers(upcoming) -> None:
    small = upcoming
    chi = small.students["Phạm Thị Chi"]
    entry = gradebook.ConductEntry(chi, small.classes["6A"], small.terms[1], Level.FAIR)
    with pytest.raises(PermissionDenied) as refused:
        await gradebook.write_conducts(small.admin, [entry])
    assert str(refused.value).startswith(
        "Phần chủ nhiệm lớp 6A (rèn luyện, ngày nghỉ, nhận xét, phẩm chất) do giáo viên chủ "
        "nhiệm Ngô Chủ Nhiệm trực tiếp nhập"
    )
    assert not await Conduct.exists(student_id=chi)
    assert (await gradebook.write_conducts(await small.actor("GV03"), [entry])).created == 1


async def test_nhap_ho_where_the_principal_enabled_it_audited(upcoming) -> None:
    small = upcoming
    with pytest.raises(InvalidValue, match="người quyết định"):  # an admin does not alone
        await set_rule(small.admin, "admin_enters_marks", "yes")
    await set_rule(small.admin, "admin_enters_marks", "yes", decided_by="HT01")

    entry = small.mark("Trần Thị Bình", "6A", "NV", MarkKind.FINAL, 1, 3)  # GV02 left it empty
    assert (await gradebook.write_marks(small.admin, [entry])).created == 1
    (event,) = await AuditEvent.filter(action="gradebook.on_behalf")
    assert event.actor == "cli"
    assert event.target == f"sheet:{small.classes['6A'].id}:{small.subjects['NV'].id}"
    assert event.after == {
        "rule": "admin_enters_marks",
        "decided_by": "Hiệu trưởng Đỗ Thị Hiệu",
        "for": ["Bùi Thị Văn"],
        "for_staff": [small.staff["GV02"].id],
    }
    again = await gradebook.write_marks(small.admin, [entry])  # nothing changed: no trace
    assert again.changed == 0 and await AuditEvent.filter(action="gradebook.on_behalf").count() == 1

    chi = small.students["Phạm Thị Chi"]
    conduct = gradebook.ConductEntry(chi, small.classes["6A"], small.terms[1], Level.GOOD)
    await gradebook.write_conducts(small.admin, [conduct])
    homeroom = await AuditEvent.get(target=f"sheet:{small.classes['6A'].id}:homeroom")
    assert homeroom.after["for"] == ["Ngô Chủ Nhiệm"]
    with pytest.raises(PermissionDenied):  # a teacher still writes only their own sheets
        await gradebook.write_marks(await small.actor("GV01"), [entry])

    await set_rule(await small.actor("HT01"), "admin_enters_marks", "no")  # and back
    assert "trường chưa quyết định cho quản trị nhập hộ" in await _refused_admin_mark(small)


async def test_an_admins_marks_file_is_refused_whole(upcoming, workers) -> None:
    """`hocba import marks` by the console's admin: refused, nothing written, saying why."""
    small = upcoming
    header = ("Mã định danh", "Họ và tên", "Lớp", "Môn", "Học kỳ", "TX4")
    rows = [
        ("001214000001", "Nguyễn Văn An", "6A", "Toán", "I", 9),
        ("001314000002", "Trần Thị Bình", "6A", "Ngữ văn", "I", 8),
    ]
    before = await Mark.all().count()
    with pytest.raises((PermissionDenied, FileRejected)) as refused:
        await import_file(
            small.admin,
            small.year,
            "marks",
            xlsx({"Điểm": [header, *rows]}),
            "diem.xlsx",
            workers=workers,
        )
    assert "trực tiếp nhập (Quy chế 001 Điều 17.2)" in str(refused.value)
    assert await Mark.all().count() == before
