"""The outbox service on both database backends: transactions, dedupe, leases, retries."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from core.i18n import current_language
from core.models import AuditEvent, Notification, Role
from core.models.outbox import DeliveryState, Failure
from core.services import outbox
from core.services.outbox import ALERT_KIND, Policy
from tests.outbox.conftest import NOW, undeliverable

NO_JITTER = Policy(jitter=0)


async def _claim_one(now: dt.datetime, policy: Policy = NO_JITTER) -> Notification:
    claim = await outbox.claim_due(now, policy=policy)
    assert len(claim.deliveries) == 1
    return claim.deliveries[0][0]


async def test_enqueue_commits_and_rolls_back_with_the_change(make_staff) -> None:
    teacher = await make_staff(telegram_user_id=1001)

    with pytest.raises(RuntimeError):
        async with in_transaction():
            await outbox.notify_staff(teacher, "lock", "Sổ đã khóa", dedupe_key="lock:1")
            teacher.full_name = "Đổi tên"
            await teacher.save()
            raise RuntimeError("the change failed after the notification was enqueued")
    assert await Notification.all().count() == 0

    async with in_transaction():
        await outbox.notify_staff(teacher, "lock", "Sổ đã khóa", dedupe_key="lock:1")
    assert await Notification.filter(state=DeliveryState.PENDING).count() == 1


async def test_dedupe_key_enqueues_once_without_breaking_the_transaction(make_staff) -> None:
    teacher = await make_staff(telegram_user_id=1001)
    async with in_transaction():
        first = await outbox.notify_staff(teacher, "reminder", "Nhắc 1", dedupe_key="r:6A:w48")
        again = await outbox.notify_staff(teacher, "reminder", "Nhắc 2", dedupe_key="r:6A:w48")
        teacher.full_name = "Vẫn ghi được"  # the transaction is still usable (PostgreSQL too)
        await teacher.save()
    rerun = await outbox.notify_staff(teacher, "reminder", "Nhắc 3", dedupe_key="r:6A:w48")
    assert first.id == again.id == rerun.id
    assert [n.text for n in await Notification.all()] == ["Nhắc 1"]


async def test_notify_staff_renders_in_the_recipients_language(make_staff) -> None:
    english = await make_staff(telegram_user_id=1001, language="en")
    vietnamese = await make_staff(telegram_user_id=1002)
    for staff in (english, vietnamese):
        await outbox.notify_staff(
            staff,
            "test",
            current_language,
            buttons=lambda: [[{"text": current_language(), "callback_data": "x"}]],
            dedupe_key=f"lang:{staff.id}",
        )
    rows = await Notification.all().order_by("id")
    assert [(n.text, n.buttons[0][0]["text"]) for n in rows] == [("en", "en"), ("vi", "vi")]


async def test_bad_notifications_are_refused_when_enqueued(school, make_staff) -> None:
    teacher = await make_staff(telegram_user_id=1001)
    with pytest.raises(ValueError, match="64 bytes"):
        await outbox.notify_staff(
            teacher, "t", "x", buttons=[[{"text": "a", "callback_data": "x" * 65}]], dedupe_key="a"
        )
    with pytest.raises(ValueError, match="exactly one"):
        await outbox.enqueue(
            school_id=school.id, kind="t", text="x", dedupe_key="b", staff=teacher, chat_id=5
        )
    assert await Notification.all().count() == 0


async def test_claim_takes_one_per_recipient_and_two_workers_never_share(
    school, make_staff
) -> None:
    teachers = [await make_staff(telegram_user_id=2000 + i) for i in range(10)]
    for i, teacher in enumerate(teachers):
        for k in range(2):
            await outbox.notify_staff(teacher, "t", f"{i}/{k}", dedupe_key=f"t:{i}:{k}", now=NOW)
    await outbox.enqueue(
        school_id=school.id, kind="parent", text="p", dedupe_key="p", chat_id=9999, now=NOW
    )

    first, second = await asyncio.gather(
        outbox.claim_due(NOW, limit=6), outbox.claim_due(NOW, limit=6)
    )
    ids_first = {n.id for n, _chat in first.deliveries}
    ids_second = {n.id for n, _chat in second.deliveries}
    assert ids_first | ids_second and not ids_first & ids_second
    rest = await outbox.claim_due(NOW)
    deliveries = first.deliveries + second.deliveries + rest.deliveries
    assert len(deliveries) == len({n.id for n, _chat in deliveries}) == 11
    assert {n.text for n, _chat in deliveries} == {*(f"{i}/0" for i in range(10)), "p"}
    assert {chat for _n, chat in deliveries} == {*(2000 + i for i in range(10)), 9999}
    # Each teacher has a message in flight: their second one waits for it.
    after = await outbox.claim_due(NOW)
    assert after.deliveries == [] and after.deferred == 10


async def test_a_crashed_workers_lease_expires_and_sent_is_marked_once(make_staff) -> None:
    teacher = await make_staff(telegram_user_id=1001)
    await outbox.notify_staff(teacher, "t", "x", dedupe_key="k", now=NOW)
    crashed = await _claim_one(NOW)
    assert crashed.state is DeliveryState.SENDING and crashed.attempts == 1

    assert (await outbox.claim_due(NOW + dt.timedelta(minutes=1))).deliveries == []
    later = NOW + NO_JITTER.lease + dt.timedelta(seconds=1)
    taken_over = await _claim_one(later)
    assert taken_over.id == crashed.id and taken_over.attempts == 2

    assert not await outbox.mark_sent(crashed, 11, later)  # the old claim no longer holds it
    assert await outbox.mark_sent(taken_over, 12, later)
    assert not await outbox.mark_sent(taken_over, 13, later)  # exactly once
    row = await Notification.get(id=crashed.id)
    assert (row.state, row.telegram_message_id, row.claim_token) == (DeliveryState.SENT, 12, None)
    assert (await outbox.claim_due(later + dt.timedelta(hours=1))).deliveries == []


def test_backoff_doubles_up_to_the_cap_with_downward_jitter() -> None:
    seconds = [NO_JITTER.backoff(n).total_seconds() for n in range(1, 11)]
    assert seconds == [15, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    jittered = [Policy(jitter=0.2).backoff(3).total_seconds() for _ in range(200)]
    assert all(48 <= s <= 60 for s in jittered) and len(set(jittered)) > 1


async def test_retry_waits_for_backoff_or_retry_after(make_staff) -> None:
    teacher = await make_staff(telegram_user_id=1001)
    await outbox.notify_staff(teacher, "t", "x", dedupe_key="k", now=NOW)

    n = await _claim_one(NOW)
    state = await outbox.retry_later(n, "NetworkError", NOW, policy=NO_JITTER)
    assert state is DeliveryState.PENDING
    assert (await outbox.claim_due(NOW + dt.timedelta(seconds=14))).deliveries == []
    t = NOW + dt.timedelta(seconds=15)
    n = await _claim_one(t)
    await outbox.retry_later(n, "429", t, retry_after=7, policy=NO_JITTER)
    row = await Notification.get(id=n.id)
    assert row.next_attempt_at == t + dt.timedelta(seconds=7)
    assert (row.state, row.last_error, row.attempts) == (DeliveryState.PENDING, "429", 2)


async def test_give_up_after_max_attempts_audits_and_alerts_admins(make_staff) -> None:
    policy = Policy(max_attempts=3, jitter=0)
    teacher = await make_staff(telegram_user_id=1001, name="Lê Thị Hoa")
    admin_vi = await make_staff(telegram_user_id=1002, roles=(Role.ADMIN,))
    admin_en = await make_staff(telegram_user_id=1003, roles=(Role.ADMIN, Role.PRINCIPAL))
    admin_en.language = "en"
    await admin_en.save()
    await make_staff(telegram_user_id=1004)  # not an admin: not alerted
    await outbox.notify_staff(
        teacher, "reminder", "<b>Nhắc</b> nhập điểm 6A", dedupe_key="k", now=NOW
    )

    t = NOW
    for attempt in range(1, 4):
        n = await _claim_one(t, policy)
        state = await outbox.retry_later(n, "TimedOut: timed out", t, policy=policy)
        assert state is (DeliveryState.FAILED if attempt == 3 else DeliveryState.PENDING)
        t += dt.timedelta(hours=1)

    row = await Notification.get(dedupe_key="k")
    assert (row.state, row.failure, row.attempts) == (DeliveryState.FAILED, Failure.GAVE_UP, 3)
    event = await AuditEvent.get(action="notification.fail")
    assert event.target == f"notification:{row.id}"
    assert event.after["failure"] == "gave_up" and event.after["attempts"] == 3

    alerts = await Notification.filter(kind=ALERT_KIND).order_by("staff_id")
    assert [a.staff_id for a in alerts] == [admin_vi.id, admin_en.id]
    vi_text = alerts[0].text
    assert "Không gửi được thông báo" in vi_text and "Lê Thị Hoa (GV01)" in vi_text
    assert "«Nhắc nhập điểm 6A»" in vi_text and "3 lần" in vi_text and "TimedOut" in vi_text
    # Nothing more is tried for the given-up row: only the two alerts are due.
    claim = await outbox.claim_due(t + dt.timedelta(days=1), policy=policy)
    assert {n.kind for n, _chat in claim.deliveries} == {ALERT_KIND}


async def test_an_undeliverable_alert_raises_no_further_alert(make_staff) -> None:
    admin = await make_staff(telegram_user_id=1002, roles=(Role.ADMIN,))
    other_admin = await make_staff(telegram_user_id=1003, roles=(Role.ADMIN,))
    await outbox.notify_staff(admin, ALERT_KIND, "cảnh báo", dedupe_key="alert", now=NOW)
    n = await _claim_one(NOW)
    assert await outbox.fail(n, Failure.BLOCKED, "Forbidden: bot was blocked by the user", NOW)
    assert await Notification.filter(staff=other_admin).count() == 0
    assert await AuditEvent.filter(action="notification.fail").count() == 1


async def test_unlinked_staff_wait_and_are_released_when_they_link(make_staff) -> None:
    teacher = await make_staff()
    linked_then_not = await make_staff(telegram_user_id=1009)
    waiting = await outbox.notify_staff(teacher, "t", "chờ", dedupe_key="w", now=NOW)
    assert waiting.state is DeliveryState.WAITING_LINK
    await outbox.notify_staff(linked_then_not, "t", "x", dedupe_key="u", now=NOW)
    linked_then_not.telegram_user_id = None
    await linked_then_not.save()

    claim = await outbox.claim_due(NOW)
    assert claim.deliveries == [] and claim.parked == 1
    assert {n.dedupe_key for n in await undeliverable(teacher.school_id)} == {"w", "u"}

    teacher.telegram_user_id = 1001
    await teacher.save()
    assert await outbox.release_for(teacher, NOW) == outbox.Arrival(released=1)
    n, chat = (await outbox.claim_due(NOW)).deliveries[0]
    assert (n.id, chat) == (waiting.id, 1001)
    event = await AuditEvent.get(action="notification.release")
    assert event.target == f"staff:{teacher.id}" and event.after == {"count": 1, "lapsed": {}}
    assert await outbox.release_for(teacher, NOW) == outbox.Arrival()  # nothing: no 2nd event
    assert await AuditEvent.filter(action="notification.release").count() == 1


async def test_blocked_is_permanent_until_the_person_links_again(make_staff) -> None:
    teacher = await make_staff(telegram_user_id=1001)
    await outbox.notify_staff(teacher, "t", "x", dedupe_key="k", now=NOW)
    n = await _claim_one(NOW)
    await outbox.fail(n, Failure.BLOCKED, "Forbidden: bot was blocked by the user", NOW)
    assert (await outbox.claim_due(NOW + dt.timedelta(days=30))).deliveries == []
    [failed] = await undeliverable(teacher.school_id)
    assert (failed.failure, failed.staff.code) == (Failure.BLOCKED, teacher.code)

    assert (await outbox.release_for(teacher, NOW)).released == 1
    again = await _claim_one(NOW)
    assert (again.id, again.attempts, again.failure) == (n.id, 1, None)
    assert await undeliverable(teacher.school_id) == []
