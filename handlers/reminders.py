"""Teachers answer a reminder: details, snooze, the grade-sheet template, "done"."""

from __future__ import annotations

import datetime as dt

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from core import clock, formatting
from core.i18n import _
from core.models import SchoolClass, Subject, Term
from core.services import reminders
from core.services.access import Actor
from core.services.progress import teacher_progress
from core.services.schools import current_year
from core.services.templates import grade_sheet_template
from handlers.common import staff_button
from handlers.context import BotContext

MAX_NAMES = 15


@staff_button
async def details(update: Update, _context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """Every missing cell, by class and subject: the students' names per column."""
    query = update.callback_query
    sheets = await reminders.outstanding(actor, now=clock.now())
    lines = []
    for sheet in sheets:
        lines.append(
            _("<b>{klass} — {subject}, HK {term}</b>").format(
                klass=sheet.class_name, subject=sheet.subject_name, term="I" * sheet.term
            )
        )
        for gap in sheet.gaps:
            names = ", ".join(s.name for s in gap.students[:MAX_NAMES])
            more = len(gap.students) - MAX_NAMES
            suffix = _(" và {n} em khác").format(n=more) if more > 0 else ""
            lines.append(
                _("{column} (hạn {due}): {names}{more}").format(
                    column=gap.column,
                    due=formatting.date_time(gap.due),
                    names=names,
                    more=suffix,
                )
            )
    await query.message.reply_text(
        "\n".join(lines) if lines else _("✅ Thầy cô không còn thiếu điểm nào cho hạn gần nhất.")
    )


@staff_button
async def done(update: Update, _context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    """The core checks; the answer is a confirmation or what is still missing."""
    query = update.callback_query
    sheets = await reminders.outstanding(actor, now=clock.now())
    if not sheets:
        text = _("✅ Cảm ơn thầy cô: đã đủ điểm cho hạn gần nhất.")
    else:
        text = "\n".join([_("Trợ lý kiểm tra thấy vẫn còn thiếu:"), *reminders.describe(sheets)])
    await query.message.reply_text(text)


async def snooze_options(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    await query.message.reply_text(
        _("Nhắc lại khi nào?"),
        reply_markup=InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(_("Sau 2 giờ"), callback_data="rm:s2h"),
                    InlineKeyboardButton(_("Sáng mai"), callback_data="rm:stm"),
                ]
            ]
        ),
    )


@staff_button
async def snooze(update: Update, context: BotContext, actor: Actor) -> None:
    query = update.callback_query
    now = clock.now()
    quiet = context.runtime.quiet
    if context.match.group(1) == "2h":
        until = quiet.defer(now + dt.timedelta(hours=2))
    else:
        tomorrow = clock.local(now).date() + dt.timedelta(days=1)
        until = clock.at_school(tomorrow, quiet.end).astimezone(dt.UTC)
    await reminders.snooze(actor, until, now=now)
    await query.edit_message_text(
        _("Trợ lý sẽ nhắc lại lúc {when}.").format(when=formatting.date_time(until))
    )


@staff_button
async def template_choices(
    update: Update, _context: ContextTypes.DEFAULT_TYPE, actor: Actor
) -> None:
    """One button per class × subject × term the teacher still has gaps in."""
    query = update.callback_query
    year = await current_year(actor.school_id)
    group = await teacher_progress(actor, year, now=clock.now())
    buttons = [
        [
            InlineKeyboardButton(
                _("{klass} — {subject}, HK {term}").format(
                    klass=s.class_name, subject=s.subject_name, term="I" * s.term
                ),
                callback_data=f"rm:t:{s.class_id}:{s.subject_id}:{s.term}",
            )
        ]
        for s in group.sheets
        if s.subject_id is not None
    ]
    if not buttons:
        await query.message.reply_text(_("Thầy cô chưa được phân công môn nào để nhập điểm."))
        return
    await query.message.reply_text(
        _("Chọn bảng điểm cần gửi:"), reply_markup=InlineKeyboardMarkup(buttons)
    )


@staff_button
async def send_template(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor) -> None:
    query = update.callback_query
    class_id, subject_id, term_number = (int(g) for g in context.match.groups())
    school_class = await SchoolClass.get_or_none(id=class_id, year__school_id=actor.school_id)
    subject = await Subject.get_or_none(id=subject_id, school_id=actor.school_id)
    term = school_class and await Term.get_or_none(year_id=school_class.year_id, number=term_number)
    if not (school_class and subject and term):
        await query.message.reply_text(_("Bảng điểm này không còn. Hãy mở lại nhắc nhở."))
        return
    template = await grade_sheet_template(actor, school_class, subject, term)  # core checks
    await query.message.reply_document(
        InputFile(template.data, filename=template.filename),
        caption=_(
            "Điền điểm vào tệp này (không thêm, bớt dòng), rồi gửi lại tệp cho Trợ lý. "
            "Ô để trống là chưa có điểm."
        ),
    )


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(details, pattern=r"^rm:d$"))
    application.add_handler(CallbackQueryHandler(done, pattern=r"^rm:ok$"))
    application.add_handler(CallbackQueryHandler(snooze_options, pattern=r"^rm:s$"))
    application.add_handler(CallbackQueryHandler(snooze, pattern=r"^rm:s(2h|tm)$"))
    application.add_handler(CallbackQueryHandler(template_choices, pattern=r"^rm:t$"))
    application.add_handler(
        CallbackQueryHandler(send_template, pattern=r"^rm:t:(\d{1,9}):(\d{1,9}):([12])$")
    )
