"""The global error handler: expected refusals are shown as they are; anything else is logged
with a reference, the person gets a short apology with it (never a stack trace), and the
admins of the person's school are told (core.services.incidents, through the outbox).

Telegram's own refusals of a reply: Forbidden (the person blocked the bot) is only logged,
since nothing can reach them; BadRequest (the bot sent something Telegram would not take) is a
bug of ours and is reported like any unexpected error. Other network failures are transient
and only logged.
"""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import Application

from core.errors import HocbaError
from core.i18n import _
from core.services import incidents
from handlers.context import BotContext

log = logging.getLogger("hocba.bot")
TELEGRAM_LIMIT = 4096


def _fit(text: str) -> str:
    """Telegram refuses longer messages; an import may report hundreds of problems."""
    if len(text) <= TELEGRAM_LIMIT:
        return text
    return text[: TELEGRAM_LIMIT - 80].rsplit("\n", 1)[0] + "\n" + _("… (còn nữa, đã rút gọn)")


def _what(update: Update) -> str:
    """What the person did, for the admins: the command or text, the button, the file."""
    if update.callback_query:
        return _("nút «{data}»").format(data=update.callback_query.data or "")
    message = update.effective_message
    if message is None:
        return _("cập nhật loại khác")
    if message.text:
        return message.text.split(maxsplit=1)[0] if message.text.startswith("/") else _("tin nhắn")
    if message.document:
        return _("tệp «{name}»").format(name=message.document.file_name or "")
    return _("tin nhắn loại khác")


async def _tell(update: Update, context: BotContext, text: str) -> None:
    """Answer the person; a refusal by Telegram here is only logged (there is no one left to
    tell). A button press may have been answered already by the handler that failed: Telegram
    then refuses a second answer, and the message is sent all the same."""
    if update.callback_query:
        try:
            await update.callback_query.answer()
        except TelegramError as refused:
            log.debug("button of update %s already answered: %s", update.update_id, refused)
    if update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError as refused:
            log.warning("could not answer update %s: %s", update.update_id, refused)


async def _report(update: Update, context: BotContext, error: BaseException) -> str:
    """Log the error under a new reference and tell the admins; returns the reference."""
    reference = incidents.new_reference()
    user = update.effective_user
    log.error(
        "update %s from user %s failed (ref %s)",
        update.update_id,
        user.id if user else None,
        reference,
        exc_info=error,
    )
    incident = incidents.Incident(reference, _what(update), error)
    try:
        await incidents.report(
            incident,
            telegram_user_id=user.id if user else None,
            school_id=context.runtime.school_id,
        )
    except Exception:  # the report must not hide the error it reports
        log.exception("could not report error %s to the admins", reference)
    return reference


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %r", error, exc_info=error)
        return
    if isinstance(error, HocbaError):
        await _tell(update, context, _fit(html.escape(str(error))))
        return
    if isinstance(error, Forbidden):
        log.warning("Telegram refused update %s (blocked?): %s", update.update_id, error)
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("Telegram failed for update %s: %s", update.update_id, error)
        return
    reference = await _report(update, context, error)
    await _tell(
        update,
        context,
        _(
            "Xin lỗi, Trợ lý gặp lỗi khi xử lý yêu cầu này. Thầy cô thử lại sau ít phút; nếu vẫn "
            "lỗi, hãy báo quản trị học bạ số của trường kèm mã lỗi {ref}."
        ).format(ref=reference),
    )


def register(application: Application) -> None:
    application.add_error_handler(on_error)
