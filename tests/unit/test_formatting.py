"""Numbers, dates and times pinned as a Vietnamese and an English reader see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core import formatting
from core.i18n import use_language

FRIDAY = dt.date(2025, 11, 28)
# 07:30 UTC is 14:30 in Hà Nội (UTC+7, no daylight saving).
AFTERNOON = dt.datetime(2025, 11, 28, 7, 30, tzinfo=dt.UTC)
NNBSP = "\u202f"  # CLDR puts a narrow no-break space before AM/PM

CASES = {
    "vi": {
        "score": "7,5",
        "score_whole": "7,0",
        "integer": "1.500",
        "integer_big": "1.234.567",
        "integer_small": "999",
        "long_date": "Thứ Sáu, 28 tháng 11, 2025",
        "numeric_date": "05/01/2025",
        "time": "14:30",
        "date_time": "14:30, Thứ Sáu, 28/11/2025",
    },
    "en": {
        "score": "7.5",
        "score_whole": "7.0",
        "integer": "1,500",
        "integer_big": "1,234,567",
        "integer_small": "999",
        "long_date": "Friday, November 28, 2025",
        "numeric_date": "1/5/2025",
        "time": f"2:30{NNBSP}PM",
        "date_time": f"2:30{NNBSP}PM, Friday, 11/28/2025",
    },
}


@pytest.mark.parametrize("language", CASES)
def test_reader_locale(language: str) -> None:
    expected = CASES[language]
    with use_language(language):
        got = {
            "score": formatting.score(Decimal("7.5")),
            "score_whole": formatting.score(Decimal(7)),
            "integer": formatting.integer(1500),
            "integer_big": formatting.integer(1234567),
            "integer_small": formatting.integer(999),
            "long_date": formatting.long_date(FRIDAY),
            "numeric_date": formatting.numeric_date(dt.date(2025, 1, 5)),
            "time": formatting.time(AFTERNOON),
            "date_time": formatting.date_time(AFTERNOON),
        }
    assert got == expected


def test_vietnamese_is_the_default() -> None:
    assert formatting.long_date(FRIDAY) == "Thứ Sáu, 28 tháng 11, 2025"
    assert formatting.integer(1500) == "1.500"
    with use_language("xx"):
        assert formatting.integer(1500) == "1.500"


def test_every_weekday_in_vietnamese() -> None:
    monday = dt.date(2025, 11, 24)
    days = [formatting.long_date(monday + dt.timedelta(days=n)).split(",")[0] for n in range(7)]
    assert days == ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]


def test_times_are_shown_on_the_school_clock() -> None:
    paris = dt.datetime(2025, 11, 28, 8, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert formatting.date_time(paris) == "14:30, Thứ Sáu, 28/11/2025"
    # 20:00 UTC on Friday is already Saturday morning at the school.
    late = dt.datetime(2025, 11, 28, 20, 0, tzinfo=dt.UTC)
    assert formatting.date_time(late) == "03:00, Thứ Bảy, 29/11/2025"
    assert formatting.long_date(late) == "Thứ Bảy, 29 tháng 11, 2025"
    assert formatting.numeric_date(late) == "29/11/2025"


def test_naive_datetimes_are_utc() -> None:
    assert formatting.date_time(dt.datetime(2025, 11, 28, 7, 30)) == "14:30, Thứ Sáu, 28/11/2025"


def test_another_school_zone() -> None:
    bangkok_is_also_utc7 = ZoneInfo("Asia/Bangkok")
    tokyo = ZoneInfo("Asia/Tokyo")
    assert formatting.time(AFTERNOON, tz=bangkok_is_also_utc7) == "14:30"
    assert formatting.time(AFTERNOON, tz=tokyo) == "16:30"
    assert formatting.to_school_time(AFTERNOON).utcoffset() == dt.timedelta(hours=7)


def test_date_keeps_babel_formats() -> None:
    assert formatting.date(FRIDAY, "long") == "28 tháng 11, 2025"
    with use_language("en"):
        assert formatting.date(FRIDAY, "long") == "November 28, 2025"
