"""Requests waiting on a person: a witness who signs in after the approval gets the invitation
(and only what still applies), the board shows who each request waits on and why, and the
admin board or the principal sends an invitation again or names another witness."""

from __future__ import annotations

import pytest

from core import clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import (
    AuditEvent,
    CorrectionRequest,
    LateAllowance,
    Notification,
    RequestState,
    Role,
    Staff,
    Witness,
    WitnessRole,
)
from core.models.outbox import DeliveryState, Failure
from core.services import corrections, outbox, roster
from core.services.corrections import waiting
from core.services.corrections.cutoff import LATE
from tests.corrections.conftest import School
from tests.corrections.test_flow import approved

INVITE = "correction.witness"


async def link(school: School, code: str, telegram_user_id: int) -> outbox.Arrival:
    """`code` signs in: their account is linked and what waited for them is judged."""
    staff = await Staff.get(id=school.staff[code].id)
    staff.telegram_user_id = telegram_user_id
    await staff.save()
    school.staff[code] = staff
    return await outbox.release_for(staff)


async def invitations(school: School, code: str) -> list[Notification]:
    return list(
        await Notification.filter(kind=INVITE, staff_id=school.staff[code].id).order_by("id")
    )


async def add_inspector(school: School, code: str = "TT02", name: str = "Hồ Thanh Tra") -> None:
    await roster.write_staff(
        school.admin, school.year, [roster.StaffEntry(code, name, frozenset({Role.INSPECTOR}))]
    )
    school.staff[code] = await Staff.get(code=code)


async def test_a_witness_who_signs_in_late_gets_what_still_applies(school: School) -> None:
    request = await approved(school)  # nobody has signed in yet: everything waits
    assert {n.state for n in await Notification.all()} == {DeliveryState.WAITING_LINK}

    # the admin's forward card and the principal's decision card were acted on meanwhile
    admin = await link(school, "QT01", 9011)
    assert admin == outbox.Arrival(1, (("correction.forward", 1),))
    principal = await link(school, "HT01", 9010)
    assert principal == outbox.Arrival(1, (("correction.decide", 1),))
    assert "phiếu sửa điểm chờ duyệt" in principal.lines()[1]
    teacher = await link(school, "GV02", 9002)
    assert teacher.released == 1 and not teacher.lapsed
    await link(school, "GV03", 9003)  # 6A's homeroom teacher witnesses too (001 Điều 17.3)
    for code in ("HT01", "QT01", "GV02", "GV03"):
        [invite] = await invitations(school, code)
        assert invite.state is DeliveryState.PENDING
        request = await corrections.confirm_witness(await school.actor(code), request.id)
    assert request.state == RequestState.APPROVED  # the inspector has not signed in

    # the board says who it waits on, and why
    board = await waiting.waiting_on_people(await school.actor("HT01"))
    [line] = board.requests
    assert line.view.id == request.id and board.more == 0
    text = "\n".join(line.lines())
    assert "Mai Thanh Tra (Đại diện Ban thanh tra nhân dân): chưa đăng nhập Trợ lý" in text
    assert "✅ Đỗ Thị Hiệu (Đại diện Ban giám hiệu): đã xác nhận lúc" in text
    assert [c.data for c in line.actions] == [f"crR:{request.id}", f"crW:{request.id}:inspector"]

    inspector = await link(school, "TT01", 9012)
    assert inspector == outbox.Arrival(1)
    [invite] = await invitations(school, "TT01")
    assert invite.state is DeliveryState.PENDING and "✅ Xác nhận chứng kiến" in str(invite.buttons)
    request = await corrections.confirm_witness(await school.actor("TT01"), request.id)
    assert request.state == RequestState.OPEN
    assert (await waiting.waiting_on_people(await school.actor("QT01"))).requests[0].people[
        0
    ].role == "giáo viên lập phiếu"  # open: it waits on the teacher now


async def test_only_the_admin_board_and_deciders_see_and_act(school: School) -> None:
    request = await approved(school)
    teacher = await school.actor("GV02")
    for attempt in (
        waiting.waiting_on_people(teacher),
        waiting.resend(teacher, request.id),
        waiting.replacement_choices(teacher, request.id, "inspector"),
        waiting.replace_witness(teacher, request.id, "inspector", school.staff["HT01"].id),
    ):
        with pytest.raises(PermissionDenied):
            await attempt
    # the vice principal is not a decider until delegated
    with pytest.raises(PermissionDenied):
        await waiting.resend(await school.actor("PHT01"), request.id)
    await corrections.delegate(await school.actor("HT01"), "PHT01")
    assert (await waiting.resend(await school.actor("PHT01"), request.id)).number == request.number


async def test_resend_goes_only_where_it_helps(school: School) -> None:
    request = await approved(school)
    await link(school, "TT01", 9012)
    await link(school, "QT01", 9011)
    inspector, admin = await invitations(school, "TT01"), await invitations(school, "QT01")
    await Notification.filter(id=inspector[0].id).update(state=DeliveryState.SENT)
    await Notification.filter(id=admin[0].id).update(
        state=DeliveryState.FAILED, failure=Failure.BLOCKED
    )

    done = await waiting.resend(await school.actor("QT01"), request.id)
    text = done.text()
    assert "Mai Thanh Tra: đã gửi lại" in text
    assert "Vũ Quản Trị: không gửi thêm, đã chặn Trợ lý" in text
    assert "không gửi thêm, chưa đăng nhập Trợ lý" in text  # the principal and the teacher
    again = await invitations(school, "TT01")
    assert len(again) == 2 and again[1].state is DeliveryState.PENDING
    assert again[1].text.startswith("🔁 Nhắc lại lời mời chứng kiến.")
    assert len(await invitations(school, "QT01")) == 1  # blocked: the waiting one will do
    event = await AuditEvent.get(action="correction.resend")
    assert event.target == f"correction:{request.id}"
    assert event.after["to"] == [school.staff["TT01"].id]

    # a second press while it is on its way adds nothing
    done = await waiting.resend(await school.actor("QT01"), request.id)
    assert "Mai Thanh Tra: tin trước vẫn đang được gửi" in done.text()
    assert len(await invitations(school, "TT01")) == 2

    # the inspector signs out and in again: of the two invitations, only the newest waits
    await Notification.filter(id=again[1].id).update(state=DeliveryState.WAITING_LINK)
    await Notification.filter(id=again[0].id).update(state=DeliveryState.WAITING_LINK)
    arrival = await link(school, "TT01", 9013)
    assert arrival == outbox.Arrival(1, ((INVITE, 1),))
    assert (await Notification.get(id=again[1].id)).state is DeliveryState.PENDING


async def test_resend_the_principals_question(school: School) -> None:
    request = await corrections.submit(await school.teacher(), school.draft(), school.store)
    await corrections.forward(await school.actor("QT01"), [request.id])
    await corrections.ask_more(await school.actor("HT01"), request.id, "Gửi ảnh sổ điểm")
    await link(school, "GV02", 9002)
    [asked] = await Notification.filter(kind="correction.ask")
    await Notification.filter(id=asked.id).update(state=DeliveryState.SENT)
    board = await waiting.waiting_on_people(await school.actor("HT01"))
    [line] = board.requests
    assert line.view.state is RequestState.NEEDS_INFO
    assert [c.data for c in line.actions] == [f"crR:{request.id}"]
    done = await waiting.resend(await school.actor("HT01"), request.id)
    assert "Bùi Thị Văn: đã gửi lại" in done.text()
    resent = await Notification.filter(kind="correction.ask").order_by("-id").first()
    assert "Gửi ảnh sổ điểm" in resent.text and "Nhắc lại câu hỏi" in resent.text

    await corrections.reject(await school.actor("HT01"), request.id, "Không đủ minh chứng")
    with pytest.raises(InvalidValue, match="không có gì để gửi lại"):
        await waiting.resend(await school.actor("HT01"), request.id)


async def test_replace_a_witness_who_does_not_come(school: School) -> None:
    await add_inspector(school)
    request = await approved(school)
    principal = await school.actor("HT01")
    await link(school, "TT01", 9012)  # the first inspector got the invitation, then went silent
    [first] = await invitations(school, "TT01")
    await Notification.filter(id=first.id).update(state=DeliveryState.SENT)

    offered = await waiting.replacement_choices(principal, request.id, "inspector")
    assert offered.current == "Mai Thanh Tra"
    assert [c.label for c in offered.choices] == ["👤 Hồ Thanh Tra (chưa đăng nhập)"]
    assert offered.choices[0].data == f"crP:{request.id}:inspector:{school.staff['TT02'].id}"

    done = await waiting.replace_witness(
        principal, request.id, "inspector", school.staff["TT02"].id
    )
    assert done.text().startswith("🔄 Phiếu SĐ-")
    assert "Hồ Thanh Tra thay Mai Thanh Tra" in done.text()
    assert "chưa đăng nhập Trợ lý" in done.status
    row = await Witness.get(request_id=request.id, role=WitnessRole.INSPECTOR)
    assert row.staff_id == school.staff["TT02"].id
    event = await AuditEvent.get(action="correction.witness_replace")
    assert event.before == {"role": "inspector", "staff": school.staff["TT01"].id}
    assert event.after == {"role": "inspector", "staff": school.staff["TT02"].id}
    [told] = await Notification.filter(kind=waiting.RELEASED)
    assert told.staff_id == school.staff["TT01"].id and "không cần xác nhận nữa" in told.text
    with pytest.raises(PermissionDenied):  # the replaced inspector's old button
        await corrections.confirm_witness(await school.actor("TT01"), request.id)

    # refusals change nothing
    for role, staff_code, message in (
        ("inspector", "TT02", "đã là người chứng kiến"),
        ("inspector", "GV01", "không thuộc Đại diện Ban thanh tra"),
        ("admin", "HT01", "đã là người chứng kiến"),
        ("leadership", "GV01", "không thuộc Đại diện Ban giám hiệu"),
    ):
        with pytest.raises(InvalidValue, match=message):
            await waiting.replace_witness(principal, request.id, role, school.staff[staff_code].id)
    for fixed in ("teacher", "homeroom"):  # the requester's place, the class's homeroom's
        with pytest.raises(InvalidValue, match="không đổi được"):
            await waiting.replacement_choices(principal, request.id, fixed)
    with pytest.raises(InvalidValue, match="Không có vai trò chứng kiến"):
        await waiting.replacement_choices(principal, request.id, "nobody")
    with pytest.raises(NotFound):
        await waiting.replace_witness(principal, request.id, "inspector", 999_999)
    with pytest.raises(InvalidValue, match="không còn ai khác thuộc Đại diện Ban quản trị"):
        await waiting.replacement_choices(principal, request.id, "admin")
    offered = await waiting.replacement_choices(principal, request.id, "inspector")
    assert [c.label for c in offered.choices] == ["👤 Mai Thanh Tra"]  # signed in: no note
    assert await AuditEvent.filter(action="correction.witness_replace").count() == 1

    # the new inspector signs in: the invitation arrives and the opening follows
    arrival = await link(school, "TT02", 9022)
    assert arrival == outbox.Arrival(1)
    for code in ("HT01", "QT01", "GV02", "GV03"):
        await corrections.confirm_witness(await school.actor(code), request.id)
    with pytest.raises(InvalidValue, match="đã xác nhận"):  # a confirmed witness stays
        await waiting.replace_witness(
            await school.actor("QT01"), request.id, "admin", school.staff["HT01"].id
        )
    request = await corrections.confirm_witness(await school.actor("TT02"), request.id)
    assert request.state == RequestState.OPEN
    with pytest.raises(InvalidValue, match="không còn chờ người chứng kiến"):
        await waiting.replacement_choices(principal, request.id, "inspector")


async def test_a_replaced_witness_who_signs_in_later_gets_one_line(school: School) -> None:
    await add_inspector(school)
    request = await approved(school)
    await waiting.replace_witness(
        await school.actor("QT01"), request.id, "inspector", school.staff["TT02"].id
    )
    assert not await Notification.filter(kind=waiting.RELEASED).exists()  # never reached
    arrival = await link(school, "TT01", 9012)
    assert arrival == outbox.Arrival(0, ((INVITE, 1),))
    [line] = arrival.lines()
    assert "1 lời mời chứng kiến sửa điểm" in line
    assert (await CorrectionRequest.get(id=request.id)).state == RequestState.APPROVED


async def test_the_admin_sees_a_request_waiting_on_a_principal_not_signed_in(
    school: School,
) -> None:
    request = await corrections.submit(await school.teacher(), school.draft(), school.store)
    principal = await school.actor("HT01")
    [line] = (await waiting.waiting_on_people(principal)).requests  # it waits on the admins
    assert "   ⏳ Vũ Quản Trị (Ban quản trị): chưa đăng nhập Trợ lý" in line.lines()[1]
    assert (await waiting.waiting_on_people(await school.actor("QT01"))).requests == []
    await corrections.forward(await school.actor("QT01"), [request.id])
    [line] = (await waiting.waiting_on_people(await school.actor("QT01"))).requests
    assert line.lines() == [
        f"Phiếu {request.number}: Trần Thị Bình, lớp 6A, môn Ngữ văn, HKI — chờ Hiệu trưởng duyệt",
        "   ⏳ Đỗ Thị Hiệu (người duyệt): chưa đăng nhập Trợ lý: tin sẽ đến khi đăng nhập",
    ]
    assert line.actions == []
    # the principal's own board lists it; the part about other people does not
    assert (await waiting.waiting_on_people(principal)).requests == []


async def test_a_late_ask_lapses_once_allowed_and_the_grant_does_not(school: School) -> None:
    """A teacher's ask to file after the cut-off reaches every decider; the principal allows
    it; the delegate who signs in later is not asked any more, the teacher gets the grant."""
    await corrections.delegate(await school.actor("HT01"), "PHT01")
    asked = await LateAllowance.create(
        school=school.school,
        teacher=school.staff["GV02"],
        school_class=school.classes["6A"],
        subject=school.subjects["NV"],
        term=school.terms[1],
        asked_at=clock.now(),
    )
    for code in ("HT01", "PHT01"):
        await outbox.notify_staff(
            school.staff[code],
            LATE,
            "⏰ xin phép nộp muộn",
            dedupe_key=f"late-ask:{code}",
            topic=f"late:{asked.id}",
        )
    await corrections.grant_late(await school.actor("HT01"), asked.id)
    assert await link(school, "PHT01", 9031) == outbox.Arrival(0, ((LATE, 1),))
    teacher = await link(school, "GV02", 9002)
    assert teacher.released == 1 and not teacher.lapsed
    [granted] = await Notification.filter(kind=LATE, staff_id=school.staff["GV02"].id)
    assert "đã cho phép" in granted.text and granted.expires_at is not None
