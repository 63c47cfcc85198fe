"""Correction requests in the bot: the teacher's guided request (/suadiem), and the buttons the
core's notifications carry (forward, view evidence, approve, reject, ask for more, witness,
apply, allow a late request).

Thin by design: every button's data is parsed here and everything is checked again in
core.services.corrections (rights, state, values). The teacher's flow keeps its draft in
user_data (JSON only), so with the persistent ConversationHandler it survives a restart.

The evidence album: the outbox sends single messages only, so the principal's card (sent by
the outbox) carries a «Xem minh chứng» button, and this module sends the album
(sendMediaGroup: the photos together, the PDFs together) when it is pressed.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from core.errors import HocbaError, InvalidValue
from core.i18n import _
from core.models import MarkKind, SchoolClass, Subject, Term
from core.services import corrections, evidence
from core.services.access import Actor
from core.services.corrections import Change, Draft
from core.services.gradebook import mark_columns
from core.storage import FileStore
from handlers.common import Menu, MenuButton, current_actor, main_menu

DRAFT = "correction_draft"  # user_data: the teacher's request being filled in
SUPPLEMENT = "correction_supplement"  # user_data: an answer to the principal being written
PICKED = "correction_picked"  # user_data: requests ticked in the pending list

CLASS, STUDENT, SUBJECT, TERM, COLUMN, VALUE, MORE, REASON, EVIDENCE, CONFIRM = range(10)
ANSWER, FILES = range(10, 12)
DECISION_TEXT, APPLY_VALUE = range(12, 14)


def file_store(context: ContextTypes.DEFAULT_TYPE) -> FileStore:
    return context.runtime.files  # type: ignore[attr-defined]


def _keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def _cancel_row() -> list[tuple[str, str]]:
    return [(_("✖️ Hủy"), "csx")]


async def _actor(update: Update) -> Actor:
    actor = await current_actor(update)
    if actor is None:
        raise HocbaError(_("Thầy cô cần đăng nhập trước (bấm /start)."))
    return actor


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    draft = context.user_data.get(DRAFT)
    if draft is None:
        raise HocbaError(_("Phiếu đang lập không còn; gõ /suadiem để lập lại."))
    return draft


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    if update.callback_query:
        await update.callback_query.answer()
    await update.effective_message.reply_text(text, reply_markup=markup)


def _ids(update: Update) -> list[int]:
    """The numbers of a button's data ("crx:12:40" -> [12, 40]); validated by the patterns."""
    return [int(n) for n in re.findall(r"\d+", update.callback_query.data)]


# ---------------------------------------------------------------------------------------------
# The teacher's request


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    classes = await corrections.my_classes(actor)
    if not classes:
        await _reply(update, _("Thầy cô chưa được phân công dạy lớp nào nên chưa lập phiếu được."))
        return ConversationHandler.END
    context.user_data[DRAFT] = {"token": corrections.new_token(), "changes": [], "evidence": []}
    rows = [
        [(c.name, f"csc:{c.id}") for c in classes[i : i + 4]] for i in range(0, len(classes), 4)
    ]
    await _reply(
        update,
        _("✏️ <b>Đề nghị sửa điểm</b>\nChọn lớp (gõ /huy để thôi bất cứ lúc nào):"),
        _keyboard([*rows, _cancel_row()]),
    )
    return CLASS


async def chose_class(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    school_class = await SchoolClass.get(id=_ids(update)[0])
    await corrections.find_students(actor, school_class, "")  # checks the teacher teaches it
    _draft(context)["class_id"] = school_class.id
    await _reply(
        update,
        _("Lớp {klass}. Gõ một phần tên học sinh (có dấu hoặc không), ví dụ «binh»:").format(
            klass=html.escape(school_class.name)
        ),
    )
    return STUDENT


async def search_student(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    school_class = await SchoolClass.get(id=_draft(context)["class_id"])
    found = await corrections.find_students(actor, school_class, update.effective_message.text)
    if not found:
        await _reply(update, _("Không có học sinh nào của lớp có tên như vậy. Gõ lại:"))
        return STUDENT
    rows = [[(s.full_name, f"css:{s.id}")] for s in found[:10]]
    await _reply(update, _("Chọn học sinh:"), _keyboard([*rows, _cancel_row()]))
    return STUDENT


async def chose_student(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    draft = _draft(context)
    school_class = await SchoolClass.get(id=draft["class_id"])
    student_id = _ids(update)[0]
    if student_id not in {s.id for s in await corrections.find_students(actor, school_class, "")}:
        raise InvalidValue(
            _("Học sinh này không thuộc lớp {klass}.").format(klass=school_class.name)
        )
    draft["student_id"] = student_id
    subjects = await corrections.my_subjects(actor, school_class)
    rows = [[(s.name, f"csj:{s.id}")] for s in subjects]
    await _reply(update, _("Chọn môn:"), _keyboard([*rows, _cancel_row()]))
    return SUBJECT


async def chose_subject(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    draft = _draft(context)
    school_class = await SchoolClass.get(id=draft["class_id"])
    subject_id = _ids(update)[0]
    if subject_id not in {s.id for s in await corrections.my_subjects(actor, school_class)}:
        raise InvalidValue(
            _("Thầy cô không dạy môn này ở lớp {klass}.").format(klass=school_class.name)
        )
    draft["subject_id"] = subject_id
    terms = await Term.filter(year_id=school_class.year_id).order_by("number")
    rows = [
        [(_("Học kỳ {n}").format(n="I" if t.number == 1 else "II"), f"cst:{t.id}") for t in terms]
    ]
    await _reply(update, _("Chọn học kỳ:"), _keyboard([*rows, _cancel_row()]))
    return TERM


async def _cell(update: Update, draft: dict[str, Any], kind: str, index: int) -> corrections.Cell:
    return await corrections.load_cell(
        await _actor(update),
        draft["class_id"],
        draft["student_id"],
        draft["subject_id"],
        draft["term_id"],
        kind,
        index,
    )


async def chose_term(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    draft = _draft(context)
    draft["term_id"] = _ids(update)[0]
    cell = await _cell(update, draft, MarkKind.REGULAR, 1)
    try:
        await corrections.ensure_before_cutoff(actor, cell, dt.datetime.now(dt.UTC))
    except corrections.PastCutoff as late:
        await _reply(
            update,
            str(late),
            _keyboard([[(_("🙏 Xin phép nộp muộn"), "csl")], _cancel_row()]),
        )
        return TERM
    return await _ask_column(update, draft)


async def ask_late(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    draft = _draft(context)
    cell = await _cell(update, draft, MarkKind.REGULAR, 1)
    await corrections.ask_late(await _actor(update), cell, dt.datetime.now(dt.UTC))
    context.user_data.pop(DRAFT, None)
    await _reply(
        update,
        _("Đã gửi Hiệu trưởng đề nghị cho nộp muộn. Khi được phép, Trợ lý sẽ báo thầy cô."),
    )
    return ConversationHandler.END


async def _ask_column(update: Update, draft: dict[str, Any]) -> int:
    subject = await Subject.get(id=draft["subject_id"])
    school_class = await SchoolClass.get(id=draft["class_id"])
    taken = {(k, i) for k, i, _v in draft["changes"]}
    rows: list[list[tuple[str, str]]] = [[]]
    for kind, index in mark_columns(subject, school_class.grade):
        if (kind.value, index) in taken:
            continue
        cell = await _cell(update, draft, kind, index)
        label = f"{cell.column} ({corrections.shown(await corrections.current_value(cell))})"
        if len(rows[-1]) == 3:
            rows.append([])
        rows[-1].append((label, f"csk:{kind.value[0]}:{index}"))
    await _reply(
        update,
        _("Chọn cột cần sửa (giá trị hiện tại trong ngoặc):"),
        _keyboard([*rows, _cancel_row()]),
    )
    return COLUMN


_KINDS = {k.value[0]: k for k in MarkKind}


async def chose_column(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    draft = _draft(context)
    kind_letter, index = update.callback_query.data.split(":")[1:]
    cell = await _cell(update, draft, _KINDS[kind_letter], int(index))
    draft["pending"] = [cell.kind.value, cell.index]
    await _reply(
        update,
        _("Cột {column}: giá trị hiện tại <b>{value}</b>. Gõ giá trị đúng:").format(
            column=cell.column, value=corrections.shown(await corrections.current_value(cell))
        ),
    )
    return VALUE


async def got_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    draft = _draft(context)
    kind, index = draft["pending"]
    cell = await _cell(update, draft, kind, index)
    value = await corrections.check_new_value(cell, update.effective_message.text)
    draft["changes"].append([kind, index, value])
    draft.pop("pending")
    await _reply(
        update,
        _("Đã ghi: {column} → {value}. Sửa thêm ô khác của học sinh này?").format(
            column=cell.column, value=corrections.shown(value)
        ),
        _keyboard([[(_("➕ Thêm ô khác"), "csa"), (_("➡️ Tiếp: lý do"), "csn")], _cancel_row()]),
    )
    return MORE


async def add_cell(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    return await _ask_column(update, _draft(context))


async def ask_reason(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> int:
    await _reply(update, _("Gõ lý do sửa (ví dụ: nhập nhầm điểm bài kiểm tra 15 phút ngày 12/10):"))
    return REASON


async def got_reason(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    _draft(context)["reason"] = update.effective_message.text.strip()
    await _reply(
        update,
        _(
            "Gửi minh chứng: 1 đến {n} ảnh hoặc tệp PDF (bài kiểm tra, sổ điểm cá nhân, sổ đầu "
            "bài), từng tấm hoặc cả album. Gửi xong bấm «Xong»."
        ).format(n=evidence.MAX_FILES),
        _keyboard([[(_("✔️ Xong"), "csd")], _cancel_row()]),
    )
    return EVIDENCE


async def _receive_file(
    update: Update, context: ContextTypes.DEFAULT_TYPE, files: list[dict]
) -> None:
    """Check and store one photo or document; the album's refusals are said once per album."""
    message: Message = update.effective_message
    attachment = message.photo[-1] if message.photo else message.document
    name = getattr(attachment, "file_name", None) or _("ảnh {n}").format(n=len(files) + 1)
    group = message.media_group_id
    try:
        evidence.ensure_room(len(files))
        evidence.ensure_size(attachment.file_size)
        data = bytes(await (await attachment.get_file()).download_as_bytearray())
        accepted = evidence.accept(file_store(context), data, name)
    except InvalidValue as refused:
        said = context.user_data.setdefault("correction_refused_groups", [])
        if group and f"{group}:{refused}" in said:
            return
        if group:
            said.append(f"{group}:{refused}")
        await message.reply_text(str(refused))
        return
    files.append(accepted.as_dict())
    await message.reply_text(
        _("Đã nhận minh chứng {n}/{max}.").format(n=len(files), max=evidence.MAX_FILES),
        reply_markup=_keyboard([[(_("✔️ Xong"), "csd")]]),
    )


async def got_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _receive_file(update, context, _draft(context)["evidence"])
    return EVIDENCE


async def not_a_file(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(
        update,
        _(
            "Ở bước này cần ảnh hoặc tệp PDF làm minh chứng, không phải tin nhắn chữ. Gửi ảnh, "
            "hoặc bấm «Xong» nếu đã gửi đủ."
        ),
        _keyboard([[(_("✔️ Xong"), "csd")]]),
    )


def _as_draft(draft: dict[str, Any]) -> Draft:
    return Draft(
        token=draft["token"],
        class_id=draft["class_id"],
        student_id=draft["student_id"],
        subject_id=draft["subject_id"],
        term_id=draft["term_id"],
        changes=tuple(Change(MarkKind(k), i, v) for k, i, v in draft["changes"]),
        reason=draft.get("reason", ""),
        evidence=tuple(evidence.EvidenceFile.of(f) for f in draft["evidence"]),
    )


async def files_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    draft = _draft(context)
    if not draft["evidence"]:
        await _reply(update, _("Phiếu cần ít nhất một minh chứng. Hãy gửi ảnh hoặc tệp PDF."))
        return EVIDENCE
    first = draft["changes"][0]
    cell = await _cell(update, draft, first[0], first[1])
    lines = [
        _("<b>Kiểm tra lại phiếu</b>"),
        _("Học sinh: {student}, lớp {klass}, môn {subject}, HK{term}").format(
            student=html.escape(cell.student.full_name),
            klass=html.escape(cell.school_class.name),
            subject=html.escape(cell.subject.name),
            term="I" if cell.term.number == 1 else "II",
        ),
    ]
    for kind, index, value in draft["changes"]:
        item = await _cell(update, draft, kind, index)
        old = corrections.shown(await corrections.current_value(item))
        lines.append(f"• {item.column}: {old} → <b>{corrections.shown(value)}</b>")
    lines += [
        _("Lý do: {reason}").format(reason=html.escape(draft["reason"])),
        _("Minh chứng: {n} tệp").format(n=len(draft["evidence"])),
        _("Sau khi gửi, phiếu không sửa được nữa."),
    ]
    await _reply(update, "\n".join(lines), _keyboard([[(_("📨 Gửi phiếu"), "cso")], _cancel_row()]))
    return CONFIRM


async def confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    request = await corrections.submit(actor, _as_draft(_draft(context)), file_store(context))
    context.user_data.pop(DRAFT, None)
    await update.callback_query.answer()
    await update.effective_message.reply_text(
        _("📨 Đã gửi phiếu {number} ({state}). Trợ lý sẽ báo kết quả.").format(
            number=request.number, state=corrections.RequestState(request.state).label
        ),
        reply_markup=main_menu(actor),
    )
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    for key in (DRAFT, SUPPLEMENT):
        context.user_data.pop(key, None)
    actor = await current_actor(update)
    if update.callback_query:
        await update.callback_query.answer()
    await update.effective_message.reply_text(
        _("Đã hủy, không có gì được gửi."), reply_markup=main_menu(actor) if actor else None
    )
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------------
# The buttons of the notifications


async def view_evidence(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The card's «Xem minh chứng»: the album, then the card again with its buttons."""
    actor = await _actor(update)
    view = await corrections.view_for(actor, _ids(update)[0])
    await update.callback_query.answer()
    store = file_store(context)
    chat = update.effective_chat.id
    photos = [InputMediaPhoto(store.get(e.sha256)) for e in view.evidence if e.media == "photo"]
    docs = [
        InputMediaDocument(store.get(e.sha256), filename=e.name or f"{e.sha256[:12]}.pdf")
        for e in view.evidence
        if e.media != "photo"
    ]
    for group in (photos, docs):
        if len(group) == 1:
            media = group[0]
            send = (
                context.bot.send_photo
                if isinstance(media, InputMediaPhoto)
                else context.bot.send_document
            )
            await send(chat, media.media)
        elif group:
            await context.bot.send_media_group(chat, group)
    deciding = view.state is corrections.RequestState.AT_PRINCIPAL
    buttons = corrections.decision_buttons(view)[1:] if deciding else []
    await context.bot.send_message(
        chat,
        view.card(),
        reply_markup=_keyboard([[(b["text"], b["callback_data"]) for b in row] for row in buttons])
        if buttons
        else None,
    )


async def _done(update: Update, text: str) -> None:
    await update.callback_query.answer()
    await update.effective_message.reply_text(text)


async def forward_one(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    moved = await corrections.forward(await _actor(update), _ids(update))
    await _done(
        update,
        _("➡️ Đã chuyển Hiệu trưởng: {numbers}.").format(numbers=", ".join(r.number for r in moved)),
    )


async def approve_one(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    request = await corrections.approve(await _actor(update), _ids(update)[0])
    await _done(
        update,
        _("✅ Đã duyệt phiếu {number}. Người chứng kiến đã được mời xác nhận.").format(
            number=request.number
        ),
    )


async def witness(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    request = await corrections.confirm_witness(
        await _actor(update), _ids(update)[0], file_store(context)
    )
    await _done(
        update, _("👁 Đã ghi nhận thầy cô chứng kiến phiếu {number}.").format(number=request.number)
    )


async def grant(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await corrections.grant_late(await _actor(update), _ids(update)[0], dt.datetime.now(dt.UTC))
    await _done(update, _("✅ Đã cho phép nộp muộn; giáo viên đã được báo."))


# Reject (reason) and ask-for-more (question) need a text: a small persistent conversation.


async def ask_decision_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    await corrections.ensure_decider(actor)
    view = await corrections.view_for(actor, _ids(update)[0])
    action = update.callback_query.data[2]
    context.user_data["correction_decision"] = [action, view.id]
    prompt = (
        _("Gõ lý do từ chối phiếu {number}:")
        if action == corrections.REJECT
        else _("Gõ điều cần giáo viên bổ sung cho phiếu {number}:")
    ).format(number=view.request.number)
    await _reply(update, prompt)
    return DECISION_TEXT


async def got_decision_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    action, request_id = context.user_data.pop("correction_decision")
    actor = await _actor(update)
    text = update.effective_message.text
    if action == corrections.REJECT:
        request = await corrections.reject(actor, request_id, text)
        done = _("❌ Đã từ chối phiếu {number}; giáo viên đã được báo lý do.")
    else:
        request = await corrections.ask_more(actor, request_id, text)
        done = _("❓ Đã hỏi thêm giáo viên về phiếu {number}.")
    await _reply(update, done.format(number=request.number))
    return ConversationHandler.END


# The teacher answers an ask-for-more: a text, then evidence if any, then «Xong».


async def start_supplement(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    view = await corrections.view_for(actor, _ids(update)[0])
    if view.state is not corrections.RequestState.NEEDS_INFO or view.teacher.id != actor.staff_id:
        raise InvalidValue(
            _("Phiếu {number} {state}: không cần bổ sung.").format(
                number=view.request.number, state=view.state.label
            )
        )
    context.user_data[SUPPLEMENT] = {"id": view.id, "evidence": []}
    await _reply(
        update,
        _("Gõ câu trả lời cho Hiệu trưởng về phiếu {number}:").format(number=view.request.number),
    )
    return ANSWER


async def got_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data[SUPPLEMENT]["answer"] = update.effective_message.text
    await _reply(
        update,
        _("Gửi thêm minh chứng nếu có (ảnh hoặc PDF), rồi bấm «Xong»."),
        _keyboard([[(_("✔️ Xong"), "csd")]]),
    )
    return FILES


async def supplement_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    await _receive_file(update, context, context.user_data[SUPPLEMENT]["evidence"])
    return FILES


async def supplement_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    answer = context.user_data.pop(SUPPLEMENT)
    request = await corrections.supplement(
        await _actor(update),
        answer["id"],
        answer["answer"],
        [evidence.EvidenceFile.of(f) for f in answer["evidence"]],
        file_store(context),
    )
    await _reply(
        update,
        _("📨 Đã gửi bổ sung; phiếu {number} trở lại Hiệu trưởng.").format(number=request.number),
    )
    return ConversationHandler.END


# The teacher applies the approved value into the open cell.


async def start_apply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    actor = await _actor(update)
    request_id, item_id = _ids(update)
    view = await corrections.view_for(actor, request_id)
    item = next((i for i in view.items if i.id == item_id), None)
    if (
        item is None
        or view.state is not corrections.RequestState.OPEN
        or view.teacher.id != actor.staff_id
    ):
        raise InvalidValue(
            _("Phiếu {number} {state}: ô điểm không mở để sửa.").format(
                number=view.request.number, state=view.state.label
            )
        )
    context.user_data["correction_apply"] = [request_id, item_id]
    await _reply(
        update,
        _("Gõ giá trị đã duyệt cho ô {column} (học sinh {student}):").format(
            column=item.column, student=html.escape(view.student.full_name)
        ),
    )
    return APPLY_VALUE


async def got_apply_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    request_id, item_id = context.user_data["correction_apply"]
    request = await corrections.apply_value(
        await _actor(update),
        request_id,
        item_id,
        update.effective_message.text,
        file_store(context),
    )
    context.user_data.pop("correction_apply")
    done = (
        _("✅ Đã ghi và khóa lại ô điểm. Phiếu {number} đã sửa xong; biên bản sẽ được gửi.")
        if request.state == corrections.RequestState.APPLIED
        else _("✅ Đã ghi và khóa lại ô điểm của phiếu {number}. Còn ô khác cần nhập.")
    )
    await _reply(update, done.format(number=request.number))
    return ConversationHandler.END


# ---------------------------------------------------------------------------------------------
# The pending list: admins forward several, deciders approve several


async def pending(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await _actor(update)
    views = await corrections.pending_for(actor)
    grouped = await corrections.requests_by_state(actor)
    counts = ", ".join(f"{state.label}: {len(items)}" for state, items in grouped.items())
    picked = set(context.user_data.get(PICKED, []))
    lines = [_("<b>Phiếu sửa điểm</b> ({counts})").format(counts=counts or "0")]
    rows: list[list[tuple[str, str]]] = []
    for view in views:
        lines.append(f"• {html.escape(view.title())}: {html.escape(view.changes_line())}")
        mark = "☑️" if view.id in picked else "⬜"
        rows.append(
            [(f"{mark} {view.request.number}", f"crt:{view.id}"), (_("🔍 Xem"), f"crv:{view.id}")]
        )
    if not views:
        lines.append(_("Không có phiếu nào đang chờ thầy cô."))
    if any(v.state is corrections.RequestState.AT_ADMINS for v in views):
        rows.append([(_("➡️ Chuyển các phiếu đã chọn"), "crF")])
    if any(v.state is corrections.RequestState.AT_PRINCIPAL for v in views):
        rows.append([(_("✅ Duyệt các phiếu đã chọn"), "crA")])
    markup = _keyboard(rows) if rows else None
    if update.callback_query:
        await update.callback_query.answer()
        await update.effective_message.edit_text("\n".join(lines), reply_markup=markup)
    else:
        await update.effective_message.reply_text("\n".join(lines), reply_markup=markup)


async def toggle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    picked = set(context.user_data.get(PICKED, []))
    picked ^= {_ids(update)[0]}
    context.user_data[PICKED] = sorted(picked)
    await pending(update, context)


async def act_on_picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await _actor(update)
    picked = context.user_data.pop(PICKED, [])
    if not picked:
        await update.callback_query.answer(_("Chưa chọn phiếu nào."), show_alert=True)
        return
    if update.callback_query.data == "crF":
        moved = await corrections.forward(actor, picked)
        text = _("➡️ Đã chuyển Hiệu trưởng: {numbers}.").format(
            numbers=", ".join(r.number for r in moved)
        )
    else:
        results = []
        for request_id in picked:
            try:
                results.append(
                    _("✅ {number}: đã duyệt").format(
                        number=(await corrections.approve(actor, request_id)).number
                    )
                )
            except HocbaError as refused:
                results.append(str(refused))
        text = "\n".join(results)
    await _done(update, text)


def register(application: Application) -> None:
    persistent = application.persistence is not None
    cancel_handlers = [
        CommandHandler(["huy", "cancel"], cancel),
        CallbackQueryHandler(cancel, pattern=r"^csx$"),
    ]
    text = filters.TEXT & ~filters.COMMAND
    media = filters.PHOTO | filters.Document.ALL
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("suadiem", start),
                MessageHandler(MenuButton(Menu.correction_request), start),
            ],
            states={
                CLASS: [CallbackQueryHandler(chose_class, pattern=r"^csc:\d+$")],
                STUDENT: [
                    MessageHandler(text, search_student),
                    CallbackQueryHandler(chose_student, pattern=r"^css:\d+$"),
                ],
                SUBJECT: [CallbackQueryHandler(chose_subject, pattern=r"^csj:\d+$")],
                TERM: [
                    CallbackQueryHandler(chose_term, pattern=r"^cst:\d+$"),
                    CallbackQueryHandler(ask_late, pattern=r"^csl$"),
                ],
                COLUMN: [CallbackQueryHandler(chose_column, pattern=r"^csk:[rmf]:[1-4]$")],
                VALUE: [MessageHandler(text, got_value)],
                MORE: [
                    CallbackQueryHandler(add_cell, pattern=r"^csa$"),
                    CallbackQueryHandler(ask_reason, pattern=r"^csn$"),
                ],
                REASON: [MessageHandler(text, got_reason)],
                EVIDENCE: [
                    MessageHandler(media, got_file),
                    MessageHandler(text, not_a_file),
                    CallbackQueryHandler(files_done, pattern=r"^csd$"),
                ],
                CONFIRM: [CallbackQueryHandler(confirm, pattern=r"^cso$")],
            },
            fallbacks=cancel_handlers,
            name="correction_request",
            persistent=persistent,
        )
    )
    application.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(start_supplement, pattern=r"^crs:\d+$")],
            states={
                ANSWER: [MessageHandler(text, got_answer)],
                FILES: [
                    MessageHandler(media, supplement_file),
                    MessageHandler(text, not_a_file),
                    CallbackQueryHandler(supplement_done, pattern=r"^csd$"),
                ],
            },
            fallbacks=cancel_handlers,
            name="correction_supplement",
            persistent=persistent,
        )
    )
    application.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(ask_decision_text, pattern=r"^cr[rq]:\d+$")],
            states={DECISION_TEXT: [MessageHandler(text, got_decision_text)]},
            fallbacks=cancel_handlers,
            name="correction_decision",
            persistent=persistent,
            allow_reentry=True,
        )
    )
    application.add_handler(
        ConversationHandler(
            entry_points=[CallbackQueryHandler(start_apply, pattern=r"^crx:\d+:\d+$")],
            states={APPLY_VALUE: [MessageHandler(text, got_apply_value)]},
            fallbacks=cancel_handlers,
            name="correction_apply",
            persistent=persistent,
            allow_reentry=True,
        )
    )
    for handler, pattern in (
        (view_evidence, r"^crv:\d+$"),
        (forward_one, r"^crf:\d+$"),
        (approve_one, r"^cra:\d+$"),
        (witness, r"^crw:\d+$"),
        (grant, r"^crg:\d+$"),
        (toggle, r"^crt:\d+$"),
        (act_on_picked, r"^cr[FA]$"),
    ):
        application.add_handler(CallbackQueryHandler(handler, pattern=pattern))
    application.add_handler(CommandHandler("phieusua", pending))
    application.add_handler(MessageHandler(MenuButton(Menu.correction_requests), pending))
