"""Teachers answer a reminder: details, snooze, the grade-sheet template, "done".

The details and what is still missing grow with the teacher's classes (six classes of forty
students are some ten thousand characters): they are answered in pages (handlers/replies.py).
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler

from core import buttons, clock, formatting
from core.i18n import _
from core.services import reminders
from core.services.access import Actor
from core.services.templates import template_for
from handlers import replies
from handlers.common import staff_button
from handlers.context import BotContext

MAX_NAMES = 15


@staff_button
async def details(update: Update, context: BotContext, actor: Actor) -> None:
    """Every missing cell, by class and subject: the students' names per column."""
    sheets = await reminders.outstanding(actor, now=clock.now())
    lines = []
    for sheet in sheets:
        lines.append(
            _("<b>{klass} — {subject}, HK {term}</b>").format(
                klass=html.escape(sheet.class_name),
                subject=html.escape(sheet.subject_name),
                term="I" * sheet.term,
            )
        )
        for gap in sheet.gaps:
            names = ", ".join(html.escape(s.name) for s in gap.students[:MAX_NAMES])
            more = len(gap.students) - MAX_NAMES
            suffix = _(" và {n} em khác").format(n=more) if more > 0 else ""
            lines.append(
                _("{column} (hạn {due}): {names}{more}").format(
                    column=gap.label,
                    due=formatting.date_time(gap.due),
                    names=names,
                    more=suffix,
                )
            )
    await replies.reply(
        update,
        context,
        "\n".join(lines) if lines else _("✅ Thầy cô không còn thiếu điểm nào cho hạn gần nhất."),
    )


@staff_button
async def done(update: Update, context: BotContext, actor: Actor) -> None:
    """The core checks; the answer is a confirmation or what is still missing."""
    sheets = await reminders.outstanding(actor, now=clock.now())
    if not sheets:
        text = _("✅ Cảm ơn thầy cô: đã đủ điểm cho hạn gần nhất.")
    else:
        text = "\n".join([_("Trợ lý kiểm tra thấy vẫn còn thiếu:"), *reminders.describe(sheets)])
    await replies.reply(update, context, text)


def _keyboard(choices: tuple[buttons.Choice, ...], per_row: int) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton(c.label, callback_data=c.data) for c in choices]
    return InlineKeyboardMarkup([row[i : i + per_row] for i in range(0, len(row), per_row)])


async def snooze_options(update: Update, _context: BotContext) -> None:
    query = update.callback_query
    await query.answer()
    await query.message.reply_text(
        _("Nhắc lại khi nào?"), reply_markup=_keyboard(reminders.snooze_choices(), 2)
    )


@staff_button
async def snooze(update: Update, context: BotContext, actor: Actor) -> None:
    (choice,) = buttons.REMINDER_SNOOZE_FOR.parse(update.callback_query.data)
    until = await reminders.snooze_for(actor, choice, now=clock.now(), quiet=context.runtime.quiet)
    await update.callback_query.edit_message_text(
        _("Trợ lý sẽ nhắc lại lúc {when}.").format(when=formatting.date_time(until))
    )


@staff_button
async def template_choices(update: Update, _context: BotContext, actor: Actor) -> None:
    """One button per class × subject × term of the teacher's current term."""
    choices = await reminders.template_choices(actor, now=clock.now())
    message = update.callback_query.message
    if not choices:
        await message.reply_text(_("Thầy cô chưa được phân công môn nào để nhập điểm."))
        return
    await message.reply_text(_("Chọn bảng điểm cần gửi:"), reply_markup=_keyboard(choices, 1))


@staff_button
async def send_template(update: Update, context: BotContext, actor: Actor) -> None:
    class_id, subject_id, term = buttons.REMINDER_TEMPLATE.parse(update.callback_query.data)
    template = await template_for(  # the core checks the ids and the teacher's assignment
        actor, class_id, subject_id, int(term), workers=context.runtime.workers
    )
    await update.callback_query.message.reply_document(
        InputFile(template.data, filename=template.filename),
        caption=_(
            "Điền điểm vào tệp này (không thêm, bớt dòng), rồi gửi lại tệp cho Trợ lý. "
            "Ô để trống là chưa có điểm."
        ),
    )


def register(application: Application) -> None:
    for handler, action in (
        (details, buttons.REMINDER_DETAILS),
        (done, buttons.REMINDER_DONE),
        (snooze_options, buttons.REMINDER_SNOOZE),
        (snooze, buttons.REMINDER_SNOOZE_FOR),
        (template_choices, buttons.REMINDER_TEMPLATES),
        (send_template, buttons.REMINDER_TEMPLATE),
    ):
        application.add_handler(CallbackQueryHandler(handler, pattern=action.pattern))
