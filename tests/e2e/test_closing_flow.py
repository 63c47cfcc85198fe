"""Closing a class's year from the phone, through the fake Telegram server.

The principal picks a class in /chotnam and sees its end-of-year lists (promoted, re-examined,
trained in the summer, repeating, titles) or what is missing, by student, in pages; only a
complete class gets «✅ Chốt năm học» / «✖️ Hủy». A cancel, a forged button or a stale
confirmation close nothing; a confirmation closes the year, creates the documents and tells the
signers and the homeroom teacher, who sees the same lists with /danhsach. Nobody else may close.

The small school of tests/signing/year_end.py (one student per outcome); the demo school for a
class of 40 students whose missing data runs over several pages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core import clock
from core.db import database
from core.models import ClassClosure, IssuedRecord, Role, School, Staff, SubjectSheetDoc
from core.services import gradebook
from core.services.access import Actor
from core.services.schools import find_class, latest_year
from demo.school import COMPLETE_CLASS, SECONDARY, create_demo
from demo.signing import demo_pki, issuing_moment
from tests.conftest import DURING_2025_2026
from tests.e2e.bot_harness import bot_config, running_bot, signed_in
from tests.signing.year_end import build_secondary
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import BotMessage

WAIT = 15
CONFIRM, CANCEL = "✅ Chốt năm học", "✖️ Hủy"


async def _staff(code: str) -> Staff:
    return await Staff.get(code=code)


def _buttons(message: BotMessage) -> list[str]:
    return message.inline_buttons


async def test_the_principal_reviews_and_closes_the_year(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    async def seed() -> None:
        await build_secondary()

    # no scheduled rounds: the year has ended, and the lock job would lock it under the test's
    # own correction (the outbox delivery runs all the same)
    async with running_bot(bot_config(telegram_server, tmp_path), seed, schedule_jobs=False):
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
        )
        teacher = await signed_in(telegram_server, await _staff("GV01"), 8301, WAIT)
        homeroom = await signed_in(telegram_server, await _staff("GV02"), 8302, WAIT)
        principal = await signed_in(telegram_server, await _staff("HT01"), 8303, WAIT)
        admin = await signed_in(telegram_server, await _staff("QT01"), 8304, WAIT)

        # a subject teacher and an admin in the bot may not close; the teacher sees no lists
        for someone in (teacher, admin):
            await someone.send_command("chotnam")
            refused = await someone.wait_for_message(timeout=WAIT)
            assert "Chỉ Hiệu trưởng, hoặc Phó hiệu trưởng được Hiệu trưởng ủy quyền" in (
                refused.text
            )
        await teacher.send_command("danhsach")
        assert "không chủ nhiệm lớp nào" in (await teacher.wait_for_message(timeout=WAIT)).text

        # the homeroom teacher sees the lists of their class, without the buttons to close it
        await homeroom.send_command("danhsach")
        lists = await homeroom.wait_for_message(timeout=WAIT)
        assert "Lớp 6A, năm học 2025-2026: danh sách cuối năm" in lists.text
        assert "Kiểm tra lại trong hè (1)" in lists.text
        assert "3. Phạm Thị Chi: học tập Chưa đạt" in lists.text and "Toán 3,0" in lists.text
        assert "Ở lại lớp (1)\n5. Vũ Thị Em: nghỉ 50 buổi (quá 45 buổi)" in lists.text
        assert "Danh hiệu Học sinh Xuất sắc (1)\n1. Nguyễn Thị An" in lists.text
        assert "Hiệu trưởng (hoặc Phó hiệu trưởng được ủy quyền) chốt" in lists.text
        assert not _buttons(lists)

        await principal.send_command("chotnam")
        listing = await principal.wait_for_message(timeout=WAIT)
        assert "Chốt năm học" in listing.text and _buttons(listing) == ["6A", "6B"]

        # 6B misses data: what, by student; no button to close it, nothing closed
        await principal.press("6B", listing.message_id)
        missing = await principal.wait_for_message(lambda m: "Lớp 6B" in m.text, timeout=WAIT)
        assert "Còn thiếu dữ liệu (1 học sinh" in missing.text
        assert "1. Bùi Thị Hải: Toán HKII: CK; Số ngày nghỉ HKII" in missing.text
        assert "Chưa chốt được" in missing.text and not _buttons(missing)

        # 6A: the lists and the two buttons; «Hủy» closes nothing
        await principal.press("6A", listing.message_id)
        review = await principal.wait_for_message(lambda m: "Lớp 6A" in m.text, timeout=WAIT)
        assert "Kiểm tra lại trong hè (1)" in review.text and _buttons(review) == [CONFIRM, CANCEL]
        cancelled = review.callback_data[0]
        await principal.press(CANCEL, review.message_id)
        assert "Đã hủy" in (await principal.wait_for_message(timeout=WAIT)).text
        assert not await ClassClosure.exists()

        # a forged confirmation, and the cancelled one pressed again, find nothing
        await principal.send_command("chotnam", "6A")
        review = await principal.wait_for_message(lambda m: "Lớp 6A" in m.text, timeout=WAIT)
        for data in ("cls:ok:0badc0de", cancelled):
            pressed = await principal.press_forged(data, review.message_id)
            assert "không còn hiệu lực" in (await pressed.wait_answer())["text"]
        assert not await ClassClosure.exists()

        # the data changes after the lists were shown (Chi's Toán corrected to 5): the
        # confirmation closes nothing and shows the new lists to confirm
        six_a = await find_class(await latest_year(await School.get(code="THCS-CUOI")), "6A")
        toan = next(
            s for s in await (await School.get(code="THCS-CUOI")).subjects.all() if s.code == "TOAN"
        )
        chi = next(
            s.id for _e, s in await gradebook.class_students(six_a) if s.full_name == "Phạm Thị Chi"
        )
        year = await six_a.year
        with clock.staged(DURING_2025_2026):  # term I is locked by now: as if while it was open
            await gradebook.write_marks(
                Actor.command_line(year.school_id),
                [
                    gradebook.MarkEntry(chi, six_a, toan, term, kind, index, Decimal(5))
                    for term in await year.terms.all()
                    for kind, index in gradebook.mark_columns(toan, 6)
                ],
            )
        await principal.press(CONFIRM, review.message_id)
        again = await principal.wait_for_message(lambda m: "Lớp 6A" in m.text, timeout=WAIT)
        assert "đã thay đổi" in again.text and "Kiểm tra lại trong hè (0)" in again.text
        assert _buttons(again) == [CONFIRM, CANCEL]
        assert not await ClassClosure.exists()

        used = again.callback_data[0]
        await principal.press(CONFIRM, again.message_id)
        done = await principal.wait_for_message(lambda m: "🔒" in m.text, timeout=30)
        assert "Đã chốt năm học lớp 6A và lập" in done.text and "Hoàng Văn Toán" in done.text
        assert "Đã báo việc chốt năm học: Ngô Chủ Nhiệm." in done.text
        assert await ClassClosure.exists(school_class=six_a)
        assert await IssuedRecord.filter(school_class=six_a).count() == 6

        told = await homeroom.wait_for_message(lambda m: "đã được chốt" in m.text, timeout=WAIT)
        assert (
            "Lớp 6A đã được chốt năm học 2025-2026 theo quyết định của Hiệu trưởng Đỗ Văn Hiệu"
            in (told.text)
        )
        assert "Rèn luyện trong hè: 4. Lê Thị Dũng" in told.text and "/danhsach 6A" in told.text
        signer = await teacher.wait_for_message(lambda m: "chờ thầy/cô ký" in m.text, timeout=WAIT)
        assert "Lớp 6A" in signer.text

        # the used confirmation, pressed again, closes nothing twice
        pressed = await principal.press_forged(used)
        assert "không còn hiệu lực" in (await pressed.wait_answer())["text"]
        assert await ClassClosure.filter(school_class=six_a).count() == 1


@pytest.fixture
async def demo_bot(telegram_server: FakeTelegramServer, tmp_path: Path):
    """The demo school with its people's certificates registered (a record names its signers'),
    nothing closed yet, served by the real bot at the demo's issuing moment (term II's entry
    over, before the final lock)."""
    config = bot_config(telegram_server, tmp_path, HOCBA_SIGNING_PKCS12_DIR=str(tmp_path / "keys"))
    async with database(config.database.url, from_models=True):
        await create_demo("2025-2026")
        school = await School.get(code=SECONDARY.code)
        clock.set_time(await issuing_moment(await latest_year(school)))
        await demo_pki(config.signing.pkcs12_dir, config.signing.pkcs12_password)
    async with running_bot(config) as config:
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
        )
        yield config


async def test_a_class_of_forty_in_pages(telegram_server, demo_bot) -> None:
    school = await School.get(code=SECONDARY.code)
    year = await latest_year(school)
    complete = await find_class(year, COMPLETE_CLASS)
    assert await SubjectSheetDoc.filter(school_class=complete).first() is None

    stranger = telegram_server.user(8199, "Người lạ")
    await stranger.send_command("chotnam")
    assert "cần đăng nhập" in (await stranger.wait_for_message()).text

    teacher_staff = await Staff.filter(
        assignments__school_class=complete, roles__role=Role.SUBJECT_TEACHER
    ).first()
    teacher = await signed_in(telegram_server, teacher_staff, 8101, WAIT)
    principal = await signed_in(
        telegram_server, await Staff.get(school=school, roles__role=Role.PRINCIPAL), 8102, WAIT
    )
    await principal.send_command("chotnam")
    listing = await principal.wait_for_message()
    assert "Chốt năm học" in listing.text and {"6A", "6B"} <= set(listing.inline_buttons)

    # 6B misses data for all 40: by student, in pages within Telegram's limits, no close
    await principal.press("6B", listing.message_id)
    first = await principal.wait_for_message(lambda m: "6B" in m.text, timeout=WAIT)
    assert "Còn thiếu dữ liệu (40 học sinh" in first.text and "1. " in first.text
    assert len(first.text) <= 4096 and first.inline_buttons[0].startswith("Xem tiếp")
    page = first
    while page.inline_buttons and page.inline_buttons[0].startswith("Xem tiếp"):
        await principal.press(page.inline_buttons[0], page.message_id)
        page = await principal.wait_for_message(timeout=WAIT)
        assert len(page.text) <= 4096
    assert "Chưa chốt được" in page.text and CONFIRM not in page.inline_buttons
    assert not await ClassClosure.filter(school_class__year=year).exists()

    # 6A is complete: its lists, then the confirmation on the last page
    await principal.press("6A", listing.message_id)
    page = await principal.wait_for_message(lambda m: "6A" in m.text, timeout=WAIT)
    while page.inline_buttons and page.inline_buttons[0].startswith("Xem tiếp"):
        await principal.press(page.inline_buttons[0], page.message_id)
        page = await principal.wait_for_message(timeout=WAIT)
    assert page.inline_buttons == [CONFIRM, CANCEL]
    await principal.press(CONFIRM, page.message_id)
    done = await principal.wait_for_message(lambda m: "🔒" in m.text, timeout=30)
    assert "Đã chốt năm học lớp 6A" in done.text and teacher_staff.full_name in done.text
    assert await IssuedRecord.filter(school_class=complete).count() == 40
    told = await teacher.wait_for_message(lambda m: "chờ thầy/cô ký" in m.text, timeout=15)
    assert "Lớp 6A" in told.text and told.callback_data[0].startswith(f"sgn:{complete.id}:")
