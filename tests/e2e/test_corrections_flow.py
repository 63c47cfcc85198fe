"""Correction requests through the fake Telegram server and the real runtime (`bot.app.serve`).

The small school of tests/corrections (6A Ngữ văn term I locked by the principal; Bình's TX1 is
6). Everyone signs in with their phone. Notifications go through the outbox, which paces one
message a second per chat, so each role is its own user and waits are generous. Inside
/suadiem a file is the request's evidence at every step, never a grade sheet to import.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core import clock
from core.models import (
    CorrectionRequest,
    Mark,
    MarkKind,
    RequestState,
    Role,
    SchoolClass,
    Staff,
    Subject,
    Term,
)
from core.services import gradebook, locks, roster
from core.services.access import Actor
from core.services.templates import grade_sheet_template
from core.workers import WorkerPool
from tests.corrections.conftest import JPEG, PNG
from tests.corrections.test_flow import pdf_text
from tests.deadlines.conftest import at
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import PHONES, seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

WAIT = 30
BINH = "Trần Thị Bình"


async def seed(late: bool = False) -> None:
    small = await seed_small()
    await roster.write_staff(
        small.admin,
        small.year,
        [roster.StaffEntry("TT01", "Mai Thanh Tra", frozenset({Role.INSPECTOR}))],
    )
    await Staff.filter(school=small.school, code="TT01").update(phone=PHONES["TT01"])
    principal = await Actor.of_staff(await Staff.get(code="HT01"))
    scope = await locks.parse_scope(small.year, ["6A", "Ngữ", "văn", "HK1"])
    await locks.lock(principal, scope, now=clock.now())
    if late:  # the term locks in three days: the correction cut-off has passed
        clock.set_time(at(f"26/01/{small.year.name[5:]}", "10:00").astimezone(dt.UTC))


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    """Where the running bot keeps files (bot_config points HOCBA_STORAGE_DIR there)."""
    return tmp_path / "files"


async def _bot(server: FakeTelegramServer, tmp_path: Path, seeding):
    config = bot_config(server, tmp_path)
    async with running_bot(config, seeding):
        await server.wait_until(lambda: server.calls_to("getUpdates"), timeout=10, what="polling")
        yield


@pytest.fixture
async def bot(telegram_server, tmp_path, store_dir):
    async for _ in _bot(telegram_server, tmp_path, seed):
        yield


@pytest.fixture
async def late_bot(telegram_server, tmp_path, store_dir):
    try:
        async for _ in _bot(telegram_server, tmp_path, lambda: seed(late=True)):
            yield
    finally:
        clock.set_time(None)


async def press_and_wait(user: FakeUser, button: str, expect: str | None = None):
    await user.press(button)
    message = await user.wait_for_message(timeout=WAIT)
    if expect is not None:
        assert expect in message.content, message.content
    return message


async def fill_request(teacher: FakeUser, photos: list[bytes]) -> None:
    """The guided flow up to the evidence step, then the album, then Done."""
    await teacher.send_command("/suadiem")
    assert "Chọn lớp" in (await teacher.wait_for_message()).text
    await press_and_wait(teacher, "6A", "một phần tên")
    await teacher.send_text("binh")  # no accents
    found = await teacher.wait_for_message()
    assert BINH in found.inline_buttons
    await press_and_wait(teacher, BINH, "Chọn môn")
    await press_and_wait(teacher, "Ngữ văn", "Chọn học kỳ")
    columns = await press_and_wait(teacher, "Học kỳ I", "Chọn cột")
    assert "TX1 (6,0)" in columns.inline_buttons
    await press_and_wait(teacher, "TX1 (6,0)", "giá trị hiện tại 6,0")
    await teacher.send_text("6")  # unchanged: refused, still asked
    assert "trùng giá trị hiện tại" in (await teacher.wait_for_message()).text
    await teacher.send_text("11")  # out of range
    assert "không hợp lệ" in (await teacher.wait_for_message()).text
    await teacher.send_text("7,5")
    assert "TX1 → 7,5" in (await teacher.wait_for_message()).text
    await press_and_wait(teacher, "➡️ Tiếp: lý do", "lý do")
    await teacher.send_text("Nhập nhầm điểm bài kiểm tra 15 phút")
    assert "minh chứng" in (await teacher.wait_for_message()).text
    await teacher.send_text("đây là ảnh")  # text where a photo is expected
    assert "cần ảnh hoặc tệp PDF" in (await teacher.wait_for_message()).text
    await teacher.send_media_group(photos)
    received = await teacher.wait_for_messages(len(photos), timeout=WAIT)
    assert f"Đã nhận minh chứng {len(photos)}/10" in received[-1].text


@pytest.mark.poppler
async def test_whole_path_from_phone_to_minutes(telegram_server, bot, tmp_path) -> None:
    teacher = await signed_in(telegram_server, "GV02", 6002)
    admin = await signed_in(telegram_server, "QT01", 6011)
    principal = await signed_in(telegram_server, "HT01", 6010)
    inspector = await signed_in(telegram_server, "TT01", 6012)
    homeroom = await signed_in(telegram_server, "GV03", 6013)  # witnesses too, 001 Điều 17.3
    assert "✏️ Đề nghị sửa điểm" in [
        b["text"] for row in teacher.reply_keyboard["keyboard"] for b in row
    ]

    await fill_request(teacher, [PNG, JPEG])
    summary = await press_and_wait(teacher, "✔️ Xong", "Kiểm tra lại phiếu")
    assert "TX1: 6,0 → 7,5" in summary.text
    sent = await press_and_wait(teacher, "📨 Gửi phiếu", "Đã gửi phiếu SĐ-")
    # the old summary's button after submission: the flow has ended, nothing changes
    await teacher.press_forged("cso", summary.message_id)
    assert (await CorrectionRequest.all().count()) == 1
    assert "chờ Ban quản trị" in sent.text

    card = await admin.wait_for_message(lambda m: "Phiếu mới" in m.content, timeout=WAIT)
    assert "6,0 → 7,5" in card.text and "Nhập nhầm" in card.text
    await press_and_wait(admin, "➡️ Chuyển Hiệu trưởng", "Đã chuyển Hiệu trưởng")

    card = await principal.wait_for_message(lambda m: "SĐ-" in m.content, timeout=WAIT)
    for fact in (BINH, "Ngữ văn", "học kỳ I", "TX1", "6,0 → 7,5", "Nhập nhầm", "Bùi Thị Văn"):
        assert fact in card.text, fact
    await principal.press("🖼 Xem minh chứng (2)")
    album = await principal.wait_for_messages(3, timeout=WAIT)
    assert album[0].media_group_id and album[0].media_group_id == album[1].media_group_id
    assert [m.photo.data for m in album[:2]] == [PNG, JPEG]
    assert "✅ Duyệt" in album[2].inline_buttons
    await press_and_wait(principal, "✅ Duyệt", "Đã duyệt")
    await principal.press("✅ Duyệt")  # a second press: answered, nothing changes
    assert "không còn áp dụng" in (await principal.wait_for_message(timeout=WAIT)).text

    for user in (principal, admin, inspector, homeroom, teacher):
        invite = await user.wait_for_message(lambda m: "chứng kiến" in m.content, timeout=WAIT)
        assert "✅ Xác nhận chứng kiến" in invite.inline_buttons
        await press_and_wait(user, "✅ Xác nhận chứng kiến", "Đã ghi nhận")

    opened = await teacher.wait_for_message(lambda m: "mở cho thầy cô" in m.content, timeout=WAIT)
    await press_and_wait(teacher, opened.inline_buttons[0], "Gõ giá trị đã duyệt")
    await teacher.send_text("8")
    assert "Giá trị được duyệt cho ô TX1 là 7,5" in (await teacher.wait_for_message()).text
    await teacher.send_text("7.5")  # still asked: the right value now
    assert "Đã ghi và khóa lại" in (await teacher.wait_for_message(timeout=WAIT)).text

    small_student = await Mark.get(
        student__full_name=BINH, subject__code="NV", kind=MarkKind.REGULAR, index=1, term__number=1
    )
    assert small_student.score == Decimal("7.5")
    request = await CorrectionRequest.get()
    assert request.state == RequestState.APPLIED
    gv02 = await Actor.of_staff(await Staff.get(code="GV02"))
    entry_class = await request.school_class
    with pytest.raises(locks.ScopeLocked):  # relocked
        await gradebook.write_marks(
            gv02,
            [
                gradebook.MarkEntry(
                    request.student_id,
                    entry_class,
                    await request.subject,
                    await request.term,
                    MarkKind.REGULAR,
                    1,
                    Decimal(9),
                )
            ],
        )
    for user in (teacher, principal, admin):
        minutes = await user.wait_for_message(lambda m: m.document is not None, timeout=WAIT)
        assert minutes.document.file_name == f"bien-ban-{request.number}.pdf"
        text = pdf_text(minutes.document.data, tmp_path)
        for expected in (
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "BIÊN BẢN SỬA CHỮA DỮ LIỆU",
            BINH,
            "Đỗ Thị Hiệu",
            "Mai Thanh Tra",
            "7,5",
        ):
            assert expected in text, expected


async def test_rejection_ask_more_and_bad_files(telegram_server, bot) -> None:
    teacher = await signed_in(telegram_server, "GV02", 6102)
    principal = await signed_in(telegram_server, "HT01", 6110)
    admin = await signed_in(telegram_server, "QT01", 6111)
    stranger = await signed_in(telegram_server, "GV01", 6101)

    # bad files at the evidence step: 30 MB, a non-image named .jpg, twenty photos
    await fill_request(teacher, [PNG])
    await teacher.send_document(b"\x00" * (30 * 1024 * 1024), "to.jpg", "image/jpeg")
    assert "quá lớn" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.send_document(b"MZ\x90\x00 executable", "bai_kiem_tra.jpg", "image/jpeg")
    assert "không phải ảnh" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.send_media_group([PNG] * 10)
    replies = await teacher.wait_for_messages(10, timeout=WAIT)
    assert "Đã nhận minh chứng 10/10" in replies[-2].text and "tối đa 10" in replies[-1].text
    await teacher.send_media_group([JPEG] * 10)  # the 11th–20th: refused once for the album
    assert "tối đa 10" in (await teacher.wait_for_message(timeout=WAIT)).text
    await press_and_wait(teacher, "✔️ Xong", "Minh chứng: 10 tệp")
    await press_and_wait(teacher, "📨 Gửi phiếu", "Đã gửi phiếu SĐ-1")

    # a teacher who is not the admin presses the forward button (forged): refused, unchanged
    await stranger.send_command("/phieusua")
    assert "dành cho Ban quản trị" in (await stranger.wait_for_message(timeout=WAIT)).text
    await stranger.send_command("/suadiem")  # any message with buttons to forge a press on
    await stranger.wait_for_message()
    await stranger.press_forged("crf:1")
    assert "Chỉ Ban quản trị" in (await stranger.wait_for_message(timeout=WAIT)).text
    await stranger.press_forged("crv:999")  # a request that does not exist (or no longer)
    assert "không còn tồn tại" in (await stranger.wait_for_message(timeout=WAIT)).text
    await admin.wait_for_message(lambda m: "Phiếu mới" in m.content, timeout=WAIT)
    await press_and_wait(admin, "➡️ Chuyển Hiệu trưởng", "Đã chuyển")

    await principal.wait_for_message(lambda m: "SĐ-1" in m.content, timeout=WAIT)
    await press_and_wait(principal, "❓ Hỏi thêm", "cần giáo viên bổ sung")
    await principal.send_text("Gửi thêm ảnh sổ đầu bài")
    assert "Đã hỏi thêm" in (await principal.wait_for_message(timeout=WAIT)).text
    asked = await teacher.wait_for_message(
        lambda m: "cần thêm thông tin" in m.content, timeout=WAIT
    )
    assert "Gửi thêm ảnh sổ đầu bài" in asked.text
    await press_and_wait(teacher, "📎 Bổ sung", "câu trả lời")
    await teacher.send_text("Đã có chữ ký tổ trưởng trong sổ")
    assert "Gửi thêm minh chứng" in (await teacher.wait_for_message()).text
    await press_and_wait(teacher, "✔️ Xong", "trở lại Hiệu trưởng")

    card = await principal.wait_for_message(
        lambda m: "Giáo viên trả lời" in m.content, timeout=WAIT
    )
    assert "Đã có chữ ký tổ trưởng" in card.text
    await press_and_wait(principal, "❌ Từ chối", "lý do từ chối")
    await principal.send_text("Minh chứng không khớp sổ điểm")
    assert "Đã từ chối" in (await principal.wait_for_message(timeout=WAIT)).text
    told = await teacher.wait_for_message(lambda m: "không được duyệt" in m.content, timeout=WAIT)
    assert "Minh chứng không khớp sổ điểm" in told.text
    await principal.press("✅ Duyệt", card.message_id)  # approve on a rejected request
    assert "bị từ chối" in (await principal.wait_for_message(timeout=WAIT)).text
    request = await CorrectionRequest.get()
    assert request.state == RequestState.REJECTED
    assert (
        await Mark.get(
            student__full_name=BINH,
            subject__code="NV",
            kind=MarkKind.REGULAR,
            index=1,
            term__number=1,
        )
    ).score == Decimal(6)


async def test_after_the_cut_off_the_teacher_asks_the_principal(telegram_server, late_bot) -> None:
    teacher = await signed_in(telegram_server, "GV02", 6202)
    principal = await signed_in(telegram_server, "HT01", 6210)
    await teacher.send_command("/suadiem")
    await teacher.wait_for_message()
    await press_and_wait(teacher, "6A")
    await teacher.send_text("bình")
    await teacher.wait_for_message()
    await press_and_wait(teacher, BINH)
    await press_and_wait(teacher, "Ngữ văn")
    refused = await press_and_wait(teacher, "Học kỳ I", "quá hạn đề nghị sửa điểm")
    assert "🙏 Xin phép nộp muộn" in refused.inline_buttons
    await press_and_wait(teacher, "🙏 Xin phép nộp muộn", "Đã gửi Hiệu trưởng")
    await principal.wait_for_message(lambda m: "xin phép" in m.content, timeout=WAIT)
    await press_and_wait(principal, "✅ Cho phép nộp muộn", "Đã cho phép")
    await teacher.wait_for_message(lambda m: "đã cho phép" in m.content, timeout=WAIT)
    await teacher.send_command("/suadiem")
    await teacher.wait_for_message()
    await press_and_wait(teacher, "6A")
    await teacher.send_text("binh")
    await teacher.wait_for_message()
    await press_and_wait(teacher, BINH)
    await press_and_wait(teacher, "Ngữ văn")
    await press_and_wait(teacher, "Học kỳ I", "Chọn cột")


# --- a conversation owns what it asked for (issue 10, point 8) ---------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _term2_sheet(workers: WorkerPool) -> bytes:
    """GV02's Ngữ văn 6A sheet of term II (not locked), with a TX1 of 9 for every student:
    imported, it would write marks."""
    teacher = await Actor.of_staff(await Staff.get(code="GV02"))
    klass = await SchoolClass.get(name="6A")
    subject = await Subject.get(code="NV")
    term = await Term.get(year_id=klass.year_id, number=2)
    template = await grade_sheet_template(teacher, klass, subject, term, workers=workers)
    book = load_workbook(io.BytesIO(template.data))
    sheet = book["Bảng điểm"]
    header = next(r for r in sheet.iter_rows() if any(c.value == "TX1" for c in r))
    column = next(c.column_letter for c in header if c.value == "TX1")
    for row in range(header[0].row + 1, sheet.max_row + 1):
        if sheet[f"A{row}"].value is not None:
            sheet[f"{column}{row}"] = 9
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _term2_marks() -> int:
    return await Mark.filter(subject__code="NV", term__number=2, kind=MarkKind.REGULAR).count()


async def test_a_sheet_inside_suadiem_is_never_imported(telegram_server, bot, workers) -> None:
    sheet = await _term2_sheet(workers)
    teacher = await signed_in(telegram_server, "GV02", 6802)

    await teacher.send_command("/suadiem")
    await teacher.wait_for_message()
    await press_and_wait(teacher, "6A", "một phần tên")
    # a file at a step that asks for text: refused, the step still waits
    await teacher.send_document(sheet, "bang-diem.xlsx", XLSX)
    refused = await teacher.wait_for_message()
    assert "Tệp này chưa được lưu" in refused.text and "bước «minh chứng»" in refused.text
    await teacher.send_text("binh")
    assert "Trần Thị Bình" in (await teacher.wait_for_message()).inline_buttons
    await press_and_wait(teacher, "Trần Thị Bình", "Chọn môn")
    await press_and_wait(teacher, "Ngữ văn", "Chọn học kỳ")
    await press_and_wait(teacher, "Học kỳ I", "Chọn cột")
    await press_and_wait(teacher, "TX1 (6,0)", "giá trị hiện tại")
    await teacher.send_text("7,5")
    await teacher.wait_for_message()
    await press_and_wait(teacher, "➡️ Tiếp: lý do", "lý do")
    await teacher.send_document(sheet, "bang-diem.xlsx", XLSX)  # at the reason step
    assert "Tệp này chưa được lưu" in (await teacher.wait_for_message()).text
    await teacher.send_text("Nhập nhầm điểm bài kiểm tra 15 phút")
    assert "minh chứng" in (await teacher.wait_for_message()).text
    # at the evidence step the sheet is evidence: refused as evidence, never imported
    await teacher.send_document(sheet, "bang-diem.xlsx", XLSX)
    as_evidence = await teacher.wait_for_message()
    assert "không được nhận làm minh chứng" in as_evidence.text
    assert await _term2_marks() == 0

    # once the request is cancelled, the same file is a grade sheet again
    await teacher.send_command("/huy")
    await teacher.wait_for_message()
    await teacher.send_document(sheet, "bang-diem.xlsx", XLSX)
    await teacher.wait_for_message(timeout=15)
    assert await _term2_marks() > 0
