"""Sheets as files: a teacher sends a filled grade sheet, or the homeroom teacher their class's
homeroom sheet, back to the bot; the homeroom teacher asks for that sheet («📚 Lớp của tôi»,
one button per class and term).

The core tells the two kinds of sheet apart (by the guide sheet of the template the bot made,
else by the header row), checks the file as a whole (parsed in the worker pool) and either saves
it or lists every problem (nothing is written then, and the answer says so and asks for the
whole file again). A long list of problems comes in pages (handlers/replies.py).
"""

from __future__ import annotations

import html

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from core import buttons
from core.buttons import Choice
from core.errors import ImportRejected
from core.i18n import _
from core.importing import import_teacher_sheet
from core.services.access import Actor
from core.services.homeroom_sheet import homeroom_template_for
from handlers import replies
from handlers.common import current_actor, staff_button
from handlers.context import BotContext
from handlers.corrections.ui import keyboard, rows_of
from handlers.signin import sign_in_options

MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
SHEETS = filters.Document.FileExtension("xlsx") | filters.Document.FileExtension("csv")


async def receive(update: Update, context: BotContext) -> None:
    actor = await current_actor(update)
    message = update.effective_message
    if actor is None:
        await message.reply_text(sign_in_options())
        return
    document = message.document
    if (document.file_size or 0) > MAX_BYTES:
        await message.reply_text(
            _(
                "Tệp quá lớn ({size:.1f} MB). Bảng điểm hay bảng chủ nhiệm chỉ cần vài trăm KB: "
                "hãy gửi tệp .xlsx của một lớp (bảng điểm: một lớp, một môn)."
            ).format(size=document.file_size / 1024 / 1024)
        )
        return
    await message.reply_chat_action(ChatAction.TYPING)  # at once: checking a sheet takes a moment
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        report = await import_teacher_sheet(
            actor, data, document.file_name or "bangdiem.xlsx", workers=context.runtime.workers
        )
    except ImportRejected as rejected:
        await replies.reply(update, context, html.escape(str(rejected)))
        return
    await replies.reply(update, context, html.escape(report.summary()))


async def offer_homeroom_sheets(update: Update, sheets: tuple[Choice, ...]) -> None:
    """The homeroom sheets a homeroom teacher may ask for, one button each."""
    await update.effective_message.reply_text(
        _(
            "Bảng chủ nhiệm: rèn luyện (tiểu học: phẩm chất, năng lực), số ngày nghỉ và nhận "
            "xét của cả lớp trong một tệp. Chọn lớp và học kỳ để nhận tệp, điền rồi gửi lại "
            "tệp cho Trợ lý."
        ),
        reply_markup=keyboard(rows_of(sheets)),
    )


@staff_button
async def send_homeroom_sheet(update: Update, context: BotContext, actor: Actor) -> None:
    class_id, term = buttons.HOMEROOM_SHEET.parse(update.callback_query.data)
    sheet = await homeroom_template_for(  # the core checks the ids and that it is their class
        actor, class_id, int(term), workers=context.runtime.workers
    )
    await update.callback_query.message.reply_document(
        InputFile(sheet.data, filename=sheet.filename),
        caption=_(
            "Điền vào tệp này (không thêm, bớt dòng), rồi gửi lại tệp cho Trợ lý. Ô để trống "
            "là chưa nhập, không xóa gì đã có. Cách điền từng cột ở trang «Hướng dẫn»."
        ),
    )


def register(application: Application) -> None:
    application.add_handler(MessageHandler(SHEETS, receive))
    application.add_handler(
        CallbackQueryHandler(send_homeroom_sheet, pattern=buttons.HOMEROOM_SHEET.pattern)
    )
