"""The daily backup (001 Điều 20.4) at [backup] at on the school's clock, then the overdue check:
a failed run tells the admins at once (core.services.backups.making), and a day with no good
backup within [backup] overdue_hours tells them again, so a backup that stopped is noticed."""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from core.models import School
from core.runtime import Runtime
from core.services.backups.making import back_up, check_overdue
from jobs.leading import led

log = logging.getLogger("hocba.jobs.backup")


async def run(runtime: Runtime) -> int:
    """One backup of each served school; how many succeeded."""
    schools = School.all() if runtime.school_id is None else School.filter(id=runtime.school_id)
    good = 0
    for school in await schools:
        made = await back_up(runtime.backup, runtime.signing, runtime.workers, school)
        if made.ok:
            good += 1
            log.info("backup of %s: %s, %d bytes", school.code, made.archive, made.size)
        else:
            log.error("backup of %s failed: %s", school.code, made.error)
        await check_overdue(runtime.backup, school)
    return good


def schedule(application: Application, runtime: Runtime) -> None:
    """Every day at [backup] at, in the school's zone; a restart after a missed time still runs
    it within the hour."""

    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await run(runtime)

    application.job_queue.run_daily(
        led(runtime, job),
        time=runtime.backup.at.replace(tzinfo=runtime.zone),
        name="backup",
        job_kwargs={"misfire_grace_time": 3600},
    )
