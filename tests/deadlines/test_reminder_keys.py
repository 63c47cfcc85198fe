"""A deadline's reminders are sent once per moment of the deadline, not once per its name: the
names (homeroom.term1@3d, entry.term2) come back every year and when the school postpones a
deadline, and the outbox's keys must not take next year's reminder, or the postponed one, for
one already sent."""

from __future__ import annotations

import datetime as dt

from core.services.calendar.changes import set_deadline
from core.services.reminders import QuietHours
from core.services.rounds import plan_round, send_plan

from .conftest import at

QUIET = QuietHours(dt.time(21, 0), dt.time(6, 30))


async def _round(small, day: str, hm: str = "17:00"):
    now = at(day, hm)
    plan = await plan_round(
        small.school, since=now - dt.timedelta(minutes=10), now=now, quiet=QUIET
    )
    return plan, await send_plan(plan)


async def test_a_postponed_deadline_is_reminded_and_reported_again(small, clock_at) -> None:
    clock_at("01/12/2025")
    await set_deadline(small.admin, small.year, "homeroom.term1", "08/01/2026")
    plan, sent = await _round(small, "05/01/2026")
    assert plan.reminders == ["homeroom.term1@3d"] and sent.added == 1
    _plan, again = await _round(small, "05/01/2026")  # the same round twice: nothing new
    assert again.added == 0
    passed, reported = await _round(small, "08/01/2026", "17:05")
    assert passed.escalated == ["homeroom.term1"] and reported.added == 2

    clock_at("09/01/2026")  # the school gives the homeroom teachers one more week
    await set_deadline(small.admin, small.year, "homeroom.term1", "22/01/2026")
    plan, sent = await _round(small, "19/01/2026")
    assert plan.reminders == ["homeroom.term1@3d"] and sent.added == 1
    passed, reported = await _round(small, "22/01/2026", "17:05")
    assert passed.escalated == ["homeroom.term1"] and reported.added == 2
