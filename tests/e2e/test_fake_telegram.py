"""The fake Telegram server drives a real PTB Application the way Telegram and a person would."""

from __future__ import annotations

import asyncio
import datetime as dtm
import struct
import zlib

import aiohttp
import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.telegram_fake import (
    FakeTelegramServer,
    application_builder,
    running_polling,
    running_webhook,
)

USER_ID = 5_001


def _png(width: int, height: int) -> bytes:
    """A valid 1-colour PNG so photo dimensions are checked from real image headers."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png(4, 3)


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Đồng ý", callback_data="yes")],
            [InlineKeyboardButton("Hủy", callback_data="no")],
        ]
    )
    args = " ".join(context.args or [])
    await update.effective_message.reply_text(f"Xin chào! args={args}", reply_markup=keyboard)


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"Bạn chọn {query.data}")
    await query.edit_message_text(f"Đã chọn: <b>{query.data}</b>", parse_mode="HTML")


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    document = update.effective_message.document
    file = await document.get_file()
    data = await file.download_as_bytearray()
    await update.effective_message.reply_text(f"size={len(data)} name={document.file_name}")


async def _photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    photo = update.effective_message.photo[-1]
    data = await (await photo.get_file()).download_as_bytearray()
    await update.effective_message.reply_photo(bytes(data), caption=f"{photo.width}x{photo.height}")


async def _contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    contact = update.effective_message.contact
    own = contact.user_id == update.effective_user.id
    await update.effective_message.reply_text(f"phone={contact.phone_number} own={own}")


async def _album(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message.media_group_id is not None:
        await message.reply_text(f"album={message.media_group_id}")


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def build_app(server: FakeTelegramServer) -> Application:
    """The tiny test bot: /start with buttons, echo, document size, photo, contact, album."""
    app = application_builder(server).build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(MessageHandler(filters.Document.ALL, _document))
    app.add_handler(MessageHandler(filters.PHOTO & ~filters.UpdateType.EDITED, _photo), group=0)
    app.add_handler(MessageHandler(filters.CONTACT, _contact))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(MessageHandler(filters.ALL, _album), group=1)
    return app


@pytest.fixture
def app(telegram_server: FakeTelegramServer) -> Application:
    return build_app(telegram_server)


async def test_text_round_trip(telegram_server: FakeTelegramServer, app: Application) -> None:
    user = telegram_server.user(USER_ID, "Lan", phone="+84901234567")
    async with running_polling(app):
        sent = await user.send_text("Chào thầy 👋")
        reply = await user.wait_for_message(lambda m: m.text is not None)
    assert reply.text == "Chào thầy 👋"
    assert reply.message_id > sent["message_id"]
    assert reply.raw["from"]["id"] == telegram_server.bot_id
    assert reply.raw["chat"] == {"id": USER_ID, "type": "private", "first_name": "Lan"}
    assert [c.method for c in telegram_server.calls][:1] == ["getMe"]
    assert telegram_server.calls_to("sendMessage")[0].ok


async def test_command_with_args_and_button_press(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    async with running_polling(app):
        await user.send_command("/start", args="abc")
        greeting = await user.wait_for_message(lambda m: bool(m.inline_buttons))
        assert greeting.text == "Xin chào! args=abc"
        assert greeting.inline_buttons == ["Đồng ý", "Hủy"]
        assert greeting.callback_data == ["yes", "no"]

        press = await user.press("Đồng ý")
        answer = await press.wait_answer()
        edited = await user.wait_for_edit(greeting.message_id)
    assert answer["text"] == "Bạn chọn yes" and answer["show_alert"] is False
    # Telegram strips the HTML into entities and drops the keyboard on a markup-less edit.
    assert edited.text == "Đã chọn: yes"
    assert edited.entities == [{"type": "bold", "offset": 9, "length": 3}]
    assert edited.reply_markup is None and edited.edited
    assert user.messages()[0].text == "Đã chọn: yes"
    with pytest.raises(LookupError):
        await user.press("Hủy")  # keyboard is gone


async def test_edit_unknown_message_and_no_op_edit_raise_bad_request(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    async with app:
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await app.bot.edit_message_text("x", chat_id=USER_ID, message_id=999)
        message = await app.bot.send_message(USER_ID, "một")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await app.bot.edit_message_text("một", chat_id=USER_ID, message_id=message.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await app.bot.send_message(USER_ID, "   ")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await app.bot.send_message(424242, "ai đó?")
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await app.bot.send_message(USER_ID, "1 < 2 <x>", parse_mode="HTML")
        assert await app.bot.delete_message(USER_ID, message.message_id)
        with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
            await app.bot.delete_message(USER_ID, message.message_id)
    assert user.messages() == []


async def test_document_upload_download_round_trip(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    payload = bytes(range(256)) * 40
    async with running_polling(app):
        await user.send_document(payload, "diem_lop_10A.xlsx", "application/vnd.ms-excel")
        reply = await user.wait_for_message(lambda m: (m.text or "").startswith("size="))
        assert reply.text == f"size={len(payload)} name=diem_lop_10A.xlsx"

        # The bot uploads a document (multipart) and the person downloads the same bytes.
        sent = await app.bot.send_document(
            USER_ID, payload, filename="bao_cao.pdf", caption="Báo cáo"
        )
        received = await user.wait_for_message(lambda m: m.document is not None)
        # Resending by file_id is the same stored file.
        again = await app.bot.send_document(USER_ID, sent.document.file_id)
        file = await again.document.get_file()
        assert bytes(await file.download_as_bytearray()) == payload
    assert received.document.data == payload
    assert received.document.file_name == "bao_cao.pdf"
    assert received.document.mime_type == "application/pdf"
    assert received.caption == "Báo cáo"


async def test_photo_sent_by_bot_is_readable(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    async with running_polling(app):
        await user.send_photo(PNG, caption="ảnh")
        reply = await user.wait_for_message(lambda m: m.photo is not None)
    assert reply.photo.data == PNG
    assert (reply.photo.width, reply.photo.height) == (4, 3)
    assert reply.caption == "4x3"
    assert reply.raw["photo"][0]["file_size"] == len(PNG)


async def test_media_groups_both_ways(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    async with running_polling(app):
        sent = await user.send_media_group([PNG, _png(2, 2)], caption="album")
        assert len({m["media_group_id"] for m in sent}) == 1
        replies = await user.wait_for_messages(4)  # 2× photo echo + 2× album handler
        album_replies = [m.text for m in replies if (m.text or "").startswith("album=")]
        assert album_replies == [f"album={sent[0]['media_group_id']}"] * 2

        messages = await app.bot.send_media_group(
            USER_ID, [InputMediaPhoto(PNG, caption="một"), InputMediaPhoto(_png(1, 1))]
        )
    assert len({m.media_group_id for m in messages}) == 1
    shown = user.messages()[-2:]
    assert [m.photo.data for m in shown] == [PNG, _png(1, 1)]
    assert shown[0].caption == "một" and shown[0].media_group_id == messages[0].media_group_id


async def test_contacts_own_and_foreign(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan", phone="+84901234567")
    async with running_polling(app):
        await user.share_contact()
        own = await user.wait_for_message(lambda m: (m.text or "").startswith("phone="))
        await user.share_contact(phone="+84911111111", user_id=777)
        foreign = await user.wait_for_message(lambda m: (m.text or "").startswith("phone="))
    assert own.text == "phone=+84901234567 own=True"
    assert foreign.text == "phone=+84911111111 own=False"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_server_error_and_blocked_user(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    async with app:
        telegram_server.fail_next("sendMessage", status=429, retry_after=3)
        with pytest.raises(RetryAfter) as info:
            await app.bot.send_message(USER_ID, "a")
        retry = info.value.retry_after
        assert retry in (3, dtm.timedelta(seconds=3))

        telegram_server.fail_next("sendMessage", status=500)
        with pytest.raises(NetworkError, match=r"(?i)Internal Server Error"):
            await app.bot.send_message(USER_ID, "b")
        telegram_server.fail_next("*", status=502)
        with pytest.raises(NetworkError):
            await app.bot.get_me()

        assert (await app.bot.send_message(USER_ID, "c")).text == "c"  # faults are one-shot
        user.block_bot()
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await app.bot.send_message(USER_ID, "d")
    assert [c.status for c in telegram_server.calls_to("sendMessage")] == [429, 500, 200, 403]
    assert "my_chat_member" in telegram_server.updates[-1]


async def test_send_rate_helper(telegram_server: FakeTelegramServer, app: Application) -> None:
    telegram_server.user(USER_ID, "Lan")
    telegram_server.user(USER_ID + 1, "Minh")
    async with app:
        for _ in range(3):
            await app.bot.send_message(USER_ID, "x")
        await app.bot.send_message(USER_ID + 1, "y")
        await app.bot.send_chat_action(USER_ID, "typing")
    assert telegram_server.max_send_rate() == 4
    assert telegram_server.max_send_rate(chat_id=USER_ID) == 3
    assert telegram_server.max_send_rate_per_chat() == {USER_ID: 3, USER_ID + 1: 1}
    # With a window so small no two calls share it, the peak is one.
    assert telegram_server.max_send_rate(window=1e-9) == 1
    assert telegram_server.users[USER_ID].chat_actions() == ["typing"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_optional_flood_control(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    telegram_server.user(USER_ID, "Lan")
    telegram_server.enable_flood_control(per_chat_per_second=2, overall_per_second=None)
    async with app:
        await app.bot.send_message(USER_ID, "1")
        await app.bot.send_message(USER_ID, "2")
        with pytest.raises(RetryAfter):
            await app.bot.send_message(USER_ID, "3")
    assert telegram_server.max_send_rate(chat_id=USER_ID, successful_only=True) == 2


async def test_long_poll_offset_and_conflict(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    async with app:
        await user.send_text("một")
        await user.send_text("hai")
        first = await app.bot.get_updates(timeout=0)
        assert [u.message.text for u in first] == ["một", "hai"]
        again = await app.bot.get_updates(offset=first[-1].update_id, timeout=0)
        assert [u.message.text for u in again] == ["hai"]  # confirmed below the offset only
        assert await app.bot.get_updates(offset=first[-1].update_id + 1, timeout=0) == ()

        await app.bot.set_webhook("http://127.0.0.1:9/hook")
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await app.bot.get_updates(timeout=0)
        assert (await app.bot.get_webhook_info()).url == "http://127.0.0.1:9/hook"
        await app.bot.delete_webhook()
        assert (await app.bot.get_webhook_info()).url == ""


async def test_commands_menu(telegram_server: FakeTelegramServer, app: Application) -> None:
    user = telegram_server.user(USER_ID, "Lan", language_code="vi")
    async with app:
        await app.bot.set_my_commands([("start", "Bắt đầu")], language_code="vi")
        await app.bot.set_my_commands([("start", "Start")])
        assert [c.description for c in await app.bot.get_my_commands(language_code="vi")] == [
            "Bắt đầu"
        ]
        assert user.commands() == [{"command": "start", "description": "Bắt đầu"}]
        with pytest.raises(BadRequest):
            await app.bot.set_my_commands([("Bad-Command", "x")])
        await app.bot.delete_my_commands(language_code="vi")
    assert user.commands() == [{"command": "start", "description": "Start"}]


async def test_webhook_delivery_and_wrong_secret(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    async with running_webhook(app, secret_token="s3cr3t-Token"):
        assert telegram_server.webhook is not None
        assert telegram_server.webhook.secret_token == "s3cr3t-Token"
        await user.send_text("qua webhook")
        reply = await user.wait_for_message()
        assert reply.text == "qua webhook"

        # A stale secret on Telegram's side: PTB refuses with 403 and nothing is processed.
        telegram_server.webhook.secret_token = "wrong"
        await user.send_text("bị từ chối")
        refused = await telegram_server.wait_until(
            lambda: [d for d in telegram_server.webhook_deliveries if d.status == 403]
        )
        assert refused[0].error.startswith("Wrong response from the webhook: 403")
        info = await app.bot.get_webhook_info()
        assert info.pending_update_count == 1
        assert "403" in info.last_error_message

        # Telegram keeps retrying; once the secret matches again the update gets through.
        telegram_server.webhook.secret_token = "s3cr3t-Token"
        late = await user.wait_for_message()
        assert late.text == "bị từ chối"

        # A direct POST with a wrong secret is refused by PTB's webhook handler too.
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                telegram_server.webhook.url,
                json={"update_id": 1, "message": {}},
                headers={"X-Telegram-Bot-Api-Secret-Token": "nope"},
            ) as response,
        ):
            assert response.status == 403


async def test_raw_protocol_json_form_query_and_errors(
    telegram_server: FakeTelegramServer,
) -> None:
    """The HTTP surface itself: body encodings, 404 for unknown methods, 401 for bad tokens."""
    telegram_server.user(USER_ID, "Lan")
    api = f"{telegram_server.base_url}{telegram_server.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api}/sendMessage", json={"chat_id": USER_ID, "text": "j"}) as r:
            assert r.status == 200
            body = await r.json()
            assert body["ok"] is True and body["result"]["text"] == "j"
        form = {"chat_id": str(USER_ID), "text": "*f*", "parse_mode": "MarkdownV2"}
        async with session.post(f"{api}/sendMessage", data=form) as r:
            result = (await r.json())["result"]
            assert result["entities"] == [{"type": "bold", "offset": 0, "length": 1}]
        bad = {"chat_id": str(USER_ID), "text": "1.5", "parse_mode": "MarkdownV2"}
        async with session.post(f"{api}/sendMessage", data=bad) as r:
            assert r.status == 400
            assert "reserved" in (await r.json())["description"]
        async with session.get(f"{api}/getMe") as r:
            assert (await r.json())["result"]["is_bot"] is True
        async with session.post(f"{api}/sendMessage", data={"text": "x"}) as r:
            assert r.status == 400
        async with session.post(f"{api}/noSuchMethod") as r:
            assert r.status == 404
            assert await r.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with session.post(f"{telegram_server.base_url}1:wrong/getMe") as r:
            assert r.status == 401
        async with session.get(f"{telegram_server.base_file_url}{telegram_server.token}/x") as r:
            assert r.status == 404
    assert [c.method for c in telegram_server.calls] == [
        "sendMessage",
        "sendMessage",
        "sendMessage",
        "getMe",
        "sendMessage",
        "noSuchMethod",
    ]


async def test_long_poll_waits_returns_early_and_conflicts(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan")
    async with app:
        empty = await app.bot.get_updates(timeout=0)
        assert empty == ()
        poll = asyncio.create_task(app.bot.get_updates(timeout=5))
        await telegram_server.wait_until(
            lambda: telegram_server.calls_to("getUpdates")[1:], what="the long poll"
        )
        started = asyncio.get_running_loop().time()
        await user.send_text("dậy đi")
        updates = await poll
        assert asyncio.get_running_loop().time() - started < 4  # early, not after 5 s
        assert [u.message.text for u in updates] == ["dậy đi"]

        # A second poller (another bot instance) terminates the waiting one with 409.
        offset = updates[-1].update_id + 1
        older = asyncio.create_task(app.bot.get_updates(offset=offset, timeout=5))
        await telegram_server.wait_until(
            lambda: len(telegram_server.calls_to("getUpdates")) == 3, what="third poll"
        )
        api = f"{telegram_server.base_url}{telegram_server.token}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{api}/getUpdates", json={"offset": offset}) as response,
        ):
            assert response.status == 200
        with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
            await older


async def test_reply_keyboard_contact_button_and_allowed_updates(
    telegram_server: FakeTelegramServer, app: Application
) -> None:
    user = telegram_server.user(USER_ID, "Lan", phone="84901234567")
    async with app:
        await app.bot.send_message(
            USER_ID,
            "Chia sẻ số điện thoại",
            reply_markup=ReplyKeyboardMarkup(
                [[KeyboardButton("📱 Gửi số", request_contact=True)]], one_time_keyboard=True
            ),
        )
        shown = await user.wait_for_message()
        assert shown.reply_buttons == ["📱 Gửi số"]
        assert "reply_markup" not in shown.raw  # Telegram echoes only inline keyboards
        await user.press_reply("📱 Gửi số")
        assert user.reply_keyboard is None  # one-time keyboard hides after use
        updates = await app.bot.get_updates(timeout=0, allowed_updates=["callback_query"])
        assert updates == ()  # the contact message is not an allowed type → dropped
        await user.send_text("lại")
        updates = await app.bot.get_updates(timeout=0, allowed_updates=[])
        assert [u.message.text for u in updates] == ["lại"]
