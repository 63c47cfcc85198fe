"""The daily certificate-expiry job: warns each signer 30 and 7 days before their certificate
expires (core.services.cert_expiry), in the morning on the school's clock, through the outbox;
the warnings' keys make a rerun (or a restart) send nothing twice."""

from __future__ import annotations

import datetime as dt
import logging

from telegram.ext import Application, ContextTypes

from core import clock
from core.models import School
from core.runtime import Runtime
from core.services.cert_expiry import warn_expiring
from core.signing.backends import SigningSettings
from jobs.leading import led

log = logging.getLogger("hocba.jobs.cert_expiry")
RUN_AT = dt.time(7, 0)  # on the school's clock


async def run(settings: SigningSettings, school_id: int | None = None) -> int:
    """One pass over the served school(s); returns how many warnings were enqueued."""
    schools = School.all() if school_id is None else School.filter(id=school_id)
    new = 0
    for school in await schools:
        new += await warn_expiring(settings, school, clock.now())
    if new:
        log.info("enqueued %d certificate expiry warnings", new)
    return new


def schedule(application: Application, runtime: Runtime) -> None:
    """Every day at RUN_AT in the school's zone."""

    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await run(runtime.signing, runtime.school_id)

    application.job_queue.run_daily(
        led(runtime, job),
        time=RUN_AT.replace(tzinfo=runtime.zone),
        name="cert_expiry",
        job_kwargs={"misfire_grace_time": 3600},  # a busy morning delays the warnings, never skips
    )
