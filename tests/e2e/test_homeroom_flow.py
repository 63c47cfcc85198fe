"""The homeroom teacher's part through the fake Telegram server and the real runtime: a guided
conduct entry (across a restart), an absence entry refused first with nothing written, a forged
button for a student of another class, «📋 Tiến độ của tôi» with the homeroom's own deadline,
and the reminder round naming what is missing.

The small school of tests/deadlines in a year still to come (no calendar lock has fallen):
Ngô Chủ Nhiệm (GV03) is 6A's homeroom teacher; Phạm Thị Chi has neither conduct nor days
absent for term I.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core import clock
from core.models import Absence, AuditEvent, Conduct, School, SchoolClass, Staff, Student, Term
from core.rules.secondary import Level
from core.services.calendar import load_calendar
from core.services.reminders import QuietHours
from core.services.rounds import run_round
from core.services.schools import current_year
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import BotMessage, FakeUser

WAIT = 10
CHI = "Phạm Thị Chi"
PHONE = "+84912000003"
QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))


async def seed() -> None:
    small = await seed_small()
    await Staff.filter(school=small.school, code="GV03").update(phone=PHONE)


async def homeroom_teacher(server: FakeTelegramServer, user_id: int) -> FakeUser:
    user = server.user(user_id, "GV03", phone=PHONE)
    await user.share_contact()
    await user.wait_for_message(timeout=WAIT)
    return user


async def step(user: FakeUser, button: str, expect: str) -> BotMessage:
    await user.press(button)
    message = await user.wait_for_message(timeout=WAIT)
    assert expect in message.text, message.text
    return message


async def say(user: FakeUser, text: str, expect: str) -> BotMessage:
    await user.send_text(text)
    message = await user.wait_for_message(timeout=WAIT)
    assert expect in message.text, message.text
    return message


async def chi(term_number: int = 1) -> tuple[Student, Term]:
    student = await Student.get(full_name=CHI)
    klass = await SchoolClass.get(name="6A")
    return student, await Term.get(year_id=klass.year_id, number=term_number)


async def test_a_guided_conduct_entry_across_a_restart(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    config = bot_config(telegram_server, tmp_path)
    async with running_bot(config, seed):
        teacher = await homeroom_teacher(telegram_server, 7301)
        await teacher.press_reply("📝 Nhập cho lớp chủ nhiệm")
        terms = await teacher.wait_for_message(timeout=WAIT)
        assert "Lớp 6A. Chọn học kỳ" in terms.text
        assert terms.inline_buttons == ["Học kỳ I", "Học kỳ II", "✖️ Hủy"]
        kinds = await step(teacher, "Học kỳ I", "Lớp 6A, HK I. Nhập gì?")
        assert kinds.inline_buttons == ["Rèn luyện", "Số ngày nghỉ", "✖️ Hủy"]
        students = await step(teacher, "Rèn luyện", "Chọn học sinh")
        assert students.inline_buttons[:3] == [
            "1. Nguyễn Văn An · Tốt",
            "2. Trần Thị Bình · Tốt",
            f"3. {CHI} · —",
        ]
    async with running_bot(config):  # a new process, the same database: the flow goes on
        asked = await step(teacher, f"3. {CHI} · —", "rèn luyện: hiện tại (trống)")
        assert asked.inline_buttons == ["Tốt", "Khá", "Đạt", "Chưa đạt", "✖️ Hủy"]
        check = await step(teacher, "Khá", "Kiểm tra lại")
        assert "(trống) → Khá" in check.text
        assert not await Conduct.exists(student__full_name=CHI)
        await step(teacher, "✅ Lưu", f"Đã lưu rèn luyện của {CHI}: Khá")
        student, term = await chi()
        stored = await Conduct.get(student=student, term=term)
        gv03 = await Staff.get(code="GV03")
        assert stored.level is Level.FAIR and stored.updated_by_id == gv03.id
        actions = await AuditEvent.filter(actor=f"staff:{gv03.id}").values_list("action", flat=True)
        # the seed's conduct came from GV03 too (teachers enter their own, 001 Điều 17.2)
        assert [a for a in actions if a.startswith(("homeroom", "conduct"))][-2:] == [
            "homeroom.read",
            "conduct.create",
        ]
        again = await step(teacher, "➕ Học sinh khác, rèn luyện", "Chọn học sinh")
        assert f"3. {CHI} · Khá" in again.inline_buttons


async def test_a_bad_absence_value_is_asked_again_and_writes_nothing(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        teacher = await homeroom_teacher(telegram_server, 7302)
        await teacher.send_command("/chunhiem")
        await teacher.wait_for_message(timeout=WAIT)
        await step(teacher, "Học kỳ I", "Nhập gì?")
        await step(teacher, "Số ngày nghỉ", "Chọn học sinh")
        dung = await Student.get(full_name="Lê Văn Dũng")  # of 6B, not on this list
        await teacher.press_forged(f"hr:s:{dung.id}")
        refused = await teacher.wait_for_message(timeout=WAIT)
        assert "không có trong danh sách lớp 6A" in refused.text
        asked = await say(teacher, "chi", "số ngày nghỉ: hiện tại (trống)")
        assert "ví dụ «2, 1»" in asked.text and "Học kỳ này có" in asked.text
        refused = await say(teacher, "-1, 2", "Số ngày nghỉ có phép «-1» không hợp lệ")
        assert "số ngày không thể âm" in refused.text and "Gõ hai số" in refused.text
        refused = await say(teacher, "1,5 0", "phải là số nguyên")
        refused = await say(teacher, "200, 0", "nhiều hơn số ngày học của học kỳ")
        student, term = await chi()
        assert not await Absence.exists(student=student, term=term)
        check = await say(teacher, "2, 1", "Kiểm tra lại")
        assert "2 có phép, 1 không phép" in check.text
        await step(teacher, "✅ Lưu", f"Đã lưu số ngày nghỉ của {CHI}: 2 có phép, 1 không phép")
        stored = await Absence.get(student=student, term=term)
        assert (stored.excused, stored.unexcused) == (2, 1)


async def test_my_progress_and_the_reminder_name_what_is_missing(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed, schedule_jobs=False):
        teacher = await homeroom_teacher(telegram_server, 7303)
        school = await School.get(code="THCS-NHO")
        calendar = await load_calendar(await current_year(school.id))
        due = calendar.homeroom_deadline(1)
        await teacher.press_reply("📋 Tiến độ của tôi")
        mine = await teacher.wait_for_message(timeout=WAIT)
        assert "6A — Chủ nhiệm, HK I: Rèn luyện (1 HS), Số ngày nghỉ (1 HS)" in mine.text
        assert "Phần chủ nhiệm lớp 6A, HK I: hạn 17:00" in mine.text and "/chunhiem" in mine.text

        reminded_at = due - dt.timedelta(days=3)  # the three days' reminder
        clock.set_time(reminded_at.astimezone(dt.UTC))
        try:
            result = await run_round(
                school, since=reminded_at - dt.timedelta(minutes=5), now=reminded_at, quiet=QUIET
            )
            gv03 = await Staff.get(code="GV03")
            assert gv03.id in result.reminded
            reminder = await teacher.wait_for_message(lambda m: "Nhắc hạn" in m.text, timeout=WAIT)
            assert "Hạn giáo viên chủ nhiệm nhập xong học kỳ I" in reminder.text
            text = "• 6A — Chủ nhiệm, HK I: Rèn luyện (1 HS), Số ngày nghỉ (1 HS)"
            assert text in reminder.text
            await teacher.press("🔎 Chi tiết")
            details = await teacher.wait_for_message(timeout=WAIT)
            assert "Rèn luyện (hạn " in details.text and CHI in details.text
            await teacher.press("✅ Đã nhập xong")
            done = await teacher.wait_for_message(timeout=WAIT)
            assert "vẫn còn thiếu" in done.text and "Số ngày nghỉ (1 HS)" in done.text
        finally:
            clock.set_time(None)
