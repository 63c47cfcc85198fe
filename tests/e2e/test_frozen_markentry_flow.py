"""A mark typed in chat (/nhapdiem) into a class whose year was closed for issuance is refused
with the frozen message (core.services.frozen): at «✅ Lưu» when the class was closed while the
teacher was typing, and at once, before anything is typed, on the next attempt. Nothing is
written. Through the fake Telegram server and the real runtime.

The small school of tests/deadlines, in a year still to come (no calendar lock has fallen, so
what refuses is the close alone); the close is recorded as the principal's would leave it.
"""

from __future__ import annotations

from pathlib import Path

from core.models import ClassClosure, SchoolClass
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import signed_in
from tests.e2e.test_markentry_flow import BINH, WAIT, binh_tx4, open_sheet, say, seed, step
from tests.telegram_fake import FakeTelegramServer


async def test_a_closed_class_refuses_a_mark_typed_in_chat(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        teacher = await signed_in(telegram_server, "GV02", 7111)
        await open_sheet(teacher)
        await step(teacher, "TX4", "Chọn học sinh")
        await say(teacher, "binh", BINH)
        await say(teacher, "9", "Kiểm tra lại")
        # the principal closes 6A's year while the teacher looks at the confirmation
        await ClassClosure.create(school_class=await SchoolClass.get(name="6A"), closed_by="test")
        await teacher.press("✅ Lưu")
        refused = await teacher.wait_for_message(lambda m: "Không ghi được" in m.text, timeout=WAIT)
        assert "lớp 6A đã chốt năm học" in refused.text and "/suadiem" in refused.text
        assert await binh_tx4() is None
        # a new attempt is refused as soon as the term is chosen, before anything is typed
        await teacher.send_command("/nhapdiem")
        await teacher.wait_for_message(lambda m: "Chọn lớp và môn" in m.text, timeout=WAIT)
        await step(teacher, "6A — Ngữ văn", "Chọn học kỳ")
        await teacher.press("Học kỳ I")
        early = await teacher.wait_for_message(timeout=WAIT)
        assert "đã chốt năm học" in early.text and "/suadiem" in early.text, early.text
        assert await binh_tx4() is None
