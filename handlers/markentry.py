"""A single mark entered in chat: /nhapdiem or «✍️ Nhập một điểm».

Class × subject (among the teacher's assignments) → term → column → student → the current
value → the new value → confirm → saved. A teacher with one cell to fill (a student who sat the
test late, a mark forgotten) should not have to download, fill and send back a whole sheet.

Why it is built this way:
- Button data is compact (ids and short codes, far below Telegram's 64 bytes) and never
  trusted: each step loads what the draft and the button name and checks them again (the
  core's assignment rule, the class's year, the subject's columns, the class list), because a
  modified client can send any data. A forged button gets a plain refusal and the draft stays
  as it was. The core checks the assignment and the locks once more when it writes.
- The draft lives in user_data as JSON (ids, and the value as the rules read it), and the
  ConversationHandler is persistent, so a restart in the middle of the flow loses nothing.
- A value is checked by `validate_mark` when typed, and the refusal says what is expected;
  it is checked again when saved, so what is written is what the rules allow then.
- A locked scope is refused as soon as the term is chosen, before anything is typed; the write
  refuses again if a lock falls while the teacher is typing.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core import clock, formatting
from core.errors import HocbaError, InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import MarkKind, School, SchoolClass, Subject, TeachingAssignment, Term
from core.rules.catalog import Assessment
from core.services import gradebook
from core.services.access import Actor, ensure_can_write_subject
from core.services.gradebook import (
    MarkValue,
    SheetRow,
    mark_column,
    mark_columns,
    validate_mark,
)
from core.services.locks import Touch, ensure_writable
from core.services.schools import latest_year
from core.text import fold
from handlers.common import Menu, MenuButton, current_actor, main_menu

# user_data: class_id, subject_id, then term, column [kind, index], student_id, value
DRAFT = "mark_entry"
SHEET, TERM, COLUMN, STUDENT, VALUE, CONFIRM = range(6)
MAX_MATCHES = 10  # students offered after a typed search; more means the search was too loose
_CODES = {kind: kind.value[0] for kind in MarkKind}  # r, m, f: the column in button data
_KINDS = {code: kind for kind, code in _CODES.items()}


@dataclass(frozen=True)
class Sheet:
    """The class × subject (× term, once chosen) a draft is about, loaded and checked again."""

    school_class: SchoolClass
    subject: Subject
    term: Term | None = None

    @property
    def title(self) -> str:
        title = f"{self.school_class.name} — {self.subject.name}"
        if self.term is not None:
            title += ", " + _("HK {term}").format(term="I" * self.term.number)
        return html.escape(title)

    def whole(self) -> Touch:
        """Every cell of the sheet, to refuse a locked scope before anything is typed. No
        correction opening covers a whole sheet: a cell opened for a correction is written
        through the correction flow, not here."""
        assert self.term is not None
        sc = self.school_class
        return Touch(sc.year_id, self.term.id, sc.id, self.subject.id, "")


async def _actor(update: Update) -> Actor:
    actor = await current_actor(update)
    if actor is None:
        raise PermissionDenied(_("Thầy cô cần đăng nhập trước (bấm /start)."))
    return actor


def _draft(context: ContextTypes.DEFAULT_TYPE, *needed: str) -> dict[str, Any]:
    """The draft, holding at least `needed` (a button from a finished flow finds it gone)."""
    draft = context.user_data.get(DRAFT)
    if not draft or any(key not in draft for key in needed):
        raise NotFound(_("Phiên nhập điểm này đã kết thúc. Gõ /nhapdiem để bắt đầu lại."))
    return draft


async def _sheet(
    actor: Actor, class_id: int, subject_id: int, term_number: int | None = None
) -> Sheet:
    """The sheet, if the actor may write its marks (the core's rule) and it has columns."""
    school_class = await SchoolClass.get_or_none(id=class_id)
    subject = await Subject.get_or_none(id=subject_id, school_id=actor.school_id)
    if school_class is None or subject is None:
        raise NotFound(_("Không tìm thấy lớp hoặc môn này. Gõ /nhapdiem để chọn lại."))
    await ensure_can_write_subject(actor, school_class, subject)
    if not mark_columns(subject, school_class.grade):
        raise InvalidValue(
            _("Môn {subject} đánh giá bằng mức, không nhập điểm số ở đây.").format(
                subject=subject.name
            )
        )
    if term_number is None:
        return Sheet(school_class, subject)
    term = await Term.get_or_none(year_id=school_class.year_id, number=term_number)
    if term is None:
        raise NotFound(
            _("Năm học của lớp {klass} không có học kỳ này.").format(klass=school_class.name)
        )
    return Sheet(school_class, subject, term)


async def _draft_sheet(actor: Actor, draft: dict[str, Any]) -> Sheet:
    return await _sheet(actor, draft["class_id"], draft["subject_id"], draft.get("term"))


def _column(draft: dict[str, Any]) -> tuple[MarkKind, int]:
    kind, index = draft["column"]
    return MarkKind(kind), index


def _shown(value: MarkValue | None) -> str:
    if value is None:
        return _("(trống)")
    return formatting.score(value) if isinstance(value, Decimal) else value.label


def _stored(value: MarkValue) -> str:
    """The value as JSON can keep it and `validate_mark` reads it back unchanged."""
    return str(value) if isinstance(value, Decimal) else value.value


def _expected(subject: Subject) -> str:
    if subject.assessment == Assessment.COMMENT:
        return _("Gõ Đ (Đạt) hoặc CĐ (Chưa đạt):")
    return _("Gõ điểm từ 0 đến 10, số nguyên hoặc một chữ số thập phân (ví dụ 7 hoặc 7,5):")


def _keyboard(buttons: list[tuple[str, str]], per_row: int) -> InlineKeyboardMarkup:
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    rows.append([(_("✖️ Hủy"), "mk:x")])
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if update.callback_query:
        await update.callback_query.answer()
    await update.effective_message.reply_text(text, reply_markup=markup)


def _student_buttons(rows: list[SheetRow], column: str) -> list[tuple[str, str]]:
    """ "3. Lê Thị Bích · 8,0": the class-list number, the name, the value now (— if none)."""
    return [
        (
            f"{r.number}. {r.full_name} · "
            + (_shown(r.marks[column]) if column in r.marks else "—"),
            f"mk:s:{r.student_id}",
        )
        for r in rows
    ]


# ---------------------------------------------------------------------------------------------
# The steps


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    year = await latest_year(await School.get(id=actor.school_id))
    assignments = (
        await TeachingAssignment.filter(staff_id=actor.staff_id, school_class__year_id=year.id)
        .select_related("school_class", "subject")
        .order_by("school_class__grade", "school_class__name", "subject__name")
    )
    choices = [
        (f"{a.school_class.name} — {a.subject.name}", f"mk:a:{a.school_class_id}:{a.subject_id}")
        for a in assignments
        if mark_columns(a.subject, a.school_class.grade)
    ]
    if not choices:
        await _say(update, _("Thầy cô chưa được phân công môn nào có điểm số để nhập."))
        return ConversationHandler.END
    context.user_data[DRAFT] = {}
    await _say(
        update,
        _("✍️ <b>Nhập một điểm</b>\nChọn lớp và môn (gõ /huy để thôi bất cứ lúc nào):"),
        _keyboard(choices, 2),
    )
    return SHEET


async def chose_sheet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    class_id, subject_id = (int(g) for g in context.match.groups())
    sheet = await _sheet(actor, class_id, subject_id)
    context.user_data[DRAFT] = {"class_id": class_id, "subject_id": subject_id}
    terms = await Term.filter(year_id=sheet.school_class.year_id).order_by("number")
    buttons = [(_("Học kỳ {n}").format(n="I" * t.number), f"mk:t:{t.number}") for t in terms]
    await _say(update, _("{sheet}. Chọn học kỳ:").format(sheet=sheet.title), _keyboard(buttons, 2))
    return TERM


async def chose_term(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    draft = _draft(context, "class_id")
    number = int(context.match.group(1))
    sheet = await _sheet(actor, draft["class_id"], draft["subject_id"], number)
    await ensure_writable(actor, [sheet.whole()], clock.now())
    draft["term"] = number
    buttons = [
        (mark_column(kind, index), f"mk:c:{_CODES[kind]}{index}")
        for kind, index in mark_columns(sheet.subject, sheet.school_class.grade)
    ]
    await _say(
        update, _("{sheet}. Chọn cột điểm:").format(sheet=sheet.title), _keyboard(buttons, 4)
    )
    return COLUMN


async def chose_column(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    draft = _draft(context, "term")
    sheet = await _draft_sheet(actor, draft)
    kind, index = _KINDS[context.match.group(1)], int(context.match.group(2))
    if (kind, index) not in mark_columns(sheet.subject, sheet.school_class.grade):
        raise InvalidValue(
            _("Môn {subject} lớp {klass} không có cột {column}.").format(
                subject=sheet.subject.name,
                klass=sheet.school_class.name,
                column=mark_column(kind, index),
            )
        )
    draft["column"] = [kind.value, index]
    return await _ask_student(update, actor, sheet, draft)


async def next_student(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """«Học sinh khác» after a save: the same sheet and column, checked again."""
    actor = await _actor(update)
    draft = _draft(context, "column")
    sheet = await _draft_sheet(actor, draft)
    await ensure_writable(actor, [sheet.whole()], clock.now())
    return await _ask_student(update, actor, sheet, draft)


async def _ask_student(update: Update, actor: Actor, sheet: Sheet, draft: dict[str, Any]) -> int:
    column = mark_column(*_column(draft))
    rows = await gradebook.read_sheet(actor, sheet.school_class, sheet.subject, sheet.term)
    await _say(
        update,
        _(
            "{sheet}, cột {column}. Chọn học sinh, hoặc gõ số thứ tự hay một phần tên (có dấu "
            "hoặc không):"
        ).format(sheet=sheet.title, column=column),
        _keyboard(_student_buttons(rows, column), 2),
    )
    return STUDENT


async def search_student(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A typed class-list number or part of a name; one match goes straight to the value."""
    actor = await _actor(update)
    draft = _draft(context, "column")
    sheet = await _draft_sheet(actor, draft)
    typed = update.effective_message.text.strip()
    rows = await gradebook.read_sheet(actor, sheet.school_class, sheet.subject, sheet.term)
    if typed.isdigit():
        found = [r for r in rows if r.number == int(typed)]
    else:
        found = [r for r in rows if fold(typed) in fold(r.full_name)]
    if len(found) == 1:
        return await _ask_value(update, sheet, draft, found[0])
    if not found:
        await _say(
            update,
            _("Lớp {klass} không có học sinh nào khớp «{typed}». Gõ lại, hoặc chọn ở trên.").format(
                klass=html.escape(sheet.school_class.name), typed=html.escape(typed)
            ),
        )
        return STUDENT
    column = mark_column(*_column(draft))
    await _say(
        update,
        _("Có {n} học sinh khớp «{typed}», chọn một:").format(
            n=len(found), typed=html.escape(typed)
        ),
        _keyboard(_student_buttons(found[:MAX_MATCHES], column), 2),
    )
    return STUDENT


async def _row(actor: Actor, sheet: Sheet, student_id: int) -> SheetRow:
    """The student's line of the sheet: only a student of the class list is accepted."""
    rows = await gradebook.read_sheet(actor, sheet.school_class, sheet.subject, sheet.term)
    row = next((r for r in rows if r.student_id == student_id), None)
    if row is None:
        raise NotFound(
            _("Học sinh này không có trong danh sách lớp {klass}.").format(
                klass=sheet.school_class.name
            )
        )
    return row


async def chose_student(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    draft = _draft(context, "column")
    sheet = await _draft_sheet(actor, draft)
    row = await _row(actor, sheet, int(context.match.group(1)))
    return await _ask_value(update, sheet, draft, row)


async def _ask_value(update: Update, sheet: Sheet, draft: dict[str, Any], row: SheetRow) -> int:
    draft["student_id"] = row.student_id
    column = mark_column(*_column(draft))
    await _say(
        update,
        _("{number}. <b>{name}</b>, {sheet}, cột {column}: hiện tại <b>{current}</b>.").format(
            number=row.number,
            name=html.escape(row.full_name),
            sheet=sheet.title,
            column=column,
            current=_shown(row.marks.get(column)),
        )
        + "\n"
        + _expected(sheet.subject),
    )
    return VALUE


async def got_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    draft = _draft(context, "student_id")
    sheet = await _draft_sheet(actor, draft)
    kind, index = _column(draft)
    try:
        value = validate_mark(
            sheet.subject, sheet.school_class.grade, kind, index, update.effective_message.text
        )
    except InvalidValue as refused:
        await _say(update, html.escape(str(refused)) + "\n" + _expected(sheet.subject))
        return VALUE
    draft["value"] = _stored(value)
    row = await _row(actor, sheet, draft["student_id"])
    column = mark_column(kind, index)
    await _say(
        update,
        _(
            "<b>Kiểm tra lại</b>\n{sheet}, cột {column}\nHọc sinh: {number}. {name}\n"
            "{old} → <b>{new}</b>"
        ).format(
            sheet=sheet.title,
            column=column,
            number=row.number,
            name=html.escape(row.full_name),
            old=_shown(row.marks.get(column)),
            new=_shown(value),
        ),
        _keyboard([(_("✅ Lưu"), "mk:ok")], 1),
    )
    return CONFIRM


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Write through the core (assignment and locks checked there). A refusal ends the flow:
    a lock does not open in minutes, and nothing was written."""
    actor = await _actor(update)
    draft = _draft(context, "value")
    sheet = await _draft_sheet(actor, draft)
    kind, index = _column(draft)
    row = await _row(actor, sheet, draft["student_id"])
    value = validate_mark(sheet.subject, sheet.school_class.grade, kind, index, draft["value"])
    entry = gradebook.MarkEntry(
        row.student_id, sheet.school_class, sheet.subject, sheet.term, kind, index, value
    )
    try:
        written = await gradebook.write_marks(actor, [entry])
    except HocbaError as refused:
        context.user_data.pop(DRAFT, None)
        await _say(update, html.escape(str(refused)))
        return ConversationHandler.END
    for key in ("student_id", "value"):
        draft.pop(key)
    column = mark_column(kind, index)
    text = (
        _("✅ Đã lưu {column} của {name}: <b>{value}</b>.")
        if written.changed
        else _("{column} của {name} vẫn là <b>{value}</b>: không có gì thay đổi.")
    )
    await _say(
        update,
        text.format(column=column, name=html.escape(row.full_name), value=_shown(value)),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        _("➕ Học sinh khác, cột {column}").format(column=column),
                        callback_data="mk:n",
                    )
                ]
            ]
        ),
    )
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.pop(DRAFT, None)
    actor = await current_actor(update)
    if update.callback_query:
        await update.callback_query.answer()
    await update.effective_message.reply_text(
        _("Đã hủy, không có điểm nào được ghi."),
        reply_markup=main_menu(actor) if actor else None,
    )
    return ConversationHandler.END


def register(application: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("nhapdiem", start),
                MessageHandler(MenuButton(Menu.mark_entry), start),
                CallbackQueryHandler(next_student, pattern=r"^mk:n$"),
            ],
            states={
                SHEET: [CallbackQueryHandler(chose_sheet, pattern=r"^mk:a:(\d{1,9}):(\d{1,9})$")],
                TERM: [CallbackQueryHandler(chose_term, pattern=r"^mk:t:([12])$")],
                COLUMN: [CallbackQueryHandler(chose_column, pattern=r"^mk:c:([rmf])([1-9])$")],
                STUDENT: [
                    CallbackQueryHandler(chose_student, pattern=r"^mk:s:(\d{1,9})$"),
                    MessageHandler(text, search_student),
                ],
                VALUE: [MessageHandler(text, got_value)],
                CONFIRM: [CallbackQueryHandler(confirm, pattern=r"^mk:ok$")],
            },
            fallbacks=[
                CommandHandler(["huy", "cancel"], cancel),
                CallbackQueryHandler(cancel, pattern=r"^mk:x$"),
            ],
            name="mark_entry",
            persistent=application.persistence is not None,
            allow_reentry=True,
        )
    )
