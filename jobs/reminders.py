"""The reminder job: every few minutes, one round over the span since the previous round.

The end of the last finished round is kept in the database, so after a restart the next run
covers exactly the span that was missed; a round that crashed half-way is run again over the
same span and its outbox keys make the second run send only what the first did not.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram.ext import Application, ContextTypes

from core import clock
from core.models import School
from core.runtime import Runtime
from core.services import botstate
from core.services.reminders import QuietHours, run_round

log = logging.getLogger("hocba.jobs.reminders")
NAMESPACE = "jobs"
FIRST_SPAN = dt.timedelta(minutes=15)  # a first start looks back this far, not to the epoch


async def run_all(quiet: QuietHours, school_id: int | None = None) -> None:
    now = clock.now()
    schools = School.all() if school_id is None else School.filter(id=school_id)
    for school in await schools:
        key = f"reminders:{school.id}"
        stored = await botstate.get(NAMESPACE, key)
        since = dt.datetime.fromisoformat(stored) if stored else now - FIRST_SPAN
        if since >= now:
            continue
        result = await run_round(school, since=since, now=now, quiet=quiet)
        await botstate.put(NAMESPACE, key, now.isoformat())
        if result.reminded or result.escalated:
            log.info(
                "school %s: reminded %d teachers, escalated %s",
                school.code,
                len(result.reminded),
                result.escalated,
            )


def schedule(application: Application, runtime: Runtime, *, interval: float = 300) -> None:
    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await run_all(runtime.quiet, runtime.school_id)

    application.job_queue.run_repeating(job, interval=interval, first=5, name="reminders")
