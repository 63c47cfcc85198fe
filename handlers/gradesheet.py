"""A teacher sends a filled grade sheet back: the core importer checks it as a whole (the file
is parsed in the worker pool) and either saves it or lists every problem (nothing is written
then, and the answer says so and asks for the whole file again). A long list of problems
comes in pages (handlers/replies.py)."""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, MessageHandler, filters

from core.errors import ImportRejected
from core.i18n import _
from core.importing import import_marks_sheet
from handlers import replies
from handlers.common import current_actor
from handlers.context import BotContext
from handlers.signin import sign_in_options

MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
SHEETS = filters.Document.FileExtension("xlsx") | filters.Document.FileExtension("csv")


async def receive(update: Update, context: BotContext) -> None:
    actor = await current_actor(update)
    message = update.effective_message
    if actor is None:
        await message.reply_text(sign_in_options())
        return
    document = message.document
    if (document.file_size or 0) > MAX_BYTES:
        await message.reply_text(
            _(
                "Tệp quá lớn ({size:.1f} MB). Bảng điểm chỉ cần vài trăm KB: hãy gửi tệp .xlsx "
                "của một lớp, một môn."
            ).format(size=document.file_size / 1024 / 1024)
        )
        return
    await message.reply_chat_action(ChatAction.TYPING)  # at once: checking a sheet takes a moment
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        report = await import_marks_sheet(
            actor, data, document.file_name or "bangdiem.xlsx", workers=context.runtime.workers
        )
    except ImportRejected as rejected:
        await replies.reply(update, context, html.escape(str(rejected)))
        return
    await replies.reply(update, context, html.escape(report.summary()))


def register(application: Application) -> None:
    application.add_handler(MessageHandler(SHEETS, receive))
