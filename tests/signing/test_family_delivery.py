"""A linked guardian receives their child's record when it is issued (001 Điều 30): the seal's
step that issues it enqueues, in the same transaction, a message to each account linked to
the student, whose «Nhận học bạ» button gives the files; the button gives nothing to another
account, to a forged record id, or once the school no longer has the guardian's phone."""

from __future__ import annotations

import pytest

from bot.cli_signing import issue_class
from core.models import AuditEvent, Guardian, IssuedRecord, Notification, RecordState, Student
from core.services import families
from core.services.families import FamilyRefused

PHONE = "+84912000333"
PARENT, STRANGER = 9801, 9802


async def test_the_issue_reaches_the_linked_guardian(demo, runtime) -> None:
    _config, school, school_class = demo
    student = await Student.filter(enrollments__school_class=school_class).order_by("id").first()
    guardian = await Guardian.create(student=student, full_name="Mẹ", relation="Mẹ", phone=PHONE)
    with pytest.raises(FamilyRefused, match="chưa phát hành"):  # linked before the issue
        await families.records_for_guardian(
            telegram_user_id=PARENT,
            national_id=student.national_id,
            born=student.born,
            phone="0912000333",
            contact_user_id=PARENT,
            school_id=school.id,
        )
    assert await issue_class(runtime, school, school_class) == 40

    (told,) = await Notification.filter(kind="family.record_issued")
    record = await IssuedRecord.get(student=student, state=RecordState.ISSUED)
    assert told.chat_id == PARENT and told.staff_id is None
    assert student.full_name in told.text and "2025-2026" in told.text
    data = told.buttons[0][0]["callback_data"]
    given = await families.linked_record(PARENT, data)
    assert [f.data for f in given.files] == [bytes(record.xml), bytes(record.pdf)]
    event = await AuditEvent.filter(action="family.records_given").order_by("-seq").first()
    assert event.actor == f"telegram:{PARENT}" and event.after["records"] == [
        f"{record.code} v{record.version}"
    ]

    for who, pressed in ((STRANGER, data), (PARENT, "fam:999999"), (PARENT, "fam:1:2")):
        with pytest.raises(Exception, match=r"Không gửi được|không còn hiệu lực"):
            await families.linked_record(who, pressed)
    await guardian.delete()  # the school removed the phone: the link no longer opens
    with pytest.raises(FamilyRefused):
        await families.linked_record(PARENT, data)
