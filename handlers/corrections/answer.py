"""The teacher's side after filing: answering the principal's ask-for-more (a text, evidence if
any, then «Xong»), and typing the approved value into the opened cell.

Each step is one call to core.services.corrections.prompts, which checks it (the request is
still waiting for this teacher's answer, the cell is still open for them) and returns what to
ask and the small draft kept in user_data until the next step.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, ConversationHandler, MessageHandler

from core import buttons
from core.i18n import _
from core.services.corrections import prompts
from handlers.context import BotContext
from handlers.corrections.request import not_a_file, say_file
from handlers.corrections.ui import (
    ANSWER,
    APPLY,
    MEDIA,
    TEXT,
    actor_of,
    cancel_handlers,
    ending,
    offer_of,
    press,
    reply,
)

WRITING, FILES = range(10, 12)  # the answer's states (persisted: keep the numbers)
APPLY_VALUE = 13


async def start_supplement(update: Update, context: BotContext) -> int:
    request_id = buttons.REQUEST_SUPPLEMENT.id(update.callback_query.data)
    prompt = await prompts.begin_supplement(await actor_of(update), request_id)
    context.user_data[ANSWER] = prompt.draft
    await reply(
        update, _("Gõ câu trả lời cho Hiệu trưởng về phiếu {number}:").format(number=prompt.number)
    )
    return WRITING


async def got_answer(update: Update, context: BotContext) -> int:
    typed = update.effective_message.text
    taken = await prompts.take_answer(await actor_of(update), context.user_data.get(ANSWER), typed)
    context.user_data[ANSWER] = taken.draft
    await reply(
        update,
        _("Gửi thêm minh chứng nếu có (ảnh hoặc PDF), rồi bấm «Xong»."),
        [list(taken.choices)],
    )
    return FILES


async def answer_file(update: Update, context: BotContext) -> int:
    offer = offer_of(update.effective_message)
    step = await prompts.answer_file(
        await actor_of(update),
        context.user_data.get(ANSWER),
        context.runtime.files,
        size=offer.size,
        name=offer.name,
        album_id=offer.album_id,
        fetch=offer.fetch,
    )
    context.user_data[ANSWER] = step.draft
    await say_file(update, step)
    return FILES


async def answer_done(update: Update, context: BotContext) -> int:
    request = await prompts.send_answer(
        await actor_of(update), context.user_data.get(ANSWER), context.runtime.files
    )
    context.user_data.pop(ANSWER, None)
    await reply(
        update,
        _("📨 Đã gửi bổ sung; phiếu {number} trở lại Hiệu trưởng.").format(number=request.number),
    )
    return ConversationHandler.END


async def start_apply(update: Update, context: BotContext) -> int:
    request_id, item_id = buttons.REQUEST_APPLY.parse(update.callback_query.data)
    asked = await prompts.begin_apply(await actor_of(update), request_id, item_id)
    context.user_data[APPLY] = asked.draft
    await reply(
        update,
        _("Gõ giá trị đã duyệt cho ô {column} (học sinh {student}):").format(
            column=asked.column, student=html.escape(asked.student)
        ),
    )
    return APPLY_VALUE


async def got_apply_value(update: Update, context: BotContext) -> int:
    runtime = context.runtime
    applied = await prompts.apply(
        await actor_of(update),
        context.user_data.get(APPLY),
        update.effective_message.text,
        runtime.files,
        runtime.workers,
        signing=runtime.signing,
    )
    context.user_data.pop(APPLY, None)
    done = (
        _("✅ Đã ghi và khóa lại ô điểm. Phiếu {number} đã sửa xong; biên bản sẽ được gửi.")
        if applied.finished
        else _("✅ Đã ghi và khóa lại ô điểm của phiếu {number}. Còn ô khác cần nhập.")
    )
    await reply(update, done.format(number=applied.number))
    return ConversationHandler.END


def register(application: Application, persistent: bool) -> None:
    application.add_handler(
        ConversationHandler(
            entry_points=[
                press(ending(start_supplement, ANSWER, entry=True), buttons.REQUEST_SUPPLEMENT)
            ],
            states={
                WRITING: [MessageHandler(TEXT, ending(got_answer, ANSWER))],
                FILES: [
                    MessageHandler(MEDIA, ending(answer_file, ANSWER)),
                    MessageHandler(TEXT, not_a_file),
                    press(ending(answer_done, ANSWER), buttons.FORM_FILES_DONE),
                ],
            },
            fallbacks=cancel_handlers(),
            name="correction_supplement",
            persistent=persistent,
            allow_reentry=True,  # «Bổ sung» pressed again starts the answer again
        )
    )
    application.add_handler(
        ConversationHandler(
            entry_points=[press(ending(start_apply, APPLY, entry=True), buttons.REQUEST_APPLY)],
            states={APPLY_VALUE: [MessageHandler(TEXT, ending(got_apply_value, APPLY))]},
            fallbacks=cancel_handlers(),
            name="correction_apply",
            persistent=persistent,
            allow_reentry=True,
        )
    )
