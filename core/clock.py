"""The one clock and the one time zone of the record core.

Deadlines, locks, reminders, sign-in rate limits, signing times and the audit trail all ask
`now()`, so the whole system (core, jobs, bot, command line) can be moved to a chosen moment in
tests and rehearsals (`set_time`); in production it is simply the real time, in UTC.

The school's zone (`[school] timezone`, Asia/Ho_Chi_Minh by default) is set once at start-up
(`set_zone`) and drives every "which day is it at the school": dates printed, the morning of a
reminder, the deadline time of a day, the time shown on a signature stamp. Instants are kept in
UTC; only `local()` and `today()` turn them into the school's wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"


def _zone_named(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        if name != DEFAULT_ZONE:
            raise
        # no tz database on the host (tzdata is a dependency, so rare): Vietnam has been UTC+7
        # without daylight saving since 1975
        return dt.timezone(dt.timedelta(hours=7), "+07")


_fixed: dt.datetime | None = None
_zone: dt.tzinfo = _zone_named(DEFAULT_ZONE)


def now() -> dt.datetime:
    """This instant (timezone-aware, UTC), or the moment the clock was fixed at."""
    return _fixed if _fixed is not None else dt.datetime.now(dt.UTC)


def set_time(at: dt.datetime | None) -> None:
    """Fix the clock at `at` (timezone-aware), or back to real time with None."""
    global _fixed
    if at is not None and at.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware moment")
    # kept in UTC, as the real clock is: SQLite compares stored moments as text, so a moment
    # on the school's zone (+07:00) would sort wrongly against the UTC ones
    _fixed = at.astimezone(dt.UTC) if at is not None else None


@contextmanager
def staged(at: dt.datetime) -> Iterator[None]:
    """The clock fixed at `at` for a block, then back to what it was (real time, or the
    staging clock): the demo enters a year's data at a moment that year's gradebook was open,
    since every write is checked against the calendar's locks at the clock's time."""
    global _fixed
    before = _fixed
    set_time(at)
    try:
        yield
    finally:
        _fixed = before


def zone() -> dt.tzinfo:
    """The school's time zone."""
    return _zone


def set_zone(name_or_zone: str | dt.tzinfo) -> None:
    """Make the configured zone the school's (called once by the bootstrap)."""
    global _zone
    _zone = _zone_named(name_or_zone) if isinstance(name_or_zone, str) else name_or_zone


def local(at: dt.datetime | None = None) -> dt.datetime:
    """`at` (default: now) on the school's wall clock; a naive datetime is taken as UTC."""
    at = now() if at is None else at
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(_zone)


def today() -> dt.date:
    """The calendar day at the school now."""
    return local().date()


def at_school(day: dt.date, time: dt.time) -> dt.datetime:
    """The instant of a wall-clock `time` on `day` at the school."""
    return dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=_zone)
