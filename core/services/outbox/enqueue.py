"""Adding a notification, inside the transaction of the change that causes it.

Callers enqueue INSIDE the transaction of the change (a request to approve, a lock, a
reminder): the change and its message commit together or not at all, and a crash right after
the commit loses nothing because the row is already there. The text is rendered in the
recipient's language when it is enqueued (`notify_staff`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from core import clock
from core.i18n import use_language
from core.models import Staff
from core.models.outbox import DeliveryState, Notification
from core.services.outbox import doorbell

CALLBACK_DATA_MAX_BYTES = 64  # Telegram refuses longer callback_data with 400


class Button(TypedDict):
    """One inline button; `callback_data` is parsed and re-checked by the handler, never trusted."""

    text: str
    callback_data: str


Keyboard = Sequence[Sequence[Button]]


@dataclass(frozen=True)
class Attachment:
    """A file sent with the message (e.g. correction minutes): where it is, what it is called,
    and optionally its SHA-256, checked before sending so a changed file is never sent."""

    path: Path
    name: str
    sha256: str | None = None


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or clock.now()


def _check_buttons(buttons: Keyboard | None) -> list[list[dict[str, str]]] | None:
    """Plain JSON rows; refuse what Telegram would refuse, now rather than at sending time."""
    if not buttons:
        return None
    rows = [
        [{"text": b["text"], "callback_data": b["callback_data"]} for b in row] for row in buttons
    ]
    for row in rows:
        for button in row:
            if len(button["callback_data"].encode()) > CALLBACK_DATA_MAX_BYTES:
                raise ValueError(f"callback_data over 64 bytes: {button['callback_data']!r}")
    return rows


async def enqueue(
    *,
    school_id: int,
    kind: str,
    text: str,
    dedupe_key: str,
    staff: Staff | None = None,
    chat_id: int | None = None,
    buttons: Keyboard | None = None,
    attachment: Attachment | None = None,
    topic: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Notification:
    """Add a notification, or return the one already enqueued under `dedupe_key`.

    Call it inside the transaction of the change that causes it. The recipient is `staff` (the
    chat is looked up at sending time) or a raw `chat_id`; `text` is HTML already rendered in
    the recipient's language (see `notify_staff`). The insert runs in a savepoint, so a
    duplicate key never aborts the caller's transaction, on PostgreSQL either.

    `topic` (what the message is about, as the audit log names it: "correction:12") and
    `expires_at` (when it stops being worth reading: a reminder's deadline) are how a message
    that waited for someone to sign in is judged when they do (core.services.outbox.lapse).
    """
    if (staff is None) == (chat_id is None):
        raise ValueError("a notification goes to exactly one of staff or chat_id")
    if not text.strip():
        raise ValueError("a notification needs a text")
    waiting = staff is not None and staff.telegram_user_id is None
    notification, created = await Notification.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "school_id": school_id,
            "staff": staff,
            "chat_id": chat_id,
            "kind": kind,
            "text": text,
            "buttons": _check_buttons(buttons),
            "file_path": str(attachment.path) if attachment else None,
            "file_name": attachment.name if attachment else None,
            "file_sha256": attachment.sha256 if attachment else None,
            "topic": topic,
            "expires_at": expires_at,
            "state": DeliveryState.WAITING_LINK if waiting else DeliveryState.PENDING,
            "next_attempt_at": _now(now),
        },
    )
    if created:
        doorbell.count_one()
    return notification


async def notify_each(
    staff: Iterable[Staff],
    kind: str,
    text: str | Callable[[], str],
    *,
    dedupe_key: str,
    now: dt.datetime | None = None,
) -> None:
    """The same message to each of `staff`, once each: a dedupe key is one message, so each
    person's is `dedupe_key` with their id (the school's admins all told of one event)."""
    for person in staff:
        await notify_staff(person, kind, text, dedupe_key=f"{dedupe_key}:{person.id}", now=now)


async def notify_staff(
    staff: Staff,
    kind: str,
    text: str | Callable[[], str],
    *,
    dedupe_key: str,
    buttons: Keyboard | Callable[[], Keyboard] | None = None,
    attachment: Attachment | None = None,
    topic: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Notification:
    """Enqueue a message to a staff member, rendered in their language.

    Pass builders (`lambda: _("...").format(...)`) rather than strings: they run under the
    recipient's language, so a teacher who chose English gets English while the principal
    whose action caused it reads Vietnamese. Call inside the caller's transaction.
    """
    with use_language(staff.language):
        rendered = text() if callable(text) else text
        keyboard = buttons() if callable(buttons) else buttons
    return await enqueue(
        school_id=staff.school_id,
        kind=kind,
        text=rendered,
        dedupe_key=dedupe_key,
        staff=staff,
        buttons=keyboard,
        attachment=attachment,
        topic=topic,
        expires_at=expires_at,
        now=now,
    )
