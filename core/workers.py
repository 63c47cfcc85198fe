"""The worker pool: where CPU-heavy work runs, so the bot's event loop keeps answering people.

Signing (XML-DSig and PAdES), rendering PDFs (records and minutes), reading and writing
spreadsheets take tens of milliseconds to seconds of pure CPU; run on the event loop, every
other teacher would wait behind a class being signed. They run here instead, in worker
processes (a thread would still hold the GIL):

- the processes are started by a forkserver, not forked from the bot: a forked child would
  inherit the bot's open sockets, its event loop and, worse, an initialised PKCS#11 library,
  which the PKCS#11 standard says must not be used across fork;
- bulk work (a class being signed) and what a person is waiting for (their grade sheet) run in
  separate lanes, so a teacher's sheet never queues behind a thousand records; the batch lane's
  workers lower their scheduling priority, so when the machine is busy signing, the bot and the
  interactive worker are served first and people's replies stay fast, while the signing still
  takes every cycle nobody else needs;
- the pool starts on first use, in a thread: starting the forkserver means importing the heavy
  libraries there first (about a second), and every worker process is started right away, so
  the event loop never waits for a process to be born; a command or a test that never signs
  pays nothing;
- what a task needs that is slow to open (a key, a token session) is opened once per worker
  and kept for the worker's life (core.signing.worker), so a PKCS#11 session lives in the
  process that uses it.

Tasks are plain module-level functions of picklable values (bytes, dataclasses), which also
makes them easy to test on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import ParamSpec, TypeVar

from core import clock

log = logging.getLogger("hocba.workers")
P = ParamSpec("P")
T = TypeVar("T")
NICENESS = 10  # how much lower than the bot a worker runs (0: same priority; 19: lowest)
# Imported by the forkserver once, so each worker starts with the heavy libraries loaded.
PRELOAD = [
    "core.signing.worker",
    "core.render.pdf_record",
    "core.render.minutes",
    "core.importing.reader",
    "openpyxl",
]


def _start_worker(niceness: int, zone: dt.tzinfo) -> None:
    """Runs first in every worker process: the school's zone (a stamp drawn here shows the
    school's wall clock, not the default zone's), then the priority."""
    clock.set_zone(zone)
    if niceness:
        # not allowed in some containers: the worker then runs at the bot's priority
        with contextlib.suppress(OSError):
            os.nice(niceness)


class _Lane:
    """A lazily started process pool of one kind of work."""

    def __init__(self, name: str, processes: int, niceness: int) -> None:
        self.name = name
        self.processes = processes
        self._niceness = niceness
        self._executor: Executor | None = None
        self._lock = threading.Lock()

    def start(self) -> Executor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(self._niceness, clock.zone()),
                )
                # one task per worker, all at once: each is given its own process now
                for started in [executor.submit(os.getpid) for _ in range(self.processes)]:
                    started.result()
                self._executor = executor
                log.info("%s workers started: %d processes", self.name, self.processes)
            return self._executor

    async def run(self, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        executor = self._executor or await asyncio.to_thread(self.start)
        return await loop.run_in_executor(executor, call)

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


class WorkerPool:
    """Two lanes of worker processes, started on first use (or by `start`, from a thread):

    - `run`: what a person waits for (their grade sheet, a template, the minutes of their
      correction): one process at the bot's priority, never queued behind a batch;
    - `run_batch`: bulk work (a class being signed): `processes` processes (0: one per CPU
      core) at a lower priority, so they take every cycle nobody else needs.
    """

    def __init__(self, processes: int = 0, *, niceness: int = NICENESS) -> None:
        self.processes = processes or os.cpu_count() or 1
        self._quick = _Lane("interactive", 1, 0)
        self._bulk = _Lane("batch", self.processes, niceness)

    def start(self) -> None:
        """Start both lanes and every worker in them (blocking: call it from a thread)."""
        self._quick.start()
        self._bulk.start()

    async def run(self, task: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `task(*args, **kwargs)` in the interactive lane without blocking the event loop.
        An exception raised by the task is raised here."""
        return await self._quick.run(functools.partial(task, *args, **kwargs))

    async def run_batch(self, task: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """The same in the batch lane."""
        return await self._bulk.run(functools.partial(task, *args, **kwargs))

    def shutdown(self) -> None:
        """Stop the workers (waiting for tasks in hand); the lanes start again if used."""
        self._quick.shutdown()
        self._bulk.shutdown()
