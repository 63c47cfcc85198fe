"""Calendar values as people type them (dates, weekdays, times, numbers of days) and as they
are shown and stored."""

from __future__ import annotations

import datetime as dt
import re

from core import clock, formatting
from core.errors import InvalidValue
from core.i18n import _
from core.services.calendar.keys import ValueKind, school_moment
from core.text import fold

_WEEKDAYS = {"thu2": 1, "thu3": 2, "thu4": 3, "thu5": 4, "thu6": 5, "thu7": 6, "chunhat": 7}
_WEEKDAY_WORDS = {"hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7}
_DATE = re.compile(
    r"^(?:(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{4})-(\d{2})-(\d{2}))"
    r"(?:[ T]+(\d{1,2})(?:[:h](\d{2})?)?h?)?$"
)
_TIME = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?h?$")


def parse_weekday(text: str) -> int:
    """Vietnamese weekday names: "thứ 7", "T7", "thứ bảy", "7" are Saturday; "CN" is Sunday."""
    key = re.sub(r"[^a-z0-9]", "", fold(text))
    key = re.sub(r"^t(?=\d)", "thu", key)
    key = re.sub(r"^(\d)$", r"thu\1", key)
    for word, number in _WEEKDAY_WORDS.items():
        key = key.replace(f"thu{word}", f"thu{number}")
    if key in ("cn", "chunhat", "thu8"):
        return 7
    if key not in _WEEKDAYS:
        raise InvalidValue(
            _("«{value}» không phải một ngày trong tuần: ghi như thứ 7, T7 hoặc CN.").format(
                value=text
            )
        )
    return _WEEKDAYS[key]


def parse_time(text: str) -> dt.time:
    match = _TIME.match(text.strip().lower())
    hour, minute = (int(match.group(1)), int(match.group(2) or 0)) if match else (99, 0)
    if hour > 23 or minute > 59:
        raise InvalidValue(_("Giờ «{value}» không hợp lệ: ghi như 17:00.").format(value=text))
    return dt.time(hour, minute)


def parse_days(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 60:
        raise InvalidValue(
            _("Số ngày «{value}» không hợp lệ: một số nguyên từ 1 đến 60.").format(value=text)
        )
    return int(text)


def typed(moment: dt.datetime) -> str:
    """A moment as people type it ("30/06/2026 17:00"): the form help examples show."""
    return clock.local(moment).strftime("%d/%m/%Y %H:%M")


def parse_moment(
    text: str, default_time: dt.time, example: dt.datetime | None = None
) -> dt.datetime:
    """ "30/06/2026", "30/6/2026 17:00", "2026-06-30 17h" on the school's clock.

    A refusal shows how to write it with `example` (default: today at `default_time`), never a
    fixed date: a help that showed a year gone by once made an admin lock a whole year."""
    match = _DATE.match(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        d, m, y, iy, im, idd, hh, mm = match.groups()
        day = dt.date(int(y), int(m), int(d)) if d else dt.date(int(iy), int(im), int(idd))
        at = dt.time(int(hh), int(mm or 0)) if hh else default_time
    except ValueError:
        shown = typed(example or school_moment(clock.today(), default_time))
        raise InvalidValue(
            _("Ngày «{value}» không hợp lệ: ghi như {day} hoặc {moment}.").format(
                value=text, day=shown.split()[0], moment=shown
            )
        ) from None
    return school_moment(day, at)


def stored_text(value: object) -> str:
    if isinstance(value, dt.datetime):
        return clock.local(value).isoformat(timespec="minutes")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value)


def loaded_value(kind: ValueKind, text: str) -> object:
    if kind is ValueKind.MOMENT:
        return dt.datetime.fromisoformat(text)
    if kind is ValueKind.TIME:
        return dt.time.fromisoformat(text)
    return int(text)


def weekday_name(iso: int) -> str:
    """Thứ Hai … Chủ Nhật, in the reader's language."""
    return formatting.date(dt.date(2024, 1, iso), "EEEE")  # 1/1/2024 was a Monday


def show_value(kind: ValueKind, value: object) -> str:
    if isinstance(value, dt.datetime):
        return formatting.date_time(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if kind is ValueKind.WEEKDAY:
        return weekday_name(int(value))  # type: ignore[call-overload]
    return _("{n} ngày").format(n=value)
