"""Reminder benchmark: one reminder round for 2,000 teachers, delivered through the fake
Telegram server by the real outbox job.

`python -m tests.bench.reminders [--teachers N] [--students N] [--database URL]`

Builds a lower-secondary school where every teacher has one class × subject with nothing
entered yet (bulk inserts: the roster services audit every row, and building the school is not
what is measured), fixes the clock three days before term I's entry deadline, and runs
`run_round` once, timed: the school's progress, then one message per teacher, enqueued in one
transaction. A real PTB Application (AIORateLimiter, the outbox job `jobs.outbox.schedule`
with its Pacer) then delivers everything to the fake server.

Prints the round's time, the time to deliver all, messages per second, the highest number of
sends the server saw in any one-second window overall and per chat (Telegram allows about 30
and 1), lost and duplicated messages (both must be 0), messages that name a sheet other than
the teacher's own (0), and what running the same round again adds (nothing). Figures, not
assertions: the Pacer spaces sends at 25 a second, so ~80 s for 2,000 is the expected floor.
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

from core import clock
from core.db import database
from core.models import (
    Enrollment,
    Notification,
    Role,
    School,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    Subject,
    TeachingAssignment,
)
from core.models.outbox import DeliveryState
from core.rules.catalog import Assessment, SchoolLevel
from core.services.reminders import QuietHours
from core.services.rounds import run_round
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from jobs import outbox as outbox_job
from tests.telegram_fake import FakeTelegramServer, application_builder, running_polling

FIRST_USER_ID = 600_000
YEAR = "2025-2026"
NOW = dt.datetime(2026, 1, 12, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))  # 3 days
SINCE = NOW - dt.timedelta(hours=1)  # before term I's entry deadline, 15/01 17:00
QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))
BATCH = 500


async def _build_school(teachers: int, students_per_class: int) -> dict[int, str]:
    """Classes of grades 6–9, each with its scored subjects, one teacher per class × subject
    until there are `teachers`; nothing entered. Returns each teacher's chat → their sheet as
    the reminder names it ("6A3 — Toán")."""
    school = await create_school("THCS-NHAC", "Trường THCS Nhắc", SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, YEAR)
    subjects = [s for s in await Subject.filter(school=school) if s.assessment != Assessment.LEVELS]
    pairs: list[tuple[SchoolClass, Subject]] = []
    number = 0
    while len(pairs) < teachers:
        grade = 6 + number % 4
        number += 1
        school_class = await SchoolClass.create(year=year, name=f"{grade}A{number}", grade=grade)
        pairs += [(school_class, s) for s in subjects if s.yearly_periods(grade)]
    pairs = pairs[:teachers]
    classes = sorted({c.id: c for c, _s in pairs}.values(), key=lambda c: c.id)
    await Student.bulk_create(
        [
            Student(
                school=school,
                national_id=f"{c.id:06d}{n:06d}",
                full_name=f"Học Sinh {c.name} {n}",
                born=dt.date(2013, 1, 1),
                gender=Gender.FEMALE,
            )
            for c in classes
            for n in range(1, students_per_class + 1)
        ],
        batch_size=BATCH,
    )
    by_id = {s.national_id: s for s in await Student.filter(school=school)}
    await Enrollment.bulk_create(
        [
            Enrollment(student=by_id[f"{c.id:06d}{n:06d}"], school_class=c, year=year, number=n)
            for c in classes
            for n in range(1, students_per_class + 1)
        ],
        batch_size=BATCH,
    )
    await Staff.bulk_create(
        [
            Staff(
                school=school,
                code=f"GV{i:05d}",
                full_name=f"Giáo Viên {i}",
                telegram_user_id=FIRST_USER_ID + i,
            )
            for i in range(teachers)
        ],
        batch_size=BATCH,
    )
    staff = await Staff.filter(school=school).order_by("id")
    await StaffRole.bulk_create(
        [StaffRole(staff=s, role=Role.SUBJECT_TEACHER) for s in staff], batch_size=BATCH
    )
    await TeachingAssignment.bulk_create(
        [
            TeachingAssignment(staff=s, school_class=c, subject=subject)
            for s, (c, subject) in zip(staff, pairs, strict=True)
        ],
        batch_size=BATCH,
    )
    return {
        s.telegram_user_id: f"{c.name} — {subject.name}"
        for s, (c, subject) in zip(staff, pairs, strict=True)
    }


async def _round(school: School) -> tuple[float, int]:
    """Run the round once; its time and how many teachers it reminded."""
    start = time.perf_counter()
    result = await run_round(school, since=SINCE, now=NOW, quiet=QUIET)
    return time.perf_counter() - start, len(result.reminded)


async def _run(url: str, teachers: int, students: int) -> list[tuple[str, str]]:
    clock.set_time(NOW.astimezone(dt.UTC))  # the outbox's due times and leases read it too
    async with database(url), FakeTelegramServer() as server:
        start = time.perf_counter()
        sheets = await _build_school(teachers, students)
        built = time.perf_counter() - start
        for chat in sheets:
            server.user(chat)
        school = await School.get(code="THCS-NHAC")
        round_seconds, reminded = await _round(school)
        enqueued = await Notification.all().count()
        app = (
            application_builder(server)
            .defaults(Defaults(parse_mode=ParseMode.HTML))
            .rate_limiter(AIORateLimiter())
            .build()
        )
        outbox_job.schedule(app, interval=0.5)
        start = time.perf_counter()
        async with running_polling(app):
            await server.wait_until(
                lambda: sum(c.ok for c in server.calls_to("sendMessage")) >= reminded,
                timeout=reminded / 10 + 60,
                what="every reminder delivered",
            )
            elapsed = time.perf_counter() - start
            rerun_seconds, _again = await _round(school)
            await asyncio.sleep(2)  # a duplicate, or a second round's message, would come now
        delivered = [c for c in server.calls_to("sendMessage") if c.ok]
        per_chat = collections.Counter(c.chat_id for c in delivered)
        wrong = sum(sheets[c.chat_id] not in c.params["text"] for c in delivered)
        sent_rows = await Notification.filter(state=DeliveryState.SENT).count()
        return [
            ("teachers (each with one gap)", f"{teachers}"),
            ("school built (bulk insert)", f"{built:.1f} s"),
            ("run_round: teachers reminded", f"{reminded}"),
            ("run_round: time", f"{round_seconds:.2f} s"),
            ("delivered (rows marked sent)", f"{sent_rows}"),
            ("time to deliver all", f"{elapsed:.1f} s"),
            ("messages per second", f"{reminded / elapsed:.1f}"),
            ("highest sends in any 1 s (server)", f"{server.max_send_rate()}"),
            (
                "highest sends to one chat in any 1 s",
                f"{max(server.max_send_rate_per_chat().values())}",
            ),
            ("lost", f"{len(sheets.keys() - per_chat.keys())}"),
            ("duplicated", f"{sum(n - 1 for n in per_chat.values())}"),
            ("messages naming another sheet", f"{wrong}"),
            (
                "same round again: new rows, time",
                f"{await Notification.all().count() - enqueued}, {rerun_seconds:.2f} s",
            ),
        ]


def main() -> None:
    # PTB logs every 429 it passes on with a traceback; none is expected, the figures say.
    logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", type=int, default=2000)
    parser.add_argument("--students", type=int, default=5, help="students per class")
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.database or f"sqlite://{Path(directory) / 'reminders.sqlite3'}"
        try:
            rows = asyncio.run(_run(url, args.teachers, args.students))
        finally:
            clock.set_time(None)
    width = max(len(name) for name, _value in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
