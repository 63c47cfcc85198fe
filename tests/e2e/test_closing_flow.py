"""Signing starts where the signers are, through the fake Telegram server: the principal closes a
class's year from the phone (/chotnam); an incomplete class is refused with what is missing, by
student, in pages; a complete one gets its documents, and a subject teacher who signed in earlier
is told, with the button that starts their batch. Nobody else may close a class."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import database
from core.models import IssuedRecord, Role, School, Staff, SubjectSheetDoc
from core.services.schools import find_class, latest_year
from demo.school import COMPLETE_CLASS, SECONDARY, create_demo
from tests.e2e.bot_harness import bot_config, running_bot
from tests.telegram_fake import FakeTelegramServer


@pytest.fixture
async def demo_bot(telegram_server: FakeTelegramServer, tmp_path: Path):
    """The demo school, nothing prepared yet, served by the real bot."""
    config = bot_config(telegram_server, tmp_path)
    async with database(config.database.url, from_models=True):
        await create_demo("2025-2026")
    async with running_bot(config) as config:
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
        )
        yield config


async def _signed_in(server: FakeTelegramServer, staff: Staff, user_id: int):
    user = server.user(user_id, staff.full_name, phone=staff.phone)
    await user.share_contact()
    await user.wait_for_message()
    return user


async def test_the_principal_closes_a_class_from_the_phone(telegram_server, demo_bot) -> None:
    school = await School.get(code=SECONDARY.code)
    year = await latest_year(school)
    complete = await find_class(year, COMPLETE_CLASS)
    sheet = await SubjectSheetDoc.filter(school_class=complete).first()
    assert sheet is None  # nothing prepared: the documents come from the principal's step

    # a subject teacher of 6A signs in first; a teacher may not close a class
    teacher_staff = await Staff.filter(
        assignments__school_class=complete, roles__role=Role.SUBJECT_TEACHER
    ).first()
    teacher = await _signed_in(telegram_server, teacher_staff, 8101)
    await teacher.send_command("chotnam")
    assert "Chỉ hiệu trưởng" in (await teacher.wait_for_message()).text

    stranger = telegram_server.user(8199, "Người lạ")
    await stranger.send_command("chotnam")
    assert "cần đăng nhập" in (await stranger.wait_for_message()).text

    principal = await _signed_in(
        telegram_server, await Staff.get(school=school, roles__role=Role.PRINCIPAL), 8102
    )
    await principal.send_command("chotnam")
    listing = await principal.wait_for_message()
    assert "Chốt năm học" in listing.text and {"6A", "6B"} <= set(listing.inline_buttons)

    # 6B is incomplete: what is missing, student by student, within Telegram's limits
    await principal.press("6B", listing.message_id)
    refused = await principal.wait_for_message(lambda m: "6B" in m.text)
    assert "chưa chốt được" in refused.text and "• 1. " in refused.text
    assert len(refused.text) <= 4096
    assert not await IssuedRecord.filter(school_class__name="6B", school_class__year=year).exists()

    await principal.press("6A", listing.message_id)
    done = await principal.wait_for_message(lambda m: "🔒" in m.text, timeout=30)
    assert "Đã chốt năm học lớp 6A" in done.text and teacher_staff.full_name in done.text
    assert await IssuedRecord.filter(school_class=complete).count() == 40

    told = await teacher.wait_for_message(lambda m: "chờ thầy/cô ký" in m.text, timeout=15)
    assert "Lớp 6A" in told.text and "bảng điểm môn" in told.text
    assert told.callback_data[0].startswith(f"sgn:{complete.id}:")

    # pressing it again changes nothing, and says so
    await principal.press("6A", listing.message_id)
    again = await principal.wait_for_message(lambda m: "từ trước" in m.text)
    assert "không có gì thay đổi" in again.text
    assert await IssuedRecord.filter(school_class=complete).count() == 40
