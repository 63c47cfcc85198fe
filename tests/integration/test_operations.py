"""What the operator's probes read (core.services.operations): readiness names the part that
fails, and the state figures count what the database holds, whatever process asks."""

from __future__ import annotations

import datetime as dt

from core import clock
from core.db import close_database, open_database
from core.leader import Leadership
from core.models import Notification, School
from core.models.outbox import DeliveryState
from core.services.operations import readiness, state_figures
from core.workers import WorkerPool


async def test_readiness_names_the_part_that_fails(secondary, db: str, workers: WorkerPool):
    leader = Leadership(db)
    try:
        running = await readiness(workers, scheduler_running=True, leader=leader)
    finally:
        await leader.close()
    assert running.checks == {"database": "ok", "workers": "ok", "scheduler": "ok"}
    assert running.ready and running.leads is True
    stopped = await readiness(workers, scheduler_running=False)
    assert not stopped.ready and stopped.checks["scheduler"] == "stopped"
    assert "scheduler" not in (await readiness(workers, None)).checks  # `hocba web`: none
    await close_database()
    try:
        down = await readiness(workers, None)
    finally:
        await open_database(db)
    assert not down.ready and down.checks["database"].startswith("error")
    assert down.checks["workers"] == "ok"


async def test_state_figures_count_the_outbox_and_its_oldest_waiting(secondary) -> None:
    school, _year = secondary
    now = clock.now()
    empty = await state_figures(now)
    assert (empty.outbox, empty.oldest_waiting_seconds, empty.batches_open) == ({}, 0.0, 0)
    for n, state in enumerate(
        [DeliveryState.PENDING, DeliveryState.PENDING, DeliveryState.SENT, DeliveryState.FAILED]
    ):
        await Notification.create(
            school=school,
            chat_id=1,
            kind="test",
            text="…",
            dedupe_key=f"test:{n}",
            state=state,
            next_attempt_at=now,
        )
    oldest = now - dt.timedelta(minutes=7)
    await Notification.filter(dedupe_key="test:1").update(created_at=oldest)
    await Notification.filter(dedupe_key="test:2").update(created_at=oldest - dt.timedelta(days=1))
    figures = await state_figures(now)
    assert figures.outbox == {"pending": 2, "sent": 1, "failed": 1}
    assert figures.oldest_waiting_seconds == 7 * 60  # the sent one is older, but sent
    assert (figures.documents_signed, figures.records_issued) == (0, {})
    assert await School.exists()
