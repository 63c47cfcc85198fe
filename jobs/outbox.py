"""Delivering the notification outbox through the bot (core.services.outbox holds the states).

What is guaranteed, and why not more. Exactly-once delivery to Telegram is impossible: sending
and recording are two systems with no shared transaction. If the process dies after Telegram
accepted a message but before the database recorded it, nothing on our side can tell whether
the message went out (the Bot API has no idempotency key and no way to look up sent messages),
so the choice is between maybe losing it and maybe repeating it. This job repeats:

- no loss: a row leaves the outbox only when Telegram has answered with a message, or has
  refused it for good (then the admins are told); a crash anywhere leaves the row leased, and
  the lease expires into a retry;
- no duplicate except in that one window: the row is marked sent by the lease holder
  immediately after Telegram's answer, before anything else is awaited, so the window is one
  local UPDATE wide; retries after errors are safe because an error answer means Telegram did
  not deliver (a timeout is the exception: it may have, and is retried like a crash).

Telegram's limits (about 30 messages a second per bot, one a second per chat) are kept by the
job's own `Pacer`, so the outbox never provokes 429s; the bot's AIORateLimiter stays as the
guard for everything else the bot sends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, Job
from telegram.warnings import PTBDeprecationWarning

from core.models.outbox import DeliveryState, Failure, Notification
from core.services import outbox
from core.services.outbox import DEFAULT_POLICY, Doorbell, Policy

log = logging.getLogger(__name__)

JOB_NAME = "outbox"
LATE_IS_FINE = {"misfire_grace_time": None}  # run however late (see `schedule`)


@dataclass
class DeliveryStats:
    """What one pass did: rows claimed, and what became of them."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    parked: int = 0  # staff without a linked account: waiting for release_for
    deferred: int = 0  # due, but their chat had a message less than a second ago


class Pacer:
    """Keeps sends within Telegram's limits across passes: at most one message a second per
    chat, and `overall_per_second` spread evenly (25 by default, below Telegram's 30, leaving
    room for the bot's replies to people). Evenly spaced rather than bursts, because a burst
    of 30 followed by 30 more is 60 within one second as Telegram counts it."""

    def __init__(
        self,
        *,
        per_chat_interval: float = 1.0,
        overall_per_second: float = 25.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_chat_interval = per_chat_interval
        self._spacing = 1.0 / overall_per_second
        self._clock = clock
        self._last_by_chat: dict[int, float] = {}
        self._next_slot = 0.0

    def chat_ready(self, chat_id: int) -> bool:
        last = self._last_by_chat.get(chat_id)
        return last is None or self._clock() - last >= self.per_chat_interval

    async def wait_turn(self) -> None:
        """Take the next free overall slot and sleep until it comes."""
        now = self._clock()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._spacing
        await asyncio.sleep(slot - now)

    def record(self, chat_id: int) -> None:
        """A send to `chat_id` has been answered (counted from the answer: the request reached
        Telegram before that, so the next one is at least a full interval later)."""
        now = self._clock()
        self._last_by_chat[chat_id] = now
        if len(self._last_by_chat) > 4096:  # forget chats that are ready anyway
            self._last_by_chat = {
                chat: at
                for chat, at in self._last_by_chat.items()
                if now - at < self.per_chat_interval
            }


class _AttachmentUnavailable(Exception):
    """The attached file is gone or its bytes no longer match the recorded hash."""


def _keyboard(notification: Notification) -> InlineKeyboardMarkup | None:
    if not notification.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in notification.buttons
        ]
    )


def _attachment(notification: Notification) -> bytes:
    path = Path(notification.file_path or "")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _AttachmentUnavailable(f"{path}: {exc.strerror}") from exc
    expected = notification.file_sha256
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise _AttachmentUnavailable(f"{path}: content changed (sha256 differs)")
    return data


async def _send(bot: Bot, notification: Notification, chat_id: int) -> Message:
    markup = _keyboard(notification)
    if notification.file_path:
        return await bot.send_document(
            chat_id,
            document=_attachment(notification),
            filename=notification.file_name,
            caption=notification.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    return await bot.send_message(
        chat_id, notification.text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


def _retry_after_seconds(exc: RetryAfter) -> float:
    """PTB 22 returns an int or a timedelta depending on PTB_TIMEDELTA, and warns about it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def _deliver_one(
    bot: Bot,
    notification: Notification,
    chat_id: int,
    stats: DeliveryStats,
    now: dt.datetime | None,
    pacer: Pacer | None,
    policy: Policy,
) -> None:
    if pacer is not None:
        await pacer.wait_turn()
    failure: Failure | None = None
    retry_after: float | None = None
    try:
        message = await _send(bot, notification, chat_id)
    except RetryAfter as exc:
        error, retry_after = exc.message, _retry_after_seconds(exc)
    except Forbidden as exc:
        error, failure = exc.message, Failure.BLOCKED
    except BadRequest as exc:  # before TelegramError: BadRequest is a NetworkError in PTB
        error, failure = exc.message, Failure.REJECTED
    except _AttachmentUnavailable as exc:
        error, failure = str(exc), Failure.FILE_MISSING
    except TelegramError as exc:  # NetworkError, TimedOut, 5xx, InvalidToken...: try later
        error = f"{type(exc).__name__}: {exc.message}"
    else:
        await outbox.mark_sent(notification, message.message_id, now)
        stats.sent += 1
        return
    finally:
        if pacer is not None:
            pacer.record(chat_id)
    if failure is not None:
        await outbox.fail(notification, failure, error, now)
        stats.failed += 1
    elif (
        await outbox.retry_later(notification, error, now, retry_after=retry_after, policy=policy)
        is DeliveryState.FAILED
    ):
        stats.failed += 1  # that was the last attempt
    else:
        stats.retried += 1


async def deliver_due(
    bot: Bot,
    now: dt.datetime | None = None,
    *,
    pacer: Pacer | None = None,
    limit: int = 50,
    policy: Policy = DEFAULT_POLICY,
) -> DeliveryStats:
    """One delivery pass: claim what is due (one per chat), send, record each answer.

    `now` is the database clock (due times, leases, backoff); tests pass it to step through
    retries without sleeping. Pacing, when a `pacer` is given, runs on real time. A failure
    the job does not understand is re-raised after the other sends of the pass have finished;
    its row keeps its lease and is retried when the lease expires.
    """
    claim = await outbox.claim_due(
        now, limit=limit, policy=policy, chat_ready=pacer.chat_ready if pacer else None
    )
    stats = DeliveryStats(
        claimed=len(claim.deliveries), parked=claim.parked, deferred=claim.deferred
    )
    results = await asyncio.gather(
        *(_deliver_one(bot, n, chat, stats, now, pacer, policy) for n, chat in claim.deliveries),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return stats


def schedule(
    application: Application,
    *,
    doorbell: Doorbell | None = None,
    leads: Callable[[], Awaitable[bool]] | None = None,
    interval: float = 2.0,
    pacer: Pacer | None = None,
    limit: int = 50,
    policy: Policy = DEFAULT_POLICY,
) -> Job:
    """Register the delivery job on the application's JobQueue; call once while building.

    The job repeats by scheduling its next run when a pass ends: at once while there is work
    (a backlog drains at the pacer's rate), after `interval` seconds when the outbox is idle.
    A plain repeating job would start a second pass over a long one still running. Every run
    is named JOB_NAME (`job_queue.get_jobs_by_name(JOB_NAME)` finds the pending one); the
    database must be open before the application starts (post_init does that).

    With `leads` (the scheduler's leadership, core.leader) only the leading process sends:
    one process owns the bot token's sending rate however many workers run; the others look
    again each `interval` and take over within it when the leader goes.

    The `doorbell` (the runtime's) wakes an idle job at once when something was enqueued; rung
    during a pass, the next pass starts as soon as this one ends.

    Each run is scheduled with no misfire grace limit: APScheduler silently drops a one-off
    job that starts more than a second late (a busy machine), and since each run schedules the
    next, one dropped run would stop delivery for good.
    """
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError('the outbox needs "python-telegram-bot[job-queue]"')
    pacer = pacer or Pacer()
    passing = {"now": False, "rung": False}

    async def run(context: ContextTypes.DEFAULT_TYPE) -> None:
        delay = interval
        passing["now"], passing["rung"] = True, False
        try:
            if leads is not None and not await leads():
                return
            stats = await deliver_due(context.bot, pacer=pacer, limit=limit, policy=policy)
            if stats.claimed or passing["rung"]:
                delay = 0.0
            elif stats.deferred:
                delay = min(interval, pacer.per_chat_interval)
        finally:
            passing["now"] = False
            next_pass(delay)

    def next_pass(delay: float) -> Job:
        return job_queue.run_once(run, delay, name=JOB_NAME, job_kwargs=LATE_IS_FINE)

    def wake() -> None:
        if passing["now"]:
            passing["rung"] = True
            return
        waiting = job_queue.get_jobs_by_name(JOB_NAME)
        if waiting:  # none after shutdown began
            for job in waiting:
                job.schedule_removal()
            next_pass(0.0)

    if doorbell is not None:
        doorbell.answer_with(wake)
    return next_pass(0.0)
