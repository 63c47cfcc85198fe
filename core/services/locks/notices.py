"""What a change of lock leaves behind: its audit events, and the teachers it concerns told
through the outbox (in the caller's transaction)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable

from core import audit
from core.i18n import _
from core.models import Lock, Opening, SchoolClass, Staff, TeachingAssignment
from core.services.locks.check import describe
from core.services.locks.scopes import scope_label
from core.services.outbox import notify_staff

NOTIFY_LOCK = "lock"
NOTIFY_OPEN = "lock.open"
NOTIFY_RELOCK = "lock.relock"


async def affected(
    year_id: int, term: int | None, klass: int | None, subject: int | None
) -> list[Staff]:
    """Teachers whose writing a scope concerns: the subject teachers assigned in it, and the
    homeroom teachers of its classes unless it is one subject's."""
    assignments = TeachingAssignment.filter(school_class__year_id=year_id)
    classes = SchoolClass.filter(year_id=year_id)
    if klass is not None:
        assignments = assignments.filter(school_class_id=klass)
        classes = classes.filter(id=klass)
    if subject is not None:
        assignments = assignments.filter(subject_id=subject)
    ids = set(await assignments.values_list("staff_id", flat=True))
    if subject is None:
        ids |= {i for i in await classes.values_list("homeroom_id", flat=True) if i}
    return list(await Staff.filter(id__in=sorted(ids), active=True).order_by("id"))


async def notify(
    staff: Iterable[Staff], kind: str, key: str, text: Callable[[], str], now: dt.datetime
) -> None:
    for person in staff:
        await notify_staff(person, kind, text, dedupe_key=f"{key}:{person.id}", now=now)


def lock_event(lock: Lock, actor: str, action: str = "lock.apply") -> audit.Event:
    return audit.Event(
        actor,
        action,
        f"lock:{lock.id}",
        after={
            "scope": lock.key,
            "since": lock.since,
            "source": lock.source,
            "decided_by": lock.decided_by,
            "reason": lock.reason,
            "final": lock.final,
        },
    )


async def announce_lock(lock: Lock, now: dt.datetime) -> None:
    description = await describe(lock)
    staff = await affected(lock.year_id, lock.term_id, lock.school_class_id, lock.subject_id)

    def text() -> str:
        return _(
            "🔒 {lock}.\nTừ nay không nhập, sửa điểm trong phạm vi này được nữa. Nếu cần sửa, hãy "
            "lập phiếu đề nghị sửa điểm kèm minh chứng để Hiệu trưởng xem xét."
        ).format(lock=html.escape(description))

    await notify(staff, NOTIFY_LOCK, f"lock:{lock.id}", text, now)


def opening_label(opening: Opening) -> str:
    return scope_label(
        opening.year.name,
        opening.term.number if opening.term else None,
        opening.school_class.name if opening.school_class else None,
        opening.subject.name if opening.subject else None,
    )


def opening_event(opening: Opening, actor: str, action: str) -> audit.Event:
    return audit.Event(
        actor,
        action,
        f"opening:{opening.id}",
        after={
            "term_id": opening.term_id,
            "class_id": opening.school_class_id,
            "subject_id": opening.subject_id,
            "cell": opening.cell,
            "staff_id": opening.staff_id,
            "request_id": opening.request_id,
            "from": opening.opened_at,
            "until": opening.until,
            "reason": opening.reason,
            "decided_by": opening.decided_by,
            "closed_at": opening.closed_at,
        },
    )
