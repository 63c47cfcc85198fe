"""The deadline calendar in the bot: /lich shows it, /lich MỤC GIÁ_TRỊ changes one value.

The command line can already edit every date (bot/cli_deadlines.py); admins and the principal
also need it from the phone, because a school moves a deadline when the Sở or the principal
decides, not when someone is at the server. Anyone of the school may read the calendar (the
teachers' deadlines are no secret); the core decides who may change it and audits the change,
and refuses to move a lock that has already fallen.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.ext import Application, CommandHandler

from core.errors import InvalidValue
from core.i18n import _
from core.services.calendar import Entry, current_calendar, set_current_deadline
from handlers.common import current_actor
from handlers.context import BotContext
from handlers.signin import sign_in_options


def usage() -> str:
    return _(
        "Sửa một mục (quản trị học bạ số, Hiệu trưởng): /lich MỤC GIÁ_TRỊ, ví dụ "
        "<code>/lich lock.year 30/06/2026 17:00</code>, <code>/lich regular.weekday thứ 7</code>, "
        "<code>/lich periodic.days 14</code>."
    )


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


async def calendar(update: Update, context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        await update.effective_message.reply_text(sign_in_options())
        return
    if not context.args:
        shown = await current_calendar(actor)
        lines = [_("<b>Lịch hạn năm học {year}</b>").format(year=shown.year)]
        lines += [_line(entry) for entry in shown.entries]
        lines += ["", _("✏️: đã sửa so với mặc định theo quy định."), usage()]
        await update.effective_message.reply_text("\n".join(lines))
        return
    if len(context.args) < 2:
        raise InvalidValue(usage())
    key, value = context.args[0], " ".join(context.args[1:])
    changed = await set_current_deadline(actor, key, value)
    await update.effective_message.reply_text(
        _("✅ Đã sửa lịch năm học {year}:").format(year=changed.year)
        + "\n"
        + "\n".join(_line(entry) for entry in changed.entries)
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["lich", "calendar"], calendar))
