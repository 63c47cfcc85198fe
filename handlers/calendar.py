"""The deadline calendar in the bot: /lich shows it, /lich MỤC GIÁ_TRỊ changes one value.

The command line can already edit every date (bot/cli_deadlines.py); admins and the principal
also need it from the phone, because a school moves a deadline when the Sở or the principal
decides, not when someone is at the server. Anyone of the school may read the calendar (the
teachers' deadlines are no secret); the core decides who may change it, checks the date
against the school year and the other dates, audits the change, and refuses to move a lock
that has already fallen.

A change that would lock something now or within the hour comes back held
(core.services.calendar.changes): it is shown with what would lock and whom it touches, and
«Xác nhận» / «Hủy» buttons. The change waits in the person's user_data under a random token
(the button carries only the token: handlers.pending), so a forged or foreign button finds
nothing; the confirmation goes back to the core, which applies it only if nothing changed
meanwhile.
The help's example is the year's own lock date, computed, so typing it moves nothing.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core import buttons
from core.errors import InvalidValue
from core.i18n import _
from core.services.calendar import Entry, current_calendar
from core.services.calendar.changes import Changed, Held, set_current_deadline
from handlers.common import current_actor
from handlers.context import BotContext
from handlers.pending import Pending
from handlers.replies import reply
from handlers.signin import sign_in_options

PENDING = Pending(
    key="calendar_held",  # user_data: token → the change waiting for its confirmation
    confirm_button=buttons.CALENDAR_CONFIRM,
    cancel_button=buttons.CALENDAR_CANCEL,
    confirm_label=lambda: _("✅ Xác nhận"),
    gone=lambda: _(
        "Nút này không còn hiệu lực: lịch không thay đổi. Gõ lại lệnh /lich nếu vẫn cần."
    ),
    cancelled=lambda: _("✖️ Đã hủy: lịch không thay đổi."),
)


def usage(example: str) -> str:
    return _(
        "Sửa một mục (quản trị học bạ số, Hiệu trưởng): /lich MỤC GIÁ_TRỊ, ví dụ "
        "<code>/lich lock.year {example}</code>, <code>/lich regular.weekday thứ 7</code>, "
        "<code>/lich periodic.days 14</code>. Ngày phải nằm trong năm học và đúng thứ tự với các "
        "mốc liên quan; thay đổi làm khóa sổ trong vòng một giờ tới sẽ được hỏi xác nhận."
    ).format(example=html.escape(example))


def _line(entry: Entry) -> str:
    """ "• Khóa sổ năm học: 17:00, Thứ Ba, 30/06/2026 ✏️ — lock.year (001 Điều 25.1; …)": the
    key is what the admin types to change it, the citation where the default comes from."""
    line = _("• {label}: <b>{value}</b>{changed} — <code>{key}</code>").format(
        label=html.escape(entry.label),
        value=html.escape(entry.value),
        changed=" ✏️" if entry.changed else "",
        key=entry.key,
    )
    return f"{line} ({entry.citation})" if entry.citation else line


async def _answer(
    update: Update, context: BotContext, result: Changed | Held, key: str, text: str
) -> None:
    """A change applied, or held with its buttons (the change kept under a new token)."""
    if isinstance(result, Changed):
        lines = [_("✅ Đã sửa lịch năm học {year}:").format(year=result.year), _line(result.entry)]
        lines += [
            _("🔒 {lock}. Giáo viên liên quan đã được báo.").format(lock=html.escape(lock))
            for lock in result.locked
        ]
        await reply(update, context, "\n".join(lines))
        return
    markup = PENDING.hold(context, {"key": key, "text": text, "stamp": result.stamp})
    note = _("Lịch chưa thay đổi. Bấm «✅ Xác nhận» để áp dụng, hoặc «✖️ Hủy» để giữ nguyên.")
    await reply(update, context, f"{html.escape(result.summary())}\n\n{note}", markup)


async def calendar(update: Update, context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        await update.effective_message.reply_text(sign_in_options())
        return
    if len(context.args) < 2:
        shown = await current_calendar(actor)
        if context.args:  # a key without its value: how to write it
            raise InvalidValue(usage(shown.example))
        lines = [_("<b>Lịch hạn năm học {year}</b>").format(year=shown.year)]
        lines += [_line(entry) for entry in shown.entries]
        lines += ["", _("✏️: đã sửa so với mặc định theo quy định."), usage(shown.example)]
        await reply(update, context, "\n".join(lines))
        return
    key, value = context.args[0], " ".join(context.args[1:])
    await _answer(update, context, await set_current_deadline(actor, key, value), key, value)


async def confirm(update: Update, context: BotContext) -> None:
    """«Xác nhận»: the core checks everything again and applies the change only if what was
    shown still holds; otherwise it answers with the new state, held again."""
    taken = await PENDING.take(update, context)
    if taken is None:
        return
    actor, change = taken
    key, text = change["key"], change["text"]
    result = await set_current_deadline(actor, key, text, confirm=change["stamp"])
    await _answer(update, context, result, key, text)


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["lich", "calendar"], calendar))
    application.add_handler(CallbackQueryHandler(confirm, pattern=buttons.CALENDAR_CONFIRM.pattern))
    application.add_handler(
        CallbackQueryHandler(PENDING.cancel, pattern=buttons.CALENDAR_CANCEL.pattern)
    )
