"""The signing resume job: batches nobody runs any more are taken up again.

A batch is run by whoever started it (the bot's signer, the command line); when that run is
gone (a restart, a crash, a network failure after the person approved), its lease expires and
this job carries it on from the last chunk stored, without asking for a new approval when the
remote service's answer was kept. The signer is told the end once, through the outbox.
"""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from core.runtime import Runtime

log = logging.getLogger("hocba.jobs.signing")
INTERVAL = 60  # seconds


async def run(runtime: Runtime) -> list[int]:
    started = await runtime.batches.resume()
    if started:
        log.info("resumed signing batches %s", started)
    return started


def schedule(application: Application, runtime: Runtime, *, interval: float = INTERVAL) -> None:
    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await run(runtime)

    application.job_queue.run_repeating(job, interval=interval, first=5, name="signing.resume")
