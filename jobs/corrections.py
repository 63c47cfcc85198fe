"""The correction-session job: a cell opened for a correction locks again when its time runs
out (with minutes when a value was applied), once, however often the job runs; a close left
half-way (its minutes not yet drawn up) is finished here too. The minutes are rendered and
sealed (with the runtime's signing settings) in the runtime's worker pool. Then each completed
correction of a class closed for issuance gets its student's record issued anew
(core.services.issuance.reissue)."""

from __future__ import annotations

from telegram.ext import Application, ContextTypes

from core import clock
from core.runtime import Runtime
from core.services.corrections import expire_sessions
from core.services.issuance.reissue import reissue_corrected
from jobs.leading import led


def schedule(application: Application, runtime: Runtime, *, interval: float = 60) -> None:
    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await expire_sessions(clock.now(), runtime.files, runtime.workers, runtime.signing)
        await reissue_corrected(runtime.workers, runtime.portal, clock.now())

    application.job_queue.run_repeating(
        led(runtime, job), interval=interval, first=10, name="corrections"
    )
