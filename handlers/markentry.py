"""A single mark entered in chat: /nhapdiem or «✍️ Nhập một điểm».

The sheet (class × subject) and the mark column are this form's own steps; the term, the
student, the value, the confirmation and the way out are every student form's
(handlers/student_form.py), on the form service core.services.markentry.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from core import buttons
from core.i18n import _
from core.services import markentry
from core.services.student_form import Step, TermChoices
from handlers.common import Menu, require_actor
from handlers.context import BotContext
from handlers.student_form import TERM, StudentForm, View, Words, pressed

SHEET, COLUMN = 0, 2  # around the shared states (handlers.student_form)


def _view(step: Step) -> View:
    match step:
        case markentry.SheetChoices():
            text = _("✍️ <b>Nhập một điểm</b>\nChọn lớp và môn (gõ /huy để thôi bất cứ lúc nào):")
            return View(SHEET, text, step.choices, 2)
        case TermChoices():
            text = _("{sheet}. Chọn học kỳ:").format(sheet=html.escape(step.title))
            return View(TERM, text, step.choices, 2)
        case markentry.ColumnChoices():
            text = _("{sheet}. Chọn cột điểm:").format(sheet=html.escape(step.title))
            return View(COLUMN, text, step.choices, 4)
    raise TypeError(f"no view for {type(step).__name__}")


FORM = StudentForm(
    name="mark_entry",
    service=markentry,
    words=Words(
        column=lambda column: _("cột {column}").format(column=column),
        saved=lambda column: column,
        cancelled=lambda: _("Đã hủy, không có điểm nào được ghi."),
    ),
    view=_view,
)


async def chose_sheet(update: Update, context: BotContext) -> int:
    class_id, subject_id = buttons.MARK_SHEET.parse(pressed(update))
    step = await markentry.choose_sheet(await require_actor(update), class_id, subject_id)
    return await FORM.show(update, context, step)


async def chose_column(update: Update, context: BotContext) -> int:
    kind, index = buttons.MARK_COLUMN.parse(pressed(update))
    actor = await require_actor(update)
    step = await markentry.choose_column(actor, FORM.draft(context), kind, index)
    return await FORM.show(update, context, step)


def register(application: Application) -> None:
    FORM.register(
        application,
        command="nhapdiem",
        menu=Menu.mark_entry,
        own={
            SHEET: [CallbackQueryHandler(chose_sheet, pattern=buttons.MARK_SHEET.pattern)],
            COLUMN: [CallbackQueryHandler(chose_column, pattern=buttons.MARK_COLUMN.pattern)],
        },
    )
