"""Progress views: a teacher's own gaps (their homeroom class's part with its own deadline);
the school by teacher, by class and by homeroom class, late ones first, with one-tap reminders
to one person or to everyone late.

A reminder press is answered at once (what is being sent, to how many), and the outcome comes
as a message when delivery has settled (core.services.nudges): waiting for the outbox can take
a while, so it runs as a task of its own, and this person's next update is not held behind it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler

from core import buttons, clock, formatting
from core.i18n import _
from core.services import nudges, overview, progress, reminders
from core.services.access import Actor
from handlers import replies
from handlers.common import Menu, MenuButton, current_actor, main_menu, sign_in_first
from handlers.context import BotContext


def _due(due: datetime, now: datetime) -> str:
    when = formatting.date_time(due)
    return (
        _("đã quá hạn {when}").format(when=when)
        if due <= now
        else _("hạn {when}").format(when=when)
    )


def _homeroom_lines(sheets: Iterable[progress.Sheet], now: datetime) -> list[str]:
    """The homeroom class's part, with its own deadline and how to enter it."""
    lines = [
        _("Phần chủ nhiệm lớp {klass}, HK {term}: {due}.").format(
            klass=html.escape(s.class_name), term="I" * s.term, due=_due(s.due, now)
        )
        for s in sheets
        if s.homeroom and s.due is not None
    ]
    if lines:
        lines.append(_("Nhập cho từng học sinh của lớp chủ nhiệm: /chunhiem."))
    return lines


async def mine(update: Update, context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    now = clock.now()
    group = await overview.my_progress(actor, now=now)
    lines = reminders.describe(group.sheets)
    text = (
        "\n".join(
            [_("<b>Tiến độ nhập điểm của thầy cô</b>"), *lines, *_homeroom_lines(group.sheets, now)]
        )
        if lines
        else _("✅ Thầy cô đã nhập đủ điểm của học kỳ này.")
    )
    await replies.reply(update, context, text, main_menu(actor))


def _summary_homerooms(summary: overview.ProgressSummary) -> list[str]:
    """The homeroom teachers' part, class by class: who, what is missing, the deadline."""
    if not summary.homerooms:
        return []
    lines = [_("Phần chủ nhiệm (trễ hạn trước):")]
    for line in summary.homerooms:
        missing = ", ".join(
            _("{column} {n} HS").format(column=column, n=n) for column, n in line.missing
        )
        mark = _(" — trễ hạn") if line.late else ""
        lines.append(
            _("• {klass} ({teacher}): {missing}{late}").format(
                klass=html.escape(line.klass),
                teacher=html.escape(line.teacher or _("chưa có GVCN")),
                missing=missing,
                late=mark,
            )
        )
    if more := summary.hidden_homerooms():
        lines.append(more)
    return lines


async def school(update: Update, context: BotContext) -> None:
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
    if more := summary.hidden_teachers():
        lines.append(more)
    lines.append(_("Theo lớp:"))
    for klass in summary.classes:
        lines.append(_("• {klass}: thiếu {n} ô").format(klass=klass.name, n=klass.missing))
    if more := summary.hidden_classes():
        lines.append(more)
    lines += _summary_homerooms(summary)
    if not (summary.teachers or summary.classes):
        lines.append(_("✅ Tất cả đã nhập đủ."))
    rows = [[InlineKeyboardButton(c.label, callback_data=c.data)] for c in summary.choices]
    await replies.reply(
        update, context, "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None
    )


async def _pressed(update: Update) -> Actor | None:
    """Answer the press at once; the signed-in person pressing, or None (then told why)."""
    actor = await current_actor(update)
    if actor is None:
        await update.callback_query.answer(sign_in_first(), show_alert=True)
        return None
    await update.callback_query.answer(_("📣 Đang gửi nhắc nhở…"))
    return actor


async def _follow(update: Update, context: BotContext, actor: Actor, nudge: nudges.Nudge) -> None:
    """Say what is being sent, and report the outcome later from a task of its own."""
    await update.effective_message.reply_text(nudge.status())
    if nudge.teachers:
        application = context.application
        application.create_task(
            nudges.report_when_done(actor, nudge, keep_waiting=lambda: application.running),
            update=update,
        )


async def remind_one(update: Update, context: BotContext) -> None:
    actor = await _pressed(update)
    if actor is None:
        return
    staff_id = buttons.PROGRESS_REMIND.id(update.callback_query.data)
    nudge = await nudges.remind(actor, [staff_id], now=clock.now(), quiet=context.runtime.quiet)
    await _follow(update, context, actor, nudge)


async def remind_all(update: Update, context: BotContext) -> None:
    actor = await _pressed(update)
    if actor is None:
        return
    nudge = await nudges.remind_late(actor, now=clock.now(), quiet=context.runtime.quiet)
    await _follow(update, context, actor, nudge)


def register(application: Application) -> None:
    application.add_handler(MessageHandler(MenuButton(Menu.my_progress), mine))
    application.add_handler(MessageHandler(MenuButton(Menu.school_progress), school))
    application.add_handler(
        CallbackQueryHandler(remind_one, pattern=buttons.PROGRESS_REMIND.pattern)
    )
    application.add_handler(
        CallbackQueryHandler(remind_all, pattern=buttons.PROGRESS_REMIND_ALL.pattern)
    )
