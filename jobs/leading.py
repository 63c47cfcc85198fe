"""Scheduled rounds run in one process only: the leader (core.leader); after each, what the
round enqueued is sent at once (the runtime's doorbell).

The reminder, lock, correction, certificate and backup rounds are wrapped here. The outbox
delivery asks the leader too, itself (jobs.outbox: one process owns the token's sending rate),
and the other processes take over within its idle interval when the leader goes. Signing
batches are not led: they are claimed under a lease, so every process runs them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram.ext import ContextTypes

from core.runtime import Runtime

Job = Callable[[ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def led(runtime: Runtime, job: Job) -> Job:
    """`job`, run only while this process leads; elsewhere the run does nothing."""

    async def run(context: ContextTypes.DEFAULT_TYPE) -> None:
        if await runtime.leader.leads():
            try:
                await job(context)
            finally:
                await runtime.doorbell.ring()

    return run
