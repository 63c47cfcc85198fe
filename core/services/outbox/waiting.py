"""What has not reached its recipient: released when they link Telegram, listed for the
admins' digest."""

from __future__ import annotations

import datetime as dt

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import audit, clock
from core.models import Staff
from core.models.outbox import DeliveryState, Failure, Notification
from core.services.outbox.failures import ACTOR


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or clock.now()


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
