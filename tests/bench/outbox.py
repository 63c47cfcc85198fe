"""Outbox benchmark: one notification to each of 2,000 teachers through the real delivery job.

`python -m tests.bench.outbox [--recipients N] [--faults] [--database URL]`

A real PTB Application (AIORateLimiter, JobQueue running `jobs.outbox.schedule`) sends to the
fake Telegram server. Prints the time to deliver everything, messages per second, the highest
number of sends the server saw in any one-second window (overall and per chat; Telegram allows
about 30 and 1), and how many notifications were lost or delivered twice. `--faults` makes the
server answer 500 to 50 sends and 429 (retry after 1 s) to 5 more along the way.
Figures, not assertions: the rate is set by the job's Pacer (25/s), so ~80 s for 2,000 is the
expected floor.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import logging
import tempfile
import time
from pathlib import Path

from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Defaults

from core.db import database
from core.models import Notification, Staff
from core.models.outbox import DeliveryState
from core.rules.catalog import SchoolLevel
from core.services import outbox
from core.services.outbox import Policy
from core.services.schools import create_school
from jobs.outbox import schedule
from tests.telegram_fake import FakeTelegramServer, application_builder, running_polling

FIRST_USER_ID = 500_000


async def _enqueue(recipients: int) -> None:
    school = await create_school("THCS-OUTBOX", "Trường THCS Outbox", SchoolLevel.LOWER_SECONDARY)
    await Staff.bulk_create(
        [
            Staff(
                school=school,
                code=f"GV{i:05d}",
                full_name=f"Giáo viên {i}",
                telegram_user_id=FIRST_USER_ID + i,
            )
            for i in range(recipients)
        ],
        batch_size=500,
    )
    for staff in await Staff.filter(school=school):
        await outbox.notify_staff(
            staff, "bench", f"Nhắc nhập điểm #{staff.code}", dedupe_key=f"bench:{staff.code}"
        )


async def _run(url: str, recipients: int, faults: bool) -> None:
    async with database(url), FakeTelegramServer() as server:
        for i in range(recipients):
            server.user(FIRST_USER_ID + i)
        await _enqueue(recipients)
        app = (
            application_builder(server)
            .defaults(Defaults(parse_mode=ParseMode.HTML))
            .rate_limiter(AIORateLimiter())
            .build()
        )
        # Short backoff so injected faults cost seconds, not the production quarter of an hour.
        schedule(app, interval=0.5, policy=Policy(base_delay=dt.timedelta(seconds=1)))
        if faults:
            server.fail_next("sendMessage", status=500, count=50)
        start = time.perf_counter()
        async with running_polling(app):
            if faults:
                await server.wait_until(
                    lambda: len(server.calls_to("sendMessage")) > recipients // 4, 60
                )
                server.fail_next("sendMessage", status=429, retry_after=1, count=5)
            await server.wait_until(
                lambda: sum(c.ok for c in server.calls_to("sendMessage")) >= recipients,
                timeout=recipients,
                what="every notification delivered",
            )
            elapsed = time.perf_counter() - start
            await asyncio.sleep(2)  # a duplicate, if any, would arrive now
        received = collections.Counter(
            c.params["text"] for c in server.calls_to("sendMessage") if c.ok
        )
        sent_rows = await Notification.filter(state=DeliveryState.SENT).count()
        expected = {f"Nhắc nhập điểm #GV{i:05d}" for i in range(recipients)}
        rows = [
            ("recipients", f"{recipients}"),
            ("delivered (rows marked sent)", f"{sent_rows}"),
            ("time to deliver all", f"{elapsed:.1f} s"),
            ("messages per second", f"{recipients / elapsed:.1f}"),
            ("highest sends in any 1 s (server)", f"{server.max_send_rate()}"),
            (
                "highest sends to one chat in any 1 s",
                f"{max(server.max_send_rate_per_chat().values())}",
            ),
            (
                "failed calls answered (500/429)",
                f"{sum(not c.ok for c in server.calls_to('sendMessage'))}",
            ),
            ("lost", f"{len(expected - received.keys())}"),
            ("duplicated", f"{sum(n - 1 for n in received.values() if n > 1)}"),
        ]
        width = max(len(name) for name, _value in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")


def main() -> None:
    # PTB logs every 429 it passes on with a traceback; the outbox handles them, the figures say.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--faults", action="store_true", help="inject 500s and 429s")
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite://{Path(directory) / 'outbox.sqlite3'}"
        asyncio.run(_run(url, args.recipients, args.faults))


if __name__ == "__main__":
    main()
