"""A homeroom teacher corrects a student's conduct through the witnessed flow, from the phone:
the fake Telegram server and the real runtime (`bot.app.serve`).

The small school of tests/e2e with an inspector; GV03 is 6A's homeroom teacher (teaches no
subject) and Bình's term I conduct is Tốt. The principal has locked class 6A's term I, which
holds its homeroom data. GV03 asks for Khá with a photo of the class log; the admin board
forwards, the principal approves, the four witnesses confirm (the homeroom teacher among
them, 001 Điều 17.3; the inspection board, 000 Điều 8), GV03 types the approved value, the
cell locks again and the minutes name it «Rèn luyện học kỳ I».
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core import clock
from core.models import Conduct, CorrectionRequest, RequestState, Role, Staff
from core.rules.secondary import Level
from core.services import gradebook, locks, roster
from core.services.access import Actor
from tests.corrections.conftest import JPEG
from tests.corrections.test_flow import pdf_text
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import PHONES, seed_small, signed_in
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

WAIT = 30
BINH = "Trần Thị Bình"
BINH_ID = "001314000002"
GV03_PHONE = "+84912000003"


async def seed() -> None:
    small = await seed_small()
    await roster.write_staff(
        small.admin,
        small.year,
        [roster.StaffEntry("TT01", "Mai Thanh Tra", frozenset({Role.INSPECTOR}))],
    )
    await Staff.filter(school=small.school, code="TT01").update(phone=PHONES["TT01"])
    await Staff.filter(school=small.school, code="GV03").update(phone=GV03_PHONE)
    principal = await Actor.of_staff(await Staff.get(code="HT01"))
    scope = await locks.parse_scope(small.year, ["6A", "HK1"])
    await locks.lock(principal, scope, now=clock.now())


@pytest.fixture
async def bot(telegram_server: FakeTelegramServer, tmp_path: Path):
    config = bot_config(telegram_server, tmp_path)
    async with running_bot(config, seed):
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
        )
        yield


async def press_and_wait(user: FakeUser, button: str, expect: str):
    await user.press(button)
    message = await user.wait_for_message(lambda m: expect in m.content, timeout=WAIT)
    return message


async def homeroom_signed_in(server: FakeTelegramServer) -> FakeUser:
    user = server.user(6303, "GV03", phone=GV03_PHONE)
    await user.share_contact()
    await user.wait_for_message(timeout=10)
    return user


@pytest.mark.poppler
async def test_a_conduct_correction_through_the_witnessed_flow(
    telegram_server: FakeTelegramServer, bot, tmp_path: Path
) -> None:
    teacher = await homeroom_signed_in(telegram_server)
    admin = await signed_in(telegram_server, "QT01", 6311)
    principal = await signed_in(telegram_server, "HT01", 6310)
    inspector = await signed_in(telegram_server, "TT01", 6312)
    subject_teacher = await signed_in(telegram_server, "GV02", 6302)

    # a subject teacher of 6A is not offered Bình's conduct, and a forged press is refused
    await subject_teacher.send_command("/suadiem")
    await subject_teacher.wait_for_message()
    await press_and_wait(subject_teacher, "6A", "một phần tên")
    await subject_teacher.send_text("binh")
    await subject_teacher.wait_for_message()
    subjects = await press_and_wait(subject_teacher, BINH, "Chọn môn")
    assert subjects.inline_buttons[:1] == ["Ngữ văn"]
    assert not any("chủ nhiệm" in b for b in subjects.inline_buttons)
    await subject_teacher.press_forged("csh", subjects.message_id)
    refused = await subject_teacher.wait_for_message(timeout=WAIT)
    assert "Chỉ giáo viên chủ nhiệm lớp 6A" in refused.text

    # the homeroom teacher's request
    await teacher.send_command("/suadiem")
    assert "Chọn lớp" in (await teacher.wait_for_message()).text
    await press_and_wait(teacher, "6A", "một phần tên")
    await teacher.send_text("binh")
    await teacher.wait_for_message()
    await press_and_wait(teacher, BINH, "Chọn môn")
    await press_and_wait(teacher, "📋 Rèn luyện, ngày nghỉ (chủ nhiệm)", "Chọn học kỳ")
    columns = await press_and_wait(teacher, "Học kỳ I", "Chọn cột")
    assert columns.inline_buttons[:3] == [
        "Rèn luyện (Tốt)",
        "Nghỉ có phép (1)",
        "Nghỉ không phép (0)",
    ]
    asked = await press_and_wait(teacher, "Rèn luyện (Tốt)", "giá trị hiện tại Tốt")
    assert "Tốt, Khá, Đạt hoặc Chưa đạt" in asked.text
    await teacher.send_text("Giỏi")  # not on the scale: refused at this step, still asked
    assert "không hợp lệ" in (await teacher.wait_for_message()).text
    await teacher.send_text("Khá")
    assert "Rèn luyện → Khá" in (await teacher.wait_for_message()).text
    await press_and_wait(teacher, "➡️ Tiếp: lý do", "lý do")
    await teacher.send_text("Ghi nhầm mức rèn luyện, theo biên bản họp lớp")
    assert "minh chứng" in (await teacher.wait_for_message()).text
    await teacher.send_photo(JPEG)
    assert "Đã nhận minh chứng 1/10" in (await teacher.wait_for_message(timeout=WAIT)).text
    summary = await press_and_wait(teacher, "✔️ Xong", "Kiểm tra lại phiếu")
    assert "dữ liệu chủ nhiệm" in summary.text and "Rèn luyện: Tốt → Khá" in summary.text
    await press_and_wait(teacher, "📨 Gửi phiếu", "Đã gửi phiếu SĐ-")

    card = await admin.wait_for_message(lambda m: "Phiếu mới" in m.content, timeout=WAIT)
    assert "Rèn luyện: Tốt → Khá" in card.text
    await press_and_wait(admin, "➡️ Chuyển Hiệu trưởng", "Đã chuyển Hiệu trưởng")
    card = await principal.wait_for_message(lambda m: "SĐ-" in m.content, timeout=WAIT)
    for fact in (BINH, "Dữ liệu của giáo viên chủ nhiệm, học kỳ I", "Ngô Chủ Nhiệm"):
        assert fact in card.text, fact
    await press_and_wait(principal, "✅ Duyệt", "Đã duyệt")

    for user in (principal, admin, inspector, teacher):
        invite = await user.wait_for_message(lambda m: "chứng kiến" in m.content, timeout=WAIT)
        assert "✅ Xác nhận chứng kiến" in invite.inline_buttons
        await press_and_wait(user, "✅ Xác nhận chứng kiến", "Đã ghi nhận")

    opened = await teacher.wait_for_message(lambda m: "mở cho thầy cô" in m.content, timeout=WAIT)
    assert opened.inline_buttons == ["✏️ Nhập Rèn luyện = Khá"]
    await press_and_wait(teacher, "✏️ Nhập Rèn luyện = Khá", "Gõ giá trị đã duyệt")
    await teacher.send_text("Tốt")
    assert "là Khá" in (await teacher.wait_for_message()).text
    await teacher.send_text("kha")
    assert "Đã ghi và khóa lại" in (await teacher.wait_for_message(timeout=WAIT)).text

    request = await CorrectionRequest.get()
    assert request.state == RequestState.APPLIED and request.subject_id is None
    conduct = await Conduct.get(student__full_name=BINH, term__number=1)
    assert conduct.level == Level.FAIR
    gv03 = await Actor.of_staff(await Staff.get(code="GV03"))
    with pytest.raises(locks.ScopeLocked):  # relocked at once
        await gradebook.write_conducts(
            gv03,
            [
                gradebook.ConductEntry(
                    conduct.student_id,  # type: ignore[attr-defined]
                    await request.school_class,
                    await request.term,
                    Level.GOOD,
                )
            ],
        )
    for user in (teacher, principal, admin):
        minutes = await user.wait_for_message(lambda m: m.document is not None, timeout=WAIT)
        assert minutes.document.file_name == f"bien-ban-{request.number}.pdf"
        text = " ".join(pdf_text(minutes.document.data, tmp_path).split())
        for expected in (
            "Dữ liệu của giáo viên chủ nhiệm, học kỳ I",
            "Rèn luyện học kỳ I",
            "Khá",
            "Mai Thanh Tra",
            "Ngô Chủ Nhiệm",
        ):
            assert expected in text, expected

    await principal.send_command("/lichsu", args=f"{BINH_ID} chủ nhiệm")
    history = await principal.wait_for_message(lambda m: "Lịch sử" in m.content, timeout=WAIT)
    assert f"Rèn luyện học kỳ I: Tốt → Khá (Ngô Chủ Nhiệm, theo phiếu {request.number})" in (
        history.text
    )
