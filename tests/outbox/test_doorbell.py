"""The doorbell (core.services.outbox.doorbell): a ring wakes the jobs of this process once,
only when something was enqueued since the last ring; on PostgreSQL it also wakes the other
processes of the deployment (not another deployment's); on SQLite, one process, nobody else."""

from __future__ import annotations

import asyncio
import os

from core.services import outbox
from core.services.outbox.doorbell import BATCH, OUTBOX, Doorbell
from tests.conftest import POSTGRES_URL


def _recorder(bell: Doorbell) -> list[str]:
    heard: list[str] = []
    for what in (OUTBOX, BATCH):
        bell.answer_with(lambda what=what: heard.append(what), what)
    return heard


async def _settled(heard: list[str], count: int) -> list[str]:
    """`heard` once it holds `count` rings (or after 5 s), and a moment more for any extra."""
    for _ in range(500):
        if len(heard) >= count:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    return heard


async def test_a_ring_wakes_this_process_once_for_what_was_enqueued(db: str, make_staff) -> None:
    bell = Doorbell(db)
    heard = _recorder(bell)
    try:
        await bell.listen()
        await bell.ring()
        assert heard == []
        member = await make_staff(telegram_user_id=5152)
        await outbox.notify_staff(member, "t", "xin chào", dedupe_key="hello")
        await bell.ring()
        await bell.ring()
        assert await _settled(heard, 1) == [OUTBOX]  # its own ring heard back is ignored
    finally:
        await bell.close()


async def test_a_ring_reaches_the_other_processes_of_the_deployment(db: str, make_staff) -> None:
    bot, worker = Doorbell(db), Doorbell(db)
    elsewhere = Doorbell(f"{POSTGRES_URL}?schema=hocba_elsewhere_{os.getpid()}")
    at_worker, at_elsewhere = _recorder(worker), _recorder(elsewhere)
    try:
        for bell in (worker, elsewhere, bot):
            await bell.listen()
        await bot.ring_for_batch()
        member = await make_staff(telegram_user_id=5151)
        await outbox.notify_staff(member, "t", "xin chào", dedupe_key="hello")
        await bot.ring()
        reached = [BATCH, OUTBOX] if db.startswith("postgres") else []
        assert await _settled(at_worker, len(reached)) == reached
        assert at_elsewhere == []
    finally:
        for bell in (bot, worker, elsewhere):
            await bell.close()
