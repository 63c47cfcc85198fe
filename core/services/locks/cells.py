"""The correction flow's primitive: one cell opened for one teacher, closed again at once.

003, Điều 8, khoản 2: unlock, the teacher edits, the admin relocks at once. Only the named
teacher may write the cell meanwhile, and one opening is made per request.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from core import audit
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import Opening, SchoolYear, Staff
from core.services.access import Actor
from core.services.locks.check import Touch
from core.services.locks.decisions import decide, ensure_openable
from core.services.locks.notices import opening_event


async def open_cell(
    actor: Actor,
    cell: Touch,
    *,
    staff: Staff,
    request_id: str,
    until: dt.datetime,
    reason: str,
    now: dt.datetime,
    decided_by: Staff | None = None,
) -> Opening:
    """The correction flow's primitive: open exactly one cell, for exactly one teacher, until
    `until`, for an approved correction request (003, Điều 8, khoản 2: unlock, the teacher
    edits, the admin relocks at once). Only `staff` may write it meanwhile; `close_cell` locks
    it again as soon as the value is applied. One opening per request id."""
    year = await SchoolYear.get(id=cell.year_id)
    if year.school_id != actor.school_id or staff.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    decision = await decide(actor, decided_by)
    await ensure_openable(year, (cell.term_id, cell.class_id, cell.subject_id), until, now)
    async with in_transaction():
        if await Opening.exists(request_id=request_id):
            raise InvalidValue(
                _("Phiếu {request} đã được mở ô điểm một lần rồi.").format(request=request_id)
            )
        opening = await Opening.create(
            year_id=year.id,
            term_id=cell.term_id,
            school_class_id=cell.class_id,
            subject_id=cell.subject_id,
            cell=cell.cell,
            staff_id=staff.id,
            request_id=request_id,
            opened_at=now,
            until=until,
            reason=reason,
            decided_by=decision.name,
            decided_by_staff_id=decision.staff_id,
            executed_by=actor.label,
        )
        await audit.record(opening_event(opening, actor.label, "lock.cell_open"))
    return opening


async def close_cell(actor: Actor, request_id: str, *, now: dt.datetime) -> bool:
    """Lock a correction's cell again (right after the teacher applied the value); False if
    it was already closed. Audited."""
    async with in_transaction():
        opening = await Opening.get_or_none(request_id=request_id, closed_at__isnull=True)
        if opening is None:
            return False
        await Opening.filter(id=opening.id).update(closed_at=now)
        opening.closed_at = now
        await audit.record(opening_event(opening, actor.label, "lock.cell_close"))
    return True
