"""Locks from the phone: the principal sees what is locked, locks a scope, or opens one for a
limited time with a reason. The core decides who may (an admin executes only a principal's
decision, which the command line records with --decided-by)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler

from core import clock, formatting
from core.errors import InvalidValue
from core.i18n import _
from core.services import locks
from handlers.common import Menu, MenuButton, current_actor, main_menu
from handlers.context import BotContext


def usage() -> str:
    return _(
        "Khóa: /khoaso PHẠM_VI (ví dụ /khoaso HK1, /khoaso 6A, /khoaso 6A Toán HK1, /khoaso năm)"
        "\nMở có thời hạn: /moso PHẠM_VI | SỐ_GIỜ | LÝ_DO (ví dụ /moso 6A Toán HK1 | 24 | nhập sai)"
    )


async def show(update: Update, _context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    states = await locks.current_lock_states(actor, clock.now())
    lines = [_("<b>Khóa sổ</b>")]
    lines += [f"🔒 {state.description}" for state in states] or [_("Chưa có phạm vi nào bị khóa.")]
    lines += ["", usage()]
    await update.effective_message.reply_text("\n".join(lines), reply_markup=main_menu(actor))


async def lock(update: Update, context: BotContext) -> None:
    actor = await current_actor(update)
    if actor is None:
        return
    if not context.args:
        await show(update, context)
        return
    decided = await locks.lock_typed(actor, context.args, now=clock.now())
    await update.effective_message.reply_text(
        _("🔒 Đã khóa: {scope}. Giáo viên liên quan đã được báo.").format(scope=decided.scope)
    )


async def unlock(update: Update, context: BotContext) -> None:
    """/moso PHẠM_VI | SỐ_GIỜ | LÝ_DO; the core checks the hours (at most 14 days)."""
    actor = await current_actor(update)
    if actor is None:
        return
    parts = [p.strip() for p in " ".join(context.args).split("|")]
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise InvalidValue(usage())
    words, hours, reason = parts
    decided = await locks.unlock_typed(
        actor, words.split(), hours=hours, reason=reason, now=clock.now()
    )
    assert decided.until is not None
    await update.effective_message.reply_text(
        _("🔓 Đã mở {scope} đến {until}; sau đó tự khóa lại.").format(
            scope=decided.scope, until=formatting.date_time(decided.until)
        )
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler(["khoaso", "lock"], lock))
    application.add_handler(CommandHandler(["moso", "unlock"], unlock))
    application.add_handler(MessageHandler(MenuButton(Menu.locks), show))
