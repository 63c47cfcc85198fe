"""Calendar changes that cannot hurt: every date is checked against the school year and the
dates it relates to, and a change that would lock something now or within the hour is held
until confirmed (core.services.calendar.changes, limits).

The small school in 2025-2026 (its calendar known in advance), the clock moved into that year.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import InvalidValue
from core.models import AuditEvent, DeadlineSetting, Lock, Notification
from core.services import locks
from core.services.access import Actor
from core.services.calendar import current_calendar, load_calendar
from core.services.calendar.changes import CONFIRM_WINDOW, Changed, Held, set_deadline

from .conftest import at


async def refused(small, key: str, text: str) -> str:
    with pytest.raises(InvalidValue) as refusal:
        await set_deadline(small.admin, small.year, key, text)
    return str(refusal.value)


async def test_a_date_outside_the_year_is_refused_with_the_range(small, clock_at) -> None:
    clock_at("01/12/2025")
    typo = await refused(small, "lock.term1", "01/01/2020")
    assert typo.startswith("Không đặt được «Khóa sổ học kỳ I» vào 17:00, Thứ Tư, 01/01/2020:")
    assert "nằm ngoài năm học 2025-2026 (từ 05/09/2025 đến 25/08/2026)" in typo
    assert (
        "đặt được từ 17:00, Thứ Năm, 15/01/2026 («Hạn nhập xong học kỳ I») "
        "đến 17:00, Thứ Ba, 30/06/2026 («Khóa sổ học kỳ II»)"
    ) in typo
    assert typo.endswith("Lịch chưa thay đổi.")
    # the help's old example, a year gone by
    gone = await refused(small, "lock.year", "30/06/2025 17:00")
    assert "nằm ngoài năm học 2025-2026" in gone
    assert "đến 23:59, Thứ Ba, 30/06/2026 (hạn chốt dữ liệu học bạ 30/06" in gone
    late = await refused(small, "lock.year", "01/07/2026")
    assert "muộn hơn hạn chốt dữ liệu học bạ 30/06 theo Quy chế học bạ số, Điều 25" in late
    after_all = await refused(small, "supplementary.end", "26/08/2026")
    assert "nằm ngoài năm học" in after_all and "đến 23:59, Thứ Ba, 25/08/2026" in after_all
    assert not await DeadlineSetting.exists()
    assert not await Lock.exists()


async def test_related_dates_keep_their_order(small, clock_at) -> None:
    clock_at("01/12/2025")
    early = await refused(small, "lock.term1", "10/01/2026")
    assert "sớm hơn «Hạn nhập xong học kỳ I»" in early
    assert "sớm hơn «Hạn nhập xong học kỳ II»" in await refused(small, "lock.term2", "01/02/2026")
    assert "muộn hơn «Khóa sổ học kỳ I»" in await refused(small, "entry.term1", "01/02/2026")
    assert "sớm hơn ngày bắt đầu học kỳ II" in await refused(small, "entry.term2", "01/01/2026")
    # Term II's lock follows the year's until set apart: moving the year's moves it, and the
    # year's may then not come before it.
    await set_deadline(
        small.admin, small.year, "lock.year", "25/06/2026", decided_by=small.staff["HT01"]
    )
    assert (await load_calendar(small.year)).moment("lock.term2") == at("25/06/2026")
    await set_deadline(
        small.admin, small.year, "lock.term2", "20/06/2026", decided_by=small.staff["HT01"]
    )
    before_term = await refused(small, "lock.year", "15/06/2026")
    assert "sớm hơn «Khóa sổ học kỳ II»" in before_term and "20/06/2026" in before_term
    await set_deadline(
        small.admin, small.year, "lock.year", "29/06/2026", decided_by=small.staff["HT01"]
    )
    cal = await load_calendar(small.year)
    assert (cal.moment("lock.term2"), cal.moment("lock.year")) == (
        at("20/06/2026"),
        at("29/06/2026"),
    )


async def test_a_correction_cut_off_stays_inside_its_term(small, clock_at) -> None:
    clock_at("01/09/2025")  # before the year starts: term I's dates are all ahead
    await set_deadline(small.admin, small.year, "entry.term1", "10/09/2025")
    await set_deadline(
        small.admin, small.year, "lock.term1", "20/09/2025", decided_by=small.staff["HT01"]
    )
    assert "sớm hơn 7 ngày sau ngày bắt đầu học kỳ I" in await refused(
        small, "lock.term1", "11/09/2025"
    )
    await set_deadline(small.admin, small.year, "correction.days", "14")
    too_long = await refused(small, "correction.days", "20")
    assert "hạn đề nghị sửa điểm trước «Khóa sổ học kỳ I» sẽ là 17:00" in too_long
    assert "tối đa 15 ngày" in too_long


async def test_primary_milestones_follow_the_year_lock(primary, clock_at) -> None:
    school, year = primary
    clock_at("01/12/2025")
    admin = Actor.command_line(school.id)
    with pytest.raises(InvalidValue, match="muộn hơn «Khởi tạo học bạ số»"):
        await set_deadline(admin, year, "lock.year", "28/05/2026")
    with pytest.raises(InvalidValue, match="sớm hơn «Khởi tạo học bạ số»"):
        await set_deadline(admin, year, "signatures", "26/05/2026")
    with pytest.raises(InvalidValue, match="hạn chốt dữ liệu học bạ 30/06"):
        await set_deadline(admin, year, "seal", "01/07/2026")


async def test_a_change_locking_now_is_held_until_confirmed(small, clock_at) -> None:
    clock_at("20/01/2026", "10:00")  # term II has begun; term I locks on 29/01
    held = await set_deadline(
        small.admin, small.year, "lock.term1", "20/01/2026 09:00", decided_by=small.staff["HT01"]
    )
    assert isinstance(held, Held) and not held.stale
    assert [(f.key, f.scope, f.final) for f in held.falling] == [
        ("lock.term1", "sổ điểm học kỳ I (năm học 2025-2026)", False)
    ]
    # GV02 (Ngữ văn 6A: TX4 and CK of Bình, CK of Chi) and GV03 (6A conduct, days of Chi)
    assert (held.classes, held.teachers, held.missing, held.requests) == (2, 2, 5, 0)
    text = held.summary()
    assert "Sổ điểm học kỳ I (năm học 2025-2026), cả 2 lớp: ngay khi xác nhận" in text
    assert "2 giáo viên còn nhập dở (5 ô điểm còn thiếu)" in text
    assert "Hạn nhận phiếu đề nghị sửa điểm mới sẽ là 09:00, Thứ Ba, 13/01/2026 (đã qua)" in text
    assert "chỉ Hiệu trưởng mở lại được" in text
    assert not await DeadlineSetting.exists() and not await Lock.exists()

    # Forged, someone else's, or out of date: nothing changes, the change is shown again.
    tampered = held.stamp[:-1] + ("1" if held.stamp.endswith("0") else "0")
    for stamp in ("1768874400.0123456789abcdef", "garbage", tampered):
        again = await set_deadline(
            small.admin,
            small.year,
            "lock.term1",
            "20/01/2026 09:00",
            confirm=stamp,
            decided_by=small.staff["HT01"],
        )
        assert isinstance(again, Held) and again.stale
        assert "lần xác nhận vừa rồi chưa áp dụng gì" in again.summary()
    principal = await small.actor("HT01")
    other = await set_deadline(
        principal, small.year, "lock.term1", "20/01/2026 09:00", confirm=held.stamp
    )
    assert isinstance(other, Held) and other.stale
    other_value = await set_deadline(
        small.admin,
        small.year,
        "lock.term1",
        "20/01/2026 08:00",
        confirm=held.stamp,
        decided_by=small.staff["HT01"],
    )
    assert isinstance(other_value, Held) and other_value.stale
    assert not await DeadlineSetting.exists() and not await Lock.exists()

    # The calendar changed meanwhile: the confirmation is stale.
    await set_deadline(small.admin, small.year, "periodic.days", "10")
    stale = await set_deadline(
        small.admin,
        small.year,
        "lock.term1",
        "20/01/2026 09:00",
        confirm=held.stamp,
        decided_by=small.staff["HT01"],
    )
    assert isinstance(stale, Held) and stale.stale
    assert not await Lock.exists()

    # Too late: a confirmation lasts CONFIRM_WINDOW.
    clock.set_time(clock.now() + CONFIRM_WINDOW + dt.timedelta(minutes=1))
    expired = await set_deadline(
        small.admin,
        small.year,
        "lock.term1",
        "20/01/2026 09:00",
        confirm=stale.stamp,
        decided_by=small.staff["HT01"],
    )
    assert isinstance(expired, Held) and expired.stale
    assert not await Lock.exists()

    done = await set_deadline(
        small.admin,
        small.year,
        "lock.term1",
        "20/01/2026 09:00",
        confirm=expired.stamp,
        decided_by=small.staff["HT01"],
    )
    assert isinstance(done, Changed)
    assert done.locked == (
        "Sổ điểm học kỳ I (năm học 2025-2026) đã khóa từ 09:00, Thứ Ba, 20/01/2026, theo lịch "
        "khóa sổ của trường («Khóa sổ học kỳ I»)",
    )
    (fallen,) = await Lock.all()
    assert fallen.source == "calendar:lock.term1" and fallen.term_id == small.terms[1].id
    event = await AuditEvent.filter(action="calendar.set", target__endswith="lock.term1").get()
    assert event.after == {
        "value": "2026-01-20T09:00+07:00",
        "confirmed_locks": ["lock.term1"],
        "decided_by": "Hiệu trưởng Đỗ Thị Hiệu",
        "decided_by_staff": small.staff["HT01"].id,
        "lock_dates": ["lock.term1"],
    }
    told = await Notification.filter(kind="lock").values_list("staff__code", flat=True)
    assert sorted(told) == ["GV01", "GV02", "GV03"]
    with pytest.raises(InvalidValue, match="đã khóa"):  # and now it stays
        await set_deadline(
            small.admin, small.year, "lock.term1", "29/01/2026", decided_by=small.staff["HT01"]
        )


async def test_a_lock_within_the_hour_falls_at_its_time(small, clock_at) -> None:
    clock_at("20/01/2026", "10:00")
    held = await set_deadline(
        small.admin, small.year, "lock.term1", "20/01/2026 10:30", decided_by=small.staff["HT01"]
    )
    assert isinstance(held, Held)
    assert "lúc 10:30, Thứ Ba, 20/01/2026, khoảng 30 phút nữa" in held.summary()
    done = await set_deadline(
        small.admin,
        small.year,
        "lock.term1",
        "20/01/2026 10:30",
        confirm=held.stamp,
        decided_by=small.staff["HT01"],
    )
    assert isinstance(done, Changed) and done.locked == ()
    assert not await Lock.exists()
    applied = await locks.apply_due_locks(at("20/01/2026", "10:30"), small.school.id)
    assert [lk.source for lk in applied.locked] == ["calendar:lock.term1"]


async def test_what_locks_later_or_not_at_all_applies_at_once(small, clock_at) -> None:
    clock_at("20/01/2026", "10:00")
    later = await set_deadline(
        small.admin, small.year, "lock.term1", "20/01/2026 11:01", decided_by=small.staff["HT01"]
    )
    assert isinstance(later, Changed) and later.locked == ()
    # The help's example is the year's own lock: typing it moves nothing, even near it.
    clock_at("30/06/2026", "16:30")
    example = (await current_calendar(small.admin)).example
    assert example == "30/06/2026 17:00"
    same = await set_deadline(
        small.admin, small.year, "lock.year", example, decided_by=small.staff["HT01"]
    )
    assert isinstance(same, Changed) and same.locked == ()
    assert not await Lock.exists()
    # A confirmation of a change that no longer locks anything (someone did it meanwhile)
    with pytest.raises(InvalidValue, match="không còn hiệu lực"):
        await set_deadline(
            small.admin,
            small.year,
            "lock.year",
            example,
            confirm="1.0",
            decided_by=small.staff["HT01"],
        )


async def test_the_final_lock_says_it_is_forever(small, clock_at) -> None:
    clock_at("10/08/2026", "10:00")
    held = await set_deadline(
        small.admin,
        small.year,
        "supplementary.end",
        "10/08/2026 10:20",
        decided_by=small.staff["HT01"],
    )
    assert isinstance(held, Held)
    assert [f.final for f in held.falling] == [True]
    text = held.summary()
    assert "Sổ điểm cả năm học 2025-2026, cả 2 lớp: lúc 10:20" in text
    assert "khóa vĩnh viễn" in text and "Điều 25, khoản 4" in text
