"""The columns of the homeroom teacher's sheet and what each of its cells may hold.

Per student and term: conduct (kết quả rèn luyện, Tốt / Khá / Đạt / Chưa đạt, Thông tư 22
Điều 8) in secondary school; in primary school the levels of the qualities and competencies
(Tốt / Đạt / Cần cố gắng, Thông tư 27 Điều 7 khoản 2) instead; in both the days absent with and
without permission (promotion counts them, TT22 Điều 12; the homeroom teacher follows
attendance and signs the days absent, regulation 001 Điều 34.1 and 34.4) and the homeroom
teacher's comment (001 Điều 24.5b and 34.5; 000 Điều 7).

The values are read by core.rules.homeroom, the rules the bot's guided entry and the
corrections use too (conduct's scale, days absent from 0 to the term's school days, a comment
of at most 1,000 characters, and why).

Header spellings are Vietnamese as found in schools' files and are never translated.
"""

from __future__ import annotations

from core import formatting
from core.formatting import roman
from core.i18n import _
from core.importing.headers import Field
from core.rules.homeroom import MAX_COMMENT
from core.rules.primary import COMPETENCIES, QUALITIES, TestPoint

# The first line of the homeroom sheet's guide (core.services.homeroom_sheet): never
# translated, so the bot knows a homeroom sheet by it and the importer passes over the guide.
HOMEROOM_GUIDE_HEADING = "HƯỚNG DẪN ĐIỀN BẢNG CHỦ NHIỆM"
# Where a term's qualities and competencies are recorded: its end (TT27 Điều 7 khoản 2 assesses
# them at mid and end of each term; the record book and the year result take the end ones).
TERM_POINT = {1: TestPoint.END_1, 2: TestPoint.END_YEAR}

CONDUCT_NAMES = (
    "Rèn luyện",
    "Kết quả rèn luyện",
    "KQRL",
    "Xếp loại rèn luyện",
    "Mức rèn luyện",
    "RL",
    "Hạnh kiểm",
    "Xếp loại hạnh kiểm",
)
_TERM_NAMES = {
    1: ("HK I", "HK1", "Học kỳ I", "Học kỳ 1", "Kỳ I", "Kỳ 1"),
    2: ("HK II", "HK2", "Học kỳ II", "Học kỳ 2", "Kỳ II", "Kỳ 2"),
}
_YEAR_NAMES = ("CN", "Cả năm", "Cả năm học", "Năm học")
QUALITY_CODES = tuple(code for code, _name in QUALITIES + COMPETENCIES)


def conduct_fields() -> tuple[Field, ...]:
    """The term's conduct; a column that names a term ("Rèn luyện HK II") is read too, so a
    sheet of the wrong term is told as such; the year's column is recognised only to be
    refused (the year's conduct follows from the two terms, TT22 Điều 8)."""
    expected = _("Tốt, Khá, Đạt hoặc Chưa đạt (cũng nhận T, K, Đ, CĐ)")
    found = [Field("conduct", _("Rèn luyện"), CONDUCT_NAMES, expected, signature=True)]
    for number, names in _TERM_NAMES.items():
        found.append(
            Field(
                f"conduct_{number}",
                _("Rèn luyện HK {term}").format(term=roman(number)),
                tuple(f"{c} {t}" for c in CONDUCT_NAMES for t in names),
                expected,
                signature=True,
            )
        )
    found.append(
        Field(
            "conduct_year",
            _("Rèn luyện cả năm"),
            tuple(f"{c} {t}" for c in CONDUCT_NAMES for t in _YEAR_NAMES),
            _("để trống: rèn luyện cả năm được tính từ hai học kỳ"),
        )
    )
    return tuple(found)


def absence_fields() -> tuple[Field, ...]:
    def names(kind: str, short: str) -> tuple[str, ...]:
        return (
            f"Nghỉ {kind}",
            f"Số ngày nghỉ {kind}",
            f"Ngày nghỉ {kind}",
            f"Nghỉ học {kind}",
            f"Nghỉ {short}",
            kind.capitalize(),
            short,
        )

    expected = _("số nguyên ngày nghỉ, từ 0 đến số ngày học của học kỳ")
    return (
        Field("excused", _("Nghỉ có phép"), names("có phép", "CP"), expected, signature=True),
        Field(
            "unexcused", _("Nghỉ không phép"), names("không phép", "KP"), expected, signature=True
        ),
    )


def comment_field() -> Field:
    return Field(
        "comment",
        _("Nhận xét"),
        (
            "Nhận xét",
            "Nhận xét của GVCN",
            "Nhận xét GVCN",
            "Nhận xét của giáo viên chủ nhiệm",
            "Nhận xét chung",
            "Nhận xét cuối kỳ",
            "Nhận xét cuối học kỳ",
            "Nhận xét cuối năm",
            "Lời nhận xét",
        ),
        _("lời nhận xét, tối đa {limit} ký tự").format(limit=formatting.integer(MAX_COMMENT)),
        signature=True,
    )


def quality_fields() -> tuple[Field, ...]:
    """One column per quality and competency, headed by its name (CT GDPT 2018 order)."""
    expected = _("T (Tốt), Đ (Đạt) hoặc C (Cần cố gắng)")
    return tuple(
        Field(
            f"quality_{code}",
            name,
            (name, f"{group} {name}", f"{short} {name}", code),
            expected,
            signature=True,
        )
        for pairs, group, short in (
            (QUALITIES, "Phẩm chất", "PC"),
            (COMPETENCIES, "Năng lực", "NL"),
        )
        for code, name in pairs
    )
