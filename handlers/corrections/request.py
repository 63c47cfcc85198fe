"""The teacher's correction request in chat: /suadiem or «✏️ Đề nghị sửa điểm», for a mark, a
primary subject's level or periodic score, or for the homeroom teacher's own data of a student
(conduct, days absent, qualities).

Each step reads its button (through core.buttons) or its text, makes one call to the form
service (core.services.corrections.form), which checks everything again, keeps the draft it
returns in user_data (JSON), shows what it returns, and goes to the step's `stage`. The
ConversationHandler is persistent, so a restart in the middle of the flow loses nothing; a
command or a menu button in the middle of it leaves it (handlers/leaving.py), /suadiem starts
it again.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from core import buttons
from core.i18n import _
from core.services.corrections import form
from core.services.corrections.steps import FileTaken, Stage, Step
from handlers.common import Menu, MenuButton, main_menu, matches
from handlers.context import BotContext
from handlers.corrections.ui import (
    DRAFT,
    MEDIA,
    TEXT,
    actor_of,
    cancel_handlers,
    cancel_row,
    offer_of,
    press,
    reply,
    rows_of,
)


def _keep(context: BotContext, step: Step) -> int:
    """Keep the step's draft and go where it says."""
    if step.draft is None:
        context.user_data.pop(DRAFT, None)
        return ConversationHandler.END
    context.user_data[DRAFT] = step.draft
    return int(step.stage)


def _draft(context: BotContext) -> object:
    return context.user_data.get(DRAFT)


async def start(update: Update, context: BotContext) -> int:
    step = await form.start(await actor_of(update))
    await reply(
        update,
        _("✏️ <b>Đề nghị sửa điểm</b>\nChọn lớp (gõ /huy để thôi bất cứ lúc nào):"),
        [*rows_of(step.choices, 4), cancel_row()],
    )
    return _keep(context, step)


async def chose_class(update: Update, context: BotContext) -> int:
    class_id = buttons.FORM_CLASS.id(update.callback_query.data)
    step = await form.choose_class(await actor_of(update), _draft(context), class_id)
    await reply(
        update,
        _("Lớp {klass}. Gõ một phần tên học sinh (có dấu hoặc không), ví dụ «binh»:").format(
            klass=html.escape(step.klass)
        ),
    )
    return _keep(context, step)


async def search_student(update: Update, context: BotContext) -> int:
    typed = update.effective_message.text
    step = await form.search_student(await actor_of(update), _draft(context), typed)
    if step.choices:
        text = matches(step.found, len(step.choices), step.typed)
        await reply(update, text, [*rows_of(step.choices), cancel_row()])
    else:
        await reply(update, _("Không có học sinh nào của lớp có tên như vậy. Gõ lại:"))
    return _keep(context, step)


async def chose_student(update: Update, context: BotContext) -> int:
    student_id = buttons.FORM_STUDENT.id(update.callback_query.data)
    step = await form.choose_student(await actor_of(update), _draft(context), student_id)
    await reply(update, _("Chọn môn:"), [*rows_of(step.choices), cancel_row()])
    return _keep(context, step)


async def chose_subject(update: Update, context: BotContext) -> int:
    subject_id = buttons.FORM_SUBJECT.id(update.callback_query.data)
    step = await form.choose_subject(await actor_of(update), _draft(context), subject_id)
    await reply(update, _("Chọn học kỳ:"), [list(step.choices), cancel_row()])
    return _keep(context, step)


async def chose_homeroom(update: Update, context: BotContext) -> int:
    """The homeroom teacher's own data (conduct, days absent, qualities) instead of a subject."""
    step = await form.choose_homeroom(await actor_of(update), _draft(context))
    await reply(update, _("Chọn học kỳ:"), [list(step.choices), cancel_row()])
    return _keep(context, step)


async def _show_columns(update: Update, context: BotContext, step: form.ColumnChoices) -> int:
    # three short mark columns a row; a quality's long name gets a row of its own
    longest = max((len(c.label) for c in step.choices), default=0)
    width = 3 if longest <= 12 else 2 if longest <= 20 else 1
    await reply(
        update,
        _("Chọn cột cần sửa (giá trị hiện tại trong ngoặc):"),
        [*rows_of(step.choices, width), cancel_row()],
    )
    return _keep(context, step)


async def chose_term(update: Update, context: BotContext) -> int:
    term_id = buttons.FORM_TERM.id(update.callback_query.data)
    step = await form.choose_term(await actor_of(update), _draft(context), term_id)
    if isinstance(step, form.TooLate):
        await reply(update, step.refusal, [list(step.choices), cancel_row()])
        return _keep(context, step)
    return await _show_columns(update, context, step)


async def ask_late(update: Update, context: BotContext) -> int:
    step = await form.ask_late(await actor_of(update), _draft(context))
    await reply(
        update,
        _("Đã gửi Hiệu trưởng đề nghị cho nộp muộn. Khi được phép, Trợ lý sẽ báo thầy cô."),
    )
    return _keep(context, step)


async def add_cell(update: Update, context: BotContext) -> int:
    step = await form.add_cell(await actor_of(update), _draft(context))
    return await _show_columns(update, context, step)


async def chose_column(update: Update, context: BotContext) -> int:
    kind, index = buttons.FORM_COLUMN.parse(update.callback_query.data)
    step = await form.choose_column(await actor_of(update), _draft(context), kind, index)
    if step.hint:  # a homeroom or primary cell: say what may be typed
        text = _("{column}: giá trị hiện tại <b>{value}</b>. Gõ giá trị đúng ({hint}):").format(
            column=html.escape(step.column), value=step.current, hint=step.hint
        )
    else:
        text = _("Cột {column}: giá trị hiện tại <b>{value}</b>. Gõ giá trị đúng:").format(
            column=step.column, value=step.current
        )
    await reply(update, text)
    return _keep(context, step)


async def got_value(update: Update, context: BotContext) -> int:
    typed = update.effective_message.text
    step = await form.enter_value(await actor_of(update), _draft(context), typed)
    await reply(
        update,
        _("Đã ghi: {column} → {value}. Sửa thêm ô khác của học sinh này?").format(
            column=step.column, value=step.value
        ),
        [list(step.choices), cancel_row()],
    )
    return _keep(context, step)


async def ask_reason(update: Update, context: BotContext) -> int:
    step = await form.to_reason(await actor_of(update), _draft(context))
    await reply(update, _("Gõ lý do sửa (ví dụ: nhập nhầm điểm bài kiểm tra 15 phút ngày 12/10):"))
    return _keep(context, step)


async def got_reason(update: Update, context: BotContext) -> int:
    typed = update.effective_message.text
    step = await form.enter_reason(await actor_of(update), _draft(context), typed)
    await reply(
        update,
        _(
            "Gửi minh chứng: 1 đến {n} ảnh hoặc tệp PDF (bài kiểm tra, sổ điểm cá nhân, sổ đầu "
            "bài), từng tấm hoặc cả album. Gửi xong bấm «Xong»."
        ).format(n=step.max_files),
        [list(step.choices), cancel_row()],
    )
    return _keep(context, step)


async def say_file(update: Update, step: FileTaken) -> None:
    """What a received file gets: its count, or its refusal (once per album)."""
    message = update.effective_message
    if step.accepted:
        await reply(
            update,
            _("Đã nhận minh chứng {n}/{max}.").format(n=step.count, max=step.max_files),
            [list(step.choices)],
        )
    elif step.refusal:
        await message.reply_text(step.refusal)


async def got_file(update: Update, context: BotContext) -> int:
    offer = offer_of(update.effective_message)
    step = await form.add_file(
        await actor_of(update),
        _draft(context),
        context.runtime.files,
        size=offer.size,
        name=offer.name,
        album_id=offer.album_id,
        fetch=offer.fetch,
    )
    await say_file(update, step)
    return _keep(context, step)


async def not_a_file(update: Update, _context: BotContext) -> None:
    await reply(
        update,
        _(
            "Ở bước này cần ảnh hoặc tệp PDF làm minh chứng, không phải tin nhắn chữ. Gửi ảnh, "
            "hoặc bấm «Xong» nếu đã gửi đủ."
        ),
        [list(form.done_button())],
    )


async def files_done(update: Update, context: BotContext) -> int:
    step = await form.files_done(await actor_of(update), _draft(context))
    about = (
        _("môn {subject}").format(subject=html.escape(step.subject))
        if step.subject
        else _("dữ liệu chủ nhiệm")
    )
    lines = [
        _("<b>Kiểm tra lại phiếu</b>"),
        _("Học sinh: {student}, lớp {klass}, {about}, HK{term}").format(
            student=html.escape(step.student),
            klass=html.escape(step.klass),
            about=about,
            term=step.term,
        ),
        *(f"• {html.escape(c.column)}: {c.old} → <b>{c.new}</b>" for c in step.changes),
        _("Lý do: {reason}").format(reason=html.escape(step.reason)),
        _("Minh chứng: {n} tệp").format(n=step.files),
        _("Sau khi gửi, phiếu không sửa được nữa."),
    ]
    await reply(update, "\n".join(lines), [list(step.choices), cancel_row()])
    return _keep(context, step)


async def confirm(update: Update, context: BotContext) -> int:
    actor = await actor_of(update)
    step = await form.send(actor, _draft(context), context.runtime.files)
    await update.callback_query.answer()
    await update.effective_message.reply_text(
        _("📨 Đã gửi phiếu {number} ({state}). Trợ lý sẽ báo kết quả.").format(
            number=step.number, state=step.state
        ),
        reply_markup=main_menu(actor),
    )
    return _keep(context, step)


def register(application: Application, persistent: bool) -> None:
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("suadiem", start),
                MessageHandler(MenuButton(Menu.correction_request), start),
            ],
            states={
                Stage.CLASS: [press(chose_class, buttons.FORM_CLASS)],
                Stage.STUDENT: [
                    MessageHandler(TEXT, search_student),
                    press(chose_student, buttons.FORM_STUDENT),
                ],
                Stage.SUBJECT: [
                    press(chose_subject, buttons.FORM_SUBJECT),
                    press(chose_homeroom, buttons.FORM_HOMEROOM),
                ],
                Stage.TERM: [
                    press(chose_term, buttons.FORM_TERM),
                    press(ask_late, buttons.FORM_ASK_LATE),
                ],
                Stage.COLUMN: [press(chose_column, buttons.FORM_COLUMN)],
                Stage.VALUE: [MessageHandler(TEXT, got_value)],
                Stage.MORE: [
                    press(add_cell, buttons.FORM_ADD_CELL),
                    press(ask_reason, buttons.FORM_TO_REASON),
                ],
                Stage.REASON: [MessageHandler(TEXT, got_reason)],
                Stage.EVIDENCE: [
                    MessageHandler(MEDIA, got_file),
                    MessageHandler(TEXT, not_a_file),
                    press(files_done, buttons.FORM_FILES_DONE),
                ],
                Stage.CONFIRM: [press(confirm, buttons.FORM_SUBMIT)],
            },
            fallbacks=cancel_handlers(),
            name="correction_request",
            persistent=persistent,
            allow_reentry=True,  # /suadiem again starts a new request
        )
    )
