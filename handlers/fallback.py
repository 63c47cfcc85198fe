"""Whatever no other handler took: unknown people, stray text, files, stale or forged buttons.

Registered last. Each case gets a short answer saying what to do next, and changes nothing.
Someone not signed in who reaches for a staff-only command or button was answered before the
flows (handlers/door.py); their plain messages get the ways to sign in here.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from core.i18n import _
from core.services import incidents
from handlers.common import current_actor, main_menu, sign_in_keyboard
from handlers.context import BotContext
from handlers.signin import sign_in_options

MAX_TEXT = 1000  # longer messages are not something any flow here expects


async def message(update: Update, _context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        await update.effective_message.reply_text(
            sign_in_options(), reply_markup=sign_in_keyboard()
        )
        return
    incoming = update.effective_message
    if incoming.text and len(incoming.text) > MAX_TEXT:
        text = _("Tin nhắn quá dài ({n} ký tự). Hãy chọn việc cần làm trong menu.").format(
            n=len(incoming.text)
        )
    elif incoming.text and incoming.text.startswith("/"):
        text = _(
            "Trợ lý không có lệnh {command}. Gõ /help để xem các lệnh, hoặc chọn việc cần làm "
            "trong menu bên dưới."
        ).format(command=html.escape(incoming.text.split()[0][:40]))
    elif incoming.text:
        text = _("Trợ lý chưa hiểu tin nhắn này. Hãy chọn việc cần làm trong menu bên dưới.")
    else:
        text = _(
            "Trợ lý chưa dùng được loại tin nhắn hoặc tệp này ở đây. Hãy chọn việc cần làm "
            "trong menu bên dưới."
        )
    await incoming.reply_text(text, reply_markup=main_menu(actor))


async def stale_button(update: Update, _context: BotContext) -> None:
    """A button no handler accepts: old, from another flow, or forged. Audited, since forged
    callback data is an attempt to reach something the person was not offered."""
    query = update.callback_query
    await incidents.button_refused(query.from_user.id, query.data)
    await query.answer(
        _("Nút này không còn hiệu lực. Hãy mở lại menu và chọn lại."), show_alert=True
    )


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, message))
