"""The minutes of a correction (Biên bản sửa chữa dữ liệu): their facts, read from the data,
and the PDF, drawn up in the worker pool (core.render.minutes does the drawing).

The facts are read again every time, so the minutes can be drawn up again at any moment and say
the same thing (`regenerate_minutes`); `closed_at` may be given, for the minutes drawn up just
before the request's close is recorded (core.services.corrections.session).
"""

from __future__ import annotations

import datetime as dt

from core import clock
from core.errors import InvalidValue
from core.i18n import _, current_language
from core.models import RequestState, Staff, Witness, WitnessRole
from core.render.minutes import ChangeLine, MinutesFacts, WitnessLine, render_minutes
from core.services.access import Actor
from core.services.corrections.cells import roman, shown
from core.services.corrections.views import RequestView, view_for
from core.workers import WorkerPool


async def minutes_facts(view: RequestView, closed_at: dt.datetime | None = None) -> MinutesFacts:
    """What the minutes of `view` say, in the current language and the school's zone."""
    request = view.request
    school = await request.school
    year = await view.school_class.year
    approver = await Staff.get_or_none(id=request.decided_by_id) if request.decided_by_id else None
    witnesses = await Witness.filter(request_id=request.id).prefetch_related("staff").order_by("id")
    return MinutesFacts(
        language=current_language(),
        zone=clock.zone(),
        school_name=school.name,
        province=school.province,
        number=request.number,
        created_at=request.created_at,
        teacher=view.teacher.full_name,
        student=view.student.full_name,
        school_class=view.school_class.name,
        subject=view.subject.name,
        term=roman(view.term.number),
        year=year.name,
        reason=request.reason,
        items=tuple(
            ChangeLine(i.column, shown(i.old), shown(i.new), i.applied_at if i.applied else None)
            for i in view.items
        ),
        evidence=tuple((e.name or e.mime, e.sha256, e.size) for e in view.evidence),
        approver=approver.full_name if approver else "",
        approved_at=request.decided_at,
        opened_at=request.opened_at,
        closed_at=closed_at or request.closed_at,
        witnesses=tuple(
            WitnessLine(WitnessRole(w.role).label, w.staff.full_name, w.confirmed_at)
            for w in witnesses
        ),
    )


async def draw_up(facts: MinutesFacts, workers: WorkerPool) -> bytes:
    """The PDF, rendered in a worker process so the bot keeps answering meanwhile."""
    return await workers.run(render_minutes, facts)


async def regenerate_minutes(actor: Actor, request_id: int, workers: WorkerPool) -> bytes:
    """The minutes again, from the data (the same facts give the same text)."""
    view = await view_for(actor, request_id)
    if view.state not in (RequestState.APPLIED, RequestState.EXPIRED):
        raise InvalidValue(_("Phiếu này chưa có biên bản: việc sửa chưa xong."))
    return await draw_up(await minutes_facts(view), workers)
