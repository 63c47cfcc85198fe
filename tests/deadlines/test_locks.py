"""Locks: who decides, the automatic lock at its time, refusals through every write path,
timed openings that relock by themselves, the correction's single cell, notifications and audit.

The gradebook's check reads the clock; these tests run in a year still to come (see conftest),
so "now" is the wall clock and calendar moments are that year's, unless a test moves the clock
to a lock's time: a calendar lock binds from that second, the lock job never run (issue 12).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from tortoise.transactions import in_transaction

from core import clock, formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.importing import import_file
from core.models import (
    Absence,
    AuditEvent,
    Conduct,
    Lock,
    Mark,
    MarkKind,
    Notification,
    Opening,
)
from core.rules.secondary import Level
from core.services import gradebook, locks, school_rules
from core.services.calendar import load_calendar
from core.services.calendar.changes import Held, set_deadline
from core.services.locks import (
    ScopeLocked,
    Touch,
    ensure_before_final,
    ensure_writable,
    parse_scope,
)
from core.services.templates import grade_sheet_template

HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def nv_scope(small):
    return await parse_scope(small.year, ["6A", "Ngữ", "văn", "HK1"])


async def write_ck(small, actor, name: str = "Trần Thị Bình"):
    entry = small.mark(name, "6A", "NV", MarkKind.FINAL, 1, 5)
    return await gradebook.write_marks(actor, [entry])


async def filled_sheet(small, actor, workers) -> bytes:
    """GV02's template of 6A Ngữ văn term I, with the missing marks filled in."""
    template = await grade_sheet_template(
        actor, small.classes["6A"], small.subjects["NV"], small.terms[1], workers=workers
    )
    book = load_workbook(io.BytesIO(template.data))
    sheet = book["Bảng điểm"]
    sheet["G7"] = 6.5  # Bình's TX4
    sheet["I7"] = 7  # Bình's CK
    sheet["I8"] = "8,5"  # Chi's CK
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_principal_decides_admin_executes(upcoming) -> None:
    small = upcoming
    scope = await nv_scope(small)
    assert scope.kind == "class_subject" and "môn Ngữ văn" in scope.label
    with pytest.raises(PermissionDenied):  # a teacher neither decides nor executes
        await locks.lock(await small.actor("GV02"), scope, now=now())
    with pytest.raises(InvalidValue, match="người quyết định"):  # an admin names the principal
        await locks.lock(small.admin, scope, now=now())
    with pytest.raises(PermissionDenied, match="không phải Hiệu trưởng"):
        await locks.lock(small.admin, scope, now=now(), decided_by=small.staff["GV01"])

    done = await locks.lock(
        small.admin, scope, now=now(), decided_by=small.staff["HT01"], reason="Hết học kỳ"
    )
    assert (done.decided_by, done.executed_by, done.source) == (
        "Hiệu trưởng Đỗ Thị Hiệu",
        "cli",
        "decision",
    )
    with pytest.raises(InvalidValue, match="Đã khóa rồi"):
        await locks.lock(await small.actor("HT01"), scope, now=now())

    term = await locks.lock(
        await small.actor("HT01"), await parse_scope(small.year, ["HK2"]), now=now()
    )
    assert term.decided_by_staff_id == small.staff["HT01"].id
    event = await AuditEvent.get(action="lock.apply", target=f"lock:{done.id}")
    assert event.actor == "cli" and event.after["decided_by"] == "Hiệu trưởng Đỗ Thị Hiệu"


async def test_a_locked_scope_refuses_every_entry_point(upcoming, workers) -> None:
    small = upcoming
    teacher = await small.actor("GV02")
    sheet = await filled_sheet(small, teacher, workers=workers)  # taken before the lock
    await locks.lock(await small.actor("HT01"), await nv_scope(small), now=now())

    with pytest.raises(ScopeLocked) as refused:  # the gradebook service directly
        await write_ck(small, teacher)
    message = str(refused.value)
    assert "Sổ điểm lớp 6A, môn Ngữ văn, học kỳ I" in message
    assert "đã khóa từ" in message and "theo quyết định của Hiệu trưởng Đỗ Thị Hiệu" in message
    assert "Chỉ Hiệu trưởng (Đỗ Thị Hiệu) mở được" in message

    with pytest.raises(ScopeLocked, match="môn Ngữ văn"):  # the spreadsheet importer
        await import_file(teacher, small.year, "marks", sheet, "bang-diem.xlsx", workers=workers)
    await school_rules.set_rule(small.admin, "admin_enters_marks", "yes", decided_by="HT01")
    with pytest.raises(ScopeLocked):  # an admin entering for the teacher (nhập hộ) too
        await write_ck(small, small.admin)
    assert not await Mark.exists(kind=MarkKind.FINAL, subject=small.subjects["NV"], score=5)
    assert await Mark.filter(subject=small.subjects["NV"], kind=MarkKind.FINAL).count() == 1

    # Outside the locked scope everything goes on: another subject, the homeroom's conduct.
    await gradebook.write_marks(
        await small.actor("GV01"), [small.mark("Trần Thị Bình", "6A", "TOAN", MarkKind.FINAL, 1, 9)]
    )


async def test_the_calendar_lock_falls_at_its_time(upcoming) -> None:
    small = upcoming
    cal = await load_calendar(small.year)
    falls = cal.moment("lock.term1")
    assert cal.next_change(now()) == falls
    before = await locks.apply_due_locks(falls - dt.timedelta(minutes=1), small.school.id)
    assert before.locked == [] and before.relocked == []
    await write_ck(small, await small.actor("GV02"))

    applied = await locks.apply_due_locks(falls, small.school.id)
    (fallen,) = applied.locked
    assert (fallen.scope, fallen.source, fallen.since) == ("term", "calendar:lock.term1", falls)
    again = await locks.apply_due_locks(falls + HOUR, small.school.id)  # a re-run: nothing new
    assert again.locked == [] and await Lock.all().count() == 1
    with pytest.raises(ScopeLocked, match="theo lịch khóa sổ của trường"):
        await write_ck(small, await small.actor("GV02"), "Phạm Thị Chi")
    # Term I's lock: every teacher of the year and the homeroom teacher are told, once.
    told = await Notification.filter(kind="lock").values_list("staff__code", flat=True)
    assert sorted(told) == ["GV01", "GV02", "GV03"]
    assert await AuditEvent.filter(action="lock.apply", actor="calendar").count() == 1


async def test_a_timed_unlock_relocks_by_itself(upcoming) -> None:
    small = upcoming
    principal = await small.actor("HT01")
    scope = await nv_scope(small)
    await locks.lock(principal, scope, now=now())
    with pytest.raises(InvalidValue, match="lý do"):
        await locks.unlock(principal, scope, reason=" ", until=now() + HOUR, now=now())
    with pytest.raises(NotFound, match="không bị khóa"):
        await locks.unlock(
            principal,
            await parse_scope(small.year, ["6B"]),
            reason="x",
            until=now() + HOUR,
            now=now(),
        )
    start = now()
    opening = await locks.unlock(
        principal, scope, reason="Nhập bù điểm CK", until=start + HOUR, now=start
    )
    teacher = await small.actor("GV02")
    assert (await write_ck(small, teacher)).created == 1  # open: the write goes through
    chi_ck = small.mark("Phạm Thị Chi", "6A", "NV", MarkKind.FINAL, 1, 5)
    cell = Touch.of(chi_ck, small.cell("Phạm Thị Chi", "NV", "CK"))
    await ensure_writable(teacher, [cell], start + HOUR / 2)
    with pytest.raises(ScopeLocked):  # after `until` the check refuses, before any job ran
        await ensure_writable(teacher, [cell], start + 2 * HOUR)

    applied = await locks.apply_due_locks(start + 2 * HOUR, small.school.id)
    assert [o.id for o in applied.relocked] == [opening.id]
    assert (await Opening.get(id=opening.id)).closed_at == start + HOUR
    assert (await locks.apply_due_locks(start + 3 * HOUR, small.school.id)).relocked == []
    with pytest.raises(ScopeLocked):
        await write_ck(small, teacher, "Phạm Thị Chi")
    kinds = (
        await Notification.filter(staff=small.staff["GV02"])
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["lock", "lock.open", "lock.relock"]
    actions = (
        await AuditEvent.filter(action__startswith="lock.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["lock.apply", "lock.open", "lock.relock"]


async def test_an_opening_lasts_at_most_fourteen_days(upcoming) -> None:
    """Whatever the front end: the core refuses a longer opening (the command line once
    accepted any length), and the bot's typed hours go through the same rule."""
    small = upcoming
    principal = await small.actor("HT01")
    scope = await nv_scope(small)
    start = now()
    await locks.lock(principal, scope, now=start)
    too_long = start + locks.MAX_OPENING + dt.timedelta(minutes=1)
    with pytest.raises(InvalidValue, match="14 ngày"):
        await locks.unlock(principal, scope, reason="Nhập bù", until=too_long, now=start)
    with pytest.raises(InvalidValue, match="14 ngày"):
        await locks.unlock_typed(
            principal, ["6A", "Ngữ", "văn", "HK1"], hours="337", reason="Nhập bù", now=start
        )
    with pytest.raises(InvalidValue, match="Số giờ «nhiều» không hợp lệ"):
        await locks.unlock_typed(
            principal, ["6A", "Ngữ", "văn", "HK1"], hours="nhiều", reason="Nhập bù", now=start
        )
    assert not await Opening.exists()
    decided = await locks.unlock_typed(
        principal, ["6A", "Ngữ", "văn", "HK1"], hours="336", reason="Nhập bù", now=start
    )
    assert decided.until == start + locks.MAX_OPENING and "môn Ngữ văn" in decided.scope


async def test_the_correction_opens_one_cell_for_one_teacher(upcoming) -> None:
    small = upcoming
    principal = await small.actor("HT01")
    await locks.lock(principal, await nv_scope(small), now=now())
    teacher = await small.actor("GV02")
    bình_ck = small.mark("Trần Thị Bình", "6A", "NV", MarkKind.FINAL, 1, 5)
    cell = Touch.of(bình_ck, small.cell("Trần Thị Bình", "NV", "CK"))
    opening = await locks.open_cell(
        small.admin,
        cell,
        staff=small.staff["GV02"],
        request_id="PDN-0001",
        until=now() + HOUR,
        reason="Nhập nhầm điểm CK",
        now=now(),
        decided_by=small.staff["HT01"],
    )
    assert (opening.staff_id, opening.request_id) == (small.staff["GV02"].id, "PDN-0001")
    with pytest.raises(ScopeLocked):  # another cell of the same sheet
        await write_ck(small, teacher, "Phạm Thị Chi")
    await school_rules.set_rule(small.admin, "admin_enters_marks", "yes", decided_by="HT01")
    with pytest.raises(ScopeLocked):  # the same cell, someone else (an admin, nhập hộ)
        await write_ck(small, small.admin)
    with pytest.raises(ScopeLocked):  # the cell together with another one
        await gradebook.write_marks(
            teacher, [bình_ck, small.mark("Phạm Thị Chi", "6A", "NV", MarkKind.FINAL, 1, 5)]
        )
    assert (await write_ck(small, teacher)).created == 1  # exactly that cell, that teacher

    assert await locks.close_cell(small.admin, "PDN-0001", now=now())
    assert not await locks.close_cell(small.admin, "PDN-0001", now=now())
    with pytest.raises(ScopeLocked):  # locked again at once
        await gradebook.write_marks(
            teacher, [small.mark("Trần Thị Bình", "6A", "NV", MarkKind.FINAL, 1, 6)]
        )
    with pytest.raises(InvalidValue, match="PDN-0001"):
        await locks.open_cell(
            principal,
            cell,
            staff=small.staff["GV02"],
            request_id="PDN-0001",
            until=now() + HOUR,
            reason="lần hai",
            now=now(),
        )
    actions = await AuditEvent.filter(action__startswith="lock.cell").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["lock.cell_close", "lock.cell_open"]


async def test_nothing_opens_after_the_supplementary_deadline(upcoming) -> None:
    small = upcoming
    cal = await load_calendar(small.year)
    end = cal.moment("supplementary.end")
    applied = await locks.apply_due_locks(end, small.school.id)
    assert [lk.source for lk in applied.locked] == [
        "calendar:lock.term1",
        "calendar:lock.term2",
        "calendar:lock.year",
        "calendar:supplementary.end",
    ]
    with pytest.raises(ScopeLocked, match="không ai được sửa"):
        await write_ck(small, await small.actor("GV02"))
    with pytest.raises(InvalidValue, match="Điều 25"):
        await locks.unlock(
            await small.actor("HT01"), await nv_scope(small), reason="x", until=end + HOUR, now=end
        )


async def test_notifications_commit_with_the_lock_or_not_at_all(upcoming) -> None:
    small = upcoming
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await locks.lock(await small.actor("HT01"), await nv_scope(small), now=now())
            assert await Notification.filter(kind="lock").count() == 1
            raise RuntimeError("the caller's transaction fails")
    assert not await Lock.exists()
    assert not await Notification.exists()
    assert not await AuditEvent.filter(action="lock.apply").exists()

    await locks.lock(await small.actor("HT01"), await nv_scope(small), now=now())
    (note,) = await Notification.filter(kind="lock").prefetch_related("staff")
    assert note.staff.code == "GV02"  # only the teacher of the locked class × subject
    assert "Ngữ văn" in note.text and "phiếu đề nghị sửa điểm" in note.text


async def test_setting_a_lock_date_moves_the_automatic_lock(upcoming, clock_at) -> None:
    small = upcoming
    clock_at(f"20/01/{small.year.name[5:]}", "10:00")  # term II has begun; term I locks on 29/01
    soon = clock.now() + dt.timedelta(minutes=5)
    typed = clock.local(soon).strftime("%d/%m/%Y %H:%M")
    held = await set_deadline(
        small.admin, small.year, "lock.term1", typed, decided_by=small.staff["HT01"]
    )
    assert isinstance(held, Held)  # it would lock within the hour: confirmed first
    await set_deadline(
        small.admin,
        small.year,
        "lock.term1",
        typed,
        confirm=held.stamp,
        decided_by=small.staff["HT01"],
    )
    cal = await load_calendar(small.year)
    assert abs(cal.moment("lock.term1") - soon) < dt.timedelta(minutes=1)
    assert (await locks.apply_due_locks(soon + HOUR, small.school.id)).locked[
        0
    ].term_id == small.terms[1].id


async def test_a_calendar_lock_binds_at_its_time_the_job_never_run(upcoming, workers) -> None:
    """One second after term I's lock, a mark, the homeroom teacher's cells (conduct, days
    absent) and a grade sheet are refused although the lock job never ran (nothing recorded);
    one second before, all are accepted. The refusal is the one the recorded lock gives, and
    the lock shows among the year's locks."""
    small = upcoming
    teacher, homeroom = await small.actor("GV02"), await small.actor("GV03")
    sheet = await filled_sheet(small, teacher, workers)  # GV02's sheet, taken in time
    chi = small.students["Phạm Thị Chi"]
    conduct = gradebook.ConductEntry(chi, small.classes["6A"], small.terms[1], Level.GOOD)
    absent = gradebook.AbsenceEntry(chi, small.classes["6A"], small.terms[1], 2, 1)
    falls = (await load_calendar(small.year)).moment("lock.term1")
    events = await AuditEvent.all().count()
    refusal = (
        f"Không ghi được: Sổ điểm học kỳ I (năm học {small.year.name}) đã khóa từ "
        f"{formatting.date_time(falls)}, theo lịch khóa sổ của trường («Khóa sổ học kỳ I»). "
        "Chỉ Hiệu trưởng (Đỗ Thị Hiệu) mở được"
    )

    clock.set_time(falls + SECOND)
    for write in (
        lambda: write_ck(small, teacher),
        lambda: gradebook.write_conducts(homeroom, [conduct]),
        lambda: gradebook.write_absences(homeroom, [absent]),
        lambda: import_file(teacher, small.year, "marks", sheet, "bang-diem.xlsx", workers=workers),
    ):
        with pytest.raises(ScopeLocked) as refused:
            await write()
        assert str(refused.value).startswith(refusal), str(refused.value)
    assert not await Lock.exists()  # the job never ran: nothing recorded, the clock decided
    assert await Mark.filter(subject=small.subjects["NV"], kind=MarkKind.FINAL).count() == 1
    assert not await Conduct.exists(student_id=chi)
    assert not await Absence.exists(student_id=chi)
    assert await AuditEvent.all().count() == events
    (shown,) = await locks.lock_states(small.admin, small.year, clock.now())
    assert shown.lock.since == falls and "«Khóa sổ học kỳ I»" in shown.description

    clock.set_time(falls - SECOND)
    assert (await write_ck(small, teacher)).created == 1
    assert (await gradebook.write_conducts(homeroom, [conduct])).created == 1
    assert (await gradebook.write_absences(homeroom, [absent])).created == 1
    report = await import_file(teacher, small.year, "marks", sheet, "x.xlsx", workers=workers)
    assert report.parts["marks"].changed
    assert await locks.lock_states(small.admin, small.year, clock.now()) == []

    # the job, when it runs, records the same lock: the refusal does not change
    clock.set_time(falls + HOUR)
    (recorded,) = (await locks.apply_due_locks(clock.now(), small.school.id)).locked
    assert (recorded.since, recorded.source) == (falls, "calendar:lock.term1")
    with pytest.raises(ScopeLocked) as after_the_job:
        await write_ck(small, teacher, "Phạm Thị Chi")
    assert str(after_the_job.value).startswith(refusal)


async def test_a_fallen_calendar_lock_opens_on_the_principals_decision(upcoming) -> None:
    """The principal may open a calendar lock the job has not recorded yet: the opening
    records it first, so the lock and its opening are both on record."""
    small = upcoming
    falls = (await load_calendar(small.year)).moment("lock.term1")
    clock.set_time(falls + SECOND)
    teacher = await small.actor("GV02")
    with pytest.raises(ScopeLocked):
        await write_ck(small, teacher)
    await locks.unlock(
        await small.actor("HT01"),
        await nv_scope(small),
        reason="Nhập bù điểm CK",
        until=clock.now() + HOUR,
        now=clock.now(),
    )
    assert (await write_ck(small, teacher)).created == 1
    assert await Lock.filter(source="calendar:lock.term1").count() == 1


async def test_the_final_lock_is_the_date_the_school_sets(upcoming) -> None:
    """001 Điều 25.4 sets 15/8; a school may move it (000: 20/8): records are refused from
    that moment on, not from 15/8, and the writes' refusal says it is final."""
    small = upcoming
    second_year = int(small.year.name[5:])
    await set_deadline(
        small.admin,
        small.year,
        "supplementary.end",
        f"20/08/{second_year} 17:00",
        decided_by=small.staff["HT01"],
    )
    end = (await load_calendar(small.year)).moment("supplementary.end")
    assert clock.local(end).strftime("%d/%m %H:%M") == "20/08 17:00"
    fifteenth = end - dt.timedelta(days=5)
    await ensure_before_final(small.year.id, fifteenth + SECOND)
    await ensure_before_final(small.year.id, end - SECOND)
    with pytest.raises(ScopeLocked) as refused:
        await ensure_before_final(small.year.id, end)
    assert str(refused.value).startswith(
        f"Năm học {small.year.name} đã chốt dữ liệu từ {formatting.date_time(end)}"
    )
    assert "không được lập, ký hay thay thế" in str(refused.value)
    clock.set_time(end + SECOND)
    with pytest.raises(ScopeLocked, match="không ai được sửa nữa"):
        await write_ck(small, await small.actor("GV02"))
    assert not await Lock.exists()
