"""What needs a signed-in staff member, asked by someone who is not: one answer, the sign-in.

A stranger, or a teacher who signed out, may still have the main menu's keyboard, an old
reminder with its buttons, or a command from the help. Each flow needs the person's staff
record, and without it some answered nothing at all (a menu button returned silently, a
reminder's button only stopped the spinner). The door runs before every flow (group
DOOR_GROUP, after the language) and answers all of them the same way: a command or a menu
button gets the ways to sign in with the contact keyboard, an inline button an alert saying
so; then nothing else runs.

What anyone may use passes through: /start, /help, /language, /dangxuat, /huy, /phuhuynh; the
language, help, sign-out and parents' buttons; the language choice and «Xem tiếp»; a shared
contact, plain text and files (the catch-all answers those, handlers/fallback.py).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, TypeHandler, filters

from core import buttons
from core.i18n import _
from handlers.common import current_actor, sign_in_first, sign_in_keyboard, staff_menu_buttons
from handlers.context import BotContext
from handlers.signin import sign_in_options

DOOR_GROUP = -2
PUBLIC_COMMANDS = (
    "start",
    "help",
    "language",
    "ngonngu",
    "dangxuat",
    "signout",
    "huy",
    "cancel",
    "phuhuynh",  # parents getting their child's records (handlers/families.py)
    "parent",
)
PUBLIC_BUTTONS = (buttons.CHOOSE_LANGUAGE, buttons.MORE_PAGES, buttons.FAMILY_RECORD)


async def _nothing(_update: Update, _context: BotContext) -> None:
    """Never called: the handler below is used only to recognise a public command."""


_PUBLIC_COMMAND = CommandHandler(PUBLIC_COMMANDS, _nothing)
_STAFF_MENU = staff_menu_buttons()


def _staff_only(update: Update) -> bool:
    query = update.callback_query
    if query is not None:
        return not any(action.pattern.match(query.data or "") for action in PUBLIC_BUTTONS)
    if update.message is None:
        return False
    if filters.COMMAND.check_update(update):
        return not _PUBLIC_COMMAND.check_update(update)
    return bool(_STAFF_MENU.check_update(update))


async def door(update: Update, _context: BotContext) -> None:
    if not _staff_only(update) or await current_actor(update) is not None:
        return
    if update.callback_query is not None:
        await update.callback_query.answer(sign_in_first(), show_alert=True)
    else:
        text = _("Thầy cô cần đăng nhập trước khi dùng việc này.") + "\n\n" + sign_in_options()
        await update.message.reply_text(text, reply_markup=sign_in_keyboard())
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, door), group=DOOR_GROUP)
