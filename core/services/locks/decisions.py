"""The principal's decisions: lock a scope, or open one for a limited time with a reason.

The principal decides when the book locks and opens (regulation 003, Điều 3, khoản 3; 000 Điều
3: "Quyết định thời điểm khóa/mở học bạ số"; 004 Điều 15.1); the admins execute (003, Điều 6,
khoản 2; 000 Điều 6; 004 Điều 14.2). Calendar lock dates follow the same rule
(core.services.calendar.lock_dates). So `lock` and `unlock` take an actor who is the
principal, or an admin naming the principal who decided. An opening lasts at most
`MAX_OPENING`, whatever the front end: the bot and the command line are refused alike.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import Lock, Opening, Role, SchoolYear, Staff
from core.services.access import Actor
from core.services.calendar import load_calendar
from core.services.frozen import class_closed
from core.services.locks.check import describe, overlaps
from core.services.locks.due import apply_calendar_locks
from core.services.locks.notices import (
    NOTIFY_OPEN,
    affected,
    announce_lock,
    lock_event,
    notify,
    opening_event,
)
from core.services.locks.scopes import Scope

# The longest a principal's opening may last: long enough for a teacher back from leave to
# catch up on a term, short enough that an opening is never a way to leave the book unlocked.
MAX_OPENING = dt.timedelta(days=14)


@dataclass(frozen=True)
class Decision:
    """Who decided, as stored and shown."""

    name: str
    staff_id: int | None


async def decide(actor: Actor, decided_by: Staff | None) -> Decision:
    """The principal decides; an admin executes on the principal's decision, naming them."""
    if actor.has(Role.PRINCIPAL) and actor.staff_id is not None and decided_by is None:
        me = await Staff.get(id=actor.staff_id)
        return Decision(_("Hiệu trưởng {name}").format(name=me.full_name), me.id)
    if not actor.has(Role.ADMIN, Role.PRINCIPAL):
        raise PermissionDenied(
            _("Chỉ Hiệu trưởng quyết định khóa, mở sổ; quản trị học bạ số thực hiện.")
        )
    if decided_by is None:
        raise InvalidValue(
            _(
                "Quản trị thực hiện khóa, mở sổ theo quyết định của Hiệu trưởng: "
                "hãy nêu người quyết định."
            )
        )
    is_principal = await decided_by.roles.filter(role=Role.PRINCIPAL).exists()
    if decided_by.school_id != actor.school_id or not is_principal:
        raise PermissionDenied(
            _(
                "{name} không phải Hiệu trưởng của trường, không quyết định khóa, mở sổ được."
            ).format(name=decided_by.full_name)
        )
    return Decision(_("Hiệu trưởng {name}").format(name=decided_by.full_name), decided_by.id)


async def lock(
    actor: Actor,
    scope: Scope,
    *,
    now: dt.datetime,
    decided_by: Staff | None = None,
    reason: str = "",
) -> Lock:
    """Lock a scope from `now` on the principal's decision; audited, teachers told."""
    if scope.year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    decision = await decide(actor, decided_by)
    async with in_transaction():
        existing = await Lock.get_or_none(key=scope.key)
        if existing is not None:
            raise InvalidValue(_("Đã khóa rồi: {lock}.").format(lock=await describe(existing)))
        term, klass, subject = scope.ids
        created = await Lock.create(
            year_id=scope.year.id,
            scope=scope.kind,
            term_id=term,
            school_class_id=klass,
            subject_id=subject,
            key=scope.key,
            since=now,
            source="decision",
            decided_by=decision.name,
            decided_by_staff_id=decision.staff_id,
            executed_by=actor.label,
            reason=reason.strip(),
        )
        await audit.record(lock_event(created, actor.label))
        await announce_lock(created, now)
    return created


async def ensure_openable(
    year: SchoolYear,
    ids: tuple[int | None, int | None, int | None],
    until: dt.datetime,
    now: dt.datetime,
) -> None:
    """Something under the scope is locked, nothing final is, and the opening ends in time:
    after `now`, within `MAX_OPENING`, before the data is final."""
    if until <= now:
        raise InvalidValue(_("Thời hạn mở phải sau thời điểm hiện tại."))
    if until - now > MAX_OPENING:
        raise InvalidValue(_("Thời hạn mở từ vài phút đến 14 ngày (336 giờ)."))
    calendar = await load_calendar(year)
    await apply_calendar_locks(calendar, now)
    locks = [lk for lk in await Lock.filter(year_id=year.id) if overlaps(lk, *ids)]
    if not locks and not await class_closed(ids[1]):  # a closed class is frozen: see frozen
        raise NotFound(_("Phạm vi này đang không bị khóa: không cần mở."))
    final = calendar.moment("supplementary.end")
    if any(lk.final for lk in locks) or until > final:
        raise InvalidValue(
            _(
                "Không mở được sau {final}: từ đó dữ liệu học bạ đã chốt, không được sửa "
                "(Quy chế học bạ số, Điều 25, khoản 4)."
            ).format(final=formatting.date_time(final))
        )


async def unlock(
    actor: Actor,
    scope: Scope,
    *,
    reason: str,
    until: dt.datetime,
    now: dt.datetime,
    decided_by: Staff | None = None,
) -> Opening:
    """Open a locked scope until `until` on the principal's decision, with its reason; the
    scope locks again by itself at `until`. Audited; the affected teachers are told."""
    if scope.year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    if not reason.strip():
        raise InvalidValue(_("Mở sổ cần ghi lý do."))
    decision = await decide(actor, decided_by)
    await ensure_openable(scope.year, scope.ids, until, now)
    term, klass, subject = scope.ids
    async with in_transaction():
        opening = await Opening.create(
            year_id=scope.year.id,
            term_id=term,
            school_class_id=klass,
            subject_id=subject,
            opened_at=now,
            until=until,
            reason=reason.strip(),
            decided_by=decision.name,
            decided_by_staff_id=decision.staff_id,
            executed_by=actor.label,
        )
        await audit.record(opening_event(opening, actor.label, "lock.open"))
        staff = await affected(scope.year.id, term, klass, subject)
        label = scope.label

        def text() -> str:
            return _(
                "🔓 {scope} được mở đến {until} theo quyết định của {who}.\nLý do: {reason}.\n"
                "Sau thời hạn này sổ tự khóa lại."
            ).format(
                scope=html.escape(label[:1].upper() + label[1:]),
                until=formatting.date_time(until),
                who=html.escape(decision.name),
                reason=html.escape(reason.strip()),
            )

        await notify(staff, NOTIFY_OPEN, f"open:{opening.id}", text, now)
    return opening
