"""Progress views: a teacher's own gaps; the school by teacher and by class, late ones first,
with one-tap reminders to one person or to everyone late."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler

from core import clock
from core.i18n import _
from core.services import reminders
from core.services.progress import school_progress, teacher_progress
from core.services.schools import current_year
from handlers.common import Menu, MenuButton, current_actor, main_menu
from handlers.context import BotContext

TOP = 12  # rows per list: the rest is one tap away in the school's spreadsheet views


async def mine(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    group = await teacher_progress(actor, await current_year(actor.school_id), now=clock.now())
    lines = reminders.describe(group.sheets)
    text = (
        "\n".join([_("<b>Tiến độ nhập điểm của thầy cô</b>"), *lines])
        if lines
        else _("✅ Thầy cô đã nhập đủ điểm của học kỳ này.")
    )
    await update.effective_message.reply_text(text, reply_markup=main_menu(actor))


async def school(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    now = clock.now()
    progress = await school_progress(actor, await current_year(actor.school_id), now=now)
    teachers = [g for g in progress.by_teacher if g.key is not None and g.sheets]
    late = [g for g in teachers if any(s.late(now) for s in g.sheets)]
    lines = [_("<b>Tiến độ nhập điểm toàn trường</b>"), _("Theo giáo viên (trễ hạn trước):")]
    for group in teachers[:TOP]:
        missing = sum(s.missing for s in group.sheets)
        mark = _(" — trễ hạn") if group in late else ""
        lines.append(_("• {name}: thiếu {n} ô{late}").format(name=group.name, n=missing, late=mark))
    lines.append(_("Theo lớp:"))
    for group in progress.by_class[:TOP]:
        missing = sum(s.missing for s in group.sheets)
        if missing:
            lines.append(_("• {klass}: thiếu {n} ô").format(klass=group.name, n=missing))
    if len(lines) == 3:
        lines.append(_("✅ Tất cả đã nhập đủ."))
    buttons = [
        [InlineKeyboardButton(_("Nhắc {name}").format(name=g.name), callback_data=f"pg:r:{g.key}")]
        for g in late[:TOP]
    ]
    if late:
        buttons.append([InlineKeyboardButton(_("📣 Nhắc tất cả người trễ"), callback_data="pg:ra")])
    await update.effective_message.reply_text(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
    )


async def remind(update: Update, context: BotContext) -> None:
    query = update.callback_query
    actor = await current_actor(update)
    if actor is None:
        await query.answer()
        return
    now = clock.now()
    one = context.match.group(1)
    staff_ids = [int(one)] if one else await reminders.late_teachers(actor, now=now)
    sent = await reminders.remind(actor, staff_ids, now=now, quiet=context.runtime.quiet)
    await query.answer(
        _("Đã gửi nhắc nhở cho {n} giáo viên.").format(n=len(sent))
        if sent
        else _("Không ai còn thiếu điểm: không cần nhắc."),
        show_alert=True,
    )


def register(application: Application) -> None:
    application.add_handler(MessageHandler(MenuButton(Menu.my_progress), mine))
    application.add_handler(MessageHandler(MenuButton(Menu.school_progress), school))
    application.add_handler(CallbackQueryHandler(remind, pattern=r"^pg:r(?::(\d{1,9})|a)$"))
