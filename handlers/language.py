"""/language: each person reads the assistant in Vietnamese (default) or English."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler

from core import buttons
from core.i18n import _, activate
from core.services import signin
from handlers.common import LANGUAGE_KEY, Menu, MenuButton, main_menu, sign_in_keyboard
from handlers.context import BotContext

CHOICES = {"vi": "Tiếng Việt", "en": "English"}  # each name in its own language, never translated


async def ask(update: Update, _context: BotContext) -> None:
    rows = [
        [InlineKeyboardButton(name, callback_data=buttons.CHOOSE_LANGUAGE.data(code))]
        for code, name in CHOICES.items()
    ]
    await update.effective_message.reply_text(
        _("Chọn ngôn ngữ:"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def choose(update: Update, context: BotContext) -> None:
    """Kept on the staff record when signed in, else in this person's user_data (one key)."""
    query = update.callback_query
    (language,) = buttons.CHOOSE_LANGUAGE.parse(query.data)
    person = await signin.choose_language(update.effective_user.id, language)
    if person is None:
        context.user_data[LANGUAGE_KEY] = language
    activate(language)
    await query.answer()
    await query.edit_message_text(_("Đã chuyển ngôn ngữ sang tiếng Việt."))
    keyboard = main_menu(person.actor) if person else sign_in_keyboard()
    await query.message.reply_text(_("Menu đã được cập nhật."), reply_markup=keyboard)


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["language", "ngonngu"], ask))
    application.add_handler(MessageHandler(MenuButton(Menu.language), ask))
    application.add_handler(CallbackQueryHandler(choose, pattern=buttons.CHOOSE_LANGUAGE.pattern))
