"""The one clock of the record core.

Deadlines, locks, reminders, sign-in rate limits and the audit trail all ask `now()`, so the
whole system (core, jobs, bot) can be moved to a chosen moment in tests and demonstrations
(`set_time`), and in production it is simply the real time in UTC.
"""

from __future__ import annotations

import datetime as dt

_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    return _fixed if _fixed is not None else dt.datetime.now(dt.UTC)


def set_time(at: dt.datetime | None) -> None:
    """Fix the clock at `at` (timezone-aware), or back to real time with None."""
    global _fixed
    if at is not None and at.tzinfo is None:
        raise ValueError("the clock needs a timezone-aware moment")
    _fixed = at
