"""Scheduled work, every job registered here (`schedule_all`) on PTB's JobQueue.

Each job module exposes `schedule(application, runtime)` and a plain `run(...)` the tests and
the command line can call on a chosen clock. The outbox delivery always runs; the timed rounds
(reminders, locks, correction sessions, certificate expiry, backups) can be left to a test.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from core.runtime import Runtime
from jobs import backup, cert_expiry, corrections, locks, outbox, reminders, signing


def schedule_all(
    application: Application[Any, Any, Any, Any, Any, Any],
    runtime: Runtime,
    *,
    scheduled: bool = True,
) -> None:
    outbox.schedule(application, doorbell=runtime.doorbell, leads=runtime.leader.leads)
    signing.schedule(application, runtime)  # resuming batches is never left to a test
    if scheduled:
        reminders.schedule(application, runtime)
        locks.schedule(application, runtime)
        corrections.schedule(application, runtime)
        cert_expiry.schedule(application, runtime)
        backup.schedule(application, runtime)
