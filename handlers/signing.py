"""Signing from the phone: each signer sees what waits for them, one button per class starts
ONE batch for the whole class, and where their step waits in several classes one more button
signs them all in ONE batch, with one approval (001 Điều 24.5a: a subject teacher signs all
their classes' parts at once); the message shows progress, the result arrives as a message.

Thin by design: who may sign what, in which order and only once the year is closed is decided
by the core (`issuance.begin`), which also re-checks a forged or stale button. The batch runs in
the background on the worker pool (`context.runtime.batches`), so the bot keeps answering
everyone while a class is signed; with a key at hand (file or token) it signs at once, a remote
(CSC) signer is asked to approve ONCE in their signing app. The end of a batch is told to the
signer through the outbox, committed with the batch's end: a batch resumed after a restart
tells its signer too, and nobody is told twice.
"""

from __future__ import annotations

import logging
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, MessageHandler

from core import buttons
from core.enums import Role, SignatureRole
from core.i18n import _
from core.services import issuance
from handlers import replies
from handlers.common import Menu, MenuButton, current_actor, require_actor, sign_in_first
from handlers.context import BotContext

log = logging.getLogger("hocba.bot.signing")
EDIT_EVERY = 3.0  # seconds between progress edits of one message (Telegram's edit limits)


def _waiting_line(waiting: issuance.Waiting) -> str:
    if waiting.role is SignatureRole.SUBJECT_TEACHER:
        text = _("Lớp {klass}: {n} bảng điểm môn chờ ký")
    else:
        text = _("Lớp {klass}: {n} học bạ chờ ký")
    return text.format(klass=waiting.class_name, n=waiting.count) + f" ({waiting.role.label})"


async def show(update: Update, context: BotContext) -> None:
    """What waits for this person, one button per class and role (in pages: a principal may
    have every class of the school waiting)."""
    actor = await require_actor(update)
    waiting = await issuance.waiting_for(actor)
    hint = (
        "\n" + _("Chốt năm học của một lớp để lập học bạ: /chotnam")
        if actor.has(Role.PRINCIPAL)
        else ""
    )
    if not waiting:
        await update.effective_message.reply_text(_("Không có tài liệu nào chờ thầy/cô ký.") + hint)
        return
    keyboard = [
        [
            InlineKeyboardButton(
                _("✍️ Ký tất cả {classes} lớp ({n}, {role})").format(
                    classes=len(group), n=sum(w.count for w in group), role=role.label
                ),
                callback_data=buttons.SIGN_ALL.data(role.value),
            )
        ]
        for role in SignatureRole
        if len(group := [w for w in waiting if w.role is role]) > 1
    ]
    keyboard += [
        [
            InlineKeyboardButton(
                _("✍️ Ký lớp {klass} ({n})").format(klass=w.class_name, n=w.count),
                callback_data=buttons.SIGN_CLASS.data(w.class_id, w.role.value),
            )
        ]
        for w in waiting
    ]
    await replies.reply(
        update,
        context,
        "\n".join([_("<b>Chờ thầy/cô ký</b>"), *map(_waiting_line, waiting)]) + hint,
        InlineKeyboardMarkup(keyboard),
    )


async def press_class(update: Update, context: BotContext) -> None:
    class_id, role_code = buttons.SIGN_CLASS.parse(update.callback_query.data)
    await _start(update, context, class_id, SignatureRole(role_code))


async def press_all(update: Update, context: BotContext) -> None:
    (role_code,) = buttons.SIGN_ALL.parse(update.callback_query.data)
    await _start(update, context, None, SignatureRole(role_code))


async def _start(
    update: Update, context: BotContext, class_id: int | None, role: SignatureRole
) -> None:
    """Start the class's batch, or (`class_id` None) the batch of every class where the step
    waits (the core checks everything), then let it run in the background while this
    message shows where it stands."""
    query = update.callback_query
    actor = await current_actor(update)
    if actor is None:
        await query.answer(sign_in_first(), show_alert=True)
        return
    runtime = context.runtime
    started = await issuance.begin(actor, class_id, role, runtime.signing)
    await query.answer()  # after the core's checks: a refusal is answered by handlers/errors.py
    if started.backend == "csc":
        text = _(
            "📱 Lớp {klass}: đã gửi yêu cầu ký {n} tài liệu. Thầy/cô hãy phê duyệt MỘT lần trong "
            "ứng dụng ký số; trợ lý sẽ báo kết quả."
        )
    else:
        text = _("⏳ Lớp {klass}: đang ký {n} tài liệu…")
    message = await query.edit_message_text(
        text.format(klass=started.class_name, n=started.total), reply_markup=None
    )
    shown = {"at": 0.0}

    async def edit(text: str) -> None:
        try:
            await message.edit_text(text)
        except TelegramError as exc:  # the progress line is a courtesy: the result still comes
            log.info("progress of batch %s not shown: %s", started.id, exc)

    async def progress(done: int, total: int) -> None:
        if done == total or time.monotonic() - shown["at"] >= EDIT_EVERY:
            shown["at"] = time.monotonic()
            await edit(
                _("⏳ Lớp {klass}: đã ký {done}/{total} tài liệu…").format(
                    klass=started.class_name, done=done, total=total
                )
            )

    async def approved() -> None:
        await edit(
            _("✍️ Lớp {klass}: đã được phê duyệt, đang ký {n} tài liệu…").format(
                klass=started.class_name, n=started.total
            )
        )

    await runtime.batches.start(started.id, progress, approved)


def register(application: Application) -> None:
    application.add_handler(MessageHandler(MenuButton(Menu.sign_records), show))
    application.add_handler(CallbackQueryHandler(press_class, pattern=buttons.SIGN_CLASS.pattern))
    application.add_handler(CallbackQueryHandler(press_all, pattern=buttons.SIGN_ALL.pattern))
