"""Numbers, dates and times as the reader's locale writes them.

Every function formats for the current language (`core.i18n.use_language`), through Babel's CLDR
data, so Vietnamese reads 7,3 / 1.500 / Thứ Sáu, 28 tháng 11, 2025 and English reads
7.3 / 1,500 / Friday, November 28, 2025.

Times are shown in the school's zone (`core.clock.zone()`, from the configuration). The record
core keeps instants in UTC, so a naive datetime is read as UTC.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date, format_skeleton, format_time
from babel.numbers import format_decimal

from core import clock
from core.i18n import current_locale

# CLDR's numeric date for vi is d/M/y (5/1/2025); schools, and this product's own messages and
# import examples, write 05/01/2025. Other languages take CLDR's yMd.
_NUMERIC_DATE = {"vi": "dd/MM/y"}


def score(value: Decimal) -> str:
    """A mark or an average with its one decimal: 7,0 rather than 7."""
    return format_decimal(value, format="0.0", locale=current_locale())


def integer(value: int) -> str:
    """A count with the locale's thousands separator: 1.500 (vi), 1,500 (en)."""
    return format_decimal(value, format="#,##0", locale=current_locale())


def date(value: dt.date, fmt: str = "short") -> str:
    """A date in one of Babel's formats ("short", "medium", "long", "full") or a CLDR pattern."""
    return format_date(value, format=fmt, locale=current_locale())


def to_school_time(value: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """The same instant on the school's clock; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz or clock.zone())


def _day(value: dt.date, tz: dt.tzinfo | None) -> dt.date:
    """The calendar day at the school of a date, or of an instant."""
    return to_school_time(value, tz).date() if isinstance(value, dt.datetime) else value


def _numeric(day: dt.date) -> str:
    locale = current_locale()
    pattern = _NUMERIC_DATE.get(locale.language)
    if pattern:
        return format_date(day, format=pattern, locale=locale)
    return format_skeleton("yMd", day, locale=locale)


def numeric_date(value: dt.date, tz: dt.tzinfo | None = None) -> str:
    """Day, month and four-digit year in figures: 05/01/2025 (vi), 1/5/2025 (en)."""
    return _numeric(_day(value, tz))


def long_date(value: dt.date, tz: dt.tzinfo | None = None) -> str:
    """Weekday and date in words: "Thứ Sáu, 28 tháng 11, 2025", "Friday, November 28, 2025"."""
    return format_date(_day(value, tz), format="full", locale=current_locale())


def time(value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """Hours and minutes on the school's clock: 14:30 (vi), 2:30 PM (en)."""
    return format_time(to_school_time(value, tz), format="short", locale=current_locale())


def date_time(value: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """A moment on the school's clock: "14:30, Thứ Sáu, 28/11/2025", "2:30 PM, Friday, 11/28/2025".

    Babel's own medium/long datetimes carry seconds (and for vi put the time first with no
    separator), so the time, the weekday and the numeric date are joined here instead.
    """
    local = to_school_time(value, tz)
    locale = current_locale()
    return ", ".join(
        (
            format_time(local, format="short", locale=locale),
            format_date(local.date(), format="EEEE", locale=locale),
            _numeric(local.date()),
        )
    )


def roman(term: int) -> str:
    """A term's number as schools write it: "học kỳ I", "HK II"."""
    return {1: "I", 2: "II"}[term]


def grouped(code: str, size: int = 4, sep: str = " ") -> str:
    """A code as printed for people to type back: 1234 5678, ABCD-EFGH-JKMN."""
    return sep.join(code[i : i + size] for i in range(0, len(code), size))
