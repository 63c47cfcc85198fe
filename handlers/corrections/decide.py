"""The buttons the core's notifications carry for the people who decide: view the evidence,
forward, approve, reject or ask for more (each with its text), confirm as a witness, allow a
late request.

The evidence album: the outbox sends single messages only, so the principal's card (sent by
the outbox) carries a «Xem minh chứng» button, and this module sends the album
(sendMediaGroup: the photos together, the PDFs together) when it is pressed.

Every press is read through core.buttons and decided by the core, which checks rights and
state again: a stale button or a second press gets the core's answer and changes nothing. The
reason or question is asked only once the core has said the move is still possible, and a
prompt that went stale meanwhile (another decider approved) ends when the text arrives, saying
why, instead of waiting on (ui.ending).
"""

from __future__ import annotations

from telegram import InputMediaDocument, InputMediaPhoto, Update
from telegram.ext import Application, ConversationHandler, MessageHandler

from core import buttons
from core.i18n import _
from core.services import corrections
from core.services.corrections import prompts
from core.services.corrections.views import AlbumFile, evidence_album
from handlers.context import BotContext
from handlers.corrections.ui import (
    DECISION,
    TEXT,
    actor_of,
    cancel_handlers,
    ending,
    keyboard,
    press,
)

DECISION_TEXT = 12  # the state of the typed reason or question (persisted: keep the number)


async def _done(update: Update, text: str) -> None:
    await update.callback_query.answer()
    await update.effective_message.reply_text(text)


async def _send_group(context: BotContext, chat: int, files: list[AlbumFile], photos: bool) -> None:
    if len(files) == 1:
        send = context.bot.send_photo if photos else context.bot.send_document
        await send(chat, files[0].data, **({} if photos else {"filename": files[0].name}))
    elif files:
        media = [
            InputMediaPhoto(f.data) if photos else InputMediaDocument(f.data, filename=f.name)
            for f in files
        ]
        await context.bot.send_media_group(chat, media)


async def view_evidence(update: Update, context: BotContext) -> None:
    """The card's «Xem minh chứng»: the album, then the card again with its buttons."""
    request_id = buttons.REQUEST_VIEW.id(update.callback_query.data)
    album = await evidence_album(await actor_of(update), request_id, context.runtime.files)
    await update.callback_query.answer()
    chat = update.effective_chat.id
    await _send_group(context, chat, album.photos, photos=True)
    await _send_group(context, chat, album.documents, photos=False)
    await context.bot.send_message(chat, album.view.card(), reply_markup=keyboard(album.choices))


async def forward_one(update: Update, _context: BotContext) -> None:
    request_id = buttons.REQUEST_FORWARD.id(update.callback_query.data)
    moved = await corrections.forward(await actor_of(update), [request_id])
    await _done(
        update,
        _("➡️ Đã chuyển Hiệu trưởng: {numbers}.").format(numbers=", ".join(r.number for r in moved)),
    )


async def approve_one(update: Update, _context: BotContext) -> None:
    request_id = buttons.REQUEST_APPROVE.id(update.callback_query.data)
    request = await corrections.approve(await actor_of(update), request_id)
    await _done(
        update,
        _("✅ Đã duyệt phiếu {number}. Người chứng kiến đã được mời xác nhận.").format(
            number=request.number
        ),
    )


async def witness(update: Update, _context: BotContext) -> None:
    request_id = buttons.REQUEST_WITNESS.id(update.callback_query.data)
    request = await corrections.confirm_witness(await actor_of(update), request_id)
    await _done(
        update, _("👁 Đã ghi nhận thầy cô chứng kiến phiếu {number}.").format(number=request.number)
    )


async def grant(update: Update, _context: BotContext) -> None:
    allowance_id = buttons.REQUEST_GRANT_LATE.id(update.callback_query.data)
    await corrections.grant_late(await actor_of(update), allowance_id)
    await _done(update, _("✅ Đã cho phép nộp muộn; giáo viên đã được báo."))


# Reject (reason) and ask-for-more (question) need a text: a small persistent conversation.


async def ask_reason(update: Update, context: BotContext) -> int:
    request_id = buttons.REQUEST_REJECT.id(update.callback_query.data)
    prompt = await prompts.begin_decision(await actor_of(update), request_id, "reject")
    context.user_data[DECISION] = prompt.draft
    await _done(update, _("Gõ lý do từ chối phiếu {number}:").format(number=prompt.number))
    return DECISION_TEXT


async def ask_question(update: Update, context: BotContext) -> int:
    request_id = buttons.REQUEST_ASK.id(update.callback_query.data)
    prompt = await prompts.begin_decision(await actor_of(update), request_id, "ask")
    context.user_data[DECISION] = prompt.draft
    await _done(
        update, _("Gõ điều cần giáo viên bổ sung cho phiếu {number}:").format(number=prompt.number)
    )
    return DECISION_TEXT


async def got_decision_text(update: Update, context: BotContext) -> int:
    move, request = await prompts.decide_with_text(
        await actor_of(update), context.user_data.get(DECISION), update.effective_message.text
    )
    context.user_data.pop(DECISION, None)
    done = (
        _("❌ Đã từ chối phiếu {number}; giáo viên đã được báo lý do.")
        if move == "reject"
        else _("❓ Đã hỏi thêm giáo viên về phiếu {number}.")
    )
    await update.effective_message.reply_text(done.format(number=request.number))
    return ConversationHandler.END


def register(application: Application, persistent: bool) -> None:
    application.add_handler(
        ConversationHandler(
            entry_points=[
                press(ending(ask_reason, DECISION, entry=True), buttons.REQUEST_REJECT),
                press(ending(ask_question, DECISION, entry=True), buttons.REQUEST_ASK),
            ],
            states={DECISION_TEXT: [MessageHandler(TEXT, ending(got_decision_text, DECISION))]},
            fallbacks=cancel_handlers(),
            name="correction_decision",
            persistent=persistent,
            allow_reentry=True,
        )
    )
    for handler, action in (
        (view_evidence, buttons.REQUEST_VIEW),
        (forward_one, buttons.REQUEST_FORWARD),
        (approve_one, buttons.REQUEST_APPROVE),
        (witness, buttons.REQUEST_WITNESS),
        (grant, buttons.REQUEST_GRANT_LATE),
    ):
        application.add_handler(press(handler, action))
