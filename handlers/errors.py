"""The global error handler: expected refusals are shown as they are; anything else is logged
with a reference, the person gets a short apology with it (never a stack trace), and the
admins of the person's school are told (core.services.incidents, through the outbox).

A refusal is shown whole, in pages when it is long (an import may list hundreds of problems,
a class may miss data for every student): handlers/replies.py.

Telegram's own refusals of a reply: Forbidden (the person blocked the bot) is only logged,
since nothing can reach them; BadRequest (the bot sent something Telegram would not take) is a
bug of ours: the person is told in plain words that Telegram did not take the answer, and the
admins get the reference with Telegram's reason. Other network failures are transient and
only logged. An error in background work (a scheduled job) has nobody to answer and is told to
the admins of the served school.
"""

from __future__ import annotations

import html
import logging

from telegram import Message, Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import Application

from core.errors import HocbaError
from core.i18n import _
from core.services import incidents
from handlers import replies
from handlers.context import BotContext

log = logging.getLogger("hocba.bot")


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
    """Answer the person, in pages if long; a refusal by Telegram here is only logged (there is
    no one left to tell). A button press may have been answered already by the handler that
    failed: Telegram then refuses a second answer, and the message is sent all the same."""
    if update.callback_query:
        try:
            await update.callback_query.answer()
        except TelegramError as refused:
            log.debug("button of update %s already answered: %s", update.update_id, refused)
    try:
        if isinstance(update.effective_message, Message):
            await replies.reply(update, context, text)
        elif update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError as refused:
        log.warning("could not answer update %s: %s", update.update_id, refused)


async def _report(context: BotContext, error: BaseException, what: str, user_id: int | None) -> str:
    """Log the error under a new reference and tell the admins; returns the reference."""
    reference = incidents.new_reference()
    log.error("%s for user %s failed (ref %s)", what, user_id, reference, exc_info=error)
    detail = error.message if isinstance(error, TelegramError) else ""
    try:
        await incidents.report(
            incidents.Incident(reference, what, error, detail),
            telegram_user_id=user_id,
            school_id=context.runtime.school_id,
        )
    except Exception:  # the report must not hide the error it reports
        log.exception("could not report error %s to the admins", reference)
    return reference


def _apology(error: BaseException, reference: str) -> str:
    if isinstance(error, BadRequest):
        text = _(
            "Xin lỗi, Trợ lý gặp lỗi: Telegram không nhận câu trả lời cho yêu cầu này. Quản trị "
            "học bạ số của trường đã được báo kèm mã lỗi {ref}; thầy cô thử lại sau ít phút."
        )
    else:
        text = _(
            "Xin lỗi, Trợ lý gặp lỗi khi xử lý yêu cầu này. Thầy cô thử lại sau ít phút; nếu vẫn "
            "lỗi, hãy báo quản trị học bạ số của trường kèm mã lỗi {ref}."
        )
    return text.format(ref=reference)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if error is None:
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("Telegram failed (update %s): %s", getattr(update, "update_id", None), error)
        return
    if not isinstance(update, Update):
        job = context.job.name if context.job else None
        what = _("việc nền «{job}»").format(job=job) if job else _("việc nền")
        await _report(context, error, what, None)
        return
    if isinstance(error, HocbaError):
        await _tell(update, context, html.escape(str(error)))
        return
    if isinstance(error, Forbidden):
        log.warning("Telegram refused update %s (blocked?): %s", update.update_id, error)
        return
    user = update.effective_user
    reference = await _report(context, error, _what(update), user.id if user else None)
    await _tell(update, context, _apology(error, reference))


def register(application: Application) -> None:
    application.add_error_handler(on_error)
