"""Delivery end to end: a real PTB Application sending through the fake Telegram server.

Retry tests call `deliver_due` with a controlled database clock, so backoff and retry_after
are stepped through without sleeping; the volume test runs the real JobQueue job.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, Defaults

from core.models import AuditEvent, Notification, Role
from core.models.outbox import DeliveryState, Failure
from core.services import outbox
from core.services.outbox import ALERT_KIND, Attachment
from jobs.outbox import JOB_NAME, Pacer, deliver_due, schedule
from tests.outbox.conftest import NOW
from tests.telegram_fake import FakeTelegramServer, application_builder, running_polling
from tests.telegram_fake.server import ApiError


def _build(server: FakeTelegramServer) -> Application:
    """The bot as bot/app.py builds it: HTML by default, AIORateLimiter, a JobQueue."""
    return (
        application_builder(server)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .rate_limiter(AIORateLimiter())
        .build()
    )


@contextlib.asynccontextmanager
async def _initialized(server: FakeTelegramServer) -> AsyncIterator[Application]:
    app = _build(server)
    await app.initialize()
    try:
        yield app
    finally:
        await app.shutdown()


def _sends(server: FakeTelegramServer, chat_id: int) -> list[Any]:
    return [c for c in server.calls_to("sendMessage") if c.chat_id == chat_id]


async def test_delivered_once_after_500_then_429(telegram_server, make_staff) -> None:
    server = telegram_server
    user = server.user(1001)
    teacher = await make_staff(telegram_user_id=user.id)
    await outbox.notify_staff(
        teacher,
        "correction.approve",
        "Có <b>1</b> phiếu sửa điểm chờ duyệt",
        buttons=[[{"text": "Xem", "callback_data": "corr:7"}]],
        dedupe_key="corr:7:approve",
        now=NOW,
    )
    async with _initialized(server) as app:
        server.fail_next("sendMessage", status=500)
        assert (await deliver_due(app.bot, NOW)).retried == 1
        assert (await deliver_due(app.bot, NOW + dt.timedelta(seconds=1))).claimed == 0

        server.fail_next("sendMessage", status=429, retry_after=5)
        t = NOW + dt.timedelta(minutes=1)
        assert (await deliver_due(app.bot, t)).retried == 1
        row = await Notification.get(dedupe_key="corr:7:approve")
        assert row.next_attempt_at == t + dt.timedelta(seconds=5)
        assert (await deliver_due(app.bot, t + dt.timedelta(seconds=4))).claimed == 0
        assert (await deliver_due(app.bot, t + dt.timedelta(seconds=5))).sent == 1
        assert (await deliver_due(app.bot, t + dt.timedelta(days=1))).claimed == 0

    [message] = user.messages()
    assert message.text == "Có 1 phiếu sửa điểm chờ duyệt" and message.entities[0]["type"] == "bold"
    assert message.callback_data == ["corr:7"]
    assert [c.status for c in _sends(server, user.id)] == [500, 429, 200]
    row = await Notification.get(dedupe_key="corr:7:approve")
    assert (row.state, row.attempts, row.telegram_message_id) == (
        DeliveryState.SENT,
        3,
        message.message_id,
    )


async def test_restart_with_a_failed_attempt_and_an_in_flight_claim(
    telegram_server, make_staff
) -> None:
    server = telegram_server
    first_user, second_user = server.user(1001), server.user(1002)
    first = await make_staff(telegram_user_id=first_user.id)
    second = await make_staff(telegram_user_id=second_user.id)
    await outbox.notify_staff(first, "lock", "Sổ 6A đã khóa", dedupe_key="a", now=NOW)

    async with _initialized(server) as app:
        server.fail_next("sendMessage", status=500)
        assert (await deliver_due(app.bot, NOW)).retried == 1

        # The second notification is claimed and its send hangs: Telegram never answers.
        await outbox.notify_staff(second, "lock", "Sổ 6B đã khóa", dedupe_key="b", now=NOW)
        answer_sends = server._methods["sendmessage"]
        released = asyncio.Event()

        async def hang(params: Any) -> Any:
            await released.wait()
            raise ApiError(502, "Bad Gateway")

        server.register_method("sendMessage", hang)
        pass_in_flight = asyncio.create_task(deliver_due(app.bot, NOW))
        await server.wait_until(lambda: _sends(server, second_user.id), what="the hung send")
        pass_in_flight.cancel()  # the process goes down mid-send
        with contextlib.suppress(asyncio.CancelledError):
            await pass_in_flight
    server.register_method("sendMessage", answer_sends)
    released.set()
    assert (await Notification.get(dedupe_key="b")).state is DeliveryState.SENDING

    async with _initialized(server) as app:  # a new Application on the same database
        stats = await deliver_due(app.bot, NOW + dt.timedelta(minutes=1))
        assert (stats.claimed, stats.sent) == (1, 1)  # the retry is due, the lease is not
        stats = await deliver_due(app.bot, NOW + dt.timedelta(minutes=3))
        assert (stats.claimed, stats.sent) == (1, 1)  # the lease has expired
        assert (await deliver_due(app.bot, NOW + dt.timedelta(days=1))).claimed == 0

    assert [m.text for m in first_user.messages()] == ["Sổ 6A đã khóa"]
    assert [m.text for m in second_user.messages()] == ["Sổ 6B đã khóa"]
    assert await Notification.filter(state=DeliveryState.SENT).count() == 2


async def test_a_blocked_user_is_recorded_and_the_others_still_get_theirs(
    telegram_server, make_staff
) -> None:
    server = telegram_server
    users = [server.user(1000 + i) for i in range(1, 4)]
    never_started = server.user(1004, started=False)
    admin_user = server.user(1009)
    staff = [await make_staff(telegram_user_id=u.id) for u in [*users, never_started]]
    await make_staff(telegram_user_id=admin_user.id, roles=(Role.ADMIN,), name="Quản Trị")
    for member in staff:
        await outbox.notify_staff(member, "reminder", "Nhắc nhập điểm", dedupe_key=f"r:{member.id}")
    server.block(users[1].id)

    async with _initialized(server) as app:
        stats = await deliver_due(app.bot)
        assert (stats.sent, stats.failed) == (2, 2)
        # The failures enqueued two alerts to the admin: one per pass for one chat.
        assert [(await deliver_due(app.bot)).sent for _ in range(3)] == [1, 1, 0]

    assert [len(u.messages()) for u in users] == [1, 0, 1]
    failed = await Notification.filter(state=DeliveryState.FAILED).order_by("id")
    assert [(n.staff_id, n.failure) for n in failed] == [
        (staff[1].id, Failure.BLOCKED),
        (staff[3].id, Failure.BLOCKED),
    ]
    assert "blocked" in (failed[0].last_error or "")
    assert await AuditEvent.filter(action="notification.fail").count() == 2
    texts = [m.text for m in admin_user.messages()]
    assert len(texts) == 2 and all("Không gửi được thông báo" in t for t in texts)
    assert all("chặn bot" in t for t in texts)
    assert {staff[1].full_name, staff[3].full_name} == {
        name for name in (s.full_name for s in staff) if any(f"{name} (" in t for t in texts)
    }


async def test_a_rejected_message_is_permanent_with_telegrams_reason(
    telegram_server, make_staff
) -> None:
    user = telegram_server.user(1001)
    teacher = await make_staff(telegram_user_id=user.id)
    await outbox.notify_staff(teacher, "t", "<b>không đóng thẻ", dedupe_key="bad", now=NOW)
    async with _initialized(telegram_server) as app:
        assert (await deliver_due(app.bot, NOW)).failed == 1
        assert (await deliver_due(app.bot, NOW + dt.timedelta(days=1))).claimed == 0
    row = await Notification.get(dedupe_key="bad")
    assert (row.state, row.failure, row.attempts) == (DeliveryState.FAILED, Failure.REJECTED, 1)
    assert "can't parse entities" in (row.last_error or "").lower()
    assert user.messages() == []


async def test_an_attached_file_is_sent_as_a_document_checked_by_hash(
    telegram_server, make_staff, tmp_path: Path
) -> None:
    user = telegram_server.user(1001)
    teacher = await make_staff(telegram_user_id=user.id)
    minutes = tmp_path / "bien-ban.pdf"
    minutes.write_bytes(b"%PDF-1.7 minutes")
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(b"%PDF-1.7 original")
    digest = hashlib.sha256(b"%PDF-1.7 original").hexdigest()
    for key, path, sha in (("ok", minutes, None), ("changed", changed, digest)):
        await outbox.notify_staff(
            teacher,
            "minutes",
            "Biên bản sửa điểm",
            attachment=Attachment(path, "Biên bản.pdf", sha),
            dedupe_key=key,
            now=NOW,
        )
    changed.write_bytes(b"%PDF-1.7 tampered")
    async with _initialized(telegram_server) as app:
        assert (await deliver_due(app.bot, NOW)).sent == 1
        stats = await deliver_due(app.bot, NOW + dt.timedelta(seconds=1))
        assert stats.failed == 1
    [message] = user.messages()
    assert message.caption == "Biên bản sửa điểm"
    assert message.document is not None and message.document.data == b"%PDF-1.7 minutes"
    assert message.document.file_name == "Biên bản.pdf"
    row = await Notification.get(dedupe_key="changed")
    assert row.failure is Failure.FILE_MISSING and "sha256" in (row.last_error or "")


async def test_the_job_delivers_every_message_once_within_telegrams_limits(
    telegram_server, make_staff
) -> None:
    """60 messages to 30 chats, two each: more than 30 want to go in the first second, and
    every chat gets a second one, so both the overall and the per-chat pace are exercised."""
    server = telegram_server
    users = [server.user(3000 + i) for i in range(30)]
    for user in users:
        member = await make_staff(telegram_user_id=user.id)
        for k in range(2):
            await outbox.notify_staff(member, "t", f"{user.id}/{k}", dedupe_key=f"{user.id}/{k}")
    app = _build(server)
    schedule(app, interval=0.2, pacer=Pacer())
    async with running_polling(app):
        await server.wait_until(
            lambda: sum(len(u.messages()) for u in users) >= 60, timeout=20, what="60 messages"
        )
        await asyncio.sleep(0.5)  # a duplicate, if any, would arrive now

    ok = [c for c in server.calls_to("sendMessage") if c.ok]
    texts = [c.params["text"] for c in ok]
    assert len(texts) == len(set(texts)) == 60
    assert [[m.text for m in u.messages()] for u in users] == [
        [f"{u.id}/0", f"{u.id}/1"] for u in users
    ]
    assert server.max_send_rate() <= 30
    assert max(server.max_send_rate_per_chat().values()) == 1
    assert await Notification.filter(state=DeliveryState.SENT).count() == 60
    assert await Notification.filter(kind=ALERT_KIND).count() == 0


async def test_the_doorbell_wakes_an_idle_job_for_what_was_enqueued(
    telegram_server, make_staff
) -> None:
    """Idle, the job would look again in an hour; a ring after a committed enqueue sends the
    message now, and a ring with nothing new enqueued leaves the job asleep."""
    server = telegram_server
    user = server.user(3100)
    member = await make_staff(telegram_user_id=user.id)
    doorbell = outbox.Doorbell()
    app = _build(server)
    schedule(app, doorbell=doorbell, interval=3600, pacer=Pacer())

    def next_pass() -> dt.datetime | None:
        pending = app.job_queue.get_jobs_by_name(JOB_NAME)  # none while a pass runs
        return pending[0].next_t if pending else None

    async def asleep() -> dt.datetime:
        """Once the job's pass has ended and the next is half an hour away or more."""
        for _ in range(200):
            later = next_pass()
            if later and later > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30):
                return later
            await asyncio.sleep(0.05)
        raise TimeoutError("the job never went idle")

    async with running_polling(app):
        asleep_until = await asleep()
        await doorbell.ring()
        assert next_pass() == asleep_until

        await outbox.notify_staff(member, "t", "ngay bây giờ", dedupe_key="now")
        await doorbell.ring()
        await server.wait_until(lambda: user.messages(), timeout=10, what="the message")
        await asleep()
    assert [m.text for m in user.messages()] == ["ngay bây giờ"]
