"""What has not reached its recipient: judged and released when they arrive (sign in, unblock
the bot); what no longer applies is summed up in one line (core.services.outbox.lapse)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core import audit, clock
from core.i18n import _
from core.models import Staff
from core.models.outbox import DeliveryState, Failure, Notification
from core.services.outbox import lapse
from core.services.outbox.enqueue import notify_staff
from core.services.outbox.failures import ACTOR

ARRIVAL_KIND = "outbox.arrival"


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or clock.now()


def _waiting() -> Q:
    """Held for the person: no account linked, or the bot blocked (or never started)."""
    return Q(state=DeliveryState.WAITING_LINK) | Q(
        state=DeliveryState.FAILED, failure=Failure.BLOCKED
    )


@dataclass(frozen=True)
class Arrival:
    """What became of the messages that waited for someone who just arrived: how many go out
    now, and how many of each kind lapsed (kind, count) and are only summed up."""

    released: int = 0
    lapsed: tuple[tuple[str, int], ...] = ()

    def lines(self) -> list[str]:
        """What to tell the person, in the current language: the messages that follow, and
        one line for all that lapsed."""
        lines = []
        if self.released:
            lines.append(
                _("📬 {n} thông báo gửi thầy cô trong lúc vắng mặt sẽ đến ngay sau đây.").format(
                    n=self.released
                )
            )
        line = lapse.summary(self.lapsed)
        if line:
            lines.append(line)
        return lines


async def release_for(staff: Staff, now: dt.datetime | None = None) -> Arrival:
    """Judge and send what waited for this staff member: call it when they link (or re-link)
    their Telegram account, or unblock the bot, inside that transaction. The notifications
    that waited for a link and those that failed because the bot was blocked or never started
    (the person is talking to the bot now) go out again, unless they lapsed meanwhile
    (`lapse.judge`): those are never sent, only counted."""
    now = _now(now)
    async with in_transaction():
        waiting = await Notification.filter(_waiting(), staff_id=staff.id).order_by("id")
        send, lapsed = await lapse.judge(waiting, now)
        released = 0
        if send:
            released = await Notification.filter(_waiting(), id__in=[n.id for n in send]).update(
                state=DeliveryState.PENDING,
                failure=None,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
            )
        if lapsed:
            await Notification.filter(_waiting(), id__in=[n.id for n in lapsed]).update(
                state=DeliveryState.LAPSED, failure=None, last_error=None
            )
        counts = lapse.counts(lapsed)
        if released or lapsed:
            await audit.record(
                audit.Event(
                    ACTOR,
                    "notification.release",
                    f"staff:{staff.id}",
                    after={"count": released, "lapsed": dict(counts)},
                )
            )
    return Arrival(released, counts)


async def tell_lapsed(staff: Staff, arrival: Arrival, now: dt.datetime | None = None) -> None:
    """The one line about what lapsed, as a message of its own, for an arrival nobody greets
    (the person unblocked the bot): inside the releasing transaction."""
    if not arrival.lapsed:
        return
    now = _now(now)
    await notify_staff(
        staff,
        ARRIVAL_KIND,
        lambda: lapse.summary(arrival.lapsed) or "",
        dedupe_key=f"{ARRIVAL_KIND}:{staff.id}:{now.strftime('%Y%m%dT%H%M%S%f')}",
        now=now,
    )
