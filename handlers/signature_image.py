"""/chuky «Chữ ký tay»: a signer sends the image of their handwritten signature, which their
stamps on the records' PDF draw (regulation 001 Điều 13: blue, on a transparent PNG).

/chuky shows the current image, if any, and asks for a PNG sent as a FILE: a picture sent as a
photo reaches the bot recompressed as JPEG by Telegram, its transparency gone, so a photo is
answered with how to send it as a file, and the question stays open. A file goes to the core
(core.services.signature_images.upload), which checks everything; a refusal says what to send
instead and the question stays open too; an accepted image comes back as the bot stored it
(recoloured, cropped), as a file, so its transparency shows. /huy, another command or a menu
button ends the question (handlers/leaving.py).
"""

from __future__ import annotations

import html

from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.errors import InvalidValue
from core.formatting import date_time
from core.i18n import _
from core.services import signature_images
from handlers.common import TYPED, end_conversation, main_menu, require_actor
from handlers.context import BotContext
from handlers.leaving import Leave

WAITING = 0
COMMANDS = ["chuky", "signature"]


async def ask(update: Update, _context: BotContext) -> int:
    """The current image (if any) and what to send; refused to someone who does not sign."""
    current = await signature_images.mine(await require_actor(update))
    message = update.effective_message
    question = _("Gửi ảnh chữ ký tay của thầy/cô, hoặc /huy để thôi.")
    if current is None:
        await message.reply_text(
            _(
                "Chữ ký số của thầy/cô trên học bạ hiện ảnh chữ ký tay màu xanh, nền trong "
                "suốt (Quy chế 001, Điều 13). Thầy/cô chưa gửi ảnh chữ ký nào."
            )
            + "\n\n"
            + signature_images.how_to_send()
            + "\n"
            + question
        )
        return WAITING
    await message.reply_document(
        InputFile(current.png, filename="chu-ky-tay.png"),
        caption=_("Ảnh chữ ký tay hiện tại của thầy/cô (gửi lúc {when}).").format(
            when=date_time(current.uploaded_at)
        )
        + "\n"
        + _("Gửi tệp PNG mới để thay, hoặc /huy để giữ nguyên."),
    )
    return WAITING


async def receive(update: Update, context: BotContext) -> int:
    """A file: the core checks it and stores it, or says what to send instead."""
    actor = await require_actor(update)
    message = update.effective_message
    document = message.document
    if (document.file_size or 0) > signature_images.MAX_BYTES:
        await message.reply_text(str(signature_images.too_big(document.file_size or 0)))
        return WAITING
    await message.reply_chat_action(ChatAction.UPLOAD_DOCUMENT)
    data = bytes(await (await document.get_file()).download_as_bytearray())
    try:
        stored = await signature_images.upload(actor, data, context.runtime.workers)
    except InvalidValue as refused:
        await message.reply_text(
            "❌ " + html.escape(str(refused)) + "\n" + _("Gửi tệp khác, hoặc /huy để thôi.")
        )
        return WAITING
    caption = _(
        "✅ Đã lưu ảnh chữ ký tay của thầy/cô ({width} × {height} điểm ảnh), màu xanh trên nền "
        "trong suốt như trên đây. Từ nay chữ ký số của thầy/cô trên học bạ hiện ảnh này."
    ).format(width=stored.width, height=stored.height)
    if stored.converted:
        caption += "\n" + _("Nền giấy trắng của ảnh đã được đổi thành trong suốt.")
    caption += "\n" + _("Muốn thay ảnh khác: /chuky")
    await message.reply_document(
        InputFile(stored.png, filename="chu-ky-tay.png"),
        caption=caption,
        reply_markup=main_menu(actor),
    )
    return ConversationHandler.END


async def photo(update: Update, _context: BotContext) -> int:
    """A compressed photo has lost its transparency: ask for the file itself."""
    await update.effective_message.reply_text(
        _(
            "Ảnh gửi dạng ảnh bị Telegram nén thành JPEG và mất nền trong suốt. Hãy gửi lại "
            "dạng TỆP: bấm 📎, chọn «Tệp» (File), rồi chọn ảnh PNG chữ ký."
        )
    )
    return WAITING


async def typed(update: Update, _context: BotContext) -> int:
    await update.effective_message.reply_text(
        html.escape(signature_images.how_to_send()) + "\n" + _("Hoặc /huy để thôi.")
    )
    return WAITING


async def cancel(update: Update, _context: BotContext) -> int:
    return await end_conversation(update, _("Đã hủy, ảnh chữ ký tay không thay đổi."))


def register(application: Application) -> None:
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler(COMMANDS, ask)],
            states={
                WAITING: [
                    MessageHandler(filters.Document.ALL, receive),
                    MessageHandler(filters.PHOTO, photo),
                    MessageHandler(TYPED, typed),
                ]
            },
            fallbacks=[CommandHandler(["huy", "cancel"], cancel), Leave()],
            name="signature_image",
            persistent=application.persistence is not None,
            allow_reentry=True,
        )
    )
