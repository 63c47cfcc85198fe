"""The lock job: records the calendar's locks as they fall and relocks timed openings that
ended, with their notifications.

A calendar lock takes effect when this job records it, so it runs every minute: a lock falls
at most a minute after its time. The end of a timed opening needs no job (the core's check
compares it with the clock); the job only records the relock and tells the teachers."""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from core import clock
from core.runtime import Runtime
from core.services.locks import apply_due_locks
from jobs.leading import led

log = logging.getLogger("hocba.jobs.locks")


async def run(school_id: int | None = None) -> None:
    applied = await apply_due_locks(clock.now(), school_id)
    if applied.locked or applied.relocked:
        log.info("locked %d scopes, relocked %d", len(applied.locked), len(applied.relocked))


def schedule(application: Application, runtime: Runtime, *, interval: float = 60) -> None:
    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await run(runtime.school_id)

    application.job_queue.run_repeating(led(runtime, job), interval=interval, first=1, name="locks")
