"""One student's conduct or days absent, entered by the homeroom teacher in chat: /chunhiem or
«📝 Nhập cho lớp chủ nhiệm».

The class and what to enter (conduct or days absent) are this form's own steps; the term, the
student, the value (conduct's levels as buttons too), the confirmation and the way out are
every student form's (handlers/student_form.py), on the form service
core.services.homeroom_entry.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from core import buttons
from core.i18n import _
from core.services import homeroom_entry as entry
from core.services.student_form import Step, TermChoices
from handlers.common import Menu, require_actor
from handlers.context import BotContext
from handlers.student_form import TERM, StudentForm, View, Words, pressed

CLASS, KIND = 0, 2  # around the shared states (handlers.student_form)


def _view(step: Step) -> View:
    match step:
        case entry.ClassChoices():
            text = _("📝 <b>Nhập cho lớp chủ nhiệm</b>\nChọn lớp (gõ /huy để thôi bất cứ lúc nào):")
            return View(CLASS, text, step.choices, 3)
        case TermChoices():
            text = _(
                "📝 <b>Nhập cho lớp chủ nhiệm</b>\n{title}. Chọn học kỳ (gõ /huy để thôi bất "
                "cứ lúc nào):"
            ).format(title=html.escape(step.title))
            return View(TERM, text, step.choices, 2)
        case entry.KindChoices():
            text = _("{title}. Nhập gì?").format(title=html.escape(step.title))
            return View(KIND, text, step.choices, 2)
    raise TypeError(f"no view for {type(step).__name__}")


FORM = StudentForm(
    name="homeroom_entry",
    service=entry,
    words=Words(
        column=str.lower,
        saved=str.lower,
        cancelled=lambda: _("Đã hủy, không có gì được ghi."),
    ),
    view=_view,
)


async def chose_class(update: Update, context: BotContext) -> int:
    class_id = buttons.HOMEROOM_CLASS.id(pressed(update))
    step = await entry.choose_class(await require_actor(update), class_id)
    return await FORM.show(update, context, step)


async def chose_kind(update: Update, context: BotContext) -> int:
    (code,) = buttons.HOMEROOM_KIND.parse(pressed(update))
    step = await entry.choose_kind(await require_actor(update), FORM.draft(context), code)
    return await FORM.show(update, context, step)


def register(application: Application) -> None:
    FORM.register(
        application,
        command="chunhiem",
        menu=Menu.homeroom_entry,
        own={
            CLASS: [CallbackQueryHandler(chose_class, pattern=buttons.HOMEROOM_CLASS.pattern)],
            KIND: [CallbackQueryHandler(chose_kind, pattern=buttons.HOMEROOM_KIND.pattern)],
        },
    )
