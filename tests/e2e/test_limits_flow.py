"""Telegram's limits through the running bot and the fake Telegram server, which refuses what
Telegram refuses (4,096 / 1,024 / 200 code units, 64-byte callback data):

- a reminder's «🔎 Chi tiết» for a teacher of six classes (over 10,000 characters) arrives in
  pages with «Xem tiếp», the last page without it;
- a text too long for its step (a student's name, a mark, a correction reason) is refused at
  that step with the limit, and the step is asked again;
- a reply Telegram refuses is told to the person in Vietnamese and reported to the admins with
  Telegram's reason; an error of background work is reported too;
- what does not go through pages (a handler's plain reply, an outbox notification) is still cut
  to the limit by the bot (bot/fitting.py), the keyboard on the last part.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

import bot.app
from core import clock
from core.models import Notification, Role, School, Staff, Subject
from core.models.outbox import DeliveryState
from core.rules.catalog import SchoolLevel
from core.services import roster
from core.services.access import Actor
from core.services.outbox import notify_staff
from core.services.reminders import QuietHours
from core.services.rounds import run_round
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from handlers.replies import pages
from tests.corrections.conftest import PNG
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import BotMessage, FakeUser

WAIT = 15
VN = dt.timezone(dt.timedelta(hours=7))
MONDAY = dt.datetime(2026, 1, 12, 17, 30, tzinfo=VN)  # 3 days before term I entry (15/01 17:00)
QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))
CLASSES = ("6A", "6B", "6C", "6D", "6E", "6F")
FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
GIVEN = ("Minh Khang", "Ngọc Hân", "Gia Bảo", "Khánh Linh", "Đức Anh", "Phương Thảo")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def seed_six_classes() -> None:
    """One maths teacher of six classes of twenty students, nothing entered yet."""
    school = await create_school("THCS-SAU", "Trường THCS Sáu Lớp", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, "2025-2026")
    admin = Actor.command_line(school.id)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                f"0372140{c * 100 + n:05d}",
                f"{FAMILIES[n % 10]} {GIVEN[(n + c) % 6]}",
                dt.date(2014, 1, 2),
                Gender.MALE,
                klass,
                6,
                n + 1,
            )
            for c, klass in enumerate(CLASSES)
            for n in range(20)
        ],
    )
    await roster.write_staff(
        admin,
        year,
        [
            roster.StaffEntry(
                "GV010", "Lê Thị Hoa", frozenset({Role.SUBJECT_TEACHER}), phone="+84912345678"
            )
        ],
    )
    maths = await Subject.get(school=school, code="TOAN")
    await roster.write_assignments(
        admin, year, [roster.AssignmentEntry("GV010", klass, maths.id) for klass in CLASSES]
    )


@pytest.fixture
async def six_classes(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> AsyncIterator[FakeUser]:
    clock.set_time(MONDAY.astimezone(dt.UTC))
    try:
        async with running_bot(bot_config(telegram_server, tmp_path), seed_six_classes):
            teacher = telegram_server.user(7401, "Hoa", phone="+84912345678")
            await teacher.share_contact()
            await teacher.wait_for_message(timeout=WAIT)
            yield teacher
    finally:
        clock.set_time(None)


async def read_pages(user: FakeUser, first: BotMessage) -> list[BotMessage]:
    """Press «Xem tiếp» until the last page; every page as it arrived."""
    shown = [first]
    while shown[-1].inline_buttons and shown[-1].inline_buttons[0].startswith("Xem tiếp"):
        await user.press(shown[-1].inline_buttons[0], shown[-1].message_id)
        shown.append(await user.wait_for_message(timeout=WAIT))
    return shown


async def test_a_ten_thousand_character_detail_view_arrives_in_pages(
    telegram_server: FakeTelegramServer, six_classes: FakeUser
) -> None:
    teacher = six_classes
    now = clock.now()
    school = await School.get(code="THCS-SAU")
    await run_round(school, since=now - dt.timedelta(hours=1), now=now, quiet=QUIET)
    reminder = await teacher.wait_for_message(lambda m: "🔎 Chi tiết" in m.inline_buttons, WAIT)
    await teacher.press("🔎 Chi tiết", reminder.message_id)
    first = await teacher.wait_for_message(timeout=WAIT)
    total = int(re.fullmatch(r"Xem tiếp \(2/(\d+)\)", first.inline_buttons[0]).group(1))
    shown = await read_pages(teacher, first)
    assert len(shown) == total >= 3
    assert all(_utf16(page.text) <= 4096 for page in shown)
    whole = "\n".join(page.text for page in shown)
    assert len(whole) > 10_000
    for klass in CLASSES:
        assert f"{klass} — Toán, HK I" in whole
    assert "và 5 em khác" in whole
    assert not shown[-1].inline_buttons  # the detail view has no keyboard of its own
    # an old page's «Xem tiếp», pressed again once the rest was read: told, not silent
    again = await teacher.press(first.inline_buttons[0], first.message_id)
    assert "không còn" in (await again.wait_answer())["text"]


# ---------------------------------------------------------------------------------------------
# Texts too long for their step, on the small school


@pytest.fixture
async def small_bot(telegram_server: FakeTelegramServer, tmp_path: Path) -> AsyncIterator[None]:
    async with running_bot(bot_config(telegram_server, tmp_path), seed_small):
        yield


async def test_a_text_too_long_for_its_step_is_refused_there(
    telegram_server: FakeTelegramServer, small_bot: None
) -> None:
    teacher = await signed_in(telegram_server, "GV02", 7411)

    # one mark: the student's name, then the mark
    await teacher.send_command("/nhapdiem")
    await teacher.wait_for_message(timeout=WAIT)
    for button in ("6A — Ngữ văn", "Học kỳ I", "TX4"):
        await teacher.press(button)
        await teacher.wait_for_message(timeout=WAIT)
    await teacher.send_text("b" * 4000)
    refused = await teacher.wait_for_message(timeout=WAIT)
    assert "tối đa 50 ký tự" in refused.text
    await teacher.send_text("binh")  # the same step takes the name now
    assert "Trần Thị Bình" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.send_text("9" * 4000)
    refused = await teacher.wait_for_message(timeout=WAIT)
    assert "dài quá 20 ký tự" in refused.text and "9999" not in refused.text
    await teacher.send_text("8,5")
    assert "Kiểm tra lại" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.press("✖️ Hủy")
    await teacher.wait_for_message(timeout=WAIT)

    # a correction request: the reason of 4,096 characters is refused at its step, and «Xong»
    # answers with the summary once a reason of a sensible length is given
    await teacher.send_command("/suadiem")
    await teacher.wait_for_message(timeout=WAIT)
    await teacher.press("6A")
    await teacher.wait_for_message(timeout=WAIT)
    await teacher.send_text("b" * 4000)
    assert "tối đa 50 ký tự" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.send_text("binh")
    await teacher.wait_for_message(timeout=WAIT)
    for button in ("Trần Thị Bình", "Ngữ văn", "Học kỳ I", "TX1 (6,0)"):
        await teacher.press(button)
        await teacher.wait_for_message(timeout=WAIT)
    await teacher.send_text("7" * 4000)
    assert "dài quá 20 ký tự" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.send_text("7,5")
    await teacher.wait_for_message(timeout=WAIT)
    await teacher.press("➡️ Tiếp: lý do")
    await teacher.wait_for_message(timeout=WAIT)
    await teacher.send_text("Nhập nhầm. " * 409 + "Hết")  # 4,096 characters
    refused = await teacher.wait_for_message(timeout=WAIT)
    assert "Lý do dài quá 1000 ký tự" in refused.text
    await teacher.send_text("Nhập nhầm điểm bài kiểm tra 15 phút")
    assert "minh chứng" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.send_photo(PNG)
    assert "Đã nhận minh chứng 1/10" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.press("✔️ Xong")
    summary = await teacher.wait_for_message(timeout=WAIT)
    assert "Kiểm tra lại phiếu" in summary.text and "Lý do: Nhập nhầm điểm" in summary.text


# ---------------------------------------------------------------------------------------------
# Telegram's refusals, and what the bot itself keeps within the limits

LONG = "\n".join(f"Dòng {n}: " + " ".join(["chữ"] * 25) for n in range(120))  # ~12,000
PARTS = len(pages(LONG))


async def _refused_markup(update: Update, _context: object) -> None:
    await update.effective_message.reply_text("<b>không đóng thẻ")


async def _long_plain_reply(update: Update, _context: object) -> None:
    await update.effective_message.reply_text(LONG)


async def _long_caption(update: Update, _context: object) -> None:
    await update.effective_message.reply_document(b"bang diem", filename="a.txt", caption=LONG)


async def _long_alert_and_edit(update: Update, _context: object) -> None:
    await update.callback_query.answer("Quá dài. " * 40, show_alert=True)
    await update.callback_query.edit_message_text(LONG)


async def _failing_job(_context: object) -> None:
    raise RuntimeError("a background bug")


async def _start_failing_job(update: Update, context) -> None:
    context.job_queue.run_once(_failing_job, 0, name="viec-thu")
    await update.effective_message.reply_text("ok")


@pytest.fixture
def test_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """/thehtml sends markup Telegram refuses; /dai replies 12,000 characters without pages,
    /tep as a document's caption, the button «test-edit» as an alert and an edit; /nen starts
    a background job that fails."""
    register_all = bot.app.register_all

    def register(application: Application) -> None:
        application.add_handler(CommandHandler("thehtml", _refused_markup))
        application.add_handler(CommandHandler("dai", _long_plain_reply))
        application.add_handler(CommandHandler("nen", _start_failing_job))
        application.add_handler(CommandHandler("tep", _long_caption))
        application.add_handler(CallbackQueryHandler(_long_alert_and_edit, pattern="^test-edit$"))
        register_all(application)

    monkeypatch.setattr(bot.app, "register_all", register)


async def test_a_refusal_by_telegram_is_told_and_reported(
    telegram_server: FakeTelegramServer, tmp_path: Path, test_commands: None
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed_small):
        admin = await signed_in(telegram_server, "QT01", 7421)
        teacher = await signed_in(telegram_server, "GV02", 7422)
        await teacher.send_command("/thehtml")
        told = await teacher.wait_for_message(timeout=WAIT)
        assert "Telegram không nhận câu trả lời" in told.text
        reference = re.search(r"mã lỗi ([0-9a-f]{6})", told.text).group(1)
        alert = await admin.wait_for_message(lambda m: "Trợ lý gặp lỗi" in m.text, WAIT)
        assert f"mã lỗi {reference}" in alert.text and "BadRequest" in alert.text
        assert "Chi tiết: " in alert.text and "parse" in alert.text  # Telegram's own reason

        await admin.send_command("/nen")
        await admin.wait_for_message(timeout=WAIT)
        job = await admin.wait_for_message(lambda m: "việc nền «viec-thu»" in m.text, WAIT)
        assert "RuntimeError" in job.text and "Người dùng" not in job.text


async def test_what_skips_the_pages_is_still_cut_to_the_limit(
    telegram_server: FakeTelegramServer, tmp_path: Path, test_commands: None
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed_small):
        teacher = await signed_in(telegram_server, "GV02", 7431)
        await teacher.send_command("/dai")
        parts = await teacher.wait_for_messages(PARTS, timeout=WAIT)
        assert PARTS >= 3 and "\n".join(p.text for p in parts) == LONG
        assert all(_utf16(p.text) <= 4096 for p in parts)

        # a caption: its first part on the file, the rest follows
        await teacher.send_command("/tep")
        document = await teacher.wait_for_message(timeout=WAIT)
        assert document.document and _utf16(document.caption) <= 1024
        rest = await teacher.wait_for_messages(
            len(pages(LONG[len(document.caption) + 1 :])), timeout=WAIT
        )
        assert "\n".join([document.caption, *(m.text for m in rest)]) == LONG

        # an alert is cut with "…"; an edit shows the first page, the rest follows
        await teacher.send_command("/language")
        chooser = await teacher.wait_for_message(timeout=WAIT)
        pressed = await teacher.press_forged("test-edit", chooser.message_id)
        alert = (await pressed.wait_answer())["text"]
        assert len(alert) <= 200 and alert.endswith("…")
        edited = await teacher.wait_for_edit(chooser.message_id, timeout=WAIT)
        rest = await teacher.wait_for_messages(PARTS - 1, timeout=WAIT)
        assert "\n".join([edited.text, *(m.text for m in rest)]) == LONG

        # an outbox notification longer than a message, with a button: every part arrives,
        # the button on the last, and the notification counts as sent
        staff = await Staff.get(code="GV02")
        await notify_staff(
            staff,
            "test.long",
            LONG,
            dedupe_key="test:long",
            buttons=[[{"text": "🔎 Chi tiết", "callback_data": "rm:d"}]],
        )
        parts = await teacher.wait_for_messages(PARTS, timeout=WAIT)
        assert "\n".join(p.text for p in parts) == LONG
        assert [p.inline_buttons for p in parts] == [[]] * (PARTS - 1) + [["🔎 Chi tiết"]]
        for _ in range(50):  # marked sent right after Telegram's answer to the last part
            sent = await Notification.get(dedupe_key="test:long")
            if sent.state == DeliveryState.SENT:
                break
            await asyncio.sleep(0.1)
        assert sent.state == DeliveryState.SENT and sent.telegram_message_id == parts[-1].message_id
