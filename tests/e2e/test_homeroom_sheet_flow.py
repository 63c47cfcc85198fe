"""The homeroom teacher's sheet through the fake Telegram server and the real runtime: the
homeroom teacher asks for it in «📚 Lớp của tôi», sends back a sheet with mistakes (told every
one, with the row and the student's name, and that nothing was saved), then the corrected sheet
(saved, summed up). A subject teacher gets no such button, and a forged button for another
class is refused.

The small school of tests/deadlines in a year still to come, the clock held in its term I:
Ngô Chủ Nhiệm (GV03) is 6A's homeroom teacher and has entered An's and Bình's conduct (Tốt)
and days absent (1, 0), not Chi's.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core import clock
from core.models import Absence, AuditEvent, Comment, Conduct, SchoolClass, Staff, Student
from tests.deadlines.conftest import at, future_year
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer

WAIT = 15
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOMEROOM_PHONE = "+84912000003"
FIRST = int(future_year()[:4])


async def seed() -> None:
    small = await seed_small()
    await Staff.filter(school=small.school, code="GV03").update(phone=HOMEROOM_PHONE)


@pytest.fixture
def term_one() -> Iterator[None]:
    """20/12 of the year to come, 10:00: its term I has begun, nothing is locked."""
    clock.set_time(at(f"20/12/{FIRST}", "10:00").astimezone(dt.UTC))
    yield
    clock.set_time(None)


def filled(data: bytes, cells: dict[str, object]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    for address, value in cells.items():
        book["Chủ nhiệm"][address] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def student(name: str) -> int:
    return (await Student.get(full_name=name)).id


async def test_homeroom_sheet_round_trip(
    telegram_server: FakeTelegramServer, tmp_path: Path, term_one: None
) -> None:
    config = bot_config(telegram_server, tmp_path)
    async with running_bot(config, seed, schedule_jobs=False):
        subject_teacher = await signed_in(telegram_server, "GV02", 7501)
        await subject_teacher.press_reply("📚 Lớp của tôi")
        classes = await subject_teacher.wait_for_message(timeout=WAIT)
        assert "6A — Ngữ văn" in classes.text and classes.inline_buttons == []

        teacher = telegram_server.user(7502, "GV03", phone=HOMEROOM_PHONE)
        await teacher.share_contact()
        await teacher.wait_for_message(timeout=WAIT)
        await teacher.press_reply("📚 Lớp của tôi")
        classes = await teacher.wait_for_message(timeout=WAIT)
        assert "Chủ nhiệm lớp 6A" in classes.text
        offer = await teacher.wait_for_message(timeout=WAIT)
        assert "Bảng chủ nhiệm" in offer.text
        assert offer.inline_buttons == ["📄 Bảng chủ nhiệm 6A, học kỳ I"]  # term II not begun

        await teacher.press("📄 Bảng chủ nhiệm 6A, học kỳ I")
        sent = await teacher.wait_for_message(lambda m: m.document is not None, timeout=WAIT)
        assert sent.document.file_name == "bang-chu-nhiem-6a-hk1.xlsx"
        assert "gửi lại tệp cho Trợ lý" in sent.caption
        sheet = sent.document.data
        rows = list(load_workbook(io.BytesIO(sheet))["Chủ nhiệm"].iter_rows(values_only=True))
        assert rows[6][2:6] == ("Trần Thị Bình", "Tốt", 1, 0)

        # rows 6-8: An, Bình, Chi; D Rèn luyện, E Nghỉ có phép, F Nghỉ không phép, G Nhận xét
        bad = filled(
            sheet,
            {"D7": "Giỏi", "F6": -1, "G8": "Chăm ngoan. " * 100, "D8": "Khá", "E8": 2},
        )
        await teacher.send_document(bad, "bang-chu-nhiem-6a-hk1.xlsx", XLSX)
        refused = await teacher.wait_for_message(timeout=WAIT)
        lines = refused.text.splitlines()
        assert lines[0] == (
            "❌ Chưa lưu gì từ tệp «bang-chu-nhiem-6a-hk1.xlsx»: tệp có 3 lỗi, nên không dòng "
            "nào được ghi, kể cả các dòng đúng. Hãy sửa lỗi dưới đây rồi gửi lại cả tệp cho "
            "Trợ lý:"
        )
        assert lines[1].startswith(
            "• Chủ nhiệm, dòng 6 (Nguyễn Văn An), cột «Nghỉ không phép»: Số ngày nghỉ không phép "
            "«-1» không hợp lệ"
        )
        assert lines[2].startswith(
            "• Chủ nhiệm, dòng 7 (Trần Thị Bình), cột «Rèn luyện»: Kết quả rèn luyện «Giỏi» "
            "không hợp lệ"
        )
        assert lines[3].startswith(
            "• Chủ nhiệm, dòng 8 (Phạm Thị Chi), cột «Nhận xét»: Nhận xét dài 1199 ký tự, quá "
            "giới hạn 1000 ký tự"
        )
        chi = await student("Phạm Thị Chi")
        assert not await Conduct.exists(student_id=chi)
        assert not await Absence.exists(student_id=chi) and not await Comment.exists()

        good = filled(
            sheet, {"D7": "Khá", "F6": 1, "G8": "Chăm ngoan, tiến bộ.", "D8": "Khá", "E8": 2}
        )
        await teacher.send_document(good, "bang-chu-nhiem-6a-hk1.xlsx", XLSX)
        saved = (await teacher.wait_for_message(timeout=WAIT)).text
        name = "bang-chu-nhiem-6a-hk1.xlsx"
        assert f"Đã nhập tệp «{name}» (bảng chủ nhiệm): 1 trang tính, 3 dòng" in saved
        assert "- Rèn luyện: 1 thêm mới, 1 cập nhật, 1 không đổi." in saved
        assert "- Số ngày nghỉ: 1 thêm mới, 1 cập nhật, 1 không đổi." in saved
        assert "- Nhận xét: 1 thêm mới, 0 cập nhật, 0 không đổi." in saved
        assert (await Conduct.get(student_id=await student("Trần Thị Bình"))).level == "K"
        absent = await Absence.get(student_id=chi)
        assert (absent.excused, absent.unexcused) == (2, 0)
        assert (await Comment.get(student_id=chi)).text == "Chăm ngoan, tiến bộ."
        teacher_label = f"staff:{(await Staff.get(code='GV03')).id}"
        assert await AuditEvent.filter(action="comment.create", actor=teacher_label).exists()

        # another class's sheet by a forged button: refused in the core, nothing sent
        other = await SchoolClass.get(name="6B")
        await teacher.press_forged(f"hsh:{other.id}:1")
        told = await teacher.wait_for_message(timeout=WAIT)
        assert "Chỉ giáo viên chủ nhiệm lớp 6B" in told.text and told.document is None
