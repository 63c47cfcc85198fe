"""Thông tư 27/2020/TT-BGDĐT rules, with cases checked by hand against the regulation."""

from __future__ import annotations

import pytest

from core.errors import InvalidValue
from core.rules.primary import (
    COMPETENCIES,
    GENERAL_COMPETENCIES,
    QUALITIES,
    SPECIFIC_COMPETENCIES,
    QualityLevel,
    SubjectLevel,
    TestPoint,
    YearResult,
    parse_periodic_score,
    periodic_tests,
    year_result,
)

HTT, HT, CHT = SubjectLevel.GOOD, SubjectLevel.DONE, SubjectLevel.NOT_DONE
TOT, DAT, CCG = QualityLevel.GOOD, QualityLevel.PASS, QualityLevel.EFFORT
END_ONLY = (TestPoint.END_1, TestPoint.END_YEAR)
FOUR = (TestPoint.MID_1, TestPoint.END_1, TestPoint.MID_2, TestPoint.END_YEAR)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T", HTT),
        ("Hoàn thành tốt", HTT),
        ("hoan thanh tot", HTT),
        ("HTT", HTT),
        ("H", HT),
        ("Hoàn thành", HT),
        ("ht", HT),
        ("C", CHT),
        ("Chưa hoàn thành", CHT),
        ("CHT", CHT),
    ],
)
def test_subject_level_parse(text: str, expected: SubjectLevel) -> None:
    assert SubjectLevel.parse(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T", TOT),
        ("Tốt", TOT),
        ("Đ", DAT),
        ("dat", DAT),
        ("C", CCG),
        ("Cần cố gắng", CCG),
        ("can co gang", CCG),
        ("CCG", CCG),
    ],
)
def test_quality_level_parse(text: str, expected: QualityLevel) -> None:
    assert QualityLevel.parse(text) is expected


@pytest.mark.parametrize(
    ("cls", "text"), [(SubjectLevel, "Giỏi"), (SubjectLevel, ""), (QualityLevel, "Khá")]
)
def test_level_parse_refuses(cls: type[SubjectLevel] | type[QualityLevel], text: str) -> None:
    with pytest.raises(InvalidValue, match="cần một trong các mức"):
        cls.parse(text)


def test_labels_and_order() -> None:
    assert [s.label for s in SubjectLevel] == ["Hoàn thành tốt", "Hoàn thành", "Chưa hoàn thành"]
    assert [q.label for q in QualityLevel] == ["Tốt", "Đạt", "Cần cố gắng"]
    assert HTT.rank > HT.rank > CHT.rank
    assert TOT.rank > DAT.rank > CCG.rank
    assert YearResult.EXCELLENT.label == "Hoàn thành xuất sắc"


def test_qualities_and_competencies() -> None:
    assert [name for _, name in QUALITIES] == [
        "Yêu nước",
        "Nhân ái",
        "Chăm chỉ",
        "Trung thực",
        "Trách nhiệm",
    ]
    assert len(GENERAL_COMPETENCIES) == 3
    assert len(SPECIFIC_COMPETENCIES) == 7
    assert COMPETENCIES == GENERAL_COMPETENCIES + SPECIFIC_COMPETENCIES
    codes = [code for code, _ in QUALITIES + COMPETENCIES]
    assert len(codes) == len(set(codes)) == 15
    assert all(code.isascii() for code in codes)


@pytest.mark.parametrize(
    ("grade", "subject", "expected"),
    [
        (1, "TV", END_ONLY),
        (1, "TOAN", END_ONLY),
        (3, "TOAN", END_ONLY),
        (4, "TV", FOUR),
        (5, "TOAN", FOUR),
        (1, "NN1", ()),  # taught from grade 3
        (3, "NN1", END_ONLY),
        (5, "NN1", END_ONLY),  # no mid-term test outside Tiếng Việt and Toán
        (3, "TINCN", END_ONLY),
        (2, "TINCN", ()),
        (3, "LSDL", ()),  # taught from grade 4
        (4, "LSDL", END_ONLY),
        (4, "KH", END_ONLY),
        (3, "KH", ()),
        (3, "TNXH", ()),  # no periodic test
        (4, "DD", ()),
        (5, "GDTC", ()),
        (5, "HDTN", ()),
        (5, "XYZ", ()),
    ],
)
def test_periodic_tests(grade: int, subject: str, expected: tuple[TestPoint, ...]) -> None:
    assert periodic_tests(grade, subject) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("1", 1), ("10", 10), (" 7 ", 7), (9, 9), (8.0, 8), ("6,0", 6)]
)
def test_parse_periodic_score(text: str | int | float, expected: int) -> None:
    assert parse_periodic_score(text) == expected


@pytest.mark.parametrize("text", ["0", 0, "7.5", "7,5", 7.5, "11", "-1", "", "abc", True])
def test_parse_periodic_score_refuses(text: str | int | float) -> None:
    with pytest.raises(InvalidValue, match="số nguyên từ 1 đến 10"):
        parse_periodic_score(text)


ALL_HTT = [HTT] * 10
ALL_TOT = [TOT] * 15


@pytest.mark.parametrize(
    ("subjects", "qualities", "scores", "expected"),
    [
        (ALL_HTT, ALL_TOT, [9, 9, 10], YearResult.EXCELLENT),
        (ALL_HTT, ALL_TOT, [9, 8, 10], YearResult.GOOD),  # one test below 9
        (ALL_HTT, ALL_TOT, [7, 7], YearResult.GOOD),
        (ALL_HTT, ALL_TOT, [7, 6], YearResult.DONE),
        ([*ALL_HTT[:-1], HT], ALL_TOT, [10, 10], YearResult.DONE),  # one subject Hoàn thành
        (ALL_HTT, [*ALL_TOT[:-1], DAT], [10, 10], YearResult.DONE),  # one quality Đạt
        ([HT] * 10, [DAT] * 15, [5, 5], YearResult.DONE),
        ([HT] * 10, [DAT] * 15, [5, 4], YearResult.NOT_DONE),
        ([*ALL_HTT[:-1], CHT], ALL_TOT, [10, 10], YearResult.NOT_DONE),
        (ALL_HTT, [*ALL_TOT[:-1], CCG], [10, 10], YearResult.NOT_DONE),
        (ALL_HTT, ALL_TOT, [], YearResult.EXCELLENT),  # no scores passed: the levels alone decide
    ],
)
def test_year_result(
    subjects: list[SubjectLevel],
    qualities: list[QualityLevel],
    scores: list[int],
    expected: YearResult,
) -> None:
    assert year_result(subjects, qualities, scores) is expected
