"""The deadline calendar in the bot (/lich): everyone of the school sees it, admins and the
principal change a value (audited), a teacher is refused, a bad date is explained.

The small school of tests/deadlines, in a year still to come (no lock has fallen, so every
date may still move)."""

from __future__ import annotations

from pathlib import Path

from core.models import AuditEvent, DeadlineSetting
from tests.deadlines.conftest import future_year
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

WAIT = 10
YEAR = future_year()
END = int(YEAR[5:])  # the calendar year of the school year's second half


async def seed() -> None:
    await seed_small()


async def command(user: FakeUser, args: str | None = None) -> str:
    await user.send_command("/lich", args=args)
    return (await user.wait_for_message(timeout=WAIT)).text


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

        changed = await command(admin, f"lock.year 25/06/{END} 16:30")
        assert "Đã sửa" in changed and "Khóa sổ năm học: 16:30" in changed  # the weekday varies
        assert f"25/06/{END} ✏️ — lock.year" in changed
        changed = await command(principal, "periodic.days 10")
        assert "10 ngày" in changed

        refused = await command(teacher, f"lock.year 20/06/{END}")
        assert "Chỉ quản trị học bạ số hoặc Hiệu trưởng" in refused
        bad = await command(admin, f"lock.year 31/02/{END}")
        assert f"Ngày «31/02/{END}» không hợp lệ" in bad and "30/06/2026" in bad
        unknown = await command(admin, "khoaso 1")
        assert "Không có mục lịch «khoaso»" in unknown and "lock.year" in unknown
        assert "/lich MỤC GIÁ_TRỊ" in await command(admin, "lock.year")  # no value: how to

        settings = dict(await DeadlineSetting.all().values_list("key", "value"))
        assert settings == {"lock.year": f"{END}-06-25T16:30+07:00", "periodic.days": "10"}
        events = await AuditEvent.filter(action="calendar.set").count()
        assert events == 2

        seen = await command(teacher)  # the teacher reads the changed calendar
        assert f"25/06/{END}" in seen and "10 ngày" in seen and "✏️" in seen
