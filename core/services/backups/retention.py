"""Which backup archives a destination keeps: the newest of each of the last days and weeks, and
the newest of every year forever.

Backups are written every night to several places (001 Điều 20.4), so without thinning a folder
grows without end; with too much thinning a mistake noticed weeks later has no copy from before
it. The policy keeps recent days densely, recent weeks sparsely, and one archive per year for
good (record books are kept for decades). It is a pure function of the names present: the time
of an archive is in its name, so a destination needs no index, every destination is thinned the
same way, and a copy moved by hand between destinations keeps its place in the policy.

"The last N days" means the last N days that have an archive, not the N days before today: if
the backups stop for a month, the archives from before the gap are kept, never thinned away by
the calendar alone. Days, ISO weeks and years are counted in UTC, the time written in the names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from core.errors import InvalidValue
from core.i18n import _

from .destinations import ARCHIVE_SUFFIX

PREFIX = "hocba-"
_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_CODE = re.compile(r"[A-Za-z0-9_-]+")
# The school code may hold "-", the time never does: the time is the last "-"-separated part.
_NAME = re.compile(
    re.escape(PREFIX)
    + r"(?P<code>[A-Za-z0-9_-]+)-(?P<time>\d{8}T\d{6}Z)"
    + re.escape(ARCHIVE_SUFFIX)
)


@dataclass(frozen=True)
class Keep:
    """How many archives a destination keeps besides one per year, which are kept forever."""

    daily: int = 7  # the newest archive of each of the last `daily` days that have one
    weekly: int = 5  # the newest of each of the last `weekly` ISO weeks that have one

    def __post_init__(self) -> None:
        if self.daily < 0 or self.weekly < 0:
            raise InvalidValue(
                _(
                    "Số bản sao lưu giữ lại theo ngày và theo tuần phải từ 0 trở lên (đang là "
                    "{daily} và {weekly})."
                ).format(daily=self.daily, weekly=self.weekly)
            )


def archive_name(school_code: str, moment: dt.datetime) -> str:
    """The name of `school_code`'s archive made at `moment` (an aware time, written in UTC so
    names sort by time and read the same on every server)."""
    if not _CODE.fullmatch(school_code):
        raise InvalidValue(
            _(
                "Mã trường «{code}» không dùng được trong tên bản sao lưu; mã trường chỉ gồm chữ "
                "cái không dấu, chữ số, dấu «-» và «_»."
            ).format(code=school_code)
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"archive_name needs an aware time, not {moment!r}")
    utc = moment.astimezone(dt.UTC)
    return f"{PREFIX}{school_code}-{utc.strftime(_TIME_FORMAT)}{ARCHIVE_SUFFIX}"


def archive_time(name: str) -> dt.datetime | None:
    """The UTC time in a name made by archive_name; None for any other name (never deleted)."""
    parsed = _parse(name)
    return parsed[1] if parsed else None


def _parse(name: str) -> tuple[str, dt.datetime] | None:
    """(school code, UTC time) of one of our names, or None."""
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    try:
        moment = dt.datetime.strptime(match["time"], _TIME_FORMAT)
    except ValueError:  # a 13th month or a 25th hour: a name we did not make
        return None
    return match["code"], moment.replace(tzinfo=dt.UTC)


def to_delete(names: Iterable[str], keep: Keep, school_code: str) -> list[str]:
    """Of one school's archives in one destination, those the policy no longer keeps, oldest
    first. Names of other schools (a destination may be shared) and names not ours are never
    returned; the newest archive is always kept."""
    ours = {
        name: parsed[1]
        for name in set(names)
        if (parsed := _parse(name)) is not None and parsed[0] == school_code
    }
    newest_first = sorted(ours, key=lambda name: (ours[name], name), reverse=True)
    kept = set(newest_first[:1])
    kept |= _newest_per(newest_first, ours, _day, keep.daily)
    kept |= _newest_per(newest_first, ours, _iso_week, keep.weekly)
    kept |= _newest_per(newest_first, ours, _year, None)
    return sorted((name for name in ours if name not in kept), key=lambda name: ours[name])


def _newest_per(
    newest_first: list[str],
    times: dict[str, dt.datetime],
    period: Callable[[dt.datetime], Hashable],
    count: int | None,
) -> set[str]:
    """The newest name of each of the latest `count` periods that have one (every period when
    `count` is None)."""
    chosen: dict[Hashable, str] = {}
    for name in newest_first:
        key = period(times[name])
        if key in chosen:
            continue
        if count is not None and len(chosen) >= count:
            break
        chosen[key] = name
    return set(chosen.values())


def _day(moment: dt.datetime) -> Hashable:
    return moment.date()


def _iso_week(moment: dt.datetime) -> Hashable:
    year, week, _weekday = moment.isocalendar()
    return year, week


def _year(moment: dt.datetime) -> Hashable:
    return moment.year
