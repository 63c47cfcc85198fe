"""Handing due notifications to a delivery worker, and recording what Telegram accepted.

Every step is a conditional UPDATE, so two workers (or a worker restarted after a crash) never
fight over one row: a claim leases rows with a fresh token, and only the holder of the lease
moves a row on.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from tortoise.expressions import F, Q
from tortoise.functions import Min
from tortoise.transactions import in_transaction

from core import clock
from core.models.outbox import DeliveryState, Notification

log = logging.getLogger("core.services.outbox")


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


def held(notification: Notification) -> Q:
    """The row is still leased to the claim this object came from."""
    return Q(id=notification.id, state=DeliveryState.SENDING, claim_token=notification.claim_token)


async def mark_sent(
    notification: Notification, message_id: int, now: dt.datetime | None = None
) -> bool:
    """Record the delivery, once: only the holder of the lease moves the row to SENT.

    False means the lease had expired and another worker took the row over: it may deliver a
    second copy, which is logged (the lease is sized so that this needs a stall of minutes).
    """
    updated = await Notification.filter(held(notification)).update(
        state=DeliveryState.SENT,
        sent_at=_now(now),
        telegram_message_id=message_id,
        lease_until=None,
        claim_token=None,
    )
    if not updated:
        log.warning("%s delivered after its lease expired: a copy may follow", notification.target)
    return bool(updated)
