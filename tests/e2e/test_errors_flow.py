"""Errors through the running bot and the fake Telegram server: an unexpected error reaches the
person (an apology with a reference) and the admins of their school (the reference, the time,
who and what), once per storm; a reply Telegram refuses is reported the same way; a school
without any year answers in plain words instead of failing.

The failures are real: test-only commands registered on the bot's own application before its
flows, one that raises and one whose reply Telegram refuses (markup it cannot parse).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import Application, CommandHandler

import bot.app
from core.models import Notification, Role, Staff, StaffRole
from core.rules.catalog import SchoolLevel
from core.services.schools import create_school
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import PHONES, seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

WAIT = 10
REFERENCE = re.compile(r"mã lỗi ([0-9a-f]{6})")


async def _broken(_update: Update, _context: object) -> None:
    raise RuntimeError("a bug")


async def _refused_markup(update: Update, _context: object) -> None:
    await update.effective_message.reply_text("<b>không đóng thẻ")


@pytest.fixture
def failing_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """/hong raises; /thehtml sends markup Telegram refuses (BadRequest)."""
    register_all = bot.app.register_all

    def register(application: Application) -> None:
        application.add_handler(CommandHandler("hong", _broken))
        application.add_handler(CommandHandler("thehtml", _refused_markup))
        register_all(application)

    monkeypatch.setattr(bot.app, "register_all", register)


async def seed() -> None:
    await seed_small()


async def apology(user: FakeUser, command: str) -> str:
    """Send the command; the reference of the apology it gets."""
    await user.send_command(command)
    message = await user.wait_for_message(timeout=WAIT)
    assert "Xin lỗi, Trợ lý gặp lỗi" in message.text, message.text
    found = REFERENCE.search(message.text)
    assert found, message.text
    return found.group(1)


async def test_an_unexpected_error_reaches_the_admins_once_per_storm(
    telegram_server: FakeTelegramServer, tmp_path: Path, failing_commands: None
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        admin = await signed_in(telegram_server, "QT01", 7301)
        teacher = await signed_in(telegram_server, "GV02", 7302)
        first = await apology(teacher, "/hong")
        alert = await admin.wait_for_message(lambda m: "Trợ lý gặp lỗi" in m.text, timeout=WAIT)
        assert f"mã lỗi {first}" in alert.text
        assert "Người dùng: Bùi Thị Văn (GV02)" in alert.text
        assert "Thao tác: /hong" in alert.text and "RuntimeError" in alert.text
        assert re.search(r"lúc \d{2}:\d{2}", alert.text)

        # the same bug again and again: each person gets their own reference, the admins
        # are not told again within the hour
        second = await apology(teacher, "/hong")
        third = await apology(teacher, "/hong")
        assert len({first, second, third}) == 3
        assert await Notification.filter(kind="incident").count() == 1


async def test_a_reply_telegram_refuses_is_reported_the_same_way(
    telegram_server: FakeTelegramServer, tmp_path: Path, failing_commands: None
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        admin = await signed_in(telegram_server, "QT01", 7303)
        teacher = await signed_in(telegram_server, "GV02", 7304)
        reference = await apology(teacher, "/thehtml")
        alert = await admin.wait_for_message(lambda m: "Trợ lý gặp lỗi" in m.text, timeout=WAIT)
        assert f"mã lỗi {reference}" in alert.text and "BadRequest" in alert.text
        assert "Thao tác: /thehtml" in alert.text


async def seed_without_year() -> None:
    """A school whose admin has not created any school year yet."""
    school = await create_school("THCS-MOI", "Trường THCS Mới", SchoolLevel.LOWER_SECONDARY)
    for code, name, role in (
        ("QT01", "Vũ Quản Trị", Role.ADMIN),
        ("GV02", "Bùi Thị Văn", Role.SUBJECT_TEACHER),
    ):
        staff = await Staff.create(school=school, code=code, full_name=name, phone=PHONES[code])
        await StaffRole.create(staff=staff, role=role)


async def test_a_school_without_a_year_answers_plainly(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    no_year = "Trường chưa có năm học nào: quản trị hãy tạo năm học"
    async with running_bot(bot_config(telegram_server, tmp_path), seed_without_year):
        admin = await signed_in(telegram_server, "QT01", 7305)
        teacher = await signed_in(telegram_server, "GV02", 7306)
        await admin.press_reply("🔒 Khóa sổ")
        assert no_year in (await admin.wait_for_message(timeout=WAIT)).text
        await admin.send_command("/khoaso", args="HK1")
        assert no_year in (await admin.wait_for_message(timeout=WAIT)).text
        await admin.send_command("/lich")
        assert no_year in (await admin.wait_for_message(timeout=WAIT)).text
        await teacher.send_command("/nhapdiem")
        assert no_year in (await teacher.wait_for_message(timeout=WAIT)).text
        await teacher.press_reply("📋 Tiến độ của tôi")
        assert no_year in (await teacher.wait_for_message(timeout=WAIT)).text
        await teacher.send_document(b"PK\x03\x04", "bang-diem.xlsx", "application/vnd.ms-excel")
        assert no_year in (await teacher.wait_for_message(timeout=WAIT)).text
        assert not await Notification.filter(kind="incident").exists()
