"""A half-finished conversation survives a restart and a crash, through the fake Telegram.

Each test plays the runtime's part in the order bot/persistence.py prescribes: the record
database is opened BEFORE `Application.initialize()` (PTB reads the persistence there, before
post_init), and closed only after `shutdown()`. A "restart" closes the database and opens it
again before a second Application, built the same way, is initialised on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.persistence import DatabasePersistence, PersistentApplication
from core.db import close_database, open_database
from core.services import botstate
from tests.telegram_fake import FakeTelegramServer
from tests.telegram_fake.fixtures import application_builder, running_polling
from tests.telegram_fake.user import BotMessage, FakeUser

NAME, CLASS, PHONE = range(3)
ASKS_NAME, ASKS_CLASS, ASKS_PHONE = "Em tên là gì?", "Em học lớp nào?", "Số điện thoại phụ huynh?"
NOT_IN_FLOW = "Gõ /ask để bắt đầu."
KEY = "[1001,1001]"  # the conversation key (chat id, user id) as stored


async def ask(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> int:
    await update.effective_message.reply_text(ASKS_NAME)
    return NAME


async def got_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["name"] = update.effective_message.text
    await update.effective_message.reply_text(ASKS_CLASS)
    return CLASS


async def got_class(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data["class"] = update.effective_message.text
    await update.effective_message.reply_text(ASKS_PHONE)
    return PHONE


async def got_phone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    data = context.user_data
    await update.effective_message.reply_text(
        f"Đã ghi: {data['name']}, lớp {data['class']}, phụ huynh {update.effective_message.text}."
    )
    return ConversationHandler.END


async def not_in_flow(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(NOT_IN_FLOW)


def build(server: FakeTelegramServer, *, write_through: bool = True) -> Application:
    """The demo bot as the runtime builds it; `write_through=False` is PTB's plain Application."""
    builder = application_builder(server).persistence(DatabasePersistence())
    if write_through:
        builder = builder.application_class(PersistentApplication)
    app = builder.build()
    answer = filters.TEXT & ~filters.COMMAND
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("ask", ask)],
            states={
                NAME: [MessageHandler(answer, got_name)],
                CLASS: [MessageHandler(answer, got_class)],
                PHONE: [MessageHandler(answer, got_phone)],
            },
            fallbacks=[],
            persistent=True,
            name="demo",
        )
    )
    app.add_handler(MessageHandler(filters.ALL, not_in_flow))
    return app


async def restart_database(url: str) -> None:
    """The old process closed the database (post_shutdown) or died; the new one opens it,
    which the runtime must do before the new Application's initialize()."""
    await close_database()
    await open_database(url)


async def says(user: FakeUser, text: str) -> BotMessage:
    return await user.wait_for_message(lambda m: m.text == text)


@pytest.fixture
async def started(telegram_server: FakeTelegramServer) -> AsyncIterator[list[Application]]:
    """Applications started by hand (to be crashed); whatever is still running is shut down."""
    apps: list[Application] = []
    yield apps
    for app in apps:
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.bot.shutdown()


async def start(app: Application, started: list[Application]) -> None:
    started.append(app)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)


async def handled(app: Application) -> None:
    """Every update received so far is through process_update, PersistentApplication's write
    included (the reply the user sees is sent before that write)."""
    await asyncio.wait_for(app.update_queue.join(), 5)


async def crash(app: Application) -> None:
    """The process dies after handling what it received: no shutdown(), which is where PTB
    would run a last update_persistence() and flush(). Only the HTTP client is closed, as the
    operating system would close a dead process's sockets."""
    await handled(app)
    await app.updater.stop()
    await app.stop()
    await app.bot.shutdown()


async def test_the_flow_continues_after_a_restart(
    db: str, telegram_server: FakeTelegramServer
) -> None:
    user = telegram_server.user(1001, "Lan")
    async with running_polling(build(telegram_server)):
        await user.send_command("/ask")
        await says(user, ASKS_NAME)
        await user.send_text("Nguyễn Thị Lan")
        await says(user, ASKS_CLASS)

    await restart_database(db)
    async with running_polling(build(telegram_server)):
        await user.send_text("6A")
        await says(user, ASKS_PHONE)
        await user.send_text("0912345678")
        await says(user, "Đã ghi: Nguyễn Thị Lan, lớp 6A, phụ huynh 0912345678.")

    assert await botstate.entries("conversations:demo") == {}  # ended, so forgotten
    assert await botstate.entries("user_data") == {
        "1001": {"name": "Nguyễn Thị Lan", "class": "6A"}
    }


async def test_each_step_is_stored_at_once_so_a_crash_loses_nothing(
    db: str, telegram_server: FakeTelegramServer, started: list[Application]
) -> None:
    user = telegram_server.user(1001, "Lan")
    first = build(telegram_server)
    await start(first, started)
    await user.send_command("/ask")
    await says(user, ASKS_NAME)
    await user.send_text("Nguyễn Thị Lan")
    await says(user, ASKS_CLASS)
    await crash(first)

    # stored while the update was handled, not by a shutdown that never came
    assert await botstate.entries("conversations:demo") == {KEY: CLASS}
    assert await botstate.entries("user_data") == {"1001": {"name": "Nguyễn Thị Lan"}}

    await restart_database(db)
    second = build(telegram_server)
    await start(second, started)
    await user.send_text("6A")
    await says(user, ASKS_PHONE)
    await handled(second)
    assert await botstate.get("conversations:demo", KEY) == PHONE
    await user.send_text("0912345678")
    await says(user, "Đã ghi: Nguyễn Thị Lan, lớp 6A, phụ huynh 0912345678.")


async def test_plain_application_would_lose_the_step_in_a_crash(
    db: str, telegram_server: FakeTelegramServer, started: list[Application]
) -> None:
    """Why PersistentApplication exists: PTB hands states to the persistence only on its timer
    or at shutdown, so with the plain Application the crash forgets the flow."""
    user = telegram_server.user(1001, "Lan")
    first = build(telegram_server, write_through=False)
    await start(first, started)
    await user.send_command("/ask")
    await says(user, ASKS_NAME)
    await user.send_text("Nguyễn Thị Lan")
    await says(user, ASKS_CLASS)
    await crash(first)
    assert await botstate.entries("conversations:demo") == {}

    await restart_database(db)
    await start(build(telegram_server), started)
    await user.send_text("6A")
    await says(user, NOT_IN_FLOW)


async def test_data_that_is_not_json_reaches_the_error_handler_by_name(
    db: str, telegram_server: FakeTelegramServer
) -> None:
    errors: list[BaseException] = []

    async def keep_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.user_data["last"] = update.effective_message  # a Message is not JSON
        await update.effective_message.reply_text("ok")

    async def on_error(_update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app = application_builder(telegram_server).application_class(PersistentApplication)
    app = app.persistence(DatabasePersistence()).build()
    app.add_handler(MessageHandler(filters.TEXT, keep_message))
    app.add_error_handler(on_error)
    user = telegram_server.user(1001, "Lan")
    async with running_polling(app):
        await user.send_text("xin chào")
        await says(user, "ok")
        await handled(app)
        assert [type(e) for e in errors] == [TypeError]
        assert "user_data[1001]['last'] is of type Message" in str(errors[0])
    assert await botstate.entries("user_data") == {}


async def test_initialize_refuses_to_start_before_the_database_is_open(
    db: str, telegram_server: FakeTelegramServer
) -> None:
    await close_database()
    app = build(telegram_server)
    try:
        with pytest.raises(RuntimeError, match=r"open_database\(url\)` before initialize"):
            await app.initialize()
    finally:
        await app.bot.shutdown()
        await open_database(db)
