"""Fields several kinds of sheet share, with the header spellings schools use for them, and the
cell parsers that go with them.

Labels and expectations are built when called, so they follow the reader's language; the
aliases are Vietnamese spellings found in files and are never translated.
"""

from __future__ import annotations

from core import formatting
from core.errors import InvalidValue
from core.i18n import _
from core.importing.headers import Field, cell_text
from core.importing.reader import Cell
from core.rules import homeroom as rules
from core.validation import check_visible, parse_national_id, parse_person_name

NATIONAL_ID_ALIASES = (
    "Mã định danh",
    "Mã định danh cá nhân",
    "Số định danh",
    "Số định danh cá nhân",
    "Mã định danh học sinh",
    "Mã ĐDCN",
    "CCCD",
    "Số CCCD",
    "Căn cước công dân",
    "Mã HS",
    "Mã học sinh",
)
NAME_ALIASES = (
    "Họ và tên",
    "Họ tên",
    "Họ và tên học sinh",
    "Họ tên học sinh",
    "Tên học sinh",
    "Họ và tên cán bộ",
    "Họ tên cán bộ",
    "Họ và tên giáo viên",
    "Họ tên giáo viên",
)
STAFF_CODE_ALIASES = (
    "Mã cán bộ",
    "Mã CB",
    "Mã GV",
    "Mã giáo viên",
    "Mã nhân viên",
    "Mã NV",
    "Mã CBGV",
    "Mã cán bộ giáo viên",
)


def number() -> Field:
    return Field(
        "number",
        _("STT"),
        ("STT", "Số thứ tự", "TT"),
        _("số thứ tự là số nguyên, hoặc để trống"),
    )


def national_id(*, signature: bool = False) -> Field:
    return Field(
        "national_id",
        _("Mã định danh"),
        NATIONAL_ID_ALIASES,
        _("mã định danh cá nhân 12 chữ số, ví dụ 001213000123"),
        required=True,
        signature=signature,
    )


def full_name(*, required: bool) -> Field:
    return Field("full_name", _("Họ và tên"), NAME_ALIASES, _("họ và tên đầy đủ"), required)


def school_class(*, title: bool) -> Field:
    return Field(
        "class",
        _("Lớp"),
        ("Lớp", "Tên lớp", "Lớp học"),
        _("tên lớp gồm khối và tên, ví dụ 6A, của một khối trường có"),
        required=True,
        title_labels=("lop hoc", "lop") if title else (),
    )


def subject(*, title: bool) -> Field:
    return Field(
        "subject",
        _("Môn"),
        ("Môn", "Môn học", "Tên môn", "Môn dạy", "Môn giảng dạy"),
        _("tên hoặc mã một môn của trường, dạy ở khối của lớp"),
        required=True,
        title_labels=("mon hoc", "mon") if title else (),
    )


def term(*, title: bool) -> Field:
    return Field(
        "term",
        _("Học kỳ"),
        ("Học kỳ", "HK", "Kỳ"),
        _("I hoặc II (cũng nhận 1, 2, HK1, HKII)"),
        required=True,
        title_labels=("hoc ky", "hoc ki", "hk") if title else (),
    )


def staff_code(*, signature: bool) -> Field:
    return Field(
        "staff_code",
        _("Mã cán bộ"),
        STAFF_CODE_ALIASES,
        _("mã cán bộ của trường, ví dụ GV01"),
        required=True,
        signature=signature,
    )


def subject_comment() -> Field:
    """The subject teacher's comment on a student for the term (Thông tư 22 Điều 4, Thông tư 27
    Điều 6: nhận xét), beside the marks of a grade sheet. Never a signature field: a homeroom
    sheet has a "Nhận xét" column too, and only the mark columns tell a grade sheet from it."""
    return Field(
        "comment",
        _("Nhận xét"),
        (
            "Nhận xét",
            "NX",
            "Nhan xet",
            "Nhận xét của giáo viên bộ môn",
            "Nhận xét của GVBM",
            "Nhận xét GVBM",
            "Nhận xét môn học",
            "Lời nhận xét",
        ),
        _("lời nhận xét của giáo viên bộ môn, tối đa {limit} ký tự").format(
            limit=formatting.integer(rules.MAX_COMMENT)
        ),
    )


def parse_comment(raw: Cell) -> str:
    """A comment as the rules take it (core.rules.homeroom.parse_comment), checked once more
    for a character that hides or reorders text: a right-to-left override would make the
    printed record read otherwise than it is. The one check of every sheet's comment cells,
    the homeroom teacher's and the subject teachers'."""
    text = rules.parse_comment(raw)
    check_visible(text, _("Nhận xét"), newlines=True)
    return text


def parse_national_id_cell(raw: Cell) -> str:
    """The ID, with the leading zeros back when Excel stored it as a number (every province
    code starts with 0, so 1213000123 was 001213000123)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool) and float(raw).is_integer():
        digits = str(int(raw))
        return parse_national_id(digits.zfill(12) if len(digits) <= 12 else digits)
    return parse_national_id(cell_text(raw))


def parse_name(raw: Cell) -> str:
    """A person's name (core.validation.parse_person_name: NFC, no hidden characters)."""
    return parse_person_name(cell_text(raw))


def parse_number(raw: Cell) -> int:
    text = cell_text(raw).rstrip(".")
    if not text.isdigit():
        raise InvalidValue(_("Số thứ tự «{value}» không phải số").format(value=cell_text(raw)))
    return int(text)
