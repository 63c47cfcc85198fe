"""The conversation of a student form: pick a student of a class list, type a value, confirm.

/nhapdiem (handlers/markentry.py) and /chunhiem (handlers/homeroom.py) begin with their own
steps (which sheet, or which class; which mark column, or what to enter) and go on with the
same ones, as their core services do (core.services.student_form): the term, the class list
or a search in it, the student's current value and what to type, the confirmation, the save
and «another student»; and they end the same way: /huy, «✖️ Hủy», or a command or a menu
button in the middle (handlers.leaving.Leave). That part is written here once; a form brings
its core service, its `Words` in the shared sentences, and a `View` of each of its own steps.

Each step reads its button (through the form's core.buttons actions) or its text, makes one
call to the core service, which checks everything again, keeps the draft it returns in
user_data (under the form's name) and shows what it returns. The ConversationHandler is
persistent, so a restart in the middle of the flow loses nothing; its states keep the numbers
they always had, so a conversation kept across an upgrade resumes where it was.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from core.buttons import Choice
from core.errors import HocbaError
from core.i18n import _
from core.services.access import Actor
from core.services.student_form import (
    Confirmation,
    FormButtons,
    Saved,
    Step,
    StudentChoices,
    ValueAsked,
)
from handlers.common import (
    TYPED,
    MenuButton,
    current_actor,
    main_menu,
    matches,
    require_actor,
)
from handlers.context import BotContext
from handlers.leaving import Leave
from handlers.replies import Markup

# The states this module handles; a form's own are 0 (what to fill) and 2 (which column)
TERM, STUDENT, VALUE, CONFIRM = 1, 3, 4, 5


class Service(Protocol):
    """A form's core service (a module of core.services): its buttons and the steps every
    student form has."""

    BUTTONS: FormButtons

    async def start(self, actor: Actor) -> Step: ...

    async def choose_term(self, actor: Actor, draft: object, number: int) -> Step: ...

    async def next_student(self, actor: Actor, draft: object) -> Step: ...

    async def search_student(self, actor: Actor, draft: object, typed: str) -> Step: ...

    async def choose_student(self, actor: Actor, draft: object, student_id: int) -> Step: ...

    async def type_value(self, actor: Actor, draft: object, text: str) -> Step: ...

    async def save(self, actor: Actor, draft: object) -> Saved: ...


@dataclass(frozen=True)
class Words:
    """A form's own words in the shared sentences: its column after the title («cột TX4»,
    «rèn luyện»), its column in the saved line («TX4», «rèn luyện»), and what a cancel says
    was not written."""

    column: Callable[[str], str]
    saved: Callable[[str], str]
    cancelled: Callable[[], str]


@dataclass(frozen=True)
class View:
    """One of a form's own steps as shown: the text, the buttons (`per_row` a row, «Hủy» last)
    and the conversation's next state."""

    state: int
    text: str
    choices: tuple[Choice, ...]
    per_row: int


async def say(update: Update, text: str, markup: Markup = None) -> None:
    """Answer the button pressed (if any), then say `text` below."""
    if update.callback_query:
        await update.callback_query.answer()
    await update.effective_message.reply_text(text, reply_markup=markup)


def pressed(update: Update) -> str | None:
    """The data of the button pressed; None for a typed text (the action's parse refuses it)."""
    return update.callback_query.data if update.callback_query else None


@dataclass(frozen=True)
class StudentForm:
    """One form's conversation. `name` is the ConversationHandler's (its persistence key) and
    the user_data key of its draft; `view` shows the form's own steps."""

    name: str
    service: Service
    words: Words
    view: Callable[[Step], View]

    def keyboard(self, choices: tuple[Choice, ...], per_row: int) -> InlineKeyboardMarkup:
        """The step's buttons, `per_row` a row, and «Hủy» last."""
        row = [InlineKeyboardButton(c.label, callback_data=c.data) for c in choices]
        rows = [row[i : i + per_row] for i in range(0, len(row), per_row)]
        cancel = self.service.BUTTONS.cancel.data()
        rows.append([InlineKeyboardButton(_("✖️ Hủy"), callback_data=cancel)])
        return InlineKeyboardMarkup(rows)

    def draft(self, context: BotContext) -> object:
        return context.user_data.get(self.name)

    async def show(self, update: Update, context: BotContext, step: Step) -> int:
        """Keep the step's draft and show the step; the conversation's next state."""
        context.user_data[self.name] = step.draft
        match step:
            case StudentChoices():
                await self._show_students(update, step)
                return STUDENT
            case ValueAsked():
                markup = self.keyboard(step.choices, 2) if step.choices else None
                await say(update, self._value_question(step), markup)
                return VALUE
            case Confirmation():
                text = _(
                    "<b>Kiểm tra lại</b>\n{title}, {what}\nHọc sinh: {number}. {name}\n"
                    "{old} → <b>{new}</b>"
                ).format(
                    title=html.escape(step.title),
                    what=self.words.column(step.what),
                    number=step.student.number,
                    name=html.escape(step.student.name),
                    old=step.student.current,
                    new=step.new,
                )
                await say(update, text, self.keyboard(step.choices, 1))
                return CONFIRM
        view = self.view(step)
        await say(update, view.text, self.keyboard(view.choices, view.per_row))
        return view.state

    async def _show_students(self, update: Update, step: StudentChoices) -> None:
        if step.typed is None:
            text = _(
                "{title}, {what}. Chọn học sinh, hoặc gõ số thứ tự hay một phần tên (có dấu hoặc "
                "không):"
            ).format(title=html.escape(step.title), what=self.words.column(step.what))
        elif not step.found:
            text = _("Lớp {klass} không có học sinh nào khớp «{typed}». Gõ lại, hoặc chọn ở trên.")
            typed = html.escape(step.typed)
            await say(update, text.format(klass=html.escape(step.class_name), typed=typed))
            return
        else:
            text = matches(step.found, len(step.choices), step.typed)
        await say(update, text, self.keyboard(step.choices, 2))

    def _value_question(self, step: ValueAsked) -> str:
        if step.refused:
            return html.escape(step.refused) + "\n" + step.expected
        return (
            _("{number}. <b>{name}</b>, {title}, {what}: hiện tại <b>{current}</b>.").format(
                number=step.student.number,
                name=html.escape(step.student.name),
                title=html.escape(step.title),
                what=self.words.column(step.what),
                current=step.student.current,
            )
            + "\n"
            + step.expected
        )

    # -----------------------------------------------------------------------------------------
    # The shared steps: one core call each

    async def start(self, update: Update, context: BotContext) -> int:
        return await self.show(
            update, context, await self.service.start(await require_actor(update))
        )

    async def chose_term(self, update: Update, context: BotContext) -> int:
        (number,) = self.service.BUTTONS.term.parse(pressed(update))
        actor = await require_actor(update)
        step = await self.service.choose_term(actor, self.draft(context), int(number))
        return await self.show(update, context, step)

    async def next_student(self, update: Update, context: BotContext) -> int:
        step = await self.service.next_student(await require_actor(update), self.draft(context))
        return await self.show(update, context, step)

    async def search_student(self, update: Update, context: BotContext) -> int:
        actor, typed = await require_actor(update), update.effective_message.text
        step = await self.service.search_student(actor, self.draft(context), typed)
        return await self.show(update, context, step)

    async def chose_student(self, update: Update, context: BotContext) -> int:
        student_id = self.service.BUTTONS.student.id(pressed(update))
        actor = await require_actor(update)
        step = await self.service.choose_student(actor, self.draft(context), student_id)
        return await self.show(update, context, step)

    async def got_value(self, update: Update, context: BotContext) -> int:
        """The value typed, or tapped: a value's button gives its code, read as if typed."""
        if update.callback_query:
            assert self.service.BUTTONS.value is not None
            (text,) = self.service.BUTTONS.value.parse(pressed(update))
        else:
            text = update.effective_message.text
        step = await self.service.type_value(await require_actor(update), self.draft(context), text)
        return await self.show(update, context, step)

    async def confirm(self, update: Update, context: BotContext) -> int:
        """A refusal ends the flow: a lock does not open in minutes, and nothing was written."""
        actor = await require_actor(update)
        try:
            saved = await self.service.save(actor, self.draft(context))
        except HocbaError as refused:
            context.user_data.pop(self.name, None)
            await say(update, html.escape(str(refused)))
            return ConversationHandler.END
        context.user_data[self.name] = saved.draft
        if saved.changed:
            text = _("✅ Đã lưu {what} của {name}: <b>{value}</b>.")
            what = self.words.saved(saved.what)
        else:  # the column's label opens the sentence
            text = _("{what} của {name} vẫn là <b>{value}</b>: không có gì thay đổi.")
            what = saved.what
        (again,) = saved.choices
        await say(
            update,
            text.format(what=what, name=html.escape(saved.student.name), value=saved.value),
            InlineKeyboardMarkup([[InlineKeyboardButton(again.label, callback_data=again.data)]]),
        )
        return ConversationHandler.END

    async def cancel(self, update: Update, context: BotContext) -> int:
        context.user_data.pop(self.name, None)
        actor = await current_actor(update)
        menu = main_menu(actor) if actor else None
        await say(update, self.words.cancelled(), menu)
        return ConversationHandler.END

    def register(
        self,
        application: Application,
        *,
        command: str,
        menu: Callable[[], str],
        own: dict[int, list[BaseHandler]],
    ) -> None:
        """The form's ConversationHandler: its command and menu button start it, «another
        student» starts it again on the kept draft; `own` are the handlers of its own states."""
        buttons = self.service.BUTTONS
        value = [MessageHandler(TYPED, self.got_value)]
        if buttons.value is not None:
            value.insert(0, CallbackQueryHandler(self.got_value, pattern=buttons.value.pattern))
        conversation = ConversationHandler(
            entry_points=[
                CommandHandler(command, self.start),
                MessageHandler(MenuButton(menu), self.start),
                CallbackQueryHandler(self.next_student, pattern=buttons.next.pattern),
            ],
            states={
                **own,
                TERM: [CallbackQueryHandler(self.chose_term, pattern=buttons.term.pattern)],
                STUDENT: [
                    CallbackQueryHandler(self.chose_student, pattern=buttons.student.pattern),
                    MessageHandler(TYPED, self.search_student),
                ],
                VALUE: value,
                CONFIRM: [CallbackQueryHandler(self.confirm, pattern=buttons.save.pattern)],
            },
            fallbacks=[
                CommandHandler(["huy", "cancel"], self.cancel),
                CallbackQueryHandler(self.cancel, pattern=buttons.cancel.pattern),
                Leave(self.words.cancelled, self.name),
            ],
            name=self.name,
            persistent=application.persistence is not None,
            allow_reentry=True,
        )
        application.add_handler(conversation)
