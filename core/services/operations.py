"""What an operator's probes ask of a running deployment (issue 16, part 4): whether it can serve
now (/readyz), and the state figures the metrics expose (/metrics), read from the database at
each scrape, so every process reports the same numbers and nothing is lost with a restart.

Readiness is more than /healthz's "the database answers": a bot whose worker processes are
gone would take a grade sheet and never answer, and one whose scheduler stopped would send no
reminder and run no lock. Each part is checked with a time limit, and said by name when it
fails, so the operator knows where to look.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from collections.abc import Awaitable
from dataclasses import dataclass

from tortoise.functions import Count

from core.db import connection
from core.leader import Leadership
from core.models import BatchItem, IssuedRecord, Notification, RecordState, SigningBatch
from core.models.outbox import DeliveryState
from core.models.records import BATCH_OPEN
from core.workers import WorkerPool

log = logging.getLogger("hocba.operations")
CHECK_SECONDS = 5.0  # a part that takes longer is not ready (a first worker start takes ~1 s)
WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)  # what the outbox still has to send


@dataclass(frozen=True)
class Readiness:
    """Each part of the deployment checked: "ok", or why not; and whether this process leads
    the scheduled rounds (core.leader; None: it runs no scheduler). A process that does not
    lead is ready all the same: it serves people, the leader runs the rounds."""

    checks: dict[str, str]
    leads: bool | None = None

    @property
    def ready(self) -> bool:
        return all(state == "ok" for state in self.checks.values())


async def _check(part: str, call: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(call, CHECK_SECONDS)
    except TimeoutError:
        log.warning("readiness: %s did not answer within %.0f s", part, CHECK_SECONDS)
        return "timeout"
    except Exception as exc:  # any failure means "not ready"; the reason is logged
        log.warning("readiness: %s failed: %s", part, exc)
        return f"error: {type(exc).__name__}"
    return "ok"


async def _database() -> None:
    await connection().execute_query("SELECT 1")


async def readiness(
    workers: WorkerPool, scheduler_running: bool | None, leader: Leadership | None = None
) -> Readiness:
    """The database answers a query; the worker pool runs a task (the interactive lane, what a
    person waits for); the scheduler runs (None: this process has none, e.g. `hocba web`), and
    whether `leader` says this process leads its rounds."""
    checks = {
        "database": await _check("database", _database()),
        "workers": await _check("workers", workers.run(os.getpid)),
    }
    if scheduler_running is not None:
        checks["scheduler"] = "ok" if scheduler_running else "stopped"
    leads = await leader.leads() if leader is not None and scheduler_running else None
    return Readiness(checks, leads)


@dataclass(frozen=True)
class StateFigures:
    """The deployment's state as the database holds it now."""

    outbox: dict[str, int]  # delivery state → notifications in it
    oldest_waiting_seconds: float  # the oldest notification still to send (0: none)
    batches_open: int  # signing batches not ended
    documents_signed: int  # signing steps stored, ever (batch items done)
    records_issued: dict[str, int]  # record state → record versions


async def state_figures(now: dt.datetime) -> StateFigures:
    """Five grouped queries, whatever the size of the school."""
    outbox = dict(
        await Notification.all().group_by("state").annotate(n=Count("id")).values_list("state", "n")
    )
    oldest = (
        await Notification.filter(state__in=WAITING)
        .order_by("created_at")
        .first()
        .values_list("created_at", flat=True)
    )
    records = dict(
        await IssuedRecord.all().group_by("state").annotate(n=Count("id")).values_list("state", "n")
    )
    return StateFigures(
        outbox={DeliveryState(state).value: n for state, n in outbox.items()},
        oldest_waiting_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        batches_open=await SigningBatch.filter(state__in=BATCH_OPEN).count(),
        documents_signed=await BatchItem.filter(done=True).count(),
        records_issued={RecordState(state).value: n for state, n in records.items()},
    )
