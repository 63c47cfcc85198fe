"""The subject catalog of CT GDPT 2018 and the helpers the rule modules share."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.i18n import use_language
from core.rules import primary, secondary
from core.rules.catalog import (
    Assessment,
    Choice,
    SchoolLevel,
    find_subject,
    grades,
    has_learning_topics,
    level_label,
    match_key,
    read_number,
    subjects_for,
)
from core.rules.secondary import regular_assessments

PRI, LOW, UPP = SchoolLevel.PRIMARY, SchoolLevel.LOWER_SECONDARY, SchoolLevel.UPPER_SECONDARY


def test_grades_and_labels() -> None:
    assert list(grades(PRI)) == [1, 2, 3, 4, 5]
    assert list(grades(LOW)) == [6, 7, 8, 9]
    assert list(grades(UPP)) == [10, 11, 12]
    assert [level_label(lv) for lv in SchoolLevel] == [
        "Tiểu học",
        "Trung học cơ sở",
        "Trung học phổ thông",
    ]


@pytest.mark.parametrize("level", list(SchoolLevel))
def test_catalog_is_sound(level: SchoolLevel) -> None:
    subjects = subjects_for(level)
    assert subjects
    codes = [s.code for s in subjects]
    assert len(codes) == len(set(codes))
    assert all(code.isascii() and code.isupper() for code in codes)
    for spec in subjects:
        assert spec.periods, spec.code
        assert set(spec.periods) <= set(grades(level)), spec.code
        # No spelling may name two subjects of the same level.
        others = set().union(*(o.match_keys() for o in subjects if o is not spec))
        assert not spec.match_keys() & others, spec.code


def test_primary_is_assessed_by_levels_only() -> None:
    assert {s.assessment for s in subjects_for(PRI)} == {Assessment.LEVELS}
    assert all(s.assessment is not Assessment.LEVELS for s in subjects_for(LOW) + subjects_for(UPP))


@pytest.mark.parametrize(
    ("level", "code", "assessment"),
    [
        (LOW, "NV", Assessment.SCORED),
        (LOW, "GDTC", Assessment.COMMENT),
        (LOW, "NT", Assessment.COMMENT),
        (LOW, "HDTN", Assessment.COMMENT),
        (LOW, "GDDP", Assessment.COMMENT),
        (UPP, "GDQPAN", Assessment.SCORED),
        (UPP, "AN", Assessment.COMMENT),
        (UPP, "MT", Assessment.COMMENT),
    ],
)
def test_assessment(level: SchoolLevel, code: str, assessment: Assessment) -> None:
    spec = find_subject(level, code)
    assert spec is not None and spec.assessment is assessment


@pytest.mark.parametrize(
    ("level", "code", "grade", "periods", "regular"),
    [
        (LOW, "NV", 6, 140, 4),
        (LOW, "TOAN", 9, 140, 4),
        (LOW, "NN1", 7, 105, 4),
        (LOW, "GDCD", 8, 35, 2),
        (LOW, "LSDL", 6, 105, 4),
        (LOW, "KHTN", 6, 140, 4),
        (LOW, "CN", 6, 35, 2),
        (LOW, "CN", 7, 35, 2),
        (LOW, "CN", 8, 52, 3),
        (LOW, "CN", 9, 52, 3),
        (LOW, "TH", 6, 35, 2),
        (UPP, "NV", 10, 105, 4),
        (UPP, "TOAN", 11, 105, 4),
        (UPP, "NN1", 12, 105, 4),
        (UPP, "LS", 10, 52, 3),
        (UPP, "GDQPAN", 10, 35, 2),
        (UPP, "DL", 11, 70, 3),
        (UPP, "GDKTPL", 10, 70, 3),
        (UPP, "VL", 10, 70, 3),
        (UPP, "HH", 10, 70, 3),
        (UPP, "SH", 12, 70, 3),
        (UPP, "CN", 10, 70, 3),
        (UPP, "TH", 10, 70, 3),
        # Comment-only subjects: 2 whatever the periods (TT22 Điều 6, khoản 2, điểm a)
        (LOW, "GDTC", 6, 70, 2),
        (LOW, "NT", 7, 70, 2),
        (LOW, "HDTN", 8, 105, 2),
        (LOW, "GDDP", 9, 35, 2),
        (UPP, "GDTC", 10, 70, 2),
        (UPP, "HDTN", 11, 105, 2),
        (UPP, "GDDP", 12, 35, 2),
        (UPP, "AN", 10, 70, 2),
        (UPP, "MT", 10, 70, 2),
    ],
)
def test_periods_give_the_regular_mark_count(
    level: SchoolLevel, code: str, grade: int, periods: int, regular: int
) -> None:
    """TT22 Điều 6, khoản 2: điểm b by yearly periods for scored subjects, điểm a for the
    comment-only ones."""
    spec = find_subject(level, code)
    assert spec is not None
    assert spec.yearly_periods(grade) == periods
    assert regular_assessments(spec.assessment, spec.yearly_periods(grade)) == regular


# CT GDPT 2018 (TT32/2018 as amended by TT13/2022): the subjects with a cluster of learning
# topics in upper secondary, whose result is one more regular assessment (TT22 Điều 6 khoản 3).
WITH_TOPICS = {"NV", "TOAN", "LS", "DL", "GDKTPL", "VL", "HH", "SH", "CN", "TH", "AN", "MT"}


@pytest.mark.parametrize("spec", subjects_for(UPP), ids=lambda s: s.code)
def test_upper_secondary_subjects_with_learning_topics(spec) -> None:
    assert spec.learning_topics is (spec.code in WITH_TOPICS)
    for grade in grades(UPP):
        assert has_learning_topics(spec.code, grade) is (spec.code in WITH_TOPICS)


@pytest.mark.parametrize("level", [PRI, LOW])
def test_no_learning_topics_below_upper_secondary(level: SchoolLevel) -> None:
    """Điều 6 khoản 3 is about "cụm chuyên đề học tập ... ở cấp trung học phổ thông" only."""
    for spec in subjects_for(level):
        assert not spec.learning_topics
        assert not any(has_learning_topics(spec.code, g) for g in grades(level))


@pytest.mark.parametrize(
    ("code", "taught", "not_taught"),
    [
        ("NN1", [3, 4, 5], [1, 2]),
        ("TNXH", [1, 2, 3], [4, 5]),
        ("LSDL", [4, 5], [1, 2, 3]),
        ("KH", [4, 5], [1, 2, 3]),
        ("TINCN", [3, 4, 5], [1, 2]),
        ("TV", [1, 2, 3, 4, 5], []),
    ],
)
def test_primary_grades_taught(code: str, taught: list[int], not_taught: list[int]) -> None:
    spec = find_subject(PRI, code)
    assert spec is not None
    assert all(spec.taught_in(g) for g in taught)
    assert not any(spec.taught_in(g) for g in not_taught)


def test_yearly_periods_outside_the_grades_is_a_bug() -> None:
    spec = find_subject(PRI, "KH")
    assert spec is not None
    with pytest.raises(ValueError, match="KH"):
        spec.yearly_periods(1)


@pytest.mark.parametrize(
    ("level", "text", "code"),
    [
        (LOW, "Ngữ văn", "NV"),
        (LOW, "ngu van", "NV"),
        (LOW, "Văn", "NV"),
        (LOW, "  NGỮ   VĂN ", "NV"),
        (LOW, "nv", "NV"),
        (LOW, "Toán học", "TOAN"),
        (LOW, "toan", "TOAN"),
        (LOW, "Tiếng Anh", "NN1"),
        (LOW, "tieng anh", "NN1"),
        (LOW, "Anh văn", "NN1"),
        (LOW, "Thể dục", "GDTC"),
        (LOW, "the duc", "GDTC"),
        (LOW, "Lịch sử - Địa lí", "LSDL"),
        (LOW, "Lịch sử và Địa lý", "LSDL"),
        (LOW, "lich su & dia li", "LSDL"),
        (LOW, "KHTN", "KHTN"),
        (LOW, "Khoa học tự nhiên", "KHTN"),
        (LOW, "GDCD", "GDCD"),
        (LOW, "HĐTN-HN", "HDTN"),
        (LOW, "Hoạt động trải nghiệm, hướng nghiệp", "HDTN"),
        (LOW, "GDĐP", "GDDP"),
        (LOW, "Giáo dục địa phương", "GDDP"),
        (UPP, "Vật lý", "VL"),
        (UPP, "vat li", "VL"),
        (UPP, "Hóa học", "HH"),
        (UPP, "Hoá", "HH"),
        (UPP, "GDKT&PL", "GDKTPL"),
        (UPP, "GDQP-AN", "GDQPAN"),
        (UPP, "Mỹ thuật", "MT"),
        (UPP, "Địa lý", "DL"),
        (PRI, "Tiếng Việt", "TV"),
        (PRI, "tieng viet", "TV"),
        (PRI, "Tự nhiên - Xã hội", "TNXH"),
        (PRI, "Tin học và Công nghệ", "TINCN"),
        (PRI, "Âm nhạc", "AN"),
        (PRI, "mi thuat", "MT"),
        (PRI, "Tiếng Anh", "NN1"),
    ],
)
def test_find_subject(level: SchoolLevel, text: str, code: str) -> None:
    spec = find_subject(level, text)
    assert spec is not None and spec.code == code


@pytest.mark.parametrize(
    ("level", "text"),
    [(LOW, "Vật lí"), (UPP, "KHTN"), (PRI, "Ngữ văn"), (LOW, ""), (UPP, "Lịch sử và Địa lí")],
)
def test_find_subject_unknown(level: SchoolLevel, text: str) -> None:
    assert find_subject(level, text) is None


def test_match_key() -> None:
    assert match_key("Lịch sử & Địa lý") == "lich su dia li"
    assert match_key("Lịch sử và Địa lí") == match_key("Lịch sử - Địa lí")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("7,5", Decimal("7.5")),
        (" 8 ", Decimal("8")),
        (7.3, Decimal("7.3")),
        (3, Decimal("3")),
        (Decimal("2.25"), Decimal("2.25")),
        ("-1", None),
        (-1, None),
        ("7,5,1", None),
        ("", None),
        ("1e3", None),
        (True, None),
        (float("nan"), None),
    ],
)
def test_read_number(raw: str | int | float | Decimal, expected: Decimal | None) -> None:
    assert read_number(raw) == expected


CHOICES: list[type[Choice]] = [
    secondary.Verdict,
    secondary.Level,
    secondary.Promotion,
    secondary.Title,
    primary.SubjectLevel,
    primary.QualityLevel,
    primary.TestPoint,
    primary.YearResult,
]


@pytest.mark.parametrize("choice", CHOICES)
def test_every_choice_parses_its_own_code_and_label(choice: type[Choice]) -> None:
    for member in choice:
        assert choice.parse(member.value) is member
        assert choice.parse(member.label) is member
        with use_language("en"):
            assert choice.parse(member.value) is member
    # No spelling may name two members.
    keys = [member.match_keys() for member in choice]
    assert all(not a & b for i, a in enumerate(keys) for b in keys[i + 1 :])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GHKI", primary.TestPoint.MID_1),
        ("GHKII", primary.TestPoint.MID_2),
        ("Cuối học kì I", primary.TestPoint.END_1),
        ("cuoi nam hoc", primary.TestPoint.END_YEAR),
    ],
)
def test_initials_keep_roman_numerals(text: str, expected: primary.TestPoint) -> None:
    assert primary.TestPoint.parse(text) is expected
