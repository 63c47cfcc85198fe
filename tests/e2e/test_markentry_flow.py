"""A single mark entered in chat (/nhapdiem, «✍️ Nhập một điểm») through the fake Telegram
server and the real runtime: the guided steps across a restart, a value out of range asked
again, forged and stale buttons refused with nothing changed, a locked scope refused, and the
audit trail of one mark: one read of the sheet shown, one write.

The small school of tests/deadlines, in a year still to come (so no calendar lock has fallen):
Bùi Thị Văn (GV02) teaches Ngữ văn in 6A, where Trần Thị Bình has no TX4 yet.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.models import AuditEvent, Mark, MarkKind, SchoolClass, Staff, Student, Subject
from core.services import botstate
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import BotMessage, FakeUser

WAIT = 10
BINH = "Trần Thị Bình"


async def seed() -> None:
    await seed_small()


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


async def open_sheet(teacher: FakeUser) -> BotMessage:
    """The menu button → 6A — Ngữ văn → Học kỳ I: the columns."""
    await teacher.press_reply("✍️ Nhập một điểm")
    start = await teacher.wait_for_message(timeout=WAIT)
    assert start.inline_buttons == ["6A — Ngữ văn", "✖️ Hủy"]
    await step(teacher, "6A — Ngữ văn", "Chọn học kỳ")
    return await step(teacher, "Học kỳ I", "Chọn cột điểm")


async def binh_tx4() -> Mark | None:
    return await Mark.get_or_none(
        student__full_name=BINH, subject__code="NV", kind=MarkKind.REGULAR, index=4
    )


async def test_teacher_enters_one_mark_across_a_restart(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    config = bot_config(telegram_server, tmp_path)
    async with running_bot(config, seed):
        teacher = await signed_in(telegram_server, "GV02", 7101)
        columns = await open_sheet(teacher)
        assert columns.inline_buttons == ["TX1", "TX2", "TX3", "TX4", "GK", "CK", "✖️ Hủy"]
        students = await step(teacher, "TX4", "gõ số thứ tự hay một phần tên")
        assert students.inline_buttons[:3] == [
            "1. Nguyễn Văn An · 7,0",
            "2. Trần Thị Bình · —",
            "3. Phạm Thị Chi · 9,0",
        ]
    async with running_bot(config):  # a new process, the same database: the flow goes on
        asked = await say(teacher, "binh", BINH)  # part of the name, no accents
        assert "cột TX4: hiện tại (trống)" in asked.text
        refused = await say(teacher, "11", "Điểm «11» không hợp lệ")
        assert "từ 0 đến 10" in refused.text  # says what is expected, and asks again
        assert await binh_tx4() is None
        check = await say(teacher, "8,5", "Kiểm tra lại")
        assert "(trống) → 8,5" in check.text
        await step(teacher, "✅ Lưu", f"Đã lưu TX4 của {BINH}: 8,5")
        assert (await binh_tx4()).score == Decimal("8.5")

        again = await step(teacher, "➕ Học sinh khác, cột TX4", "cột TX4")
        assert f"2. {BINH} · 8,5" in again.inline_buttons
        await say(teacher, "3", "Phạm Thị Chi")  # by class-list number
        await teacher.send_command("/huy")
        assert "Đã hủy" in (await teacher.wait_for_message(timeout=WAIT)).text
        chi = await Mark.get(
            student__full_name="Phạm Thị Chi", subject__code="NV", kind=MarkKind.REGULAR, index=4
        )
        assert chi.score == Decimal("9")


async def test_forged_buttons_are_refused_and_change_nothing(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        teacher = await signed_in(telegram_server, "GV02", 7102)
        await teacher.send_command("/nhapdiem")
        await teacher.wait_for_message(timeout=WAIT)
        other = await SchoolClass.get(name="6B")
        literature = await Subject.get(code="NV")
        await teacher.press_forged(f"mk:a:{other.id}:{literature.id}")
        refused = await teacher.wait_for_message(timeout=WAIT)
        assert "không được phân công dạy môn Ngữ văn lớp 6B" in refused.text
        # the flow is where it was: the genuine buttons still work
        await step(teacher, "6A — Ngữ văn", "Chọn học kỳ")
        await step(teacher, "Học kỳ I", "Chọn cột điểm")
        await step(teacher, "TX4", "Chọn học sinh")
        dung = await Student.get(full_name="Lê Văn Dũng")  # of 6B
        await teacher.press_forged(f"mk:s:{dung.id}")
        refused = await teacher.wait_for_message(timeout=WAIT)
        assert "không có trong danh sách lớp 6A" in refused.text
        await say(teacher, "binh", BINH)
        assert not await Mark.filter(student=dung, subject=literature).exists()


async def test_locked_scope_refuses_with_the_lock_message(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        teacher = await signed_in(telegram_server, "GV02", 7103)
        principal = await signed_in(telegram_server, "HT01", 7104)
        await open_sheet(teacher)
        await step(teacher, "TX4", "Chọn học sinh")
        await say(teacher, "binh", BINH)
        await say(teacher, "9", "Kiểm tra lại")
        # the principal locks the sheet while the teacher is looking at the confirmation
        await principal.send_command("/khoaso", args="6A Ngữ văn HK1")
        assert "Đã khóa" in (await principal.wait_for_message(timeout=WAIT)).text
        await teacher.press("✅ Lưu")
        refused = await teacher.wait_for_message(lambda m: "Không ghi được" in m.text, timeout=WAIT)
        assert "Đỗ Thị Hiệu" in refused.text  # who can open it
        assert await binh_tx4() is None
        # a new attempt is refused as soon as the term is chosen, before anything is typed
        await teacher.send_command("/nhapdiem")
        await teacher.wait_for_message(lambda m: "Chọn lớp và môn" in m.text, timeout=WAIT)
        await step(teacher, "6A — Ngữ văn", "Chọn học kỳ")
        await teacher.press("Học kỳ I")
        early = await teacher.wait_for_message(timeout=WAIT)
        assert "Không ghi được" in early.text and "Đỗ Thị Hiệu" in early.text


async def test_one_mark_is_one_read_and_one_write_in_the_audit_trail(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    """Every step checks the sheet again, but the teacher was shown the class list once and
    wrote one cell: the trail says exactly that. The draft kept between steps holds the
    form's fields only, and the cell and the value are dropped once saved."""
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        teacher = await signed_in(telegram_server, "GV02", 7105)
        gv02 = await Staff.get(code="GV02")
        before = await AuditEvent.filter(actor=f"staff:{gv02.id}").count()
        await open_sheet(teacher)
        await step(teacher, "TX4", "Chọn học sinh")
        await say(teacher, "bình", BINH)
        await say(teacher, "8", "Kiểm tra lại")
        await step(teacher, "✅ Lưu", f"Đã lưu TX4 của {BINH}: 8,0")
        events = await AuditEvent.filter(actor=f"staff:{gv02.id}").order_by("seq")
        actions = [e.action for e in events[before:]]
        assert actions == ["gradebook.read", "mark.create"]
        written = events[-1]
        assert written.target.endswith(":TX4") and written.after == {"score": "8", "verdict": None}

        draft = (await botstate.get("user_data", "7105"))["mark_entry"]
        assert set(draft) == {"class_id", "subject_id", "term", "column"}
        assert draft["column"] == ["regular", 4]


async def test_stale_ids_are_refused_plainly(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    """Buttons naming a class, subject, term or student that does not exist (any more) get a
    sentence saying so, never the generic apology."""
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        teacher = await signed_in(telegram_server, "GV02", 7106)
        await teacher.send_command("/nhapdiem")
        await teacher.wait_for_message(timeout=WAIT)
        literature = await Subject.get(code="NV")
        await teacher.press_forged(f"mk:a:999999:{literature.id}")
        gone = await teacher.wait_for_message(timeout=WAIT)
        assert "Không tìm thấy lớp hoặc môn này" in gone.text
        await step(teacher, "6A — Ngữ văn", "Chọn học kỳ")
        await teacher.press_forged("mk:t:2")  # a term that exists: accepted
        await teacher.wait_for_message(lambda m: "Chọn cột điểm" in m.text, timeout=WAIT)
        await teacher.press_forged("mk:c:r:9")  # Ngữ văn 6 has TX1–TX4 only
        refused = await teacher.wait_for_message(timeout=WAIT)
        assert "không có cột TX9" in refused.text
        await step(teacher, "TX1", "Chọn học sinh")
        await teacher.press_forged("mk:s:999999")
        gone = await teacher.wait_for_message(timeout=WAIT)
        assert "không có trong danh sách lớp 6A" in gone.text
        assert "mã lỗi" not in gone.text
