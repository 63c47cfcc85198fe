"""Unexpected errors, told to the school's admins; refused buttons, kept in the audit trail.

An unexpected error (a bug, a database that went away, a reply Telegram refused) gets a short
reference code. The person who met it is given the code with an apology, the server's log has
the traceback under it, and the admins of the person's school are told through the outbox, so
a problem reaches someone who can act even when nobody thinks of reporting it. An error of
background work (a scheduled job) has nobody to apologise to and is told to the admins of the
served school the same way. The same error
in the same place is told once an hour (`STORM_WINDOW`): a bug that every teacher hits during
the morning does not bury the admins in messages, and the next hour tells them it goes on.

A button no handler accepts is not an error but may be an attempt to reach something the
person was not offered (forged callback data), so it is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import secrets
import traceback
from dataclasses import dataclass
from pathlib import PurePath

from tortoise.transactions import in_transaction

from core import audit, clock, formatting
from core.i18n import _
from core.models import Notification, Role, Staff
from core.services.outbox import notify_staff
from core.services.signin import staff_for, telegram_label

ALERT_KIND = "incident"
STORM_WINDOW = dt.timedelta(hours=1)
MAX_DATA = 64  # Telegram's longest callback data


def new_reference() -> str:
    """Six hexadecimal digits: short enough to read out on the phone, unique enough to find
    one line of the log."""
    return secrets.token_hex(3)


def signature(error: BaseException) -> str:
    """The same error in the same place: the exception's type and the innermost frame of the
    project's own code (a library's frame says little about which bug it is)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "site-packages" not in PurePath(f.filename).parts] or frames
    where = f"{PurePath(ours[-1].filename).name}:{ours[-1].lineno}" if ours else "?"
    return hashlib.sha256(f"{type(error).__qualname__}|{where}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Incident:
    """An unexpected error met while serving someone (or doing background work): its
    reference, what was done ("/nhapdiem", a button, a job), the error itself, and what the
    other side said when it refused (Telegram's "message is too long"), if anything."""

    reference: str
    what: str
    error: BaseException
    detail: str = ""

    def text(self, who: str | None, at: dt.datetime) -> str:
        """The admins' message; `who` is None for background work (nobody to apologise to)."""
        lines = [
            _("⚠️ <b>Trợ lý gặp lỗi</b> (mã lỗi <code>{ref}</code>) lúc {when}.").format(
                ref=self.reference, when=formatting.date_time(at)
            )
        ]
        if who is not None:
            lines.append(_("Người dùng: {who}").format(who=html.escape(who)))
        lines.append(_("Thao tác: {what}").format(what=html.escape(self.what)))
        lines.append(_("Loại lỗi: {kind}").format(kind=html.escape(type(self.error).__name__)))
        if self.detail:
            lines.append(_("Chi tiết: {detail}").format(detail=html.escape(self.detail[:300])))
        if who is not None:
            lines.append(_("Người dùng đã nhận lời xin lỗi kèm mã lỗi này."))
        lines.append(
            _(
                "Hãy chuyển mã lỗi cho người phụ trách kỹ thuật của trường: chi tiết nằm trong "
                "nhật ký của máy chủ. Lỗi giống thế trong một giờ tới không được báo lại."
            )
        )
        return "\n".join(lines)


async def report(
    incident: Incident,
    *,
    telegram_user_id: int | None,
    school_id: int | None,
    now: dt.datetime | None = None,
) -> int:
    """Tell the active admins of the person's school (`school_id`, the served school, for
    someone not signed in or for background work, `telegram_user_id` None), unless the same
    error was told within this hour. Returns how many notifications were added."""
    now = now or clock.now()
    staff = await staff_for(telegram_user_id) if telegram_user_id is not None else None
    school = staff.school_id if staff else school_id
    if school is None:
        return 0
    who: str | None = None
    if staff is not None:
        who = f"{staff.full_name} ({staff.code})"
    elif telegram_user_id is not None:
        who = _("tài khoản Telegram {chat_id}").format(chat_id=telegram_user_id)
    window = int(now.timestamp() // STORM_WINDOW.total_seconds())
    key = f"{ALERT_KIND}:{school}:{signature(incident.error)}:{window}"
    admins = await Staff.filter(school_id=school, active=True, roles__role=Role.ADMIN).distinct()
    keys = {admin.id: f"{key}:{admin.id}" for admin in admins}
    told = set(
        await Notification.filter(dedupe_key__in=list(keys.values())).values_list(
            "dedupe_key", flat=True
        )
    )
    added = 0
    async with in_transaction():
        for admin in admins:
            if keys[admin.id] in told:
                continue
            await notify_staff(
                admin,
                ALERT_KIND,
                lambda: incident.text(who, now),
                dedupe_key=keys[admin.id],
                now=now,
            )
            added += 1
    return added


async def button_refused(telegram_user_id: int, data: str | None) -> None:
    """A button no flow accepts (old, from another flow, or forged): audited under the
    Telegram account, with the data as sent."""
    await audit.record(
        audit.Event(
            telegram_label(telegram_user_id),
            "callback.rejected",
            "callback",
            after={"data": (data or "")[:MAX_DATA]},
        )
    )
