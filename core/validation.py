"""Validation and normalisation of the identity data schools type in: personal IDs, phones,
names, codes, dates.

Each parser returns the normal form or raises InvalidValue whose message says what is expected,
so importers and chat flows show the same sentence for the same mistake.

Digits: IDs and phone numbers are stored in ASCII digits only. A decimal digit of another
script (full-width ０–９ from an East Asian input method, Arabic-Indic, ...) is read as the
ASCII digit it means, so a re-typed ID is the same ID and always finds the same student; any
other character that is not 0-9 (a superscript ², a circled ①, a letter) is refused.

Names and short texts are stored in NFC, single-spaced, and never with a character that shows
nothing or reorders what is shown (zero-width spaces and joiners, bidirectional controls such
as U+202E, control characters) or that XML forbids: such a character makes two equal-looking
names two people, and the signed XML record of a student carrying one can never be built.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import StrEnum

from core.errors import InvalidValue
from core.i18n import _
from core.text import ascii_digits, clean_name, describe_character, fold, hidden_character

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


MAX_NAME = 120  # Student.full_name, Staff.full_name, Guardian.full_name
_ASCII_DIGITS = re.compile(r"[0-9]+")


def shown(text: object) -> str:
    """What a person typed, quoted back in a message with its hidden characters named: a
    right-to-left override quoted as such would reorder the message itself."""
    out = []
    for ch in str(text):
        out.append(f"[{describe_character(ch)}]" if hidden_character(ch) else ch)
    return "".join(out)


def parse_national_id(text: str | int) -> str:
    """A 12-digit personal ID with a known province code; spaces and dots are tolerated.

    Decimal digits of any script are read as 0-9 (a full-width '００１２…' is the ID
    '0012…'), so a re-typed ID is the same ID; anything else is refused.
    """
    raw = re.sub(r"[\s.]", "", ascii_digits(str(text)))
    if len(raw) != 12 or not _ASCII_DIGITS.fullmatch(raw):
        raise InvalidValue(
            _(
                "Mã định danh «{value}» không hợp lệ: cần đúng 12 chữ số từ 0 đến 9 (chữ số "
                "toàn khổ như ０–９ cũng được đọc là 0–9)."
            ).format(value=shown(text))
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
    Decimal digits of any script are read as 0-9 (full-width ０９１２… is 0912…); any other
    character is refused.
    """
    digits = re.sub(r"[\s.\-()]", "", ascii_digits(str(text)))
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("84"):
            raise InvalidValue(
                _("Số điện thoại «{value}» không phải số Việt Nam (+84).").format(value=shown(text))
            )
    if not _ASCII_DIGITS.fullmatch(digits):
        raise InvalidValue(
            _(
                "Số điện thoại «{value}» chỉ được có chữ số từ 0 đến 9, ví dụ 0912345678 "
                "(chữ số toàn khổ như ０–９ cũng được đọc là 0–9)."
            ).format(value=shown(text))
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
                value=shown(text)
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
    text = ascii_digits(str(value).strip())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise InvalidValue(
        _("Ngày «{value}» không hợp lệ: ghi theo dạng ngày/tháng/năm, ví dụ 05/09/2013.").format(
            value=shown(text)
        )
    )


def check_visible(text: str, what: str, *, newlines: bool = False) -> None:
    """Refuse a text holding a character that shows nothing, reorders what is shown or is
    forbidden in XML (see the module's docstring), naming it; `what` names the field in the
    message ("Họ tên", "Nơi sinh")."""
    hidden = hidden_character(text, newlines=newlines)
    if hidden is not None:
        raise InvalidValue(
            _(
                "{what} «{value}» có ký tự ẩn hoặc ký tự điều khiển {char}: hãy gõ lại bằng bàn "
                "phím, đừng dán từ trang web hay tin nhắn."
            ).format(what=what, value=shown(text), char=describe_character(hidden))
        )


def parse_person_name(text: str) -> str:
    """A person's name as stored: NFC, single spaces, each word capitalised, at most MAX_NAME
    characters, starting with a letter (so no spreadsheet can take it for a formula), without
    hidden characters."""
    check_visible(text, _("Họ tên"))
    name = clean_name(text)
    if not any(ch.isalpha() for ch in name):
        raise InvalidValue(_("Họ tên «{value}» không có chữ nào").format(value=shown(text)))
    if not name[0].isalpha():
        raise InvalidValue(
            _("Họ tên «{value}» phải bắt đầu bằng một chữ cái").format(value=shown(text))
        )
    if len(name) > MAX_NAME:
        raise InvalidValue(
            _("Họ tên dài {n} ký tự, quá giới hạn {most} ký tự").format(n=len(name), most=MAX_NAME)
        )
    return name


def parse_short_text(text: str, what: str, most: int) -> str:
    """A one-line text (a place of birth, an ethnicity, a code): NFC, single spaces, at most
    `most` characters, without hidden characters; `what` names the field in messages."""
    check_visible(text, what)
    value = " ".join(unicodedata.normalize("NFC", text).split())
    if len(value) > most:
        raise InvalidValue(
            _("{what} dài {n} ký tự, quá giới hạn {most} ký tự").format(
                what=what, n=len(value), most=most
            )
        )
    return value


def parse_code(text: str, what: str, most: int) -> str:
    """A code (a staff code, a class name typed as a code): compatibility forms folded
    (NFKC: a full-width 'ＧＶ０１' is 'GV01', so a re-typed code finds the same person), at
    most `most` characters, without hidden characters."""
    return parse_short_text(unicodedata.normalize("NFKC", text), what, most)
