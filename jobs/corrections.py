"""The correction-session job: a cell opened for a correction locks again when its time runs
out (with minutes when a value was applied), once, however often the job runs."""

from __future__ import annotations

from pathlib import Path

from telegram.ext import Application, ContextTypes

from core import clock
from core.services.corrections import expire_sessions
from core.storage import FileStore


def schedule(application: Application, store_dir: Path, *, interval: float = 60) -> None:
    store = FileStore(store_dir)

    async def job(_context: ContextTypes.DEFAULT_TYPE) -> None:
        await expire_sessions(clock.now(), store)

    application.job_queue.run_repeating(job, interval=interval, first=10, name="corrections")
