"""Progress views: a teacher's own gaps; the school by teacher and by class, late ones first,
with one-tap reminders to one person or to everyone late."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler

from core import buttons, clock
from core.i18n import _
from core.services import overview, reminders
from handlers.common import Menu, MenuButton, current_actor, main_menu
from handlers.context import BotContext


async def mine(update: Update, _context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    group = await overview.my_progress(actor, now=clock.now())
    lines = reminders.describe(group.sheets)
    text = (
        "\n".join([_("<b>Tiến độ nhập điểm của thầy cô</b>"), *lines])
        if lines
        else _("✅ Thầy cô đã nhập đủ điểm của học kỳ này.")
    )
    await update.effective_message.reply_text(text, reply_markup=main_menu(actor))


async def school(update: Update, _context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    summary = await overview.school_summary(actor, now=clock.now())
    lines = [_("<b>Tiến độ nhập điểm toàn trường</b>"), _("Theo giáo viên (trễ hạn trước):")]
    for teacher in summary.teachers:
        mark = _(" — trễ hạn") if teacher.late else ""
        lines.append(
            _("• {name}: thiếu {n} ô{late}").format(name=teacher.name, n=teacher.missing, late=mark)
        )
    lines.append(_("Theo lớp:"))
    for klass in summary.classes:
        lines.append(_("• {klass}: thiếu {n} ô").format(klass=klass.name, n=klass.missing))
    if not (summary.teachers or summary.classes):
        lines.append(_("✅ Tất cả đã nhập đủ."))
    rows = [[InlineKeyboardButton(c.label, callback_data=c.data)] for c in summary.choices]
    await update.effective_message.reply_text(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )


async def _answer(update: Update, sent: list[int]) -> None:
    await update.callback_query.answer(
        _("Đã gửi nhắc nhở cho {n} giáo viên.").format(n=len(sent))
        if sent
        else _("Không ai còn thiếu điểm: không cần nhắc."),
        show_alert=True,
    )


async def remind_one(update: Update, context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        await update.callback_query.answer()
        return
    staff_id = buttons.PROGRESS_REMIND.id(update.callback_query.data)
    sent = await reminders.remind(actor, [staff_id], now=clock.now(), quiet=context.runtime.quiet)
    await _answer(update, sent)


async def remind_all(update: Update, context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        await update.callback_query.answer()
        return
    sent = await reminders.remind_late(actor, now=clock.now(), quiet=context.runtime.quiet)
    await _answer(update, sent)


def register(application: Application) -> None:
    application.add_handler(MessageHandler(MenuButton(Menu.my_progress), mine))
    application.add_handler(MessageHandler(MenuButton(Menu.school_progress), school))
    application.add_handler(
        CallbackQueryHandler(remind_one, pattern=buttons.PROGRESS_REMIND.pattern)
    )
    application.add_handler(
        CallbackQueryHandler(remind_all, pattern=buttons.PROGRESS_REMIND_ALL.pattern)
    )
