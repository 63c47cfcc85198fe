"""A correction's value goes through the check every write passes, so the calendar's locks
bind it at their time too, whether or not the lock job has run (issue 12, part 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core import clock
from core.models import AuditEvent, CorrectionItem, Lock, Mark, MarkKind, Opening, RequestState
from core.services import corrections
from core.services.calendar import load_calendar
from core.services.locks import ScopeLocked
from tests.corrections.conftest import School

SECOND = dt.timedelta(seconds=1)


async def test_a_value_applied_one_second_after_the_lock_is_refused(school: School) -> None:
    """The witnesses confirm ten minutes before term I's lock, while the sheet is open, so no
    cell is opened for the request; the teacher applies the approved value one second after
    the lock's time, the lock job never run: refused, naming the lock, and nothing is written
    (the mark, the item, the audit trail); one second before, the same value goes in."""
    falls = (await load_calendar(school.year)).moment("lock.term1")
    clock.set_time(falls - dt.timedelta(days=8))  # before the cut-off, a week before the lock
    teacher = await school.teacher()
    late, in_time = [
        await corrections.submit(teacher, school.draft(name=name), school.store)
        for name in ("Trần Thị Bình", "Nguyễn Văn An")
    ]
    clock.set_time(falls - dt.timedelta(minutes=10))
    for request in (late, in_time):
        await corrections.forward(await school.actor("QT01"), [request.id])
        await corrections.approve(await school.actor("HT01"), request.id)
        for code in ("HT01", "QT01", "TT01", "GV03", "GV02"):
            opened = await corrections.confirm_witness(await school.actor(code), request.id)
        assert opened.state == RequestState.OPEN
    assert not await Opening.exists()  # nothing was locked: no cell needed opening

    clock.set_time(falls - SECOND)
    (item,) = (await corrections.load_view(in_time.id)).items
    done = await corrections.apply_value(
        teacher, in_time.id, item.id, "7,5", school.store, school.workers
    )
    assert done.state == RequestState.APPLIED

    clock.set_time(falls + SECOND)
    (item,) = (await corrections.load_view(late.id)).items
    events = await AuditEvent.all().count()
    with pytest.raises(ScopeLocked) as refused:
        await corrections.apply_value(
            teacher, late.id, item.id, "7,5", school.store, school.workers
        )
    assert str(refused.value).startswith("Không ghi được: Sổ điểm học kỳ I"), str(refused.value)
    assert "«Khóa sổ học kỳ I»" in str(refused.value)
    assert not await Lock.exists()  # the job never ran: the clock decided
    bình = await Mark.get(
        student_id=school.students["Trần Thị Bình"],
        subject=school.subjects["NV"],
        term=school.terms[1],
        kind=MarkKind.REGULAR,
        index=1,
    )
    assert bình.score == Decimal(6)
    assert (await CorrectionItem.get(id=item.id)).applied_at is None
    assert await AuditEvent.all().count() == events
