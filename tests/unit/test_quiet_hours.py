"""Quiet hours: a message that would reach a teacher at night waits for the morning."""

from __future__ import annotations

import datetime as dt

import pytest

from core.services.reminders import QuietHours

VN = dt.timezone(dt.timedelta(hours=7))
NIGHT = QuietHours(dt.time(21, 0), dt.time(6, 30))


def vn(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    ("at", "delivered"),
    [
        (vn(12, 17, 30), vn(12, 17, 30)),  # daytime: at once
        (vn(12, 20, 59), vn(12, 20, 59)),
        (vn(12, 21, 0), vn(13, 6, 30)),  # from 21:00: next morning
        (vn(12, 23, 45), vn(13, 6, 30)),
        (vn(13, 2, 0), vn(13, 6, 30)),  # after midnight: the same morning
        (vn(13, 6, 30), vn(13, 6, 30)),  # the quiet hours end exactly then
    ],
)
def test_night_messages_wait_for_the_morning(at: dt.datetime, delivered: dt.datetime) -> None:
    assert NIGHT.defer(at.astimezone(dt.UTC)) == delivered


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours(dt.time(11, 30), dt.time(13, 30))
    assert lunch.defer(vn(12, 12, 0)) == vn(12, 13, 30)
    assert lunch.defer(vn(12, 14, 0)) == vn(12, 14, 0)
