"""Signing from the phone (issue 6, item 5): each signer sees what waits for them, one button
per class starts ONE batch for the whole class, the message shows progress and the result.

The handler is thin: who may sign what, in which order and only once the year is closed is
decided by the core (`issuance.start_batch`), which also re-checks a forged or stale button.
Signing runs in a background task, so other updates keep flowing: with a key at hand (file or
token) it signs at once; a remote (CSC) signer is asked to approve in their signing app and
the task waits for that one approval. A remote batch left half-way by a restart resumes from
the database when the bot starts, and its result reaches the signer through the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler

from core.errors import HocbaError, NotFound
from core.i18n import _, use_language
from core.models import BatchState, School, SchoolClass, SignatureRole, SigningBatch, Staff
from core.services import issuance
from core.services.outbox import notify_staff
from core.signing.backends import SigningSettings, backend_of, open_signer, signer_code
from core.signing.csc import APPROVAL_WAIT, CscClient
from handlers.common import Menu, MenuButton, current_actor

log = logging.getLogger("hocba.bot.signing")
CALLBACK = re.compile(r"^sgn:(\d{1,9}):(gvbm|gvcn|ht|dv)$")
RESUME_INTERVAL = 60  # seconds between looks for remote batches nobody runs
_running: dict[int, asyncio.Task] = {}  # batch id → its task: one task per batch, held


def _settings(application: Application) -> SigningSettings:
    return application.runtime.signing  # type: ignore[attr-defined]


def _waiting_line(waiting: issuance.Waiting) -> str:
    if waiting.role is SignatureRole.SUBJECT_TEACHER:
        text = _("Lớp {klass}: {n} bảng điểm môn chờ ký")
    else:
        text = _("Lớp {klass}: {n} học bạ chờ ký")
    return (
        text.format(klass=waiting.school_class.name, n=waiting.count) + f" ({waiting.role.label})"
    )


async def show(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """What waits for this person, one button per class and role."""
    actor = await current_actor(update)
    if actor is None:
        return
    waiting = await issuance.waiting_for(actor)
    if not waiting:
        await update.effective_message.reply_text(_("Không có tài liệu nào chờ thầy/cô ký."))
        return
    buttons = [
        [
            InlineKeyboardButton(
                _("✍️ Ký lớp {klass} ({n})").format(klass=w.school_class.name, n=w.count),
                callback_data=f"sgn:{w.school_class.id}:{w.role.value}",
            )
        ]
        for w in waiting
    ]
    await update.effective_message.reply_text(
        "\n".join([_("<b>Chờ thầy/cô ký</b>"), *map(_waiting_line, waiting)]),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start the batch of the class (the core re-checks everything), then sign it in the
    background while the message shows where it stands."""
    query = update.callback_query
    actor = await current_actor(update)
    matched = CALLBACK.match(query.data or "")
    if actor is None or matched is None:
        await query.answer(_("Nút này không còn hiệu lực."), show_alert=True)
        return
    school_class = await SchoolClass.get_or_none(id=int(matched[1]))
    if school_class is None:
        raise NotFound(_("Không có lớp này."))
    role = SignatureRole(matched[2])
    staff = await Staff.get(id=actor.staff_id)
    settings = _settings(context.application)
    backend = backend_of(settings, signer_code(staff.code, role))
    batch = await issuance.start_batch(actor, school_class, role, backend)
    await query.answer()  # after the core's checks: a refusal is answered by handlers/errors.py
    if backend == "csc":
        text = _(
            "📱 Lớp {klass}: đã gửi yêu cầu ký {n} tài liệu. Thầy/cô hãy phê duyệt MỘT lần trong "
            "ứng dụng ký số; trợ lý sẽ báo kết quả."
        )
    else:
        text = _("⏳ Lớp {klass}: đang ký {n} tài liệu…")
    message = await query.edit_message_text(
        text.format(klass=school_class.name, n=batch.total), reply_markup=None
    )
    _start(context.application, batch.id, (message.chat_id, message.message_id))


def _start(application: Application, batch_id: int, where: tuple[int, int] | None) -> None:
    """Run the batch in the background unless this process already does."""
    if batch_id in _running:
        return
    task = asyncio.create_task(_run(application, batch_id, where))
    _running[batch_id] = task
    task.add_done_callback(lambda _task: _running.pop(batch_id, None))


async def _run(application: Application, batch_id: int, where: tuple[int, int] | None) -> None:
    """Sign one batch and tell the signer how it ended: by editing the progress message, or,
    for a batch resumed after a restart, through the outbox."""
    batch = await SigningBatch.get(id=batch_id).prefetch_related("school_class", "signer")
    staff: Staff = batch.signer
    with use_language(staff.language):
        try:
            batch = await _sign(application, batch, staff, where)
            text = _("✅ Lớp {klass}: đã ký {n} tài liệu ({role}).").format(
                klass=batch.school_class.name, n=batch.done, role=SignatureRole(batch.role).label
            )
            if batch.role == SignatureRole.SEAL:
                text += "\n" + _("Học bạ đã đủ chữ ký và được phát hành.")
        except HocbaError as exc:
            text = _("❌ Lớp {klass}: {reason}").format(klass=batch.school_class.name, reason=exc)
        except Exception:
            log.exception("signing batch %s failed", batch_id)
            text = _("❌ Lớp {klass}: lỗi khi ký, chưa ký tài liệu nào. Hãy thử lại.").format(
                klass=batch.school_class.name
            )
    if where is not None:
        await application.bot.edit_message_text(text, chat_id=where[0], message_id=where[1])
    else:
        # one message per outcome: a retried batch reports its failure once, then its end
        state = (await SigningBatch.get(id=batch_id)).state.value
        await notify_staff(staff, "signing.result", text, dedupe_key=f"batch:{batch_id}:{state}")


async def _sign(
    application: Application,
    batch: SigningBatch,
    staff: Staff,
    where: tuple[int, int] | None,
) -> SigningBatch:
    settings = _settings(application)
    school = await School.get(id=staff.school_id)
    code = signer_code(staff.code, SignatureRole(batch.role))
    if batch.backend != "csc":
        with open_signer(settings, school.code, code) as signer:
            return await issuance.run_batch(batch, signer)
    async with aiohttp.ClientSession() as session:
        client = CscClient(session, settings.csc_url)
        if not batch.remote:
            credential = await client.credential(school.code, code)
            batch = await issuance.prepare_remote(batch, credential)
        klass = batch.school_class.name

        async def approved() -> None:
            if where is not None:
                await application.bot.edit_message_text(
                    _("✍️ Lớp {klass}: đã được phê duyệt, đang ký {n} tài liệu…").format(
                        klass=klass, n=batch.total
                    ),
                    chat_id=where[0],
                    message_id=where[1],
                )

        return await issuance.complete_remote(batch, client, APPROVAL_WAIT, approved)


async def resume(application: Application) -> None:
    """Carry on with remote batches that no task of this process runs: left by a restart, or
    stopped by a network failure after the approval (the SAD is kept, so no new approval)."""
    for batch in await SigningBatch.filter(
        backend="csc", state__in=[BatchState.PREPARED, BatchState.AWAITING]
    ):
        if batch.remote and batch.id not in _running:
            _start(application, batch.id, None)


def register(application: Application) -> None:
    application.add_handler(MessageHandler(MenuButton(Menu.sign_records), show))
    application.add_handler(CallbackQueryHandler(press, pattern=r"^sgn:"))

    async def resume_job(context: ContextTypes.DEFAULT_TYPE) -> None:
        await resume(context.application)

    if application.job_queue is not None:
        application.job_queue.run_repeating(
            resume_job, interval=RESUME_INTERVAL, first=5, name="signing.resume"
        )
