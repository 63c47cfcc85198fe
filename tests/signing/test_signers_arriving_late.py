"""A signer who signs in to the bot late gets "documents wait for you" only while they still do:
once their step was signed (from the console here), the waiting message lapses and is only
counted in the line of their greeting."""

from __future__ import annotations

from bot.cli_signing import issue_class
from core.models import Notification, Role, SignatureRole, Staff, SubjectSheetDoc
from core.models.outbox import DeliveryState
from core.services import issuance, outbox
from core.services.access import Actor


async def _arrive(staff: Staff, telegram_user_id: int) -> outbox.Arrival:
    staff.telegram_user_id = telegram_user_id
    await staff.save()
    return await outbox.release_for(staff)


async def test_a_step_signed_meanwhile_lapses_the_next_still_waits(demo, runtime):
    _config, school, school_class = demo
    principal = await Actor.of_staff(await Staff.get(school=school, roles__role=Role.PRINCIPAL))
    await issuance.close_and_prepare(principal, school_class.id, runtime.workers, runtime.portal)
    sheet = (
        await SubjectSheetDoc.filter(school_class=school_class)
        .exclude(teacher_id=school_class.homeroom_id)
        .order_by("id")
        .first()
    )
    teacher_id = sheet.teacher_id
    teacher = await Staff.get(id=teacher_id)
    assert teacher.telegram_user_id is None  # the demo's staff have not signed in

    await issue_class(runtime, school, school_class, stop_before=SignatureRole.HOMEROOM)
    homeroom = await Staff.get(id=school_class.homeroom_id)

    arrival = await _arrive(teacher, 880001)
    assert ("signing.waiting", 1) in arrival.lapsed
    assert "1 thông báo tài liệu chờ ký" in arrival.lines()[-1]
    told = await Notification.filter(kind="signing.waiting", staff=teacher).get()
    assert told.state is DeliveryState.LAPSED

    # the homeroom teacher's own sheets were signed too; the records now wait for them
    await _arrive(homeroom, 880002)
    states = {
        n.topic: n.state for n in await Notification.filter(kind="signing.waiting", staff=homeroom)
    }
    assert states[f"signing:{school_class.id}:gvcn"] is DeliveryState.PENDING
    assert states.get(f"signing:{school_class.id}:gvbm", DeliveryState.LAPSED) is (
        DeliveryState.LAPSED
    )
