"""Cell history and the principal's delegation, from the phone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core import clock
from core.models import Delegation, Role, School, SchoolYear, Staff
from core.services import roster
from core.services.access import Actor
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.test_reminders_flow import MONDAY, PEOPLE, seed
from tests.telegram_fake import FakeTelegramServer


async def seed_with_vice_principal() -> None:
    await seed()
    school = await School.get(code="THCS-E2E")
    year = await SchoolYear.get(school=school)
    await roster.write_staff(
        Actor.command_line(school.id),
        year,
        [
            roster.StaffEntry(
                "GV003", "Đỗ Văn Phó", frozenset({Role.VICE_PRINCIPAL}), phone="+84933333333"
            )
        ],
        decided_by=await Staff.get(school=school, code="GV001"),  # the principal's decision
    )


async def test_history_and_delegation(telegram_server: FakeTelegramServer, tmp_path: Path) -> None:
    clock.set_time(MONDAY.astimezone(dt.UTC))
    try:
        config = bot_config(telegram_server, tmp_path)
        async with running_bot(config, seed_with_vice_principal, schedule_jobs=False):
            users = {}
            for user_id, (code, _n, _r, phone) in enumerate(PEOPLE, start=7101):
                users[code] = telegram_server.user(user_id, code, phone=phone)
                await users[code].share_contact()
                await users[code].wait_for_message()
            principal, teacher = users["GV001"], users["GV010"]

            await principal.send_command("/lichsu", args="037214000001 Toán TX1")
            history = (await principal.wait_for_message(timeout=10)).text
            assert "Lịch sử điểm của Nguyễn Văn An" in history and "ĐĐGtx 1" in history
            assert "Toán, học kỳ I, ĐĐGtx 1: (trống) → 8,0" in history

            await teacher.send_command("/lichsu", args="037214000001")
            assert "dành cho Ban giám hiệu" in (await teacher.wait_for_message(timeout=10)).text

            await teacher.send_command("/uyquyen", args="GV003")
            assert "Chỉ Hiệu trưởng" in (await teacher.wait_for_message(timeout=10)).text
            await principal.send_command("/uyquyen", args="GV010")
            assert "không phải Phó hiệu trưởng" in (await principal.wait_for_message()).text
            await principal.send_command("/uyquyen", args="GV003")
            assert "Đã ủy quyền cho Đỗ Văn Phó" in (await principal.wait_for_message()).text
            assert await Delegation.filter(revoked_at__isnull=True).count() == 1
            await principal.send_command("/thoiuyquyen", args="GV003")
            assert "Đã thôi ủy quyền" in (await principal.wait_for_message()).text
            assert await Delegation.filter(revoked_at__isnull=True).count() == 0
    finally:
        clock.set_time(None)
