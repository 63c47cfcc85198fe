"""The signing resume job: batches nobody runs any more are taken up again.

A batch is run by whoever started it (the bot's signer, the command line), or, when the bot
runs as `--role bot`, by the first worker process to see it (every WORKER_INTERVAL). When a run is
gone (a restart, a crash, a network failure after the person approved), its lease expires and
this job carries it on from the last chunk stored, without asking for a new approval when the
remote service's answer was kept. The signer is told the end once, through the outbox.
"""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes

from core.runtime import Role, Runtime
from core.services.outbox.doorbell import BATCH

log = logging.getLogger("hocba.jobs.signing")
INTERVAL = 60  # seconds
WORKER_INTERVAL = 2  # a worker (`--role worker`) takes the bot's batches this soon


async def run(runtime: Runtime) -> list[int]:
    """Start the batches nobody runs; a worker process takes the bot's new ones too."""
    started = await runtime.batches.resume(fresh=runtime.role is Role.WORKER)
    if started:
        log.info("resumed signing batches %s", started)
    return started


def schedule(application: Application, runtime: Runtime, *, interval: float | None = None) -> None:
    if interval is None:
        interval = WORKER_INTERVAL if runtime.role is Role.WORKER else INTERVAL

    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await run(runtime)

    job_queue = application.job_queue
    job_queue.run_repeating(job, interval=interval, first=5, name="signing.resume")
    # a batch handed over by the bot (core.services.outbox.doorbell): taken at once
    runtime.doorbell.answer_with(lambda: job_queue.run_once(job, 0), BATCH)
