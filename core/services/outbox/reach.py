"""Whether a message reached each of the people it was for: received, on its way, waiting for
them to sign in, held because they block the bot, or given up.

The people who wait on someone (a principal waiting on a witness) need to know which it is:
"not signed in" asks for a phone call or a replacement, "blocked the bot" for a word to the
person, "received" for patience or a reminder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from core import formatting
from core.i18n import _
from core.models import Staff
from core.models.outbox import DeliveryState, Failure, Notification


class Reach(StrEnum):
    RECEIVED = "received"  # Telegram accepted it
    ON_ITS_WAY = "on_its_way"  # due, or being sent
    NOT_SIGNED_IN = "not_signed_in"  # no Telegram account linked: waits for the sign-in
    BLOCKED = "blocked"  # blocked the bot (or never pressed Start): waits for them
    FAILED = "failed"  # given up for another reason; the admins were told
    NOT_SENT = "not_sent"  # nothing of that kind to them (or it lapsed)


@dataclass(frozen=True)
class Delivery:
    """Where the newest matching message to one person stands; `at` is when they got it."""

    reach: Reach
    at: dt.datetime | None = None

    def label(self) -> str:
        """In the current language, with what will happen next."""
        if self.reach is Reach.RECEIVED and self.at is not None:
            return _("đã nhận tin lúc {when}").format(when=formatting.date_time(self.at))
        return {
            Reach.RECEIVED: _("đã nhận tin"),
            Reach.ON_ITS_WAY: _("tin đang được gửi"),
            Reach.NOT_SIGNED_IN: _("chưa đăng nhập Trợ lý: tin sẽ đến khi đăng nhập"),
            Reach.BLOCKED: _(
                "đã chặn Trợ lý hoặc chưa bấm «Bắt đầu»: tin sẽ đến khi mở lại Trợ lý"
            ),
            Reach.FAILED: _("không gửi được tin (quản trị đã được báo lý do)"),
            Reach.NOT_SENT: _("chưa được gửi tin"),
        }[self.reach]


def _reach_of(row: Notification | None) -> Delivery:
    if row is None:
        return Delivery(Reach.NOT_SENT)
    state = DeliveryState(row.state)
    if state is DeliveryState.SENT:
        return Delivery(Reach.RECEIVED, row.sent_at)
    if state in (DeliveryState.PENDING, DeliveryState.SENDING):
        return Delivery(Reach.ON_ITS_WAY)
    if state is DeliveryState.WAITING_LINK:
        return Delivery(Reach.NOT_SIGNED_IN)
    if state is DeliveryState.FAILED:
        blocked = row.failure == Failure.BLOCKED
        return Delivery(Reach.BLOCKED if blocked else Reach.FAILED)
    return Delivery(Reach.NOT_SENT)


async def deliveries(kind: str, topic: str, people: Iterable[Staff]) -> dict[int, Delivery]:
    """For each person (by staff id): the newest message of `kind` about `topic` to them. A
    person signed out now is NOT_SIGNED_IN whatever reached them before: they cannot answer
    until they sign in again."""
    people = list(people)
    rows = await Notification.filter(
        kind=kind, topic=topic, staff_id__in=[p.id for p in people]
    ).order_by("id")
    newest = {row.staff_id: row for row in rows}  # type: ignore[attr-defined]
    found = {}
    for person in people:
        if person.telegram_user_id is None:
            found[person.id] = Delivery(Reach.NOT_SIGNED_IN)
        else:
            found[person.id] = _reach_of(newest.get(person.id))
    return found
