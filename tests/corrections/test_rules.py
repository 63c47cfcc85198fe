"""Every rule and bad input of the correction procedure, in the core (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import (
    CorrectionRequest,
    LateAllowance,
    Mark,
    MarkKind,
    Notification,
    Opening,
    RequestState,
    Role,
    Staff,
)
from core.rules.catalog import SchoolLevel
from core.services import corrections, evidence, roster
from core.services.access import Actor
from core.services.schools import create_school
from tests.corrections.conftest import JPEG, PDF, PNG, School, now


async def submitted(school: School, **kw) -> CorrectionRequest:
    return await corrections.submit(await school.teacher(), school.draft(**kw), school.store)


async def at_principal(school: School) -> CorrectionRequest:
    request = await submitted(school)
    await corrections.forward(await school.actor("QT01"), [request.id])
    return request


async def unchanged_data(school: School) -> list:
    return sorted(await Mark.all().values_list("id", "score"))


def test_evidence_checks_bytes_not_names(tmp_path) -> None:
    from core.storage import FileStore

    store = FileStore(tmp_path)
    assert evidence.accept(store, PNG, "a.png").media == "photo"
    assert evidence.accept(store, JPEG, "b.jpg").mime == "image/jpeg"
    assert evidence.accept(store, PDF, "c.pdf").media == "document"
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16
    assert evidence.accept(store, webp, "d.webp").mime == "image/webp"
    with pytest.raises(InvalidValue, match="không phải ảnh"):
        evidence.accept(store, b"MZ\x90\x00 not a picture", "bai_kiem_tra.jpg")
    with pytest.raises(InvalidValue, match="không phải ảnh"):
        evidence.accept(store, b"hello, I am text", "so_diem.png")
    with pytest.raises(InvalidValue, match="quá lớn"):
        evidence.ensure_size(30 * 1024 * 1024)
    with pytest.raises(InvalidValue, match="quá lớn"):
        evidence.accept(store, JPEG + b"\x00" * evidence.MAX_BYTES, "big.jpg")
    evidence.ensure_room(9)
    with pytest.raises(InvalidValue, match="tối đa 10"):
        evidence.ensure_room(10)


async def test_bad_values_and_cells_are_refused(school: School) -> None:
    before = await unchanged_data(school)
    for value, message in (
        ("11", "không hợp lệ"),
        ("6", "trùng giá trị hiện tại"),
        ("abc", "không hợp lệ"),
    ):
        with pytest.raises(InvalidValue, match=message):
            await submitted(school, changes=(corrections.Change(MarkKind.REGULAR, 1, value),))
    with pytest.raises(InvalidValue, match="cột TX5"):
        await submitted(school, changes=(corrections.Change(MarkKind.REGULAR, 5, "7"),))
    # a subject the teacher does not teach (Toán is GV01's), a student of another class
    with pytest.raises(PermissionDenied):
        await submitted(school, subject_id=school.subjects["TOAN"].id)
    with pytest.raises(NotFound, match="không thuộc lớp"):
        await submitted(school, name="Lê Văn Dũng")
    with pytest.raises(InvalidValue, match="lý do"):
        await submitted(school, reason="  ")
    with pytest.raises(InvalidValue, match="ít nhất một minh chứng"):
        await submitted(school, evidence=())
    with pytest.raises(InvalidValue, match="tối đa 10"):
        await submitted(school, evidence=school.evidence(*[PNG] * 11))
    assert await CorrectionRequest.all().count() == 0
    assert await unchanged_data(school) == before


async def test_teacher_search_is_accent_insensitive(school: School) -> None:
    teacher = await school.teacher()
    found = await corrections.find_students(teacher, school.classes["6A"], "binh")
    assert [s.full_name for s in found] == ["Trần Thị Bình"]
    assert len(await corrections.find_students(teacher, school.classes["6A"], "THI")) == 2
    with pytest.raises(PermissionDenied):  # GV02 does not teach 6B
        await corrections.find_students(teacher, school.classes["6B"], "dung")


async def test_a_request_cannot_be_submitted_twice_or_edited(school: School) -> None:
    draft = school.draft()
    await corrections.submit(await school.teacher(), draft, school.store)
    edited = corrections.Draft(
        **{
            **draft.__dict__,
            "reason": "khác",
            "changes": (corrections.Change(MarkKind.REGULAR, 1, "9"),),
        }
    )
    with pytest.raises(InvalidValue, match="không sửa được"):
        await corrections.submit(await school.teacher(), edited, school.store)
    request = await CorrectionRequest.get()
    assert request.reason == draft.reason
    assert await CorrectionRequest.all().count() == 1


async def test_only_the_principal_or_a_delegate_decides(school: School) -> None:
    request = await at_principal(school)
    for code in ("QT01", "GV02", "PHT01", "TT01"):
        with pytest.raises(PermissionDenied):
            await corrections.approve(await school.actor(code), request.id)
    await corrections.delegate(await school.actor("HT01"), "PHT01", now())
    with pytest.raises(PermissionDenied):  # only the principal delegates
        await corrections.delegate(await school.actor("PHT01"), "PHT01", now())
    approved = await corrections.approve(await school.actor("PHT01"), request.id)
    assert (
        approved.state == RequestState.APPROVED
        and approved.decided_by_id == school.staff["PHT01"].id
    )
    await corrections.revoke_delegation(await school.actor("HT01"), "PHT01", now())
    other = await at_principal(school)
    with pytest.raises(PermissionDenied):
        await corrections.reject(await school.actor("PHT01"), other.id, "không")


async def test_another_school_cannot_touch_a_request(school: School) -> None:
    request = await at_principal(school)
    elsewhere = await create_school("THCS-KHAC", "Trường Khác", SchoolLevel.LOWER_SECONDARY)
    await roster.write_staff(
        Actor.command_line(elsewhere.id),
        school.year,
        [
            roster.StaffEntry(
                "HTX",
                "Hiệu Trưởng Khác",
                frozenset({Role.PRINCIPAL, Role.ADMIN, Role.SUBJECT_TEACHER}),
            )
        ],
    )
    stranger = await Actor.of_staff(await Staff.get(code="HTX"))
    with pytest.raises(NotFound):
        await corrections.approve(stranger, request.id)
    with pytest.raises(NotFound):
        await corrections.view_for(stranger, request.id)
    with pytest.raises(InvalidValue):  # forward: refused, nothing moved
        await corrections.forward(stranger, [request.id])
    assert (await CorrectionRequest.get(id=request.id)).state == RequestState.AT_PRINCIPAL


async def test_decided_requests_do_not_move(school: School) -> None:
    principal = await school.actor("HT01")
    request = await at_principal(school)
    with pytest.raises(InvalidValue, match="lý do"):
        await corrections.reject(principal, request.id, "")
    await corrections.reject(principal, request.id, "Minh chứng không khớp sổ điểm")
    for attempt in (
        corrections.approve(principal, request.id),
        corrections.reject(principal, request.id, "lần hai"),
        corrections.ask_more(principal, request.id, "?"),
    ):
        with pytest.raises(InvalidValue, match="bị từ chối"):
            await attempt
    rejected = await Notification.get(kind="correction.rejected", staff_id=school.staff["GV02"].id)
    assert "Minh chứng không khớp sổ điểm" in rejected.text
    # withdrawn: a decision on it is refused
    other = await at_principal(school)
    await corrections.withdraw(await school.teacher(), other.id)
    with pytest.raises(InvalidValue, match="đã rút"):
        await corrections.approve(principal, other.id)
    # forwarding twice
    third = await submitted(school)
    await corrections.forward(await school.actor("QT01"), [third.id])
    with pytest.raises(InvalidValue, match="chờ Hiệu trưởng"):
        await corrections.forward(await school.actor("QT01"), [third.id])


async def test_ask_more_round_and_bundle(school: School) -> None:
    principal = await school.actor("HT01")
    first, second = await submitted(school), await submitted(school, name="Phạm Thị Chi")
    await corrections.forward(await school.actor("QT01"), [first.id, second.id])
    bundle = await Notification.get(kind="correction.bundle")
    assert "2 phiếu" in bundle.text and "Phạm Thị Chi" in bundle.text
    assert len(await corrections.pending_for(principal)) == 2
    asked = await corrections.ask_more(principal, first.id, "Gửi thêm ảnh sổ đầu bài")
    assert asked.state == RequestState.NEEDS_INFO
    with pytest.raises(InvalidValue):
        await corrections.approve(principal, first.id)
    with pytest.raises(PermissionDenied):
        await corrections.supplement(await school.actor("GV01"), first.id, "x", (), school.store)
    back = await corrections.supplement(
        await school.teacher(),
        first.id,
        "Đã gửi ảnh sổ đầu bài",
        school.evidence(PDF),
        school.store,
    )
    assert back.state == RequestState.AT_PRINCIPAL
    view = await corrections.load_view(first.id)
    assert len(view.evidence) == 3 and "Đã gửi ảnh sổ đầu bài" in view.card()
    cards = await Notification.filter(kind="correction.decide", staff_id=school.staff["HT01"].id)
    assert len(cards) == 3  # two forwarded, one back after the answer


async def test_cut_off_and_late_allowance(school: School, clock_at) -> None:
    clock_at(f"26/01/{school.year.name[5:]}")  # term I locks in 3 days: the cut-off has passed
    with pytest.raises(corrections.PastCutoff, match="quá hạn"):
        await submitted(school)
    teacher = await school.teacher()
    cell = await school.binh_nv_cell(teacher)
    asked = await corrections.ask_late(teacher, cell, now())
    with pytest.raises(PermissionDenied):
        await corrections.grant_late(await school.actor("QT01"), asked.id, now())
    await corrections.grant_late(await school.actor("HT01"), asked.id, now())
    with pytest.raises(InvalidValue, match="rồi"):
        await corrections.grant_late(await school.actor("HT01"), asked.id, now())
    request = await submitted(school)
    assert request.late_allowance_id == asked.id
    assert (await LateAllowance.get(id=asked.id)).used_by_request_id == request.id
    with pytest.raises(corrections.PastCutoff):  # one request per allowance
        await submitted(school)


async def test_direct_routing(school: School) -> None:
    with pytest.raises(PermissionDenied):
        await corrections.set_routing(await school.teacher(), direct=True)
    await corrections.set_routing(await school.actor("HT01"), direct=True, open_minutes=15)
    request = await submitted(school)
    assert request.state == RequestState.AT_PRINCIPAL
    assert not await Notification.exists(kind="correction.forward")
    assert await Notification.exists(kind="correction.decide", staff_id=school.staff["HT01"].id)


async def test_expiry_relocks_once_and_survives_a_restart(school: School) -> None:
    from tests.corrections.test_flow import opened

    await school.lock_nv()
    request = await opened(school)
    # a "restart": nothing lives in memory; the request is read back from the database
    view = await corrections.load_view(request.id)
    assert view.state == RequestState.OPEN
    assert await Opening.filter(closed_at=None, cell__not_isnull=True).count() == 1
    later = request.open_until + dt.timedelta(seconds=1)
    assert [
        r.id for r in await corrections.expire_sessions(later, school.store, school.workers)
    ] == [request.id]
    assert await corrections.expire_sessions(later, school.store, school.workers) == []
    assert (await CorrectionRequest.get(id=request.id)).state == RequestState.EXPIRED
    assert await Opening.filter(closed_at=None, cell__not_isnull=True).count() == 0
    with pytest.raises(InvalidValue, match="hết thời hạn"):
        await corrections.apply_value(
            await school.teacher(),
            request.id,
            view.items[0].id,
            "7.5",
            school.store,
            school.workers,
        )
    assert await Notification.filter(kind="correction.minutes").count() == 3


async def test_witness_rules(school: School) -> None:
    from tests.corrections.test_flow import approved

    request = await approved(school)
    with pytest.raises(PermissionDenied):
        await corrections.confirm_witness(await school.actor("GV01"), request.id)
    await corrections.confirm_witness(await school.actor("TT01"), request.id)
    with pytest.raises(InvalidValue, match="rồi"):
        await corrections.confirm_witness(await school.actor("TT01"), request.id)
    with pytest.raises(InvalidValue, match="không mở"):
        await corrections.apply_value(
            await school.teacher(), request.id, 1, "7.5", school.store, school.workers
        )


async def test_requests_by_state_for_admins(school: School) -> None:
    first = await submitted(school)
    await submitted(school, name="Phạm Thị Chi")
    await corrections.forward(await school.actor("QT01"), [first.id])
    grouped = await corrections.requests_by_state(await school.actor("QT01"))
    assert {s: len(v) for s, v in grouped.items()} == {
        RequestState.AT_PRINCIPAL: 1,
        RequestState.AT_ADMINS: 1,
    }
    mine = await corrections.requests_by_state(await school.actor("GV01"))
    assert mine == {}
    with pytest.raises(PermissionDenied):
        await corrections.history(await school.teacher(), school.students["Trần Thị Bình"])
