"""The deadline calendar: the regulations' defaults to the minute, edits, due dates, reminders."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import AuditEvent
from core.services import calendar, locks
from core.services.calendar import DeadlineKind, Lead, load_calendar, record_test_date
from core.services.calendar.changes import set_deadline

from .conftest import at


async def test_secondary_defaults(secondary) -> None:
    _school, year = secondary
    cal = await load_calendar(year)
    assert cal.values["regular.weekday"] == 6  # Saturday
    assert cal.values["deadline.time"] == dt.time(17, 0)
    assert cal.values["periodic.days"] == 14
    assert cal.values["correction.days"] == 7
    assert cal.moment("entry.term1") == at("15/01/2026")
    assert cal.moment("lock.term1") == at("29/01/2026")
    assert cal.moment("entry.term2") == at("31/05/2026")
    assert cal.moment("lock.term2") == cal.moment("lock.year") == at("30/06/2026")
    assert cal.moment("supplementary.end") == at("15/08/2026")
    assert cal.correction_cutoff("lock.year") == at("23/06/2026")
    assert "records" not in calendar.keys_for(cal.level)
    shown = {e.key: e for e in cal.entries()}
    assert shown["lock.year"].value == "17:00, Thứ Ba, 30/06/2026"
    assert shown["lock.year"].citation == "001 Điều 25.1; 002 mục 2"
    assert shown["regular.weekday"].value == "Thứ Bảy"
    assert not any(e.changed for e in shown.values())


async def test_primary_defaults_follow_the_school_plan(primary) -> None:
    _school, year = primary
    cal = await load_calendar(year)
    assert cal.moment("entry.term2") == at("25/05/2026")
    assert cal.moment("lock.year") == cal.moment("lock.term2") == at("25/05/2026")
    assert cal.moment("records") == at("27/05/2026")
    assert cal.moment("signatures") == at("29/05/2026")
    assert cal.moment("seal") == at("31/05/2026")
    assert cal.moment("supplementary.end") == at("15/08/2026")
    assert cal.correction_cutoff("lock.year") == at("18/05/2026")


async def test_due_dates_of_columns(small) -> None:
    cal = await load_calendar(small.year)
    # No test date known: the week of the term's end for regular marks, the term's end for
    # periodic ones, never after the term's entry deadline (Thursday 15/01/2026 17:00).
    assert cal.due(1, "TX1", regular=True) == at("15/01/2026")
    assert cal.due(1, "GK", regular=False) == at("15/01/2026")
    assert cal.week_deadline(dt.date(2025, 11, 4)) == at("08/11/2025")  # Tuesday -> Saturday
    assert cal.week_deadline(dt.date(2025, 11, 8)) == at("08/11/2025")  # Saturday itself
    assert cal.week_deadline(dt.date(2025, 11, 9)) == at("15/11/2025")  # Sunday -> next week

    klass, subject = small.classes["6A"], small.subjects["NV"]
    teacher = await small.actor("GV02")
    await record_test_date(teacher, klass, subject, small.terms[1], "gk", dt.date(2025, 11, 3))
    await record_test_date(teacher, klass, subject, small.terms[1], "TX2", dt.date(2025, 10, 1))
    cal = await load_calendar(small.year)
    ids = {"class_id": klass.id, "subject_id": subject.id}
    assert cal.due(1, "GK", regular=False, **ids) == at("17/11/2025")  # 14 days after the test
    assert cal.due(1, "TX2", regular=True, **ids) == at("04/10/2025")  # that week's Saturday
    assert cal.due(1, "GK", regular=False) == at("15/01/2026")  # another class: unchanged
    assert await AuditEvent.filter(action="calendar.test_date").count() == 2

    with pytest.raises(InvalidValue, match="ngoài học kỳ"):
        await record_test_date(teacher, klass, subject, small.terms[1], "CK", dt.date(2026, 3, 1))
    with pytest.raises(InvalidValue, match="Cột «X»"):
        await record_test_date(teacher, klass, subject, small.terms[1], "X", dt.date(2025, 11, 3))
    with pytest.raises(PermissionDenied):  # GV01 does not teach Ngữ văn
        await record_test_date(
            await small.actor("GV01"), klass, subject, small.terms[1], "CK", dt.date(2025, 12, 1)
        )


async def test_every_value_is_editable_and_audited(small, clock_at) -> None:
    clock_at("01/12/2025")  # in term I, far from every lock
    admin = small.admin
    entry = (
        await set_deadline(
            admin, small.year, "lock.year", "25/06/2026", decided_by=small.staff["HT01"]
        )
    ).entry
    assert entry.changed and entry.value == "17:00, Thứ Năm, 25/06/2026"
    await set_deadline(
        admin, small.year, "supplementary.end", "25/08/2026 12:00", decided_by=small.staff["HT01"]
    )
    await set_deadline(admin, small.year, "regular.weekday", "chủ nhật")
    await set_deadline(admin, small.year, "deadline.time", "20h", decided_by=small.staff["HT01"])
    await set_deadline(admin, small.year, "periodic.days", "10")
    cal = await load_calendar(small.year)
    assert cal.moment("lock.year") == at("25/06/2026")
    assert cal.moment("lock.term2") == at("25/06/2026")  # follows the year's, not set apart
    assert cal.moment("supplementary.end") == at("25/08/2026", "12:00")
    assert cal.week_deadline(dt.date(2025, 11, 4)) == at("09/11/2025", "20:00")
    assert cal.due(1, "CK", regular=False) == at("15/01/2026")  # capped by the entry deadline
    assert cal.changed == {
        "lock.year",
        "supplementary.end",
        "regular.weekday",
        "deadline.time",
        "periodic.days",
    }
    await set_deadline(admin, small.year, "regular.weekday", "T7")  # a second edit updates
    assert (await load_calendar(small.year)).values["regular.weekday"] == 6
    events = await AuditEvent.filter(action="calendar.set").order_by("seq")
    assert len(events) == 6
    assert events[0].before == {"value": "2026-06-30T17:00+07:00"}
    assert events[0].after == {  # a lock date: the principal's decision, named
        "value": "2026-06-25T17:00+07:00",
        "decided_by": "Hiệu trưởng Đỗ Thị Hiệu",
        "decided_by_staff": small.staff["HT01"].id,
        "lock_dates": ["lock.term2", "lock.year"],
    }
    assert "decided_by" not in events[2].after  # the weekday moves no lock: the admins keep it

    with pytest.raises(InvalidValue, match="ghi như 25/06/2026 hoặc 25/06/2026 17:00"):
        await set_deadline(
            admin, small.year, "lock.year", "31/02/2026", decided_by=small.staff["HT01"]
        )  # its own value shown
    with pytest.raises(InvalidValue, match="thứ 7"):
        await set_deadline(admin, small.year, "regular.weekday", "someday")
    with pytest.raises(NotFound, match="records"):  # a primary-school milestone
        await set_deadline(admin, small.year, "records", "27/05/2026")
    with pytest.raises(PermissionDenied):
        await set_deadline(await small.actor("GV01"), small.year, "lock.year", "01/07/2026")


async def test_a_fallen_lock_cannot_be_moved(small, clock_at) -> None:
    clock_at("01/12/2025")
    cal = await load_calendar(small.year)
    await locks.apply_due_locks(cal.moment("lock.term1"), small.school.id)
    with pytest.raises(InvalidValue, match="đã khóa"):
        await set_deadline(
            small.admin, small.year, "lock.term1", "01/03/2026", decided_by=small.staff["HT01"]
        )
    await set_deadline(
        small.admin, small.year, "lock.year", "29/06/2026", decided_by=small.staff["HT01"]
    )  # not fallen yet
    clock_at("30/06/2026", "10:00")  # its time has come, even before the job records it
    with pytest.raises(InvalidValue, match="«Khóa sổ năm học» đã khóa lúc 17:00"):
        await set_deadline(
            small.admin, small.year, "lock.year", "30/06/2026", decided_by=small.staff["HT01"]
        )


async def test_what_is_due_when(small) -> None:
    cal = await load_calendar(small.year)
    # Leads of 3 days, 1 day and the morning of: lock.term1 falls on 29/01/2026 at 17:00.
    reminders = cal.reminders_due(at("25/01/2026", "00:00"), at("29/01/2026", "08:00"))
    of_lock = [(r.lead.name, r.at) for r in reminders if r.deadline.key == "lock.term1"]
    assert of_lock == [
        ("3d", at("26/01/2026")),
        ("1d", at("28/01/2026")),
        ("morning", at("29/01/2026", "07:00")),
    ]
    assert {r.dedupe_key for r in reminders if r.deadline.key == "lock.term1"} == {
        "lock.term1@3d",
        "lock.term1@1d",
        "lock.term1@morning",
    }
    # Consecutive windows give each reminder once.
    split = cal.reminders_due(at("25/01/2026", "00:00"), at("27/01/2026", "00:00"))
    split += cal.reminders_due(at("27/01/2026", "00:00"), at("29/01/2026", "08:00"))
    assert split == reminders

    weekly = cal.deadlines(at("01/12/2025", "00:00"), at("14/12/2025", "00:00"))
    assert [(d.kind, d.at) for d in weekly] == [
        (DeadlineKind.REGULAR, at("06/12/2025")),
        (DeadlineKind.REGULAR, at("13/12/2025")),
    ]
    passed = cal.passed(at("15/01/2026", "12:00"), at("23/01/2026", "00:00"))
    assert [d.key for d in passed] == [
        "entry.term1",
        "homeroom.term1",  # the homeroom teacher's, following the entry deadline
        "regular:2026-01-17",
        "correction:lock.term1",
    ]
    assert passed[1].kind is DeadlineKind.HOMEROOM and passed[1].at == at("15/01/2026")
    assert passed[3].at == at("22/01/2026")
    assert cal.current_term(at("20/01/2026")) == 1
    assert cal.current_term(at("30/01/2026")) == 2
    assert cal.next_change(at("20/01/2026")) == at("29/01/2026")

    hourly = Lead.parse("12h")
    assert hourly.moment(at("29/01/2026")) == at("29/01/2026", "05:00")
    assert Lead.parse("morning@06:30").moment(at("29/01/2026")) == at("29/01/2026", "06:30")
    with pytest.raises(InvalidValue):
        Lead.parse("soon")
