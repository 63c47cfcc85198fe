"""A single mark entered in chat: /nhapdiem or «✍️ Nhập một điểm».

Each step reads its button (through core.buttons) or its text, makes one call to the form
service (core.services.markentry), which checks everything again, keeps the draft it returns
in user_data, and shows what it returns. The ConversationHandler is persistent, so a restart
in the middle of the flow loses nothing; a command or a menu button in the middle of it leaves
it (handlers/leaving.py).
"""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from core import buttons
from core.buttons import Choice
from core.errors import HocbaError
from core.i18n import _
from core.services import markentry
from handlers.common import (
    TYPED,
    Menu,
    MenuButton,
    current_actor,
    main_menu,
    matches,
    require_actor,
)
from handlers.context import BotContext
from handlers.leaving import Leave

DRAFT = "mark_entry"  # user_data: the form service's draft (JSON)
SHEET, TERM, COLUMN, STUDENT, VALUE, CONFIRM = range(6)


def _keyboard(choices: tuple[Choice, ...], per_row: int) -> InlineKeyboardMarkup:
    """The step's buttons, `per_row` a row, and «Hủy» last."""
    row = [InlineKeyboardButton(c.label, callback_data=c.data) for c in choices]
    rows = [row[i : i + per_row] for i in range(0, len(row), per_row)]
    rows.append([InlineKeyboardButton(_("✖️ Hủy"), callback_data=buttons.MARK_CANCEL.data())])
    return InlineKeyboardMarkup(rows)


async def _say(
    update: Update, text: str, markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
) -> None:
    if update.callback_query:
        await update.callback_query.answer()
    await update.effective_message.reply_text(text, reply_markup=markup)


async def _show(update: Update, context: BotContext, step: markentry.Step) -> int:
    """Keep the step's draft and show the step; the conversation's next state."""
    context.user_data[DRAFT] = step.draft
    match step:
        case markentry.SheetChoices():
            text = _("✍️ <b>Nhập một điểm</b>\nChọn lớp và môn (gõ /huy để thôi bất cứ lúc nào):")
            await _say(update, text, _keyboard(step.choices, 2))
            return SHEET
        case markentry.TermChoices():
            text = _("{sheet}. Chọn học kỳ:").format(sheet=html.escape(step.title))
            await _say(update, text, _keyboard(step.choices, 2))
            return TERM
        case markentry.ColumnChoices():
            text = _("{sheet}. Chọn cột điểm:").format(sheet=html.escape(step.title))
            await _say(update, text, _keyboard(step.choices, 4))
            return COLUMN
        case markentry.StudentChoices():
            await _show_students(update, step)
            return STUDENT
        case markentry.ValueAsked():
            await _say(update, _value_question(step))
            return VALUE
        case markentry.Confirmation():
            text = _(
                "<b>Kiểm tra lại</b>\n{sheet}, cột {column}\nHọc sinh: {number}. {name}\n"
                "{old} → <b>{new}</b>"
            ).format(
                sheet=html.escape(step.title),
                column=step.column,
                number=step.student.number,
                name=html.escape(step.student.name),
                old=step.student.current,
                new=step.new,
            )
            await _say(update, text, _keyboard(step.choices, 1))
            return CONFIRM
    raise TypeError(f"no view for {type(step).__name__}")


async def _show_students(update: Update, step: markentry.StudentChoices) -> None:
    typed = html.escape(step.typed or "")
    if step.typed is None:
        text = _(
            "{sheet}, cột {column}. Chọn học sinh, hoặc gõ số thứ tự hay một phần tên (có dấu "
            "hoặc không):"
        ).format(sheet=html.escape(step.title), column=step.column)
    elif not step.found:
        text = _("Lớp {klass} không có học sinh nào khớp «{typed}». Gõ lại, hoặc chọn ở trên.")
        await _say(update, text.format(klass=html.escape(step.class_name), typed=typed))
        return
    else:
        text = matches(step.found, len(step.choices), step.typed)
    await _say(update, text, _keyboard(step.choices, 2))


def _value_question(step: markentry.ValueAsked) -> str:
    if step.refused:
        return html.escape(step.refused) + "\n" + step.expected
    return (
        _("{number}. <b>{name}</b>, {sheet}, cột {column}: hiện tại <b>{current}</b>.").format(
            number=step.student.number,
            name=html.escape(step.student.name),
            sheet=html.escape(step.title),
            column=step.column,
            current=step.student.current,
        )
        + "\n"
        + step.expected
    )


# ---------------------------------------------------------------------------------------------
# The steps: one core call each


def _draft(context: BotContext) -> object:
    return context.user_data.get(DRAFT)


def _data(update: Update) -> str | None:
    return update.callback_query.data if update.callback_query else None


async def start(update: Update, context: BotContext) -> int:
    return await _show(update, context, await markentry.start(await require_actor(update)))


async def chose_sheet(update: Update, context: BotContext) -> int:
    class_id, subject_id = buttons.MARK_SHEET.parse(_data(update))
    step = await markentry.choose_sheet(await require_actor(update), class_id, subject_id)
    return await _show(update, context, step)


async def chose_term(update: Update, context: BotContext) -> int:
    (number,) = buttons.MARK_TERM.parse(_data(update))
    step = await markentry.choose_term(await require_actor(update), _draft(context), int(number))
    return await _show(update, context, step)


async def chose_column(update: Update, context: BotContext) -> int:
    kind, index = buttons.MARK_COLUMN.parse(_data(update))
    step = await markentry.choose_column(await require_actor(update), _draft(context), kind, index)
    return await _show(update, context, step)


async def next_student(update: Update, context: BotContext) -> int:
    step = await markentry.next_student(await require_actor(update), _draft(context))
    return await _show(update, context, step)


async def search_student(update: Update, context: BotContext) -> int:
    typed = update.effective_message.text
    step = await markentry.search_student(await require_actor(update), _draft(context), typed)
    return await _show(update, context, step)


async def chose_student(update: Update, context: BotContext) -> int:
    student_id = buttons.MARK_STUDENT.id(_data(update))
    step = await markentry.choose_student(await require_actor(update), _draft(context), student_id)
    return await _show(update, context, step)


async def got_value(update: Update, context: BotContext) -> int:
    text = update.effective_message.text
    step = await markentry.type_value(await require_actor(update), _draft(context), text)
    return await _show(update, context, step)


async def confirm(update: Update, context: BotContext) -> int:
    """A refusal ends the flow: a lock does not open in minutes, and nothing was written."""
    actor = await require_actor(update)
    try:
        saved = await markentry.save(actor, _draft(context))
    except HocbaError as refused:
        context.user_data.pop(DRAFT, None)
        await _say(update, html.escape(str(refused)))
        return ConversationHandler.END
    context.user_data[DRAFT] = saved.draft
    text = (
        _("✅ Đã lưu {column} của {name}: <b>{value}</b>.")
        if saved.changed
        else _("{column} của {name} vẫn là <b>{value}</b>: không có gì thay đổi.")
    )
    (again,) = saved.choices
    await _say(
        update,
        text.format(column=saved.column, name=html.escape(saved.student.name), value=saved.value),
        InlineKeyboardMarkup([[InlineKeyboardButton(again.label, callback_data=again.data)]]),
    )
    return ConversationHandler.END


def _cancelled() -> str:
    return _("Đã hủy, không có điểm nào được ghi.")


async def cancel(update: Update, context: BotContext) -> int:
    context.user_data.pop(DRAFT, None)
    actor = await current_actor(update)
    menu = main_menu(actor) if actor else None
    await _say(update, _cancelled(), menu)
    return ConversationHandler.END


def register(application: Application) -> None:
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("nhapdiem", start),
                MessageHandler(MenuButton(Menu.mark_entry), start),
                CallbackQueryHandler(next_student, pattern=buttons.MARK_NEXT_STUDENT.pattern),
            ],
            states={
                SHEET: [CallbackQueryHandler(chose_sheet, pattern=buttons.MARK_SHEET.pattern)],
                TERM: [CallbackQueryHandler(chose_term, pattern=buttons.MARK_TERM.pattern)],
                COLUMN: [CallbackQueryHandler(chose_column, pattern=buttons.MARK_COLUMN.pattern)],
                STUDENT: [
                    CallbackQueryHandler(chose_student, pattern=buttons.MARK_STUDENT.pattern),
                    MessageHandler(TYPED, search_student),
                ],
                VALUE: [MessageHandler(TYPED, got_value)],
                CONFIRM: [CallbackQueryHandler(confirm, pattern=buttons.MARK_SAVE.pattern)],
            },
            fallbacks=[
                CommandHandler(["huy", "cancel"], cancel),
                CallbackQueryHandler(cancel, pattern=buttons.MARK_CANCEL.pattern),
                Leave(_cancelled, DRAFT),
            ],
            name="mark_entry",
            persistent=application.persistence is not None,
            allow_reentry=True,
        )
    )
