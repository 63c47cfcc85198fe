"""A record file sent to the bot (.xml or .pdf) is verified: the four checks of regulation 001
Điều 15 for each signature, and whether the record is current, replaced or revoked.

Anyone may ask, as at the school's desk (Điều 15: whoever receives a record checks it): the
answer is the same report `hocba verify` prints (core.services.verification.verify_for). A file
too big to be a record is refused before it is downloaded. Inside a conversation (/suadiem) a
file is that conversation's (its evidence): conversations are registered first.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, MessageHandler, filters

from core.errors import HocbaError
from core.services.verification import MAX_FILE_BYTES, too_big, verify_for
from handlers import replies
from handlers.common import current_actor
from handlers.context import BotContext

RECORD_FILES = filters.Document.FileExtension("xml") | filters.Document.FileExtension("pdf")


async def receive(update: Update, context: BotContext) -> None:
    message = update.effective_message
    document = message.document
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await message.reply_text(str(too_big(document.file_size or 0)))
        return
    await message.reply_chat_action(ChatAction.TYPING)  # at once: checking takes a moment
    data = bytes(await (await document.get_file()).download_as_bytearray())
    actor = await current_actor(update)
    label = actor.label if actor else f"telegram:{update.effective_user.id}"
    try:
        report = await verify_for(context.runtime, data, label)
    except HocbaError as refused:
        await replies.reply(update, context, html.escape(str(refused)))
        return
    await replies.reply(update, context, html.escape("\n".join(report.lines())))


def register(application: Application) -> None:
    application.add_handler(MessageHandler(RECORD_FILES, receive))
