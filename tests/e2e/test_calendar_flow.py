"""The deadline calendar in the bot (/lich): everyone of the school sees it, admins and the
principal change a value (audited), a lock date only the principal (000 Điều 3), a teacher is
refused, a bad date is explained.

Dates that cannot hurt (issue 10, point 2): `/lich lock.year 30/06/2026 17:00`, typed exactly
as the help showed it (a year gone by), once locked the whole year within a minute, and a typo
(`/lich lock.term1 01/01/2020`) locked term I for the whole school. Here the help shows the
year's own dates, a date outside the year or out of order is refused with the range allowed,
and a change that would lock something now is held with «Xác nhận» / «Hủy»: a cancel, a
forged button or a stale confirmation change nothing; only a fresh confirmation applies it.

The small school of tests/deadlines, in a year still to come (no lock has fallen, so every
date may still move); the second test moves the clock into that year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core import clock
from core.models import AuditEvent, DeadlineSetting, Lock
from core.services.calendar.changes import CONFIRM_WINDOW
from tests.deadlines.conftest import at, future_year
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import BotMessage, FakeUser

WAIT = 10
YEAR = future_year()
END = int(YEAR[5:])  # the calendar year of the school year's second half


async def seed() -> None:
    await seed_small()


async def command(user: FakeUser, args: str | None = None) -> str:
    return (await said(user, args)).text


async def said(user: FakeUser, args: str | None = None) -> BotMessage:
    await user.send_command("/lich", args=args)
    return await user.wait_for_message(timeout=WAIT)


async def test_show_set_refuse_and_explain(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        admin, principal, teacher = [
            await signed_in(telegram_server, code, user_id)
            for user_id, code in enumerate(("QT01", "HT01", "GV02"), start=7201)
        ]

        shown = await command(admin)
        assert f"Lịch hạn năm học {YEAR}" in shown
        year_lock = next(line for line in shown.splitlines() if "lock.year" in line)
        assert year_lock.startswith("• Khóa sổ năm học: 17:00")  # the regulations' default
        assert f"30/06/{END} — lock.year (001 Điều 25.1" in year_lock
        assert "Hạn điểm định kỳ: số ngày sau bài kiểm tra: 14 ngày — periodic.days" in shown
        assert "✏️ " not in shown  # nothing changed yet (only the legend has the mark)
        assert "/lich MỤC GIÁ_TRỊ" in shown
        example = f"/lich lock.year 30/06/{END} 17:00"  # the year's own date, computed
        assert example in shown

        # The help's example, typed as shown: it moves nothing and locks nothing.
        same = await command(admin, example.removeprefix("/lich "))
        assert "Đã sửa" in same and f"30/06/{END} ✏️ — lock.year" in same
        # The old help's example, a year gone by, and a typo: refused with the range allowed.
        gone = await command(admin, f"lock.year 30/06/{END - 1} 17:00")
        assert f"nằm ngoài năm học {YEAR}" in gone and "Lịch chưa thay đổi" in gone
        typo = await command(admin, "lock.term1 01/01/2020")
        assert f"nằm ngoài năm học {YEAR} (từ 05/09/{END - 1} đến 25/08/{END})" in typo
        assert f"15/01/{END} («Hạn nhập xong học kỳ I») đến 17:00" in typo
        disorder = await command(admin, f"entry.term1 01/02/{END}")
        assert "muộn hơn «Khóa sổ học kỳ I»" in disorder

        # A lock date is the principal's decision (000 Điều 3): the admin is told whom to ask.
        moved = f"lock.year 25/06/{END} 16:30"
        refused = await command(admin, moved)
        assert "Ngày khóa sổ do Hiệu trưởng quyết định" in refused
        assert f"đề nghị Hiệu trưởng đổi bằng /lich {moved}" in refused
        assert f"hocba calendar set {moved} --decided-by MÃ_HIỆU_TRƯỞNG" in refused
        kept = await DeadlineSetting.get(key="lock.year")  # the example typed above, unmoved
        assert kept.value == f"{END}-06-30T17:00+07:00"
        changed = await command(principal, moved)
        assert "Đã sửa" in changed and "Khóa sổ năm học: 16:30" in changed  # the weekday varies
        assert f"25/06/{END} ✏️ — lock.year" in changed
        changed = await command(principal, "periodic.days 10")
        assert "10 ngày" in changed

        refused = await command(teacher, f"lock.year 20/06/{END}")
        assert "Chỉ quản trị học bạ số hoặc Hiệu trưởng" in refused
        bad = await command(admin, f"lock.year 31/02/{END}")
        assert f"Ngày «31/02/{END}» không hợp lệ" in bad and f"25/06/{END} 16:30" in bad
        unknown = await command(admin, "khoaso 1")
        assert "Không có mục lịch «khoaso»" in unknown and "lock.year" in unknown
        how = await command(admin, "lock.year")  # no value: how to, with this year's date
        assert "/lich MỤC GIÁ_TRỊ" in how and f"/lich lock.year 25/06/{END} 16:30" in how

        settings = dict(await DeadlineSetting.all().values_list("key", "value"))
        assert settings == {"lock.year": f"{END}-06-25T16:30+07:00", "periodic.days": "10"}
        assert await AuditEvent.filter(action="calendar.set").count() == 3
        assert not await Lock.exists()

        seen = await command(teacher)  # the teacher reads the changed calendar
        assert f"25/06/{END}" in seen and "10 ngày" in seen and "✏️" in seen


async def test_a_change_that_locks_now_waits_for_confirmation(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    clock.set_time(at(f"20/01/{END}", "10:00").astimezone(dt.UTC))  # term I locks on 29/01
    try:
        config = bot_config(telegram_server, tmp_path)
        async with running_bot(config, seed, schedule_jobs=False):
            principal = await signed_in(telegram_server, "HT01", 7301)
            typed = f"lock.term1 20/01/{END} 09:00"  # an hour ago: it would lock at once

            held = await said(principal, typed)
            assert "sẽ khóa sổ ngay hoặc trong vòng một giờ tới" in held.text
            assert f"Sổ điểm học kỳ I (năm học {YEAR}), cả 2 lớp: ngay khi xác nhận" in held.text
            assert "2 giáo viên còn nhập dở (5 ô điểm còn thiếu)" in held.text
            assert "Lịch chưa thay đổi" in held.text
            assert held.inline_buttons == ["✅ Xác nhận", "✖️ Hủy"]

            await principal.press("✖️ Hủy")
            assert "Đã hủy: lịch không thay đổi" in (await principal.wait_for_message()).text
            assert principal.messages()[-2].inline_buttons == []  # the buttons are gone
            assert not await DeadlineSetting.exists() and not await Lock.exists()

            held = await said(principal, typed)
            forged = await principal.press_forged("cal:ok:0a1b2c3d")
            assert "không còn hiệu lực" in (await forged.wait_answer())["text"]
            assert not await DeadlineSetting.exists() and not await Lock.exists()

            # Too late: the confirmation is checked again, and only shows the change again.
            clock.set_time(clock.now() + CONFIRM_WINDOW + dt.timedelta(minutes=1))
            await principal.press("✅ Xác nhận", held.message_id)
            again = await principal.wait_for_message(timeout=WAIT)
            assert "lần xác nhận vừa rồi chưa áp dụng gì" in again.text
            assert again.inline_buttons == ["✅ Xác nhận", "✖️ Hủy"]
            assert not await DeadlineSetting.exists() and not await Lock.exists()
            used = held.inline_keyboard[0][0]["callback_data"]  # a button works once
            forged = await principal.press_forged(used)
            assert "không còn hiệu lực" in (await forged.wait_answer())["text"]

            await principal.press("✅ Xác nhận", again.message_id)
            done = (await principal.wait_for_message(timeout=WAIT)).text
            assert "✅ Đã sửa lịch năm học" in done and f"20/01/{END} ✏️ — lock.term1" in done
            assert f"🔒 Sổ điểm học kỳ I (năm học {YEAR}) đã khóa từ 09:00" in done
            assert "Giáo viên liên quan đã được báo" in done
            (fallen,) = await Lock.all()
            assert fallen.source == "calendar:lock.term1"
            settings = dict(await DeadlineSetting.all().values_list("key", "value"))
            assert settings == {"lock.term1": f"{END}-01-20T09:00+07:00"}

            moved = await command(principal, f"lock.term1 29/01/{END}")
            assert "đã khóa lúc 09:00" in moved and "không dời được nữa" in moved
    finally:
        clock.set_time(None)
