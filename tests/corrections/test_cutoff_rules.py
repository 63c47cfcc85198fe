"""The correction cut-off by the school's rule: a week before the lock (000 Điều 8, the
default), or a week before the term's exam of the class × subject (003 Điều 8.3): its recorded
day, else the calendar's assumed one (`periodic.days` before the term's end)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.models import CorrectionRequest
from core.services import corrections, school_rules
from core.services.calendar import load_calendar, record_test_date
from core.services.corrections.cutoff import cutoff
from tests.corrections.conftest import School


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(clock.zone()).strftime("%d/%m/%Y")


async def _cutoff(school: School) -> dt.datetime:
    teacher = await school.teacher()
    cell = await school.binh_nv_cell(teacher)
    return await cutoff(school.year, school.terms[1], cell)


async def test_a_week_before_the_lock_by_default(school: School, clock_at) -> None:
    cal = await load_calendar(school.year)
    last = cal.moment("lock.term1") - dt.timedelta(days=7)
    assert await _cutoff(school) == last
    clock_at(_day(last), "16:00")
    await corrections.submit(await school.teacher(), school.draft(), school.store)
    clock_at(_day(last + dt.timedelta(days=1)))
    with pytest.raises(corrections.PastCutoff, match="một tuần trước khi khóa sổ, 000 Điều 8"):
        await corrections.submit(await school.teacher(), school.draft(), school.store)


async def test_a_week_before_the_term_exam_where_the_school_decided(
    school: School, clock_at
) -> None:
    await school_rules.set_rule(await school.actor("HT01"), "correction_cutoff", "exam")
    ends = school.terms[1].ends
    assumed = ends - dt.timedelta(days=14)  # no exam day recorded: periodic.days before the end
    last = clock.at_school(assumed - dt.timedelta(days=7), dt.time(17, 0))
    assert await _cutoff(school) == last
    # between that day and the lock's cut-off: refused, saying why
    clock_at(_day(last + dt.timedelta(days=2)))
    before = await CorrectionRequest.all().count()
    with pytest.raises(corrections.PastCutoff, match="trước ngày kiểm tra cuối học kỳ, 003"):
        await corrections.submit(await school.teacher(), school.draft(), school.store)
    assert await CorrectionRequest.all().count() == before
    # the teacher records the day of the exam, later than assumed: the cut-off follows it
    exam = ends - dt.timedelta(days=3)
    teacher = await school.teacher()
    await record_test_date(
        teacher, school.classes["6A"], school.subjects["NV"], school.terms[1], "CK", exam
    )
    assert await _cutoff(school) == clock.at_school(exam - dt.timedelta(days=7), dt.time(17, 0))
    await corrections.submit(teacher, school.draft(), school.store)
    # another subject of the class keeps its own (assumed) exam day
    cal = await load_calendar(school.year)
    toan = school.subjects["TOAN"].id
    assert cal.correction_cutoff("lock.term1", school.classes["6A"].id, toan) == last
