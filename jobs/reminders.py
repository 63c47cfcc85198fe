"""The reminder job: every few minutes, the round due since the previous one, per school.

The end of the last finished round is kept in the database (core.services.rounds.run_due), so
after a restart the next run covers exactly the span that was missed, and a round run from the
command line (`hocba reminders run`) is not run again; a round that crashed half-way is run
again over the same span and its outbox keys make the second run send only what the first did
not.
"""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from core import clock
from core.models import School
from core.runtime import Runtime
from core.services.reminders import QuietHours
from core.services.rounds import run_due
from jobs.leading import led

log = logging.getLogger("hocba.jobs.reminders")


async def run_all(quiet: QuietHours, school_id: int | None = None) -> None:
    now = clock.now()
    schools = School.all() if school_id is None else School.filter(id=school_id)
    for school in await schools:
        result = await run_due(school, now=now, quiet=quiet)
        if result is not None and (result.reminded or result.escalated):
            log.info(
                "school %s: reminded %d teachers, escalated %s",
                school.code,
                len(result.reminded),
                result.escalated,
            )


def schedule(application: Application, runtime: Runtime, *, interval: float = 300) -> None:
    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await run_all(runtime.quiet, runtime.school_id)

    application.job_queue.run_repeating(
        led(runtime, job), interval=interval, first=5, name="reminders"
    )
