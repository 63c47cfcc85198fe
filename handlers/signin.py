"""Signing in: /start with an invite code, the "share my phone number" button, and sign-out."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application, ChatMemberHandler, CommandHandler, MessageHandler, filters

from core.i18n import _
from core.services import signin
from handlers.common import (
    Menu,
    MenuButton,
    current_person,
    main_menu,
    sign_in_keyboard,
)
from handlers.context import BotContext


def sign_in_options() -> str:
    return _(
        "Trợ lý Học bạ số chỉ dành cho cán bộ, giáo viên của trường và phụ huynh.\n\n"
        "Thầy cô đăng nhập bằng một trong hai cách:\n"
        "1. Mở đường link có mã mời mà quản trị học bạ số của trường gửi;\n"
        "2. Bấm nút «Chia sẻ số điện thoại của tôi» bên dưới (số phải trùng số nhà trường "
        "đã khai cho thầy cô).\n\n"
        "Phụ huynh lấy học bạ số của con: bấm «{button}» hoặc gửi /phuhuynh."
    ).format(button=Menu.family())


async def greet(update: Update, person: signin.Person, news: Sequence[str] = ()) -> None:
    """The greeting; after a sign-in, with what waited for the person (`Arrival.lines`: how
    many messages follow, one line for those that lapsed meanwhile)."""
    lines = [
        _("Chào thầy/cô {name}! Thầy cô đã đăng nhập Trợ lý Học bạ số.").format(
            name=person.full_name
        ),
        *news,
    ]
    await update.effective_message.reply_text(
        "\n".join(lines), reply_markup=main_menu(person.actor)
    )


async def start(update: Update, context: BotContext) -> None:
    if context.args:
        signed = await signin.sign_in_with_invite(
            context.args[0], update.effective_user.id, school_id=context.runtime.school_id
        )
        await greet(update, signed.person, signed.arrival.lines())
        return
    person = await current_person(update)
    if person:
        await greet(update, person)
        return
    await update.effective_message.reply_text(
        _("Xin chào! Đây là trợ lý Học bạ số của nhà trường.") + "\n\n" + sign_in_options(),
        reply_markup=sign_in_keyboard(),
    )


async def contact(update: Update, context: BotContext) -> None:
    shared = update.effective_message.contact
    signed = await signin.sign_in_with_contact(
        shared.phone_number,
        shared.user_id,
        update.effective_user.id,
        school_id=context.runtime.school_id,
    )
    await greet(update, signed.person, signed.arrival.lines())


async def sign_out(update: Update, _context: BotContext) -> None:
    name = await signin.sign_out(update.effective_user.id)
    text = (
        _("Đã đăng xuất. Tài khoản Telegram này không còn liên kết với hồ sơ của {name}.").format(
            name=name
        )
        if name
        else _("Tài khoản này chưa đăng nhập.")
    )
    await update.effective_message.reply_text(text, reply_markup=sign_in_keyboard())


async def unblocked(update: Update, _context: BotContext) -> None:
    """Someone who had blocked the bot opened it again: deliver what failed meanwhile."""
    change = update.my_chat_member
    if change.old_chat_member.status == "kicked" and change.new_chat_member.status == "member":
        await signin.came_back(update.effective_user.id)


def register(application: Application) -> None:
    application.add_handler(ChatMemberHandler(unblocked, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler(["dangxuat", "signout"], sign_out))
    application.add_handler(MessageHandler(filters.CONTACT, contact))
    application.add_handler(MessageHandler(MenuButton(Menu.sign_out), sign_out))
