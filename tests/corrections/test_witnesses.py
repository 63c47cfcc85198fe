"""Who witnesses a correction: the leadership, the admin board, the people's inspection board
and the teacher (000 Điều 8), and the homeroom teacher of the student's class (001 Điều 17.3),
whose place, like the teacher's, is nobody else's; the minutes name every one of them."""

from __future__ import annotations

import pytest

from core.errors import InvalidValue
from core.importing import import_file
from core.models import (
    CorrectionRequest,
    Notification,
    RequestState,
    SchoolClass,
    Staff,
    StaffRole,
    Witness,
    WitnessRole,
)
from core.services import corrections
from core.services.access import Actor
from core.services.corrections import waiting
from tests.corrections.conftest import School
from tests.corrections.test_flow import approved

STAFF_CSV = (
    "STT,Mã cán bộ,Họ và tên,Vai trò,Chủ nhiệm lớp,Số điện thoại,Email\n"
    "1,TT05,Đinh Thanh Tra,TTND,,,\n"
)


async def _witnesses(request: CorrectionRequest) -> dict[WitnessRole, str]:
    rows = await Witness.filter(request_id=request.id).prefetch_related("staff")
    return {WitnessRole(w.role): w.staff.code for w in rows}


async def test_the_homeroom_teacher_and_the_inspection_board_witness(school: School) -> None:
    # the inspection board's member comes from the staff file's roles column («TTND»)
    await StaffRole.filter(staff_id=school.staff["TT01"].id).delete()
    await import_file(
        school.admin, school.year, "staff", STAFF_CSV.encode(), "canbo.csv", workers=school.workers
    )
    request = await approved(school)
    assert await _witnesses(request) == {
        WitnessRole.LEADERSHIP: "HT01",
        WitnessRole.ADMIN: "QT01",
        WitnessRole.INSPECTOR: "TT05",
        WitnessRole.TEACHER: "GV02",
        WitnessRole.HOMEROOM: "GV03",
    }
    invited = await Notification.filter(kind="correction.witness").values_list(
        "staff__code", flat=True
    )
    assert sorted(invited) == ["GV02", "GV03", "HT01", "QT01", "TT05"]
    facts = await corrections.minutes_facts(await corrections.load_view(request.id))
    assert [(w.role, w.name) for w in facts.witnesses] == [
        ("Đại diện Ban giám hiệu", "Đỗ Thị Hiệu"),
        ("Đại diện Ban quản trị", "Vũ Quản Trị"),
        ("Đại diện Ban thanh tra nhân dân", "Đinh Thanh Tra"),
        ("Giáo viên đề nghị sửa", "Bùi Thị Văn"),
        ("Giáo viên chủ nhiệm lớp", "Ngô Chủ Nhiệm"),
    ]
    # the cells open only when the homeroom teacher too has confirmed
    for code in ("HT01", "QT01", "GV02"):
        await corrections.confirm_witness(await school.actor(code), request.id)
    await corrections.confirm_witness(await school.actor("GV03"), request.id)
    assert (await CorrectionRequest.get(id=request.id)).state == RequestState.APPROVED
    inspector = await Actor.of_staff(await Staff.get(code="TT05"))
    opened = await corrections.confirm_witness(inspector, request.id)
    assert opened.state == RequestState.OPEN


async def test_the_homeroom_place_is_the_class_own(school: School) -> None:
    request = await approved(school)
    principal = await school.actor("HT01")
    board = await waiting.waiting_on_people(principal)
    offered = [c.label for c in board.requests[0].actions]
    assert not any("Ngô Chủ Nhiệm" in label for label in offered)
    assert any("Mai Thanh Tra" in label for label in offered)
    with pytest.raises(InvalidValue, match="giáo viên chủ nhiệm của lớp: không đổi được"):
        await waiting.replacement_choices(principal, request.id, "homeroom")
    with pytest.raises(InvalidValue, match="giáo viên chủ nhiệm của lớp: không đổi được"):
        await waiting.replace_witness(principal, request.id, "homeroom", school.staff["GV01"].id)
    assert (await _witnesses(request))[WitnessRole.HOMEROOM] == "GV03"


async def test_the_principal_cannot_name_another_homeroom_witness(school: School) -> None:
    request = await corrections.submit(await school.teacher(), school.draft(), school.store)
    await corrections.forward(await school.actor("QT01"), [request.id])
    with pytest.raises(InvalidValue, match="giáo viên chủ nhiệm của lớp: không đổi được"):
        await corrections.approve(
            await school.actor("HT01"),
            request.id,
            witnesses={WitnessRole.HOMEROOM: school.staff["GV01"]},
        )
    assert (await CorrectionRequest.get(id=request.id)).state == RequestState.AT_PRINCIPAL
    assert not await Witness.exists(request_id=request.id)


async def test_no_homeroom_witness_where_the_class_has_none(school: School) -> None:
    await SchoolClass.filter(id=school.classes["6A"].id).update(homeroom_id=None)
    request = await approved(school)
    assert WitnessRole.HOMEROOM not in await _witnesses(request)
    assert set(await _witnesses(request)) == {
        WitnessRole.LEADERSHIP,
        WitnessRole.ADMIN,
        WitnessRole.INSPECTOR,
        WitnessRole.TEACHER,
    }
