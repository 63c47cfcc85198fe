"""The retention policy: 7 days, 5 ISO weeks and one archive per year, worked out by hand for a
year and a half of nightly archives, and never touching a name that is not this school's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidValue
from core.services.backups.retention import Keep, archive_name, archive_time, to_delete

SCHOOL = "THCS-Le_Loi"
UTC = dt.UTC


def _name(text: str) -> str:
    """`archive_name` of a UTC time written "2025-06-30 17:00"."""
    return archive_name(SCHOOL, dt.datetime.fromisoformat(text).replace(tzinfo=UTC))


def _every_day(first: dt.date, last: dt.date, hours: tuple[int, ...]) -> list[str]:
    """One archive at each of `hours` (UTC) of every day from `first` to `last`."""
    names = []
    day = first
    while day <= last:
        names += [_name(f"{day} {hour:02}:00") for hour in hours]
        day += dt.timedelta(days=1)
    return names


def test_a_year_and_a_half_of_nightly_archives() -> None:
    names = _every_day(dt.date(2024, 1, 1), dt.date(2025, 6, 30), hours=(1, 9, 17))
    assert len(names) == 547 * 3
    survivors = set(names) - set(to_delete(names, Keep(daily=7, weekly=5), SCHOOL))
    # 2025-06-30 is a Monday, alone in ISO week 27; the weeks before end on Sundays 29, 22,
    # 15 and 8 June. 2024-12-31 is in ISO week 1 of 2025, yet the newest archive of 2024.
    daily = [_name(f"2025-06-{day} 17:00") for day in range(24, 31)]
    weekly = [_name(f"2025-06-{day:02} 17:00") for day in (8, 15, 22)]  # 29 and 30: daily too
    yearly = [_name("2024-12-31 17:00")]  # 2025's newest is the newest of all, daily too
    assert survivors == set(daily + weekly + yearly)


def test_weeks_and_years_across_new_year() -> None:
    """ISO weeks cross the new year (2024-12-30 to 2025-01-05 is week 1 of 2025), years do not."""
    names = _every_day(dt.date(2024, 12, 20), dt.date(2025, 1, 5), hours=(19,))
    survivors = set(names) - set(to_delete(names, Keep(daily=1, weekly=2), SCHOOL))
    assert survivors == {
        _name("2025-01-05 19:00"),  # the newest: day, week 1 of 2025 and year 2025
        _name("2024-12-29 19:00"),  # the newest of ISO week 52 of 2024
        _name("2024-12-31 19:00"),  # the newest of the year 2024, kept forever
    }


def test_the_newest_is_kept_whatever_the_policy() -> None:
    names = _every_day(dt.date(2025, 3, 1), dt.date(2025, 3, 10), hours=(2, 20))
    deleted = to_delete(names, Keep(daily=0, weekly=0), SCHOOL)
    assert set(names) - set(deleted) == {_name("2025-03-10 20:00")}
    assert deleted == sorted(deleted) and len(deleted) == len(names) - 1  # oldest first


def test_days_without_archives_do_not_count() -> None:
    """The last 7 days that have an archive: a month without backups thins nothing away."""
    names = [_name(f"2025-05-{day:02} 19:00") for day in (1, 2, 3, 4)]
    names += [_name(f"2025-06-{day:02} 19:00") for day in (10, 11, 12)]
    assert to_delete(names, Keep(daily=7, weekly=0), SCHOOL) == []


def test_other_schools_and_foreign_names_are_never_deleted() -> None:
    ours = _every_day(dt.date(2025, 1, 1), dt.date(2025, 3, 31), hours=(19,))
    others = [
        archive_name("THCS-Le", dt.datetime(2025, 1, 2, tzinfo=UTC)),  # a prefix of our code
        archive_name("THCS-Le_Loi-2", dt.datetime(2025, 1, 3, tzinfo=UTC)),  # ours is its prefix
        archive_name("thcs-le_loi", dt.datetime(2025, 1, 4, tzinfo=UTC)),  # another case
        "hocba-THCS-Le_Loi-20250105T190000Z.tar.gz.part",
        "hocba-THCS-Le_Loi-20251305T190000Z.tar.gz",  # month 13
        "hocba-THCS-Le_Loi-2025-01-05.tar.gz",
        "copy of hocba-THCS-Le_Loi-20250106T190000Z.tar.gz",
        "notes.txt",
    ]
    deleted = to_delete(ours + others, Keep(daily=2, weekly=1), SCHOOL)
    assert deleted and set(deleted) <= set(ours)
    assert to_delete(others, Keep(daily=0, weekly=0), SCHOOL) == []


def test_deleting_the_result_leaves_nothing_more_to_delete() -> None:
    names = _every_day(dt.date(2024, 1, 1), dt.date(2025, 6, 30), hours=(1, 9, 17))
    names.append("notes.txt")
    keep = Keep()
    remaining = sorted(set(names) - set(to_delete(names, keep, SCHOOL)))
    assert to_delete(remaining, keep, SCHOOL) == []
    assert to_delete(reversed(remaining), keep, SCHOOL) == []  # order does not matter


def test_archive_name_round_trip() -> None:
    hanoi = dt.datetime(2025, 6, 1, 2, 30, 15, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    name = archive_name(SCHOOL, hanoi)
    assert name == "hocba-THCS-Le_Loi-20250531T193015Z.tar.gz"  # written in UTC
    assert archive_time(name) == hanoi and archive_time(name).tzinfo == UTC
    moment = dt.datetime(2025, 1, 2, 3, 4, 5, 999, tzinfo=UTC)
    assert archive_time(archive_name("A", moment)) == moment.replace(microsecond=0)


def test_archive_time_of_names_not_ours() -> None:
    for name in ("notes.txt", "hocba-X-20250230T000000Z.tar.gz", "hocba--20250101T000000Z.tar.gz"):
        assert archive_time(name) is None


def test_archive_name_refuses_what_it_cannot_write() -> None:
    with pytest.raises(InvalidValue, match="Mã trường"):
        archive_name("THCS Lê Lợi", dt.datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="aware"):
        archive_name(SCHOOL, dt.datetime(2025, 1, 1))
    with pytest.raises(InvalidValue):
        Keep(daily=-1)
