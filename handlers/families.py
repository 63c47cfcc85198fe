"""Parents get their child's records in the bot (001 Điều 30, 31.2): /phuhuynh, or the button
on a stranger's /start. The guardian types the student's personal ID and date of birth, then
shares their own phone with the contact button; the core checks it against the phones the
school registered (core.services.families) and the files come back, protected from
forwarding. A typed phone number is not a proof: only the contact button is. The account is
then linked to the student: when a later record is issued, a message with «Nhận học bạ»
arrives, and the button gives its files (the link is checked again at the press).
"""

from __future__ import annotations

import datetime as dt
import html

from telegram import InputFile, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core import buttons
from core.errors import HocbaError
from core.i18n import _
from core.services import families, family_requests
from handlers import replies
from handlers.common import TYPED, Menu, MenuButton, require_actor
from handlers.context import BotContext
from handlers.leaving import Leave

NATIONAL_ID, BORN, CONTACT = range(3)
_DRAFTS = ("family_national_id", "family_born")


def _contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(Menu.share_phone(), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def start(update: Update, context: BotContext) -> int:
    for key in _DRAFTS:
        context.user_data.pop(key, None)
    await update.effective_message.reply_text(
        _(
            "Phụ huynh lấy lại học bạ số của con (Quy chế học bạ số, Điều 30, 31).\n\n"
            "Bước 1/3: gửi mã định danh cá nhân 12 số của học sinh (hoặc /huy để thôi)."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )
    return NATIONAL_ID


async def national_id(update: Update, context: BotContext) -> int:
    try:
        context.user_data["family_national_id"] = families.read_national_id(
            update.effective_message.text
        )
    except HocbaError as wrong:
        await update.effective_message.reply_text(f"{wrong}\n" + _("Hãy gửi lại mã định danh."))
        return NATIONAL_ID
    await update.effective_message.reply_text(
        _("Bước 2/3: gửi ngày sinh của học sinh, dạng ngày/tháng/năm, ví dụ 05/09/2013.")
    )
    return BORN


async def born(update: Update, context: BotContext) -> int:
    try:
        context.user_data["family_born"] = families.read_born(
            update.effective_message.text
        ).isoformat()
    except HocbaError as wrong:
        await update.effective_message.reply_text(f"{wrong}\n" + _("Hãy gửi lại ngày sinh."))
        return BORN
    return await _ask_contact(
        update,
        _(
            "Bước 3/3: bấm nút «{button}» bên dưới để gửi số điện thoại của bạn. Số này phải "
            "là số phụ huynh đã đăng ký với nhà trường."
        ),
    )


async def _ask_contact(update: Update, text: str) -> int:
    """Ask for the guardian's own contact, with the button that shares it."""
    await update.effective_message.reply_text(
        text.format(button=Menu.share_phone()), reply_markup=_contact_keyboard()
    )
    return CONTACT


async def contact(update: Update, context: BotContext) -> int:
    shared = update.effective_message.contact
    try:
        given = await families.records_for_guardian(
            telegram_user_id=update.effective_user.id,
            national_id=context.user_data["family_national_id"],
            born=dt.date.fromisoformat(context.user_data["family_born"]),
            phone=shared.phone_number,
            contact_user_id=shared.user_id,
            school_id=context.runtime.school_id,
        )
    except HocbaError as refused:
        await update.effective_message.reply_text(str(refused), reply_markup=ReplyKeyboardRemove())
        return _end(context)
    await update.effective_message.reply_text(
        _(
            "Đây là học bạ số của học sinh {name}: tệp XML (bản gốc có chữ ký số) và tệp PDF. "
            "Tài khoản này đã được liên kết với học sinh: khi nhà trường phát hành học bạ năm "
            "sau, Trợ lý sẽ gửi cho bạn."
        ).format(name=given.student),
        reply_markup=ReplyKeyboardRemove(),
    )
    await _send(update, given)
    return _end(context)


async def _send(update: Update, given: families.Given) -> None:
    """The record files, protected from forwarding and saving (Telegram's protect_content)."""
    for file in given.files:
        await update.effective_message.reply_document(
            InputFile(file.data, filename=file.filename), protect_content=True
        )


async def requests(update: Update, context: BotContext) -> None:
    """The admins' list of families' recent requests (core.services.family_requests)."""
    lines = await family_requests.recent_requests(await require_actor(update))
    heading = _("Yêu cầu lấy học bạ của phụ huynh gần đây (mới nhất trước):")
    body = "\n".join(line.line() for line in lines) or _("Chưa có yêu cầu nào.")
    await replies.reply(update, context, html.escape(f"{heading}\n{body}"))


async def issued(update: Update, _context: BotContext) -> None:
    """«Nhận học bạ» under the message that a record was issued (core.services.families)."""
    query = update.callback_query
    try:
        given = await families.linked_record(update.effective_user.id, query.data)
    except HocbaError as refused:
        await query.answer(str(refused), show_alert=True)
        return
    await query.answer()
    await _send(update, given)


async def typed_phone(update: Update, _context: BotContext) -> int:
    return await _ask_contact(
        update,
        _(
            "Số điện thoại gõ tay không chứng minh được đó là số của bạn. Hãy bấm nút «{button}» "
            "bên dưới."
        ),
    )


def _end(context: BotContext) -> int:
    for key in _DRAFTS:
        context.user_data.pop(key, None)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    await update.effective_message.reply_text(_("Đã hủy."), reply_markup=ReplyKeyboardRemove())
    return _end(context)


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(issued, pattern=buttons.FAMILY_RECORD.pattern))
    application.add_handler(MessageHandler(MenuButton(Menu.family_requests), requests))
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler(["phuhuynh", "parent"], start),
                MessageHandler(MenuButton(Menu.family), start),
            ],
            states={
                NATIONAL_ID: [MessageHandler(TYPED, national_id)],
                BORN: [MessageHandler(TYPED, born)],
                CONTACT: [
                    MessageHandler(filters.CONTACT, contact),
                    MessageHandler(TYPED, typed_phone),
                ],
            },
            fallbacks=[CommandHandler(["huy", "cancel"], cancel), Leave(None, *_DRAFTS)],
            name="families",
            persistent=application.persistence is not None,
            allow_reentry=True,
        )
    )
