"""Staff sign-in, role menus, language and bad input, through the fake Telegram server."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from core.models import AuditEvent, Role, Staff
from core.rules.catalog import SchoolLevel
from core.services import roster, signin
from core.services.access import Actor
from core.services.schools import create_school, ensure_year
from tests.e2e.bot_harness import bot_config, running_bot
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.fixtures import free_port

PEOPLE = [
    ("GV001", "Phạm Văn Hiệu", {Role.PRINCIPAL}, "+84911111111"),
    ("GV002", "Ngô Thị Quản", {Role.ADMIN}, "+84922222222"),
    ("GV010", "Lê Thị Hoa", {Role.SUBJECT_TEACHER}, "+84912345678"),
    ("GV011", "Trần Văn Bình", {Role.SUBJECT_TEACHER, Role.HOMEROOM}, "+84987654321"),
]


async def seed_school() -> None:
    school = await create_school("THCS-E2E", "Trường THCS Thử", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, "2025-2026")
    await roster.write_staff(
        Actor.command_line(school.id),
        year,
        [roster.StaffEntry(c, n, frozenset(r), phone=p) for c, n, r, p in PEOPLE],
    )


async def invite_code(who: str) -> str:
    staff = await Staff.get(code="GV002")
    return (await signin.create_invite(await Actor.of_staff(staff), who)).code


@pytest.fixture
async def bot(telegram_server: FakeTelegramServer, tmp_path: Path):
    async with running_bot(bot_config(telegram_server, tmp_path), seed_school) as config:
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates"), timeout=10, what="polling"
        )
        yield config


async def test_unknown_user_gets_welcome_and_sign_in_options(telegram_server, bot) -> None:
    user = telegram_server.user(5001, "Khách")
    await user.send_command("/start")
    reply = await user.wait_for_message()
    assert "Xin chào! Đây là trợ lý Học bạ số" in reply.text
    assert "mã mời" in reply.text
    assert reply.reply_keyboard[0][0]["request_contact"] is True
    await user.send_text("cho tôi xem điểm")
    assert "chỉ dành cho cán bộ" in (await user.wait_for_message()).text


async def test_invite_link_signs_in_once(telegram_server, bot) -> None:
    # the admin signs in with their own contact, then creates an invite from the phone
    admin = telegram_server.user(5002, "Quản", phone="+84922222222")
    await admin.share_contact()
    greeting = await admin.wait_for_message()
    assert "Ngô Thị Quản" in greeting.text
    await admin.press_reply("🎟 Tạo mã mời")
    await admin.wait_for_message()
    await admin.send_text("hoa")
    link_message = await admin.wait_for_message()
    assert "Lê Thị Hoa (GV010)" in link_message.text
    code = link_message.text.split("?start=")[1].split()[0]

    teacher = telegram_server.user(5003, "Hoa")
    await teacher.send_command("/start", args=code)
    welcome = await teacher.wait_for_message()
    assert "Chào thầy/cô Lê Thị Hoa" in welcome.text
    labels = welcome.reply_buttons
    assert "📚 Lớp của tôi" in labels and "🎟 Tạo mã mời" not in labels

    stranger = telegram_server.user(5004, "Người lạ")
    await stranger.send_command("/start", args=code)
    assert "đã được dùng" in (await stranger.wait_for_message()).text
    assert (await Staff.get(code="GV010")).telegram_user_id == 5003


async def test_contact_must_be_the_senders_own(telegram_server, bot) -> None:
    teacher = telegram_server.user(5005, "Bình", phone="+84987654321")
    await teacher.share_contact(phone="+84912345678", user_id=4242)  # someone else's card
    assert "không phải số điện thoại của chính bạn" in (await teacher.wait_for_message()).text
    assert await Staff.filter(telegram_user_id=5005).count() == 0
    await teacher.share_contact(phone="+84900000000", user_id=5005)  # own, not a staff number
    assert "không có trong danh sách" in (await teacher.wait_for_message()).text
    await teacher.share_contact()
    assert "Trần Văn Bình" in (await teacher.wait_for_message()).text
    refused = await AuditEvent.filter(action=signin.REFUSED, actor="telegram:5005").count()
    assert refused == 2


async def test_role_menus_differ(telegram_server, bot) -> None:
    menus = {}
    for user_id, phone in ((5011, "+84911111111"), (5012, "+84922222222"), (5013, "+84912345678")):
        user = telegram_server.user(user_id, "x", phone=phone)
        await user.share_contact()
        message = await user.wait_for_message()
        menus[phone] = set(message.reply_buttons)
    principal, admin, teacher = menus.values()
    assert "🏫 Tổng quan trường" in principal and "🎟 Tạo mã mời" not in principal
    assert {"🏫 Tổng quan trường", "🎟 Tạo mã mời"} <= admin
    assert "📚 Lớp của tôi" in teacher and "🏫 Tổng quan trường" not in teacher
    assert principal != admin != teacher

    principal_user = telegram_server.user(5011, "x")
    await principal_user.press_reply("🏫 Tổng quan trường")
    assert (
        "4 cán bộ, giáo viên; 3 người đã đăng nhập"
        in (await principal_user.wait_for_message()).text
    )


async def test_language_switch_and_back(telegram_server, bot) -> None:
    user = telegram_server.user(5020, "Hoa", phone="+84912345678")
    await user.share_contact()
    await user.wait_for_message()
    await user.send_command("/language")
    await user.wait_for_message()
    await user.press("lang:en")
    await user.wait_for_edit()
    menu = await user.wait_for_message()
    assert menu.text == "The menu has been updated."
    await user.send_command("/help")
    assert "<b>" not in (help_en := (await user.wait_for_message()).text) and "Help" in help_en
    assert (await Staff.get(code="GV010")).language == "en"
    await user.send_command("/language")
    await user.wait_for_message()
    await user.press("lang:vi")
    await user.wait_for_edit()
    assert (await user.wait_for_message()).text == "Menu đã được cập nhật."


async def test_bad_input_is_answered_and_changes_nothing(telegram_server, bot) -> None:
    user = telegram_server.user(5030, "Hoa", phone="+84912345678")
    await user.share_contact()
    await user.wait_for_message()
    before = await AuditEvent.all().count()
    await user.send_text("x" * 3000)
    assert "quá dài" in (await user.wait_for_message()).text
    await user.send_document(b"PK\x03\x04 nothing", "bai.docx", "application/msword")
    assert "chưa dùng được" in (await user.wait_for_message()).text
    # a PDF is checked as a record file (handlers.verify): a broken one is said so, in words
    await user.send_document(b"%PDF-1.4 nothing", "bai.pdf", "application/pdf")
    broken = (await user.wait_for_message()).text
    assert "Tệp PDF hỏng hoặc không đọc được" in broken and "Hãy gửi" in broken
    assert "malformed" not in broken
    await user.send_command("/language")
    await user.wait_for_message()
    answer = await user.press_forged("lang:xx;DROP TABLE staff")
    alert = await answer.wait_answer()
    assert "không còn hiệu lực" in alert["text"]
    events = await AuditEvent.filter(seq__gt=before)
    assert [e.action for e in events] == ["callback.rejected"]
    assert (await Staff.get(code="GV010")).language == "vi"


async def test_healthz(telegram_server, bot) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{bot.web.port}/healthz") as response,
    ):
        assert response.status == 200
        assert (await response.json()) == {"status": "ok", "database": "ok"}


async def test_webhook_mode_answers(telegram_server: FakeTelegramServer, tmp_path: Path) -> None:
    port = free_port()
    config = bot_config(
        telegram_server,
        tmp_path,
        HOCBA_TELEGRAM_MODE="webhook",
        HOCBA_TELEGRAM_WEBHOOK_SECRET="s3cret-token",
        HOCBA_WEB_PORT=str(port),
        HOCBA_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
    )
    async with running_bot(config, seed_school):
        await telegram_server.wait_until(lambda: telegram_server.webhook, what="setWebhook")
        user = telegram_server.user(5040, "Khách")
        await user.send_command("/start")
        assert "Xin chào!" in (await user.wait_for_message(timeout=10)).text
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"http://127.0.0.1:{config.web.port}/telegram", json={"update_id": 1}
            ) as forged,
        ):
            assert forged.status == 403  # no secret header


async def test_half_finished_flow_survives_a_restart(
    telegram_server: FakeTelegramServer, tmp_path: Path
) -> None:
    config = bot_config(telegram_server, tmp_path)
    admin = telegram_server.user(5050, "Quản", phone="+84922222222")
    async with running_bot(config, seed_school):
        await admin.share_contact()
        await admin.wait_for_message()
        await admin.press_reply("🎟 Tạo mã mời")
        assert "mã cán bộ hoặc họ tên" in (await admin.wait_for_message()).text
    async with running_bot(config):  # a new process would see the same database
        await admin.send_text("GV011")
        link = await admin.wait_for_message(timeout=10)
        assert "Trần Văn Bình (GV011)" in link.text and "?start=" in link.text
