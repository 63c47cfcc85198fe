"""The global error handler: expected refusals are shown as they are; anything else is logged
with its context and the person gets a short apology with a reference, never a stack trace."""

from __future__ import annotations

import logging
import secrets

from telegram import Update
from telegram.error import Forbidden, NetworkError
from telegram.ext import Application, ContextTypes

from core.errors import HocbaError
from core.i18n import _

log = logging.getLogger("hocba.bot")
TELEGRAM_LIMIT = 4096


def _fit(text: str) -> str:
    """Telegram refuses longer messages; an import may report hundreds of problems."""
    if len(text) <= TELEGRAM_LIMIT:
        return text
    return text[: TELEGRAM_LIMIT - 80].rsplit("\n", 1)[0] + "\n" + _("… (còn nữa, đã rút gọn)")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update: %r", error, exc_info=error)
        return
    if isinstance(error, HocbaError):
        text = _fit(str(error))
    elif isinstance(error, Forbidden | NetworkError):
        log.warning("Telegram refused or failed for update %s: %s", update.update_id, error)
        return
    else:
        reference = secrets.token_hex(3)
        log.error(
            "update %s from user %s failed (ref %s)",
            update.update_id,
            update.effective_user.id if update.effective_user else None,
            reference,
            exc_info=error,
        )
        text = _(
            "Xin lỗi, Trợ lý gặp lỗi khi xử lý yêu cầu này. Thầy cô thử lại sau ít phút; nếu vẫn "
            "lỗi, hãy báo quản trị học bạ số của trường kèm mã lỗi {ref}."
        ).format(ref=reference)
    if update.callback_query:
        await update.callback_query.answer()
    if update.effective_chat:
        await context.bot.send_message(update.effective_chat.id, text)


def register(application: Application) -> None:
    application.add_error_handler(on_error)
