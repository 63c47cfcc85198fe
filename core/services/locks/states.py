"""What is locked now, as views show it, and the front ends' lock commands on the current
year ("/khoaso 6A Toán HK1", "/moso 6A | 24 | lý do")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import Lock, Opening, SchoolYear
from core.services.access import Actor
from core.services.locks.check import describe, overlaps
from core.services.locks.decisions import lock, unlock
from core.services.locks.fallen import binding_locks
from core.services.locks.scopes import parse_scope
from core.services.schools import current_year

_HOURS = re.compile(r"^\d{1,4}(?:[.,]\d{1,2})?$")


@dataclass(frozen=True)
class LockState:
    """A lock as views show it, with the openings running under it."""

    lock: Lock
    description: str
    openings: list[Opening]


async def lock_states(actor: Actor, year: SchoolYear, now: dt.datetime) -> list[LockState]:
    """The year's locks that bind at `now` (the calendar's included, recorded by the job or
    not yet) and their current openings, oldest first; anyone of the school sees them (a
    teacher needs to know why a write is refused)."""
    if year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    openings = await Opening.filter(
        year_id=year.id, closed_at__isnull=True, opened_at__lte=now, until__gt=now
    )
    states = []
    binding = await binding_locks([year.id], now)
    for row in sorted(binding, key=lambda lk: (lk.since, lk.id or 0)):
        ids = (row.term_id, row.school_class_id, row.subject_id)
        running = [o for o in openings if overlaps(o, *ids)]
        states.append(LockState(row, await describe(row), running))
    return states


async def current_lock_states(actor: Actor, now: dt.datetime) -> list[LockState]:
    """The locks of the school's current year (the bot's «🔒 Khóa sổ»)."""
    return await lock_states(actor, await current_year(actor.school_id), now)


@dataclass(frozen=True)
class Decided:
    """What a lock or an opening typed in the bot did: the scope as people say it, and when
    an opening ends (None for a lock)."""

    scope: str
    until: dt.datetime | None = None


async def lock_typed(actor: Actor, words: Sequence[str], *, now: dt.datetime) -> Decided:
    """The principal's «/khoaso 6A Toán HK1» in the current year."""
    scope = await parse_scope(await current_year(actor.school_id), words)
    await lock(actor, scope, now=now)
    return Decided(scope.label)


def _hours(text: str) -> dt.timedelta:
    """ "24", "1,5" or "1.5" hours; the limits are `unlock`'s."""
    if not _HOURS.match(text.strip()):
        raise InvalidValue(
            _("Số giờ «{value}» không hợp lệ: ghi một số, ví dụ 24 hoặc 1,5.").format(value=text)
        )
    return dt.timedelta(hours=float(Decimal(text.strip().replace(",", "."))))


async def unlock_typed(
    actor: Actor, words: Sequence[str], *, hours: str, reason: str, now: dt.datetime
) -> Decided:
    """The principal's «/moso 6A Toán HK1 | 24 | lý do» in the current year: open the scope
    for that many hours (at most `MAX_OPENING`, checked by `unlock`)."""
    until = now + _hours(hours)
    scope = await parse_scope(await current_year(actor.school_id), words)
    opening = await unlock(actor, scope, reason=reason, until=until, now=now)
    return Decided(scope.label, opening.until)
