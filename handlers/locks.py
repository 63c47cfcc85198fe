"""Locks from the phone: the principal sees what is locked, locks a scope, or opens one for a
limited time with a reason. The core decides who may (an admin executes only a principal's
decision, which the command line records with --decided-by)."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler

from core import clock, formatting
from core.errors import InvalidValue
from core.i18n import _
from core.services import locks
from core.services.schools import current_year
from handlers.common import Menu, MenuButton, current_actor, main_menu


def usage() -> str:
    return _(
        "Khóa: /khoaso PHẠM_VI (ví dụ /khoaso HK1, /khoaso 6A, /khoaso 6A Toán HK1, /khoaso năm)"
        "\nMở có thời hạn: /moso PHẠM_VI | SỐ_GIỜ | LÝ_DO (ví dụ /moso 6A Toán HK1 | 24 | nhập sai)"
    )


async def show(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    states = await locks.lock_states(actor, await current_year(actor.school_id), clock.now())
    lines = [_("<b>Khóa sổ</b>")]
    lines += [f"🔒 {state.description}" for state in states] or [_("Chưa có phạm vi nào bị khóa.")]
    lines += ["", usage()]
    await update.effective_message.reply_text("\n".join(lines), reply_markup=main_menu(actor))


async def lock(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    if not context.args:
        await show(update, context)
        return
    year = await current_year(actor.school_id)
    scope = await locks.parse_scope(year, context.args)
    await locks.lock(actor, scope, now=clock.now())
    await update.effective_message.reply_text(
        _("🔒 Đã khóa: {scope}. Giáo viên liên quan đã được báo.").format(scope=scope.label)
    )


async def unlock(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    parts = [p.strip() for p in " ".join(context.args).split("|")]
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise InvalidValue(usage())
    try:
        hours = float(parts[1].replace(",", "."))
    except ValueError:
        raise InvalidValue(usage()) from None
    if not 0 < hours <= 24 * 14:
        raise InvalidValue(_("Thời hạn mở từ vài phút đến 14 ngày (336 giờ)."))
    now = clock.now()
    year = await current_year(actor.school_id)
    scope = await locks.parse_scope(year, parts[0].split())
    until = now + dt.timedelta(hours=hours)
    await locks.unlock(actor, scope, reason=parts[2], until=until, now=now)
    await update.effective_message.reply_text(
        _("🔓 Đã mở {scope} đến {until}; sau đó tự khóa lại.").format(
            scope=scope.label, until=formatting.date_time(until)
        )
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["khoaso", "lock"], lock))
    application.add_handler(CommandHandler(["moso", "unlock"], unlock))
    application.add_handler(MessageHandler(MenuButton(Menu.locks), show))
