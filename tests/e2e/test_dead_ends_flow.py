"""No dead ends, through the running bot and the fake Telegram server:

- /moi, an ambiguous name, then /moi CODE (or the code typed) makes the invite;
- a command or a main-menu button inside a conversation (a correction request, one mark, an
  invite, a decision's reason, a teacher's answer) leaves it and does what it says, and the next
  message is not taken for the old step;
- «❌ Từ chối» on a request already approved is refused at the press; a reason prompt left open
  while the request was approved is ended when the text arrives; neither swallows the next
  message;
- a stranger and a signed-out teacher pressing an old menu button, a staff command or an inline
  button get an answer saying how to sign in; an unknown command gets one too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.models import CorrectionRequest, RequestState
from tests.corrections.conftest import PNG
from tests.e2e.bot_harness import bot_config, running_bot
from tests.e2e.small_school import seed_small, signed_in
from tests.e2e.test_corrections_flow import WAIT, fill_request, press_and_wait, seed
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.user import FakeUser

NOT_UNDERSTOOD = "Trợ lý chưa hiểu tin nhắn này"
SIGN_IN = "Thầy cô đăng nhập bằng một trong hai cách"


@pytest.fixture
async def small_bot(telegram_server: FakeTelegramServer, tmp_path: Path) -> AsyncIterator[None]:
    async with running_bot(bot_config(telegram_server, tmp_path), seed_small):
        yield


@pytest.fixture
async def corrections_bot(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> AsyncIterator[None]:
    async with running_bot(bot_config(telegram_server, tmp_path), seed):
        yield


async def not_swallowed(user: FakeUser, text: str = "Minh chứng không khớp sổ điểm") -> None:
    """A plain message after leaving: the catch-all answers it, no old step takes it."""
    await user.send_text(text)
    assert NOT_UNDERSTOOD in (await user.wait_for_message(timeout=WAIT)).text


async def test_moi_an_ambiguous_name_then_moi_code(
    telegram_server: FakeTelegramServer, small_bot: None
) -> None:
    admin = await signed_in(telegram_server, "QT01", 7501)
    await admin.send_command("/moi")
    assert "Gửi mã cán bộ" in (await admin.wait_for_message(timeout=WAIT)).text
    await admin.send_text("Thị")
    refused = await admin.wait_for_message(timeout=WAIT)
    assert "Có 2 người khớp" in refused.text and "GV02" in refused.text
    await admin.send_command("/moi", "GV02")
    invite = await admin.wait_for_message(timeout=WAIT)
    assert "Mã mời cho Bùi Thị Văn (GV02)" in invite.text and "start=" in invite.text
    await not_swallowed(admin, "HT01")  # the question was answered: nothing waits for a name

    await admin.send_command("/moi")  # the question stays open after an ambiguous name
    await admin.wait_for_message(timeout=WAIT)
    await admin.send_text("Thị")
    await admin.wait_for_message(timeout=WAIT)
    await admin.send_text("GV02")
    assert "Mã mời cho Bùi Thị Văn (GV02)" in (await admin.wait_for_message(timeout=WAIT)).text
    await admin.send_command("/moi", "HT01")  # the principal's account: the principal decides
    refused = await admin.wait_for_message(timeout=WAIT)
    assert "do Hiệu trưởng quyết định" in refused.text and "--decided-by" in refused.text

    teacher = await signed_in(telegram_server, "GV02", 7502)
    await teacher.send_command("/moi")  # not an admin: refused before being asked anything
    assert "quyền quản trị" in (await teacher.wait_for_message(timeout=WAIT)).text
    await not_swallowed(teacher, "HT01")


async def test_a_command_or_menu_button_leaves_the_form_and_the_mark_entry(
    telegram_server: FakeTelegramServer, small_bot: None
) -> None:
    teacher = await signed_in(telegram_server, "GV02", 7511)
    await teacher.send_command("/suadiem")
    await teacher.wait_for_message(timeout=WAIT)
    await press_and_wait(teacher, "6A", "một phần tên")
    await teacher.send_command("/start")  # typed where a student's name was asked
    left, greeting = await teacher.wait_for_messages(2, timeout=WAIT)
    assert "Đã dừng việc sửa điểm đang làm dở" in left.text
    assert "Chào thầy/cô Bùi Thị Văn" in greeting.text
    await not_swallowed(teacher, "binh")

    await teacher.send_command("/nhapdiem")
    await teacher.wait_for_message(timeout=WAIT)
    for button in ("6A — Ngữ văn", "Học kỳ I", "TX4"):
        await press_and_wait(teacher, button)
    await teacher.press_reply("📚 Lớp của tôi")
    left, classes = await teacher.wait_for_messages(2, timeout=WAIT)
    assert "không có điểm nào được ghi" in left.text
    assert "6A — Ngữ văn" in classes.text
    await not_swallowed(teacher, "binh")

    await teacher.send_command("/nhapdiem")  # its own command inside it: starts again
    await teacher.wait_for_message(timeout=WAIT)
    await teacher.send_command("/nhapdiem")
    assert "Chọn lớp và môn" in (await teacher.wait_for_message(timeout=WAIT)).text

    admin = await signed_in(telegram_server, "QT01", 7512)
    await admin.send_command("/moi")
    await admin.wait_for_message(timeout=WAIT)
    await admin.send_command("/help")  # nothing to drop: only the help comes
    assert (await admin.wait_for_message(timeout=WAIT)).text.startswith("Hướng dẫn")
    await not_swallowed(admin, "GV02")


async def _at_principal(server: FakeTelegramServer) -> tuple[FakeUser, FakeUser]:
    """A request filed by GV02 and forwarded by the admin: (teacher, principal), the
    principal's card with its buttons the newest message of their chat."""
    teacher = await signed_in(server, "GV02", 7521)
    admin = await signed_in(server, "QT01", 7522)
    principal = await signed_in(server, "HT01", 7523)
    await fill_request(teacher, [PNG])
    await press_and_wait(teacher, "✔️ Xong", "Kiểm tra lại phiếu")
    await press_and_wait(teacher, "📨 Gửi phiếu", "Đã gửi phiếu SĐ-")
    await admin.wait_for_message(lambda m: "Phiếu mới" in m.content, timeout=WAIT)
    await press_and_wait(admin, "➡️ Chuyển Hiệu trưởng", "Đã chuyển")
    await principal.wait_for_message(lambda m: "✅ Duyệt" in m.inline_buttons, timeout=WAIT)
    return teacher, principal


async def test_commands_leave_the_decision_and_the_answer(
    telegram_server: FakeTelegramServer, corrections_bot: None
) -> None:
    teacher, principal = await _at_principal(telegram_server)
    card = principal.last_message()
    await press_and_wait(principal, "❌ Từ chối", "lý do từ chối")
    await principal.send_command("/phieusua")
    left, board = await principal.wait_for_messages(2, timeout=WAIT)
    assert "Đã dừng" in left.text and "Phiếu sửa điểm" in board.text
    await not_swallowed(principal)
    assert (await CorrectionRequest.get()).state == RequestState.AT_PRINCIPAL

    await principal.press("❓ Hỏi thêm", card.message_id)
    assert "cần giáo viên bổ sung" in (await principal.wait_for_message(timeout=WAIT)).text
    await principal.press("❓ Hỏi thêm", card.message_id)  # the same button again: asked again
    assert "cần giáo viên bổ sung" in (await principal.wait_for_message(timeout=WAIT)).text
    await principal.send_text("Gửi thêm ảnh sổ đầu bài")
    assert "Đã hỏi thêm" in (await principal.wait_for_message(timeout=WAIT)).text

    await teacher.wait_for_message(lambda m: "📎 Bổ sung" in m.inline_buttons, timeout=WAIT)
    await press_and_wait(teacher, "📎 Bổ sung", "câu trả lời")
    await teacher.send_command("/start")
    left, greeting = await teacher.wait_for_messages(2, timeout=WAIT)
    assert "Đã dừng" in left.text and "Chào thầy/cô" in greeting.text
    await not_swallowed(teacher)
    assert (await CorrectionRequest.get()).state == RequestState.NEEDS_INFO


async def test_reject_after_approval_is_refused_and_nothing_is_swallowed(
    telegram_server: FakeTelegramServer, corrections_bot: None
) -> None:
    _teacher, principal = await _at_principal(telegram_server)
    card = principal.last_message()
    # a question prompt left open while the request is approved from the same card
    await press_and_wait(principal, "❓ Hỏi thêm", "cần giáo viên bổ sung")
    await press_and_wait(principal, "✅ Duyệt", "Đã duyệt")
    await principal.send_text("Gửi thêm ảnh sổ đầu bài")
    ended = await principal.wait_for_message(timeout=WAIT)
    assert "đã duyệt" in ended.text and "không còn áp dụng" in ended.text
    await not_swallowed(principal)

    # «❌ Từ chối» on the approved request: refused at the press, nothing asked
    await principal.press("❌ Từ chối", card.message_id)
    refused = await principal.wait_for_message(timeout=WAIT)
    assert "không còn áp dụng" in refused.text and "lý do" not in refused.text
    await not_swallowed(principal)
    request = await CorrectionRequest.get()
    assert request.state == RequestState.APPROVED and not request.question


async def test_strangers_and_signed_out_teachers_get_an_answer(
    telegram_server: FakeTelegramServer, small_bot: None
) -> None:
    stranger = telegram_server.user(7531, "Khách")
    for command in ("/phieusua", "/suadiem", "/nhapdiem", "/lichsu"):
        await stranger.send_command(command)
        assert SIGN_IN in (await stranger.wait_for_message(timeout=WAIT)).text, command
    await stranger.send_text("📚 Lớp của tôi")  # a menu button typed or from an old keyboard
    assert SIGN_IN in (await stranger.wait_for_message(timeout=WAIT)).text
    await stranger.send_command("/language")  # anyone may: its buttons, then forged ones
    await stranger.wait_for_message(timeout=WAIT)
    for data in ("rm:d", "crv:1", "mk:a:1:1", "sgn:1:ht"):
        pressed = await stranger.press_forged(data)
        assert "cần đăng nhập" in (await pressed.wait_answer())["text"], data

    teacher = await signed_in(telegram_server, "GV02", 7532)
    await teacher.send_command("/xyz")
    assert "không có lệnh /xyz" in (await teacher.wait_for_message(timeout=WAIT)).text
    await teacher.send_command("/nhapdiem")
    sheets = await teacher.wait_for_message(timeout=WAIT)
    await teacher.send_command("/dangxuat")  # inside /nhapdiem: left, then signed out
    left, signed_out = await teacher.wait_for_messages(2, timeout=WAIT)
    assert "không có điểm nào được ghi" in left.text and "Đã đăng xuất" in signed_out.text
    pressed = await teacher.press("6A — Ngữ văn", sheets.message_id)
    answer = await pressed.wait_answer()
    assert answer["show_alert"] and "cần đăng nhập" in answer["text"]
    pressed = await teacher.press_forged("rm:d", sheets.message_id)  # an old reminder's button
    assert "cần đăng nhập" in (await pressed.wait_answer())["text"]
    await teacher.send_text("📋 Tiến độ của tôi")
    assert SIGN_IN in (await teacher.wait_for_message(timeout=WAIT)).text
