"""The calendar's locks bind at their time, not when the lock job records them.

The lock job (jobs/locks.py, every minute) records each calendar lock once it has fallen, with
its audit event and the teachers' notifications. A write cannot wait for it: a mark accepted in
the minute between a lock's time and the job's next run, or in the hours the bot was down, would
slip past the lock (issue 12: "every write checks the calendar's locks against the clock, not
the lock job's last run"). So the check of every write (`binding_locks`) takes the locks
recorded and adds, unsaved, each calendar lock that has fallen at `now` and is not recorded
yet: the same Lock the job will record (`calendar_lock`), so the refusal says the same thing
before and after the job ran. After the supplementary-results deadline the lock is final
(001 Điều 25, khoản 4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from core.models import Lock, LockScope
from core.services.calendar import Calendar, calendars_of
from core.services.locks.scopes import scope_key

CALENDAR_ACTOR = "calendar"  # the audit actor of what the calendar does by itself


def calendar_lock(
    calendar: Calendar, key: str, at: dt.datetime, term: int | None, final: bool
) -> Lock:
    """The lock a calendar item (`Calendar.time_locks`) puts on its year, unsaved: the job
    records it as it is, the check of a write uses it as it is."""
    term_id = calendar.terms[term].id if term else None
    return Lock(
        year_id=calendar.year_id,
        scope=LockScope.TERM if term else LockScope.YEAR,
        term_id=term_id,
        key=scope_key(calendar.year_id, term_id, None, None, final),
        since=at,
        source=f"calendar:{key}",
        decided_by="",
        executed_by=CALENDAR_ACTOR,
        final=final,
    )


def fallen_locks(calendar: Calendar, now: dt.datetime) -> list[Lock]:
    """The calendar's locks that have fallen at `now`, unsaved."""
    return [calendar_lock(calendar, *fallen) for fallen in calendar.time_locks(now)]


async def binding_locks(year_ids: Iterable[int], now: dt.datetime) -> list[Lock]:
    """Every lock that binds the years at `now`: those recorded (by a decision or the job),
    and the calendar's fallen ones not recorded yet. Two queries, whatever the number of
    years (one for the locks, one for the calendars)."""
    year_ids = sorted(set(year_ids))
    recorded = await Lock.filter(year_id__in=year_ids)
    keys = {lk.key for lk in recorded}
    calendars = await calendars_of(year_ids)
    pending = [
        lk
        for calendar in calendars.values()
        for lk in fallen_locks(calendar, now)
        if lk.key not in keys
    ]
    return [*recorded, *pending]
