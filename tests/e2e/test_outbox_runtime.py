"""Notifications through the running bot: nothing lost, nothing twice, across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.models import Notification, Staff
from core.services import outbox
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.test_signin_flow import seed_school
from tests.telegram_fake import FakeTelegramServer


async def test_delivered_once_after_faults_and_a_restart(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    config = bot_config(telegram_server, tmp_path)
    teacher = telegram_server.user(6001, "Hoa", phone="+84912345678")
    async with running_bot(config, seed_school):
        await teacher.share_contact()
        await teacher.wait_for_message()
        telegram_server.fail_next("sendMessage", status=500)
        telegram_server.fail_next("sendMessage", status=429, retry_after=1)
        await outbox.notify_staff(
            await Staff.get(code="GV010"),
            "test",
            "Nhắc: lớp 6A còn thiếu điểm.",
            dedupe_key="e2e:reminder:1",
        )
        await telegram_server.wait_until(
            lambda: len(telegram_server.calls_to("sendMessage")) >= 3,
            timeout=30,
            what="a 500, then a 429",
        )
    # stopped between a refused attempt and the retry; a new process takes over
    async with running_bot(config):
        message = await teacher.wait_for_message(timeout=30)
        assert message.text == "Nhắc: lớp 6A còn thiếu điểm."
        for _ in range(100):  # the job records "sent" right after Telegram's answer
            notification = await Notification.get(dedupe_key="e2e:reminder:1")
            if notification.state == "sent":
                break
            await asyncio.sleep(0.05)
        assert notification.state == "sent" and notification.attempts == 3
    statuses = [
        c.status
        for c in telegram_server.calls_to("sendMessage")
        if c.params.get("text") == "Nhắc: lớp 6A còn thiếu điểm."
    ]
    assert statuses.count(200) == 1 and 500 in statuses and 429 in statuses
