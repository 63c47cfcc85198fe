"""/anh «Ảnh học sinh»: the homeroom teacher sends their students' photos for the cover of the
record, one picture per student, each captioned with the student's number in the class (as
the roll is called) or their personal ID.

/anh shows the class and who still has no photo, then waits for pictures until /xong, /huy,
another command or a menu button (handlers/leaving.py). A picture may come as a photo (Telegram
compresses it, which a 3 × 4 photo survives) or as a file. Each goes to the core
(core.services.student_photos.upload), which checks everything; the stored photo comes back,
cropped as the cover prints it, so the teacher sees whose it became. A refusal says what to
send instead and the conversation stays open.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.errors import HocbaError
from core.i18n import _
from core.services import student_photos
from handlers.common import TYPED, end_conversation, require_actor
from handlers.context import BotContext
from handlers.leaving import Leave

WAITING = 0
COMMANDS = ["anh", "photo"]
LISTED = 40  # students without a photo named in the question; a class rarely has more


def _how() -> str:
    return _(
        "Gửi ảnh chân dung của từng em, ghi <b>số thứ tự</b> của em trong lớp (hoặc mã định "
        "danh 12 số) vào phần chú thích của ảnh, ví dụ «5». Gửi xong, gõ /xong."
    )


async def ask(update: Update, _context: BotContext) -> int:
    """The class, who has no photo yet, and how to send one."""
    photos = await student_photos.class_photos(await require_actor(update))
    lines = [
        _("<b>Ảnh học sinh lớp {klass}</b> (in trên bìa học bạ, khổ 3 × 4)").format(
            klass=html.escape(photos.class_name)
        ),
        _("{have}/{total} em đã có ảnh.").format(
            have=len(photos.students) - photos.missing, total=len(photos.students)
        ),
    ]
    missing = [(n, name) for n, name, has in photos.students if not has]
    if missing:
        lines.append(_("Chưa có ảnh:"))
        lines += [f"{n}. {html.escape(name)}" for n, name in missing[:LISTED]]
        if len(missing) > LISTED:
            lines.append(_("… và {n} em khác.").format(n=len(missing) - LISTED))
    lines += ["", _how(), student_photos.how_to_send()]
    await update.effective_message.reply_text("\n".join(lines))
    return WAITING


async def receive(update: Update, context: BotContext) -> int:
    """A picture with its caption: stored for that student, or why not."""
    actor = await require_actor(update)
    message = update.effective_message
    who = (message.caption or "").strip()
    if not who:
        await message.reply_text(_("Ảnh này chưa có chú thích.") + " " + _how())
        return WAITING
    media = message.photo[-1] if message.photo else message.document
    if (media.file_size or 0) > student_photos.MAX_BYTES:
        await message.reply_text("❌ " + _("Tệp quá giới hạn 10 MB.") + "\n" + _how())
        return WAITING
    await message.reply_chat_action(ChatAction.UPLOAD_PHOTO)
    data = bytes(await (await media.get_file()).download_as_bytearray())
    try:
        stored = await student_photos.upload(actor, who, data, context.runtime.workers)
    except HocbaError as refused:
        await message.reply_text(
            "❌ " + html.escape(str(refused)) + "\n" + _("Gửi ảnh khác, hoặc /xong để thôi.")
        )
        return WAITING
    said = _("thay ảnh cũ") if stored.replaced else _("ảnh mới")
    await message.reply_photo(
        stored.jpeg,
        caption=_("✅ Đã lưu ảnh của em {name} ({said}), như sẽ in trên bìa học bạ.").format(
            name=stored.student_name, said=said
        )
        + "\n"
        + _("Gửi ảnh em tiếp theo, hoặc /xong."),
    )
    return WAITING


async def typed(update: Update, _context: BotContext) -> int:
    await update.effective_message.reply_text(_how() + "\n" + _("Hoặc /huy để thôi."))
    return WAITING


async def done(update: Update, _context: BotContext) -> int:
    return await end_conversation(
        update,
        _("Xong. Ảnh đã lưu sẽ in trên bìa học bạ từ lần lập học bạ tới. Muốn gửi thêm: /anh"),
    )


def register(application: Application) -> None:
    application.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler(COMMANDS, ask)],
            states={
                WAITING: [
                    MessageHandler(filters.PHOTO | filters.Document.IMAGE, receive),
                    MessageHandler(TYPED, typed),
                ]
            },
            fallbacks=[CommandHandler(["xong", "huy", "done", "cancel"], done), Leave()],
            name="student_photo",
            persistent=application.persistence is not None,
            allow_reentry=True,
        )
    )
