"""What falls by itself: the calendar's locks at their time and the end of timed openings.

Both bind at their time without any job: the check of every write compares them with the
clock (core.services.locks.fallen, check). `apply_due_locks(now)`, run by a job (and scheduled
at `Calendar.next_change`), records each fallen lock and each ended opening exactly once,
whatever the number of runs, with what they leave behind: the audit event and the teachers
told.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, formatting
from core.i18n import _
from core.models import Lock, Opening, SchoolYear
from core.services.calendar import Calendar, load_calendar
from core.services.locks.fallen import CALENDAR_ACTOR, fallen_locks
from core.services.locks.notices import (
    NOTIFY_RELOCK,
    affected,
    announce_lock,
    lock_event,
    notify,
    opening_event,
    opening_label,
)


async def apply_calendar_locks(calendar: Calendar, now: dt.datetime) -> list[Lock]:
    """Record the calendar's fallen locks of a year that are not recorded yet."""
    applied = []
    for fallen in fallen_locks(calendar, now):
        async with in_transaction():
            created_lock, created = await Lock.get_or_create(
                key=fallen.key,
                defaults={
                    name: getattr(fallen, name)
                    for name in (
                        "year_id",
                        "scope",
                        "term_id",
                        "since",
                        "source",
                        "decided_by",
                        "executed_by",
                        "final",
                    )
                },
            )
            if created:
                await audit.record(lock_event(created_lock, CALENDAR_ACTOR))
                await announce_lock(created_lock, now)
                applied.append(created_lock)
    return applied


async def _relock(opening: Opening, now: dt.datetime) -> bool:
    """Record that an opening ended: once, audited, teachers told (not for a single cell:
    the correction flow writes its own minutes)."""
    async with in_transaction():
        if not await Opening.filter(id=opening.id, closed_at__isnull=True).update(
            closed_at=opening.until
        ):
            return False
        opening.closed_at = opening.until
        action = "lock.cell_close" if opening.cell else "lock.relock"
        await audit.record(opening_event(opening, CALENDAR_ACTOR, action))
        if opening.cell is None:
            await opening.fetch_related("year", "term", "school_class", "subject")
            label = opening_label(opening)
            staff = await affected(
                opening.year_id, opening.term_id, opening.school_class_id, opening.subject_id
            )

            def text() -> str:
                return _("🔒 Hết thời hạn mở: {scope} đã khóa lại từ {until}.").format(
                    scope=html.escape(label[:1].upper() + label[1:]),
                    until=formatting.date_time(opening.until),
                )

            await notify(staff, NOTIFY_RELOCK, f"relock:{opening.id}", text, now)
    return True


@dataclass
class Applied:
    """What one run of `apply_due_locks` did."""

    locked: list[Lock]
    relocked: list[Opening]


async def apply_due_locks(now: dt.datetime, school_id: int | None = None) -> Applied:
    """The lock job: record every calendar lock that has fallen by `now` and every opening
    that has ended, each exactly once, however often it runs (a re-run, or two workers, find
    them recorded). Neither waits for this to bind writes (`ensure_writable` compares both with
    the clock); this run makes them visible: audit events and the teachers' notifications."""
    years = SchoolYear.all() if school_id is None else SchoolYear.filter(school_id=school_id)
    applied = Applied([], [])
    for year in await years.order_by("id"):
        applied.locked += await apply_calendar_locks(await load_calendar(year), now)
    ended = Opening.filter(closed_at__isnull=True, until__lte=now)
    if school_id is not None:
        ended = ended.filter(year__school_id=school_id)
    for opening in await ended.order_by("until", "id"):
        if await _relock(opening, now):
            applied.relocked.append(opening)
    return applied
