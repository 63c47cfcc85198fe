"""Personal IDs, phones, dates and genders as schools type them."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import InvalidValue
from core.validation import (
    Gender,
    check_national_id_matches,
    normalise_phone,
    parse_date,
    parse_national_id,
)


@pytest.mark.parametrize("text", ["001213000123", "001 213 000 123", "001.213.000.123"])
def test_national_id_accepted(text: str) -> None:
    assert parse_national_id(text) == "001213000123"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("00121300012", "12 chữ số"),
        ("0012130001234", "12 chữ số"),
        ("00121300012A", "12 chữ số"),
        ("", "12 chữ số"),
        ("003213000123", "mã tỉnh"),
        ("999213000123", "mã tỉnh"),
    ],
)
def test_national_id_refused(text: str, phrase: str) -> None:
    with pytest.raises(InvalidValue, match=phrase):
        parse_national_id(text)


def test_national_id_must_match_birth_year_and_gender() -> None:
    check_national_id_matches("001213000123", dt.date(2013, 5, 1), Gender.MALE)
    check_national_id_matches("031314000123", dt.date(2014, 5, 1), Gender.FEMALE)
    with pytest.raises(InvalidValue, match="năm sinh 2013"):
        check_national_id_matches("001213000123", dt.date(2012, 5, 1), Gender.MALE)
    with pytest.raises(InvalidValue, match="giới tính Nam"):
        check_national_id_matches("001213000123", dt.date(2013, 5, 1), Gender.FEMALE)


@pytest.mark.parametrize(
    "text",
    ["0912345678", "0912 345 678", "0912.345.678", "+84 912 345 678", "84912345678", 912345678],
)
def test_phone_normalised(text: str | int) -> None:
    assert normalise_phone(text) == "+84912345678"


@pytest.mark.parametrize("text", ["12345", "+1 202 555 0100", "0912abc678", "00912345678"])
def test_phone_refused(text: str) -> None:
    with pytest.raises(InvalidValue):
        normalise_phone(text)


def test_dates() -> None:
    assert parse_date("05/09/2013") == dt.date(2013, 9, 5)
    assert parse_date("5-9-2013") == dt.date(2013, 9, 5)
    assert parse_date("2013-09-05") == dt.date(2013, 9, 5)
    assert parse_date(dt.datetime(2013, 9, 5, 0, 0)) == dt.date(2013, 9, 5)
    for bad in ["31/02/2013", "2013/13/01", "hôm qua", ""]:
        with pytest.raises(InvalidValue, match="ngày/tháng/năm"):
            parse_date(bad)


@pytest.mark.parametrize(
    ("text", "gender"),
    [("Nam", Gender.MALE), ("nữ", Gender.FEMALE), ("NU", Gender.FEMALE), ("m", Gender.MALE)],
)
def test_gender(text: str, gender: Gender) -> None:
    assert Gender.parse(text) is gender


def test_gender_refused() -> None:
    with pytest.raises(InvalidValue, match="Nam hoặc Nữ"):
        Gender.parse("x")
