"""Scheduled rounds run in one process only: the leader (core.leader); after each, what the
round enqueued is sent at once (the runtime's doorbell).

The reminder, lock, correction, certificate and backup rounds are wrapped here. The outbox
delivery and the resumption of signing batches are not: they claim their rows under a lease,
so any process may run them, and every process does, so a leader's restart delays nobody's
message or signing result.
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
                runtime.doorbell.ring()

    return run
