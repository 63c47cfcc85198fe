"""What the correction handlers share: the user_data keys of their drafts, who is writing,
drawing the core's choices as inline keyboards, replying, offering a received photo or
document to the core, and cancelling.

Each conversation keeps one draft, the JSON the core returned at its last step; the core reads
it again at the next step and never trusts it. Cancelling, the end of a conversation, or a
command or menu button typed in the middle of it (handlers/leaving.py) forgets it.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)
from telegram.ext import filters as tg_filters

from core import buttons
from core.buttons import Choice
from core.errors import HocbaError
from core.i18n import _
from core.services.corrections.prompts import PromptEnded
from handlers.common import TYPED, end_conversation, require_actor
from handlers.context import BotContext
from handlers.leaving import Leave

# user_data keys: one draft per conversation
DRAFT = "correction_draft"  # the request form
ANSWER = "correction_supplement"  # the teacher's answer to ask-for-more
DECISION = "correction_decision"  # the decider's reason or question
APPLY = "correction_apply"  # the approved value to type
PICKED = "correction_picked"  # the board's ticks
CONVERSATION_DRAFTS = (DRAFT, ANSWER, DECISION, APPLY)
TEXT = TYPED
MEDIA = tg_filters.PHOTO | tg_filters.Document.ALL
actor_of = require_actor  # every correction step starts from the signed-in actor


def cancel_row() -> list[Choice]:
    return [Choice(_("✖️ Hủy"), buttons.FORM_CANCEL.data())]


def rows_of(choices: Sequence[Choice], width: int = 1) -> list[list[Choice]]:
    return [list(choices[i : i + width]) for i in range(0, len(choices), width)]


def keyboard(rows: Sequence[Sequence[Choice]]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(c.label, callback_data=c.data) for c in row] for row in rows]
    )


async def reply(update: Update, text: str, rows: Sequence[Sequence[Choice]] = ()) -> None:
    """Answer the pressed button (if any), then reply in the chat."""
    if update.callback_query:
        await update.callback_query.answer()
    await update.effective_message.reply_text(text, reply_markup=keyboard(rows))


@dataclass(frozen=True)
class Offer:
    """A photo or document the person sent, as the core's evidence steps take it."""

    size: int | None
    name: str | None
    album_id: str | None
    fetch: Callable[[], Awaitable[bytes]]


def offer_of(message: Message) -> Offer:
    """The largest size of a photo, or the document; downloaded only if the core asks."""
    attachment = message.photo[-1] if message.photo else message.document

    async def fetch() -> bytes:
        return bytes(await (await attachment.get_file()).download_as_bytearray())

    return Offer(
        attachment.file_size,
        getattr(attachment, "file_name", None),
        message.media_group_id,
        fetch,
    )


def press(callback: Callable[..., Awaitable[object]], action: buttons.Action) -> BaseHandler:
    """The handler of one kind of button (its pattern from core.buttons)."""
    return CallbackQueryHandler(callback, pattern=action.pattern)


async def cancel(update: Update, context: BotContext) -> int:
    """/huy or «Hủy» in any correction conversation: its draft is forgotten."""
    for key in CONVERSATION_DRAFTS:
        context.user_data.pop(key, None)
    if update.callback_query:
        await update.callback_query.answer()
    return await end_conversation(update, _("Đã hủy, không có gì được gửi."))


def _left() -> str:
    return _("Đã dừng việc sửa điểm đang làm dở; không có gì được gửi.")


async def file_not_asked(update: Update, _context: BotContext) -> None:
    """A photo or file at a step that asks for something else: refused, never imported.

    Inside a correction conversation a file belongs to the correction (issue: an .xlsx sent as
    evidence was taken by the grade-sheet importer); only the evidence step takes one."""
    await reply(
        update,
        _(
            "Tệp này chưa được lưu: thầy cô đang làm dở việc sửa điểm, và bước này chưa cần tệp. "
            "Minh chứng (ảnh hoặc PDF) gửi ở bước «minh chứng»; bảng điểm gửi sau khi xong "
            "phiếu, hoặc bấm /huy trước."
        ),
    )


def cancel_handlers() -> list[BaseHandler]:
    """/huy, «Hủy», a file at a step that does not take one, and leaving on any other command
    or menu button (handlers/leaving.py)."""
    return [
        CommandHandler(["huy", "cancel"], cancel),
        press(cancel, buttons.FORM_CANCEL),
        MessageHandler(MEDIA, file_not_asked),
        Leave(_left, *CONVERSATION_DRAFTS),
    ]


Step = Callable[[Update, BotContext], Awaitable[int]]


def ending(step: Step, draft: str, *, entry: bool = False) -> Step:
    """A step of a prompt that a notification's button opened (a reason, an answer, a value).

    When the core says the prompt is over (PromptEnded: the request moved on, the cell closed)
    the draft is dropped, the reason told, and the conversation ends, so a stale prompt never
    takes the person's next message. For the button that opens the prompt (`entry`), any
    refusal ends it the same way: a refused press also drops an older prompt of the same kind,
    which the person has clearly left. Any other refusal at a later step (a text too long)
    keeps the step, to type again (handlers/errors.py tells it)."""
    ends: type[HocbaError] = HocbaError if entry else PromptEnded

    async def guarded(update: Update, context: BotContext) -> int:
        try:
            return await step(update, context)
        except ends as refused:
            context.user_data.pop(draft, None)
            await reply(update, html.escape(str(refused)))
            return ConversationHandler.END

    return guarded
