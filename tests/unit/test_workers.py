"""The worker pool's processes keep the school's clock: the configured zone reaches them, so a
stamp or a page drawn in a worker shows the school's wall clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core import clock
from core.workers import WorkerPool


async def test_workers_take_the_schools_zone() -> None:
    before = clock.zone()
    clock.set_zone("Asia/Tokyo")  # any zone but the default
    pool = WorkerPool(1)
    try:
        assert await pool.run(clock.zone) == ZoneInfo("Asia/Tokyo")
        assert await pool.run_batch(clock.zone) == ZoneInfo("Asia/Tokyo")
        moment = dt.datetime(2026, 5, 31, 3, 0, tzinfo=dt.UTC)
        assert (await pool.run(clock.local, moment)).hour == 12
    finally:
        pool.shutdown()
        clock.set_zone(before)
