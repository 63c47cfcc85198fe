"""The channels that bring a parent's one-time code to the registered phone
(core.services.code_channels): the clerks get it in the bot with the number to call, a linked
guardian's chat gets it, an SMS gateway (a real server on loopback here) is posted it."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from aiohttp.test_utils import TestServer

from core.models import GuardianLink, Notification, Role, Staff, StaffRole, Student
from core.rules.catalog import SchoolLevel
from core.services.code_channels import ClerkCodes, SmsCodes, TelegramCodes, channel_for
from core.services.family_web import CodeDelivery
from core.services.schools import create_school

UNTIL = dt.datetime(2026, 7, 1, 9, 10, tzinfo=dt.UTC)


async def _delivery() -> CodeDelivery:
    school = await create_school("THCS-MA", "Trường THCS Mã", SchoolLevel.LOWER_SECONDARY)
    student = await Student.create(
        school=school,
        national_id="037213000001",
        full_name="Lê Văn Mã",
        born=dt.date(2013, 1, 2),
        gender="male",
    )
    return CodeDelivery(school.id, student, "+84912000444", "482913", UNTIL)


async def test_the_clerk_is_sent_the_code_and_the_number_to_call(db: str) -> None:
    delivery = await _delivery()
    clerk = await Staff.create(school_id=delivery.school_id, code="VT01", full_name="Văn Thư")
    await StaffRole.create(staff=clerk, role=Role.CLERK)
    await ClerkCodes().send(delivery)
    (sent,) = await Notification.filter(kind="family.code")
    assert sent.staff_id == clerk.id
    assert "482913" in sent.text and "+84912000444" in sent.text and "Lê Văn Mã" in sent.text


async def test_a_linked_guardian_gets_the_code_in_their_chat(db: str) -> None:
    delivery = await _delivery()
    await GuardianLink.create(
        telegram_user_id=9501, student=delivery.student, phone="+84912000444", linked_at=UNTIL
    )
    await GuardianLink.create(  # another phone of the family: not the one asked for
        telegram_user_id=9502, student=delivery.student, phone="+84912000555", linked_at=UNTIL
    )
    await TelegramCodes().send(delivery)
    (sent,) = await Notification.filter(kind="family.code")
    assert sent.chat_id == 9501 and "482913" in sent.text


async def test_an_sms_gateway_is_posted_the_code(db: str) -> None:
    posted: list[tuple[str, dict[str, str]]] = []

    async def gateway(request: web.Request) -> web.Response:
        posted.append((request.headers.get("Authorization", ""), await request.json()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/send", gateway)
    async with TestServer(app, host="127.0.0.1") as server:
        channel = channel_for("sms", str(server.make_url("/send")), "bi-mat")
        assert isinstance(channel, SmsCodes)
        await channel.send(await _delivery())
        await channel.drain()
    ((authorization, body),) = posted
    assert authorization == "Bearer bi-mat" and body["to"] == "+84912000444"
    assert "482913" in body["text"]
