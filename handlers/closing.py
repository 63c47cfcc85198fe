"""Closing a class's year from the phone (/chotnam), and the end-of-year lists (/danhsach).

The principal (or the vice principal the principal delegated) picks a class: the bot shows its
end-of-year lists (promoted, re-examined, trained in the summer, repeating, titles; what is
missing, by student) and, when the class can be closed, «✅ Chốt năm học» / «✖️ Hủy». The homeroom
teacher sees the same lists with /danhsach, and is told when the class is closed (the core's
outbox message). Long lists come in pages (handlers.replies).

Thin by design: who may close, whether the data is complete and term II over, and whether
the lists confirmed are still the lists of now are decided by the core
(core.services.issuance.closing). The confirmation's stamp waits in the person's user_data
under a random token (the button carries only the token: handlers.pending), so a forged or
foreign button finds nothing, and a stale one comes back as the new lists to confirm.
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core import buttons
from core.i18n import _
from core.services import issuance
from core.services.access import Actor
from handlers import replies
from handlers.common import require_actor, staff_button
from handlers.context import BotContext
from handlers.pending import Pending

PENDING = Pending(
    key="closing_held",  # user_data: token → the class and the stamp its confirmation carries
    confirm_button=buttons.CLOSE_CONFIRM,
    cancel_button=buttons.CLOSE_CANCEL,
    confirm_label=lambda: _("✅ Chốt năm học"),
    gone=lambda: _("Nút này không còn hiệu lực: lớp không thay đổi. Gõ /chotnam để xem lại."),
    cancelled=lambda: _("✖️ Đã hủy: lớp chưa được chốt năm học."),
)
PER_ROW = 4


def _text(review: issuance.Review) -> str:
    lists = review.lists
    lines = [f"<b>{html.escape(lists.title())}</b>"]
    for section in lists.sections():
        lines += ["", f"<b>{html.escape(section.heading)}</b>"]
        lines += [html.escape(line) for line in section.lines] or [_("(không có)")]
    lines.append("")
    lines += [html.escape(note) for note in review.notes()]
    return "\n".join(lines)


async def _show(update: Update, context: BotContext, review: issuance.Review) -> None:
    """The lists, in pages, with the confirmation's buttons on the last page when the reader
    may close the class now."""
    markup = None
    if review.stamp:
        markup = PENDING.hold(context, {"class_id": review.lists.class_id, "stamp": review.stamp})
    await replies.reply(update, context, _text(review), markup)


def _class_buttons(
    classes: list[issuance.OpenClass], action: buttons.Action
) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton(c.name, callback_data=action.data(c.class_id)) for c in classes]
    return InlineKeyboardMarkup([row[i : i + PER_ROW] for i in range(0, len(row), PER_ROW)])


async def to_close(update: Update, context: BotContext) -> None:
    """/chotnam [LỚP]: the class's lists to confirm, or the classes to choose from."""
    actor = await require_actor(update)
    found = await issuance.to_close(actor, " ".join(context.args or []) or None)
    if isinstance(found, issuance.Review):
        await _show(update, context, found)
        return
    if not found:
        await update.effective_message.reply_text(
            _("Mọi lớp của năm học đã được chốt và lập học bạ.")
        )
        return
    await update.effective_message.reply_text(
        _(
            "<b>Chốt năm học để lập học bạ</b>\nChọn lớp: Trợ lý cho xem danh sách lên lớp, "
            "ở lại lớp, kiểm tra lại, rèn luyện hè của lớp (hoặc những gì còn thiếu), rồi "
            "thầy/cô xác nhận chốt."
        ),
        reply_markup=_class_buttons(found, buttons.CLOSE_CLASS),
    )


@staff_button
async def pick_to_close(update: Update, context: BotContext, actor: Actor) -> None:
    class_id = buttons.CLOSE_CLASS.id(update.callback_query.data)
    await _show(update, context, await issuance.review(actor, class_id))


async def confirm(update: Update, context: BotContext) -> None:
    """«Chốt năm học»: the core checks everything again and closes only on the lists shown;
    otherwise the new lists come back to confirm."""
    taken = await PENDING.take(update, context)
    if taken is None:
        return
    actor, close = taken
    result = await issuance.close_and_prepare(
        actor,
        close["class_id"],
        context.runtime.workers,
        context.runtime.portal,
        confirm=close["stamp"],
    )
    if isinstance(result, issuance.Review):
        await _show(update, context, result)
        return
    await replies.reply(update, context, html.escape("\n".join(result.summary())))


async def lists(update: Update, context: BotContext) -> None:
    """/danhsach [LỚP]: the end-of-year lists of the homeroom teacher's class (or the named
    one, for whoever may read it)."""
    actor = await require_actor(update)
    found = await issuance.lists_for(actor, " ".join(context.args or []) or None)
    if isinstance(found, issuance.Review):
        await _show(update, context, found)
        return
    await update.effective_message.reply_text(
        _("Chọn lớp để xem danh sách cuối năm:"),
        reply_markup=_class_buttons(found, buttons.CLASS_LISTS),
    )


@staff_button
async def pick_lists(update: Update, context: BotContext, actor: Actor) -> None:
    class_id = buttons.CLASS_LISTS.id(update.callback_query.data)
    await _show(update, context, await issuance.review(actor, class_id))


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["chotnam", "close"], to_close))
    application.add_handler(CommandHandler(["danhsach", "lists"], lists))
    for handler, action in (
        (pick_to_close, buttons.CLOSE_CLASS),
        (confirm, buttons.CLOSE_CONFIRM),
        (PENDING.cancel, buttons.CLOSE_CANCEL),
        (pick_lists, buttons.CLASS_LISTS),
    ):
        application.add_handler(CallbackQueryHandler(handler, pattern=action.pattern))
