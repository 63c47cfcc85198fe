"""Correction records for the people who oversee them: a student's cell history (/lichsu) and
the principal's delegation of decisions to a vice principal (/uyquyen, /thoiuyquyen)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from core import clock, formatting
from core.errors import InvalidValue, NotFound
from core.i18n import _
from core.models import Student, Subject
from core.services import corrections
from core.services.schools import subjects_by_name
from core.services.signin import find_staff
from core.text import fold
from handlers.common import current_actor

MAX_LINES = 40


async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lichsu MÃ_ĐỊNH_DANH [MÔN] [CỘT]: every value the cells had, by whom, under which request."""
    actor = await current_actor(update)
    if actor is None:
        return
    if not context.args:
        raise InvalidValue(
            _("Cách dùng: /lichsu MÃ_ĐỊNH_DANH [MÔN] [CỘT], ví dụ /lichsu 037214000001 Toán CK")
        )
    student = await Student.get_or_none(national_id=context.args[0], school_id=actor.school_id)
    if student is None:
        raise NotFound(
            _("Không tìm thấy học sinh có mã định danh {id}.").format(id=context.args[0])
        )
    subject: Subject | None = None
    column = None
    if len(context.args) > 1:
        words = context.args[1:]
        if words[-1].upper() in {"GK", "CK"} or words[-1].upper().startswith("TX"):
            column = words.pop().upper()
        if words:
            subject = (await subjects_by_name(await student.school)).get(fold(" ".join(words)))
            if subject is None:
                raise NotFound(_("Trường không có môn «{name}».").format(name=" ".join(words)))
    lines = await corrections.history(actor, student.id, subject.id if subject else None, column)
    text = [_("<b>Lịch sử điểm của {name}</b>").format(name=student.full_name)]
    for line in lines[-MAX_LINES:]:
        text.append(
            _("{when} — {cell}: {before} → {after} ({by}{request})").format(
                when=formatting.date_time(line.at),
                cell=line.cell,
                before=line.before or "—",
                after=line.after or "—",
                by=line.by,
                request=_(", phiếu {code}").format(code=line.request) if line.request else "",
            )
        )
    if len(text) == 1:
        text.append(_("Chưa có điểm nào được ghi."))
    await update.effective_message.reply_text("\n".join(text))


async def _vice_principal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple:
    actor = await current_actor(update)
    if actor is None or not context.args:
        raise InvalidValue(_("Cách dùng: /uyquyen MÃ_CÁN_BỘ (hoặc /thoiuyquyen MÃ_CÁN_BỘ)."))
    return actor, await find_staff(actor.school_id, " ".join(context.args))


async def delegate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor, vice_principal = await _vice_principal(update, context)
    await corrections.delegate(actor, vice_principal, clock.now())  # the core checks roles
    await update.effective_message.reply_text(
        _("Đã ủy quyền cho {name} duyệt phiếu đề nghị sửa điểm.").format(
            name=vice_principal.full_name
        )
    )


async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor, vice_principal = await _vice_principal(update, context)
    await corrections.revoke_delegation(actor, vice_principal, clock.now())
    await update.effective_message.reply_text(
        _("Đã thôi ủy quyền cho {name}.").format(name=vice_principal.full_name)
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["lichsu", "history"], history))
    application.add_handler(CommandHandler(["uyquyen", "delegate"], delegate))
    application.add_handler(CommandHandler(["thoiuyquyen", "undelegate"], revoke))
