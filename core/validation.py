"""Validation and normalisation of the identity data schools type in: personal IDs, phones, dates.

Each parser returns the normal form or raises InvalidValue whose message says what is expected,
so importers and chat flows show the same sentence for the same mistake.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from core.errors import InvalidValue
from core.i18n import _
from core.text import fold

# Province codes of the 12-digit personal ID (Thông tư 07/2016/TT-BCA, Điều 7, as amended by
# Thông tư 59/2021/TT-BCA). IDs issued before the 2025 province merger keep their old code.
PROVINCE_CODES = frozenset(
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 "
    "036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 "
    "074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096".split()
)


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"

    @property
    def label(self) -> str:
        return _("Nam") if self is Gender.MALE else _("Nữ")

    @classmethod
    def parse(cls, text: str) -> Gender:
        key = fold(str(text))
        if key in {"nam", "m", "male", "trai"}:
            return cls.MALE
        if key in {"nu", "f", "female", "gai"}:
            return cls.FEMALE
        raise InvalidValue(_("Giới tính «{value}» không rõ: ghi Nam hoặc Nữ.").format(value=text))


def parse_national_id(text: str | int) -> str:
    """A 12-digit personal ID with a known province code; spaces and dots are tolerated."""
    raw = re.sub(r"[\s.]", "", str(text))
    if not re.fullmatch(r"\d{12}", raw):
        raise InvalidValue(
            _("Mã định danh «{value}» không hợp lệ: cần đúng 12 chữ số.").format(value=text)
        )
    if raw[:3] not in PROVINCE_CODES:
        raise InvalidValue(
            _("Mã định danh {value}: 3 số đầu {code} không phải mã tỉnh, thành phố.").format(
                value=raw, code=raw[:3]
            )
        )
    return raw


def check_national_id_matches(national_id: str, born: dt.date, gender: Gender) -> None:
    """The 4th digit encodes century and gender, the 5th–6th the year of birth (TT 07/2016/TT-BCA).

    A mismatch nearly always means a typo in one of the three fields, so it is refused.
    """
    century_digit = int(national_id[3])
    century = 1900 + 100 * (century_digit // 2)
    expected_gender = Gender.MALE if century_digit % 2 == 0 else Gender.FEMALE
    year = century + int(national_id[4:6])
    if year != born.year or expected_gender is not gender:
        raise InvalidValue(
            _(
                "Mã định danh {value} ghi năm sinh {year}, giới tính {gender}, "
                "khác với ngày sinh {born} hoặc giới tính đã khai."
            ).format(
                value=national_id,
                year=year,
                gender=expected_gender.label,
                born=born.strftime("%d/%m/%Y"),
            )
        )


def normalise_phone(text: str | int) -> str:
    """Vietnamese phone numbers in one form, +84 followed by 9 or 10 digits.

    Accepts what people write: 0912 345 678, 0912.345.678, +84 912345678, 84912345678, and
    numbers that a spreadsheet stored as integers and so lost their leading 0 (912345678).
    """
    digits = re.sub(r"[\s.\-()]", "", str(text))
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("84"):
            raise InvalidValue(
                _("Số điện thoại «{value}» không phải số Việt Nam (+84).").format(value=text)
            )
    if not digits.isdigit():
        raise InvalidValue(
            _("Số điện thoại «{value}» chỉ được có chữ số, ví dụ 0912345678.").format(value=text)
        )
    if digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    if len(national) not in (9, 10) or national.startswith("0"):
        raise InvalidValue(
            _("Số điện thoại «{value}» không hợp lệ: cần 10 số, ví dụ 0912345678.").format(
                value=text
            )
        )
    return "+84" + national


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def parse_date(value: str | dt.date | dt.datetime) -> dt.date:
    """A calendar date as schools write it (dd/mm/yyyy) or as a spreadsheet stores it."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidValue(
        _("Ngày «{value}» không hợp lệ: ghi theo dạng ngày/tháng/năm, ví dụ 05/09/2013.").format(
            value=text
        )
    )
