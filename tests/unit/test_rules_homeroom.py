"""The homeroom teacher's values (core.rules.homeroom): conduct, qualities, days absent and
comments, each boundary accepted or refused with a message that says what is expected."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidValue
from core.rules import homeroom
from core.rules.catalog import SchoolLevel
from core.rules.primary import QualityLevel
from core.rules.secondary import Level

SECONDARY = SchoolLevel.LOWER_SECONDARY


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("T", Level.GOOD),
        ("tốt", Level.GOOD),
        ("Khá", Level.FAIR),
        ("k", Level.FAIR),
        ("Đ", Level.PASS),
        ("dat", Level.PASS),
        ("CĐ", Level.FAIL),
        ("chua dat", Level.FAIL),
    ],
)
def test_conduct_reads_codes_and_words(typed: str, level: Level) -> None:
    assert homeroom.parse_conduct(typed, SECONDARY) is level
    assert homeroom.parse_conduct(typed, SchoolLevel.UPPER_SECONDARY) is level


@pytest.mark.parametrize("typed", ["Giỏi", "A", "8", "", "Xuất sắc"])
def test_conduct_outside_the_scale_is_refused(typed: str) -> None:
    with pytest.raises(InvalidValue, match=r"chỉ có Tốt \(T\), Khá \(K\), Đạt \(Đ\)"):
        homeroom.parse_conduct(typed, SECONDARY)


def test_conduct_for_primary_and_qualities_for_secondary_are_refused() -> None:
    with pytest.raises(InvalidValue, match="Tiểu học không xếp loại rèn luyện"):
        homeroom.parse_conduct("Tốt", SchoolLevel.PRIMARY)
    with pytest.raises(InvalidValue, match="Trung học không đánh giá phẩm chất, năng lực"):
        homeroom.parse_quality("Tốt", SECONDARY)
    assert homeroom.parse_quality("Cần cố gắng", SchoolLevel.PRIMARY) is QualityLevel.EFFORT
    with pytest.raises(InvalidValue, match="Mức phẩm chất, năng lực «Khá»"):
        homeroom.parse_quality("Khá", SchoolLevel.PRIMARY)


def test_school_days_are_mondays_to_saturdays() -> None:
    monday = dt.date(2025, 9, 1)
    assert homeroom.school_days(monday, monday + dt.timedelta(days=6)) == 6  # Mon..Sun
    assert homeroom.school_days(monday, monday + dt.timedelta(days=13)) == 12
    sunday = dt.date(2025, 9, 7)
    assert homeroom.school_days(sunday, sunday) == 0
    assert homeroom.school_days(monday, monday - dt.timedelta(days=1)) == 0
    # term I of the usual frame: 05/09/2025 to 15/01/2026
    assert homeroom.school_days(dt.date(2025, 9, 5), dt.date(2026, 1, 15)) == 114


@pytest.mark.parametrize(("raw", "days"), [("0", 0), ("12", 12), (3, 3), (2.0, 2), ("100", 100)])
def test_days_absent_accepted(raw: object, days: int) -> None:
    assert homeroom.parse_days(raw, most=100, what="nghỉ có phép") == days


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-1", "số ngày không thể âm"),
        (-2, "số ngày không thể âm"),
        ("1,5", "phải là số nguyên"),
        (2.5, "phải là số nguyên"),
        ("101", "nhiều hơn số ngày học của học kỳ (100 ngày)"),
        ("hai", "không phải một số"),
        (True, "không phải một số"),
        (None, "không phải một số"),
    ],
)
def test_days_absent_refused(raw: object, reason: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        homeroom.parse_days(raw, most=100, what="nghỉ có phép")
    text = str(refused.value)
    assert reason in text and text.startswith("Số ngày nghỉ có phép «")


def test_typed_absences_take_two_counts_within_the_term() -> None:
    for typed in ("2, 1", "2 1", "2;1", " 2 / 1 ", "2,1"):
        assert homeroom.parse_typed_absences(typed, most=100) == (2, 1)
    assert homeroom.parse_typed_absences("0, 0", most=100) == (0, 0)
    with pytest.raises(InvalidValue, match="Cần hai số"):
        homeroom.parse_typed_absences("3", most=100)
    with pytest.raises(InvalidValue, match="nghỉ không phép «-1»"):
        homeroom.parse_typed_absences("2, -1", most=100)
    with pytest.raises(InvalidValue, match=r"60 có phép \+ 41 không phép = 101"):
        homeroom.parse_typed_absences("60, 41", most=100)
    long = "9" * 5000
    with pytest.raises(InvalidValue) as refused:
        homeroom.parse_typed_absences(long, most=100)
    assert len(str(refused.value)) < 300  # the paste is not quoted back whole


def test_comments_are_bounded_and_tidied() -> None:
    assert homeroom.parse_comment("  Chăm   ngoan,\n\n học tốt. ") == "Chăm ngoan,\nhọc tốt."
    assert len(homeroom.parse_comment("a" * homeroom.MAX_COMMENT)) == homeroom.MAX_COMMENT
    with pytest.raises(InvalidValue, match="dài 10000 ký tự, quá giới hạn 1000"):
        homeroom.parse_comment("a" * 10_000)
    with pytest.raises(InvalidValue, match="trống"):
        homeroom.parse_comment("   ")
    with pytest.raises(InvalidValue, match="ký tự điều khiển"):
        homeroom.parse_comment("Ngoan\x07")
    # what a comment shows is what it says: no hidden or reordering characters either
    for hidden in ("Ngoan\u202eoãh", "Chăm\u200bngoan", "Tốt\u2066 lắm", "Giỏi\ufeff"):
        with pytest.raises(InvalidValue, match="ký tự ẩn hoặc ký tự điều khiển"):
            homeroom.parse_comment(hidden)
