"""The notification outbox: enqueue with the change, deliver later, never lose, never double.

Callers enqueue INSIDE the transaction of the change that causes the notification (a request
to approve, a lock, a reminder): the change and its message commit together or not at all, and
a crash right after the commit loses nothing because the row is already there. A delivery job
(jobs.outbox) then moves each row through these states, every step a conditional UPDATE so two
workers (or a worker restarted after a crash) never fight over one row:

    PENDING --claim--> SENDING (leased) --Telegram answers--> SENT
                        |  lease expires (worker died): claimable again
                        |-- transient error --> PENDING at now + backoff (or 429 retry_after)
                        |-- blocked / rejected / attempts exhausted --> FAILED (+ audit, alert)
    staff without a linked Telegram account: WAITING_LINK until `release_for(staff)`.

Only transitions that matter to people are audited: a notification given up (with why) and a
release after linking. A successful send is not: the row itself records `sent_at` and the
Telegram message id, and one audit event per message of a 2,000-teacher reminder round would
flood the log that people read to find what changed.

The core knows nothing about Telegram: the job classifies Telegram's answers and calls
`mark_sent`, `retry_later` or `fail`.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import random
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from tortoise.expressions import F, Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from core import audit, clock
from core.i18n import _, use_language
from core.models import Role, Staff
from core.models.outbox import DeliveryState, Failure, Notification

log = logging.getLogger(__name__)

ACTOR = "outbox"
ALERT_KIND = "outbox.undeliverable"
CALLBACK_DATA_MAX_BYTES = 64  # Telegram refuses longer callback_data with 400
EXCERPT_LENGTH = 160


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


@dataclass(frozen=True)
class Policy:
    """Retry rules. Defaults: 8 tries spread over about half an hour (15 s, 30 s, 1 min, ...),
    so a Telegram or network outage of that length loses nothing, and a longer one reaches the
    admins instead of retrying silently forever."""

    max_attempts: int = 8
    base_delay: dt.timedelta = dt.timedelta(seconds=15)
    max_delay: dt.timedelta = dt.timedelta(hours=1)
    jitter: float = 0.2  # a delay is shortened by up to this fraction, so retries spread out
    # Longer than any delivery pass (a pass sends at most a few dozen messages), so a live
    # worker never loses its claim; a crashed worker's claim is taken over after this long.
    lease: dt.timedelta = dt.timedelta(minutes=2)

    def backoff(self, attempt: int) -> dt.timedelta:
        """The wait after the `attempt`-th failed try (1-based): doubling, capped, jittered."""
        delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return delay * (1 - self.jitter * random.random())


DEFAULT_POLICY = Policy()


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
    now: dt.datetime | None = None,
) -> Notification:
    """Add a notification, or return the one already enqueued under `dedupe_key`.

    Call it inside the transaction of the change that causes it. The recipient is `staff` (the
    chat is looked up at sending time) or a raw `chat_id`; `text` is HTML already rendered in
    the recipient's language (see `notify_staff`). The insert runs in a savepoint, so a
    duplicate key never aborts the caller's transaction, on PostgreSQL either.
    """
    if (staff is None) == (chat_id is None):
        raise ValueError("a notification goes to exactly one of staff or chat_id")
    if not text.strip():
        raise ValueError("a notification needs a text")
    waiting = staff is not None and staff.telegram_user_id is None
    notification, _created = await Notification.get_or_create(
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
            "state": DeliveryState.WAITING_LINK if waiting else DeliveryState.PENDING,
            "next_attempt_at": _now(now),
        },
    )
    return notification


async def notify_staff(
    staff: Staff,
    kind: str,
    text: str | Callable[[], str],
    *,
    dedupe_key: str,
    buttons: Keyboard | Callable[[], Keyboard] | None = None,
    attachment: Attachment | None = None,
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
        now=now,
    )


def recipient_chat(notification: Notification) -> int | None:
    """The chat to send to; for staff, their linked account (the `staff` relation loaded)."""
    if notification.staff_id is None:
        return notification.chat_id
    return notification.staff.telegram_user_id


@dataclass
class Claim:
    """What one claim found: the rows now leased to the caller with the chat to send each to,
    how many due rows were left for a later pass because their chat was not ready (Telegram's
    per-chat pace), and how many were set aside to wait for their recipient to link Telegram."""

    deliveries: list[tuple[Notification, int]]
    deferred: int = 0
    parked: int = 0


def _due(now: dt.datetime) -> Q:
    return Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) | Q(
        state=DeliveryState.SENDING, lease_until__lte=now
    )


async def _park_unlinked(now: dt.datetime) -> int:
    """Due rows for staff with no linked account wait for `release_for` instead of failing."""
    ids = await Notification.filter(
        _due(now), staff_id__isnull=False, staff__telegram_user_id__isnull=True
    ).values_list("id", flat=True)
    if not ids:
        return 0
    return await Notification.filter(_due(now), id__in=list(ids)).update(
        state=DeliveryState.WAITING_LINK, lease_until=None, claim_token=None
    )


async def claim_due(
    now: dt.datetime | None = None,
    *,
    limit: int = 50,
    policy: Policy = DEFAULT_POLICY,
    chat_ready: Callable[[int], bool] | None = None,
) -> Claim:
    """Lease up to `limit` due notifications, at most one per recipient, to the caller.

    One per recipient, and none for a recipient with a message in flight, keeps each person's
    messages in order and lets the caller pace chats; `chat_ready` (from the job's pacer) skips
    chats sent to too recently. (Two workers claiming at the same instant may each take one
    message of the same person: order and pace may then slip, delivery does not.) The lease is
    taken in one transaction on the rows still due, locked with FOR UPDATE SKIP LOCKED, and
    tagged with a fresh token: of two workers racing for a row exactly one gets it, and the
    other skips it rather than waiting (no deadlock) on PostgreSQL; SQLite serialises writers
    (Tortoise ignores FOR UPDATE there). A crashed worker's lease expires and the row becomes due
    again; every claim counts as an attempt, so a message that crashes its worker is given up
    after `max_attempts` like any other.
    """
    now = _now(now)
    parked = await _park_unlinked(now)
    # The oldest due row of each recipient (staff or raw chat), oldest recipients first.
    first_ids = (
        await Notification.filter(_due(now))
        .annotate(first=Min("id"))
        .group_by("staff_id", "chat_id")
        .order_by("first")
        .limit(limit * 2)
        .values_list("first", flat=True)
    )
    candidates = await Notification.filter(id__in=list(first_ids)).select_related("staff")
    candidates.sort(key=lambda n: n.id)
    busy = set(
        await Notification.filter(state=DeliveryState.SENDING, lease_until__gt=now).values_list(
            "staff_id", "chat_id"
        )
    )
    chosen, deferred = [], 0
    for notification in candidates:
        chat = recipient_chat(notification)
        if chat is None:
            continue  # unlinked since the parking step: parked on the next pass
        in_flight = (notification.staff_id, notification.chat_id) in busy
        if in_flight or (chat_ready is not None and not chat_ready(chat)):
            deferred += 1
        elif len(chosen) < limit:
            chosen.append(notification.id)
    if not chosen:
        return Claim([], deferred, parked)
    token = secrets.token_hex(16)
    async with in_transaction():
        free = (
            await Notification.filter(_due(now), id__in=chosen)
            .select_for_update(skip_locked=True)
            .only("id")
        )
        await Notification.filter(id__in=[n.id for n in free]).update(
            state=DeliveryState.SENDING,
            claim_token=token,
            lease_until=now + policy.lease,
            attempts=F("attempts") + 1,
        )
    claimed = await Notification.filter(claim_token=token).select_related("staff").order_by("id")
    deliveries, unlinked = [], []
    for notification in claimed:
        chat = recipient_chat(notification)
        if chat is None:  # unlinked between the two queries
            unlinked.append(notification.id)
        else:
            deliveries.append((notification, chat))
    if unlinked:
        await Notification.filter(id__in=unlinked, claim_token=token).update(
            state=DeliveryState.WAITING_LINK, lease_until=None, claim_token=None
        )
    return Claim(deliveries, deferred, parked + len(unlinked))


def _held(notification: Notification) -> Q:
    """The row is still leased to the claim this object came from."""
    return Q(id=notification.id, state=DeliveryState.SENDING, claim_token=notification.claim_token)


async def mark_sent(
    notification: Notification, message_id: int, now: dt.datetime | None = None
) -> bool:
    """Record the delivery, once: only the holder of the lease moves the row to SENT.

    False means the lease had expired and another worker took the row over: it may deliver a
    second copy, which is logged (the lease is sized so that this needs a stall of minutes).
    """
    updated = await Notification.filter(_held(notification)).update(
        state=DeliveryState.SENT,
        sent_at=_now(now),
        telegram_message_id=message_id,
        lease_until=None,
        claim_token=None,
    )
    if not updated:
        log.warning("%s delivered after its lease expired: a copy may follow", notification.target)
    return bool(updated)


async def retry_later(
    notification: Notification,
    error: str,
    now: dt.datetime | None = None,
    *,
    retry_after: float | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> DeliveryState | None:
    """A transient failure: try again after `retry_after` seconds (Telegram's 429 says when)
    or after the backoff; once `max_attempts` tries have failed, give up instead.

    Returns the row's new state (PENDING, or FAILED when given up), None if the lease was lost.
    """
    now = _now(now)
    if notification.attempts >= policy.max_attempts:
        given_up = await fail(notification, Failure.GAVE_UP, error, now)
        return DeliveryState.FAILED if given_up else None
    delay = (
        dt.timedelta(seconds=retry_after)
        if retry_after is not None
        else policy.backoff(notification.attempts)
    )
    updated = await Notification.filter(_held(notification)).update(
        state=DeliveryState.PENDING,
        next_attempt_at=now + delay,
        last_error=error,
        lease_until=None,
        claim_token=None,
    )
    return DeliveryState.PENDING if updated else None


async def fail(
    notification: Notification, failure: Failure, error: str, now: dt.datetime | None = None
) -> bool:
    """Stop retrying: record why, audit it and alert the school's admins, in one transaction.

    Alerts about alerts are not sent (an admin who cannot be reached is in the audit log and
    in `undeliverable`), so a broken connection cannot multiply messages.
    """
    now = _now(now)
    async with in_transaction():
        updated = await Notification.filter(_held(notification)).update(
            state=DeliveryState.FAILED,
            failure=failure,
            last_error=error,
            lease_until=None,
            claim_token=None,
        )
        if not updated:
            return False
        await audit.record(
            audit.Event(
                ACTOR,
                "notification.fail",
                notification.target,
                before={"state": DeliveryState.SENDING},
                after={
                    "state": DeliveryState.FAILED,
                    "failure": failure,
                    "error": error,
                    "attempts": notification.attempts,
                    "kind": notification.kind,
                },
            )
        )
        if notification.kind != ALERT_KIND:
            await _alert_admins(notification, failure, error, now)
    return True


def _excerpt(text: str) -> str:
    """The message as plain text, shortened, escaped again for HTML."""
    plain = html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
    if len(plain) > EXCERPT_LENGTH:
        plain = plain[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return html.escape(plain)


def _recipient_label(notification: Notification, staff: Staff | None) -> str:
    if staff is None:
        return _("tài khoản Telegram {chat_id}").format(chat_id=notification.chat_id)
    return html.escape(f"{staff.full_name} ({staff.code})")


def _reason(notification: Notification, failure: Failure, error: str) -> tuple[str, str]:
    """Why it failed and what the admin can do, in the current language."""
    error = html.escape(error)
    if failure is Failure.BLOCKED:
        return (
            _("người nhận đã chặn bot hoặc chưa bấm «Bắt đầu» với bot"),
            _(
                "Hãy báo nội dung này trực tiếp cho người nhận và nhờ họ mở bot, bấm «Bắt đầu» "
                "(hoặc liên kết lại tài khoản): thông báo sẽ được gửi lại khi họ liên kết."
            ),
        )
    if failure is Failure.REJECTED:
        return (
            _("Telegram từ chối nội dung ({error})").format(error=error),
            _(
                "Hãy báo nội dung này trực tiếp cho người nhận và chuyển thông báo lỗi này "
                "cho người phụ trách kỹ thuật của trường."
            ),
        )
    if failure is Failure.FILE_MISSING:
        return (
            _("tệp đính kèm «{name}» không còn trên máy chủ hoặc đã bị thay đổi").format(
                name=html.escape(notification.file_name or "")
            ),
            _("Hãy kiểm tra kho tệp của máy chủ (hoặc bản sao lưu) rồi gửi tệp cho người nhận."),
        )
    return (
        _("đã thử {attempts} lần đều không được (lỗi cuối: {error})").format(
            attempts=notification.attempts, error=error
        ),
        _(
            "Hãy kiểm tra kết nối Internet của máy chủ tới Telegram, và báo nội dung này "
            "trực tiếp cho người nhận."
        ),
    )


def _alert_text(
    notification: Notification, recipient: Staff | None, failure: Failure, error: str
) -> str:
    reason, advice = _reason(notification, failure, error)
    return _(
        "⚠️ <b>Không gửi được thông báo</b> tới {recipient}.\n"
        "Nội dung: «{excerpt}»\n"
        "Lý do: {reason}.\n"
        "{advice}"
    ).format(
        recipient=_recipient_label(notification, recipient),
        excerpt=_excerpt(notification.text),
        reason=reason,
        advice=advice,
    )


async def _alert_admins(
    notification: Notification, failure: Failure, error: str, now: dt.datetime
) -> None:
    """Tell every active admin of the school (but not the unreachable person themselves)."""
    admins = Staff.filter(school_id=notification.school_id, active=True, roles__role=Role.ADMIN)
    recipient = None
    if notification.staff_id is not None:
        admins = admins.exclude(id=notification.staff_id)
        recipient = await Staff.get(id=notification.staff_id)
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    for admin in await admins.distinct():
        await notify_staff(
            admin,
            ALERT_KIND,
            lambda: _alert_text(notification, recipient, failure, error),
            dedupe_key=f"{ALERT_KIND}:{notification.id}:{stamp}:{admin.id}",
            now=now,
        )


async def release_for(staff: Staff, now: dt.datetime | None = None) -> int:
    """Send again what waited for this staff member: call it when they link (or re-link)
    their Telegram account, inside the linking transaction. Releases the notifications that
    waited for a link and those that failed because the bot was blocked or never started
    (linking means the person is talking to the bot now); returns how many."""
    async with in_transaction():
        released = await Notification.filter(
            Q(state=DeliveryState.WAITING_LINK)
            | Q(state=DeliveryState.FAILED, failure=Failure.BLOCKED),
            staff_id=staff.id,
        ).update(
            state=DeliveryState.PENDING,
            failure=None,
            attempts=0,
            next_attempt_at=_now(now),
            last_error=None,
        )
        if released:
            await audit.record(
                audit.Event(
                    ACTOR, "notification.release", f"staff:{staff.id}", after={"count": released}
                )
            )
    return released


async def undeliverable(school_id: int) -> list[Notification]:
    """What has not reached its recipient and will not without someone acting, oldest first:
    failed notifications and those waiting for a staff member to link Telegram. For the
    admins' digest; `staff` is loaded."""
    return (
        await Notification.filter(
            school_id=school_id,
            state__in=[DeliveryState.FAILED, DeliveryState.WAITING_LINK],
        )
        .select_related("staff")
        .order_by("created_at", "id")
    )
