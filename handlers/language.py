"""/language: each person reads the assistant in Vietnamese (default) or English."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
)

from core.i18n import _, activate
from core.services.access import Actor
from core.services.signin import set_language
from handlers.common import (
    LANGUAGE_KEY,
    Menu,
    MenuButton,
    current_staff,
    main_menu,
    sign_in_keyboard,
)

CHOICES = {"vi": "Tiếng Việt", "en": "English"}  # each name in its own language, never translated
CALLBACK = r"^lang:(vi|en)$"


async def ask(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    buttons = [
        [InlineKeyboardButton(name, callback_data=f"lang:{code}")] for code, name in CHOICES.items()
    ]
    await update.effective_message.reply_text(
        _("Chọn ngôn ngữ:"), reply_markup=InlineKeyboardMarkup(buttons)
    )


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    language = context.match.group(1)
    staff = await current_staff(update)
    if staff:
        await set_language(staff, language)
    else:
        context.user_data[LANGUAGE_KEY] = language
    activate(language)
    await query.answer()
    await query.edit_message_text(_("Đã chuyển ngôn ngữ sang tiếng Việt."))
    keyboard = main_menu(await Actor.of_staff(staff)) if staff else sign_in_keyboard()
    await query.message.reply_text(_("Menu đã được cập nhật."), reply_markup=keyboard)


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["language", "ngonngu"], ask))
    application.add_handler(MessageHandler(MenuButton(Menu.language), ask))
    application.add_handler(CallbackQueryHandler(choose, pattern=CALLBACK))
