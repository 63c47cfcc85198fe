"""What waited for someone, judged when they arrive: sent if it still applies, otherwise only
counted in one line; the sign-in and the release commit together."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from core.models import AuditEvent, Notification, Staff
from core.models.outbox import DeliveryState, Failure
from core.services import outbox, signin
from core.services.outbox import lapse
from tests.outbox.conftest import NOW, undeliverable

HOUR = dt.timedelta(hours=1)


async def _never(_notification: Notification, _now: dt.datetime) -> bool:
    return False


async def _broken(_notification: Notification, _now: dt.datetime) -> bool:
    raise RuntimeError("the check failed")


async def _cancelled(_notification: Notification, _now: dt.datetime) -> bool:
    raise asyncio.CancelledError  # the bot stops in the middle of a sign-in


outbox.describe("test.reminder", lambda: "lời nhắc thử")
outbox.describe("test.card", lambda: "phiếu thử", _never)
outbox.describe("test.broken", lambda: "thử lỗi", _broken)
outbox.describe("test.cancelled", lambda: "thử dừng", _cancelled)


async def _enqueue(staff: Staff, kind: str, key: str, **kw) -> Notification:
    return await outbox.notify_staff(staff, kind, f"nội dung {key}", dedupe_key=key, now=NOW, **kw)


async def test_expired_superseded_and_inapplicable_are_counted_not_sent(make_staff) -> None:
    teacher = await make_staff()
    past = await _enqueue(teacher, "test.reminder", "past", expires_at=NOW - HOUR)
    future = await _enqueue(teacher, "test.reminder", "future", expires_at=NOW + HOUR)
    old = await _enqueue(teacher, "test.invite", "old", topic="correction:1")
    new = await _enqueue(teacher, "test.invite", "new", topic="correction:1")
    other_topic = await _enqueue(teacher, "test.invite", "other", topic="correction:2")
    card = await _enqueue(teacher, "test.card", "card", topic="correction:3")
    plain = await _enqueue(teacher, "undescribed.kind", "plain")
    assert {n.state for n in await Notification.all()} == {DeliveryState.WAITING_LINK}

    teacher.telegram_user_id = 1001
    await teacher.save()
    arrival = await outbox.release_for(teacher, NOW)

    states = dict(await Notification.all().values_list("id", "state"))
    assert {i for i, s in states.items() if s == DeliveryState.PENDING} == {
        future.id,
        new.id,
        other_topic.id,
        plain.id,
    }
    assert {i for i, s in states.items() if s == DeliveryState.LAPSED} == {
        past.id,
        old.id,
        card.id,
    }
    assert arrival.released == 4
    assert dict(arrival.lapsed) == {"test.reminder": 1, "test.invite": 1, "test.card": 1}
    event = await AuditEvent.get(action="notification.release")
    assert event.after == {
        "count": 4,
        "lapsed": {"test.reminder": 1, "test.invite": 1, "test.card": 1},
    }
    # one line for all that lapsed, each kind by its name (an undescribed kind: "thông báo khác")
    first, summary = arrival.lines()
    assert "4 thông báo" in first
    assert "\n" not in summary
    for part in ("1 lời nhắc thử", "1 thông báo khác", "1 phiếu thử", "không gửi lại"):
        assert part in summary, part
    # the lapsed ones are never claimed, and not listed as undeliverable either
    claimed = set()
    for _ in range(5):
        claimed |= {n.id for n, _chat in (await outbox.claim_due(NOW)).deliveries}
        await Notification.filter(id__in=list(claimed)).update(state=DeliveryState.SENT)
    assert claimed == {future.id, new.id, other_topic.id, plain.id}
    assert await undeliverable(teacher.school_id) == []


async def test_nothing_lapsed_means_no_summary(make_staff) -> None:
    teacher = await make_staff(telegram_user_id=1002)
    assert (await outbox.release_for(teacher, NOW)).lines() == []
    assert lapse.summary(()) is None


async def test_signing_in_releases_in_the_same_transaction(make_staff, school) -> None:
    teacher = await make_staff()
    teacher.phone = "+84912345678"
    await teacher.save()
    waiting = await _enqueue(teacher, "test.invite", "invite", topic="correction:9")
    expired = await _enqueue(teacher, "test.reminder", "old", expires_at=NOW - HOUR)
    stopped = await _enqueue(teacher, "test.cancelled", "stopped")

    # a sign-in stopped half-way (the bot shutting down) leaves nothing half done
    with pytest.raises(asyncio.CancelledError):
        await signin.sign_in_with_contact("+84912345678", 555, 555, school_id=school.id)
    assert (await Staff.get(id=teacher.id)).telegram_user_id is None
    assert await Notification.filter(state=DeliveryState.WAITING_LINK).count() == 3
    assert not await AuditEvent.filter(action__startswith="signin.linked").exists()

    await stopped.delete()
    broken = await _enqueue(teacher, "test.broken", "broken")  # a failing check: sent anyway
    signed = await signin.sign_in_with_contact("+84912345678", 555, 555, school_id=school.id)
    assert signed.person.full_name == teacher.full_name
    assert signed.arrival == outbox.Arrival(2, (("test.reminder", 1),))
    for row, state in ((waiting, DeliveryState.PENDING), (broken, DeliveryState.PENDING)):
        assert (await Notification.get(id=row.id)).state is state
    assert (await Notification.get(id=expired.id)).state is DeliveryState.LAPSED
    assert (await Staff.get(id=teacher.id)).telegram_user_id == 555


async def test_signing_out_and_in_again_delivers_what_came_meanwhile(make_staff, school) -> None:
    teacher = await make_staff()
    teacher.phone = "+84912345679"
    await teacher.save()
    await signin.sign_in_with_contact("0912345679", 556, 556, school_id=school.id)
    await signin.sign_out(556)
    staff = await Staff.get(id=teacher.id)
    meanwhile = await _enqueue(staff, "test.invite", "meanwhile", topic="correction:5")
    assert meanwhile.state is DeliveryState.WAITING_LINK
    signed = await signin.sign_in_with_contact("0912345679", 556, 556, school_id=school.id)
    assert signed.arrival == outbox.Arrival(1)
    assert (await Notification.get(id=meanwhile.id)).state is DeliveryState.PENDING


async def test_unblocking_sums_up_what_lapsed_in_one_message(make_staff) -> None:
    teacher = await make_staff(telegram_user_id=1003, language="en")
    blocked = await _enqueue(teacher, "test.card", "card", topic="correction:4")
    kept = await _enqueue(teacher, "test.invite", "kept", topic="correction:4")
    await Notification.filter(id__in=[blocked.id, kept.id]).update(
        state=DeliveryState.FAILED, failure=Failure.BLOCKED
    )
    arrival = await signin.came_back(1003)
    assert arrival == outbox.Arrival(1, (("test.card", 1),))
    [told] = await Notification.filter(kind=outbox.ARRIVAL_KIND)
    assert told.staff_id == teacher.id and told.state is DeliveryState.PENDING
    assert "1 phiếu thử" in told.text
    assert (await Notification.get(id=kept.id)).state is DeliveryState.PENDING
    assert await signin.came_back(1003) == outbox.Arrival()  # nothing left
    assert await Notification.filter(kind=outbox.ARRIVAL_KIND).count() == 1
    assert await signin.came_back(4242) == outbox.Arrival()  # not signed in: nothing
