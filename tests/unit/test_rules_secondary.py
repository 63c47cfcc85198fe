"""Thông tư 22/2021/TT-BGDĐT rules, with cases checked by hand against the regulation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidValue
from core.i18n import use_language
from core.rules.catalog import Assessment
from core.rules.secondary import (
    COMMENT_REGULAR_ASSESSMENTS,
    PERIODIC_ASSESSMENTS,
    Level,
    Promotion,
    Title,
    Verdict,
    comment_subject_term,
    comment_subject_year,
    conduct_year,
    learning_result,
    parse_score,
    promotion,
    regular_assessments,
    round_score,
    term_average,
    title,
    year_average,
)

D = Decimal
T, K, DAT, CD = Level.GOOD, Level.FAIR, Level.PASS, Level.FAIL
OK, NO = Verdict.PASS, Verdict.FAIL


def marks(*values: str) -> list[Decimal]:
    return [D(v) for v in values]


# ---------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đ", OK),
        ("Đạt", OK),
        ("dat", OK),
        ("D", OK),
        (" đạt ", OK),
        ("CĐ", NO),
        ("Chưa đạt", NO),
        ("chua dat", NO),
        ("CD", NO),
        ("cđ", NO),
    ],
)
def test_verdict_parse(text: str, expected: Verdict) -> None:
    assert Verdict.parse(text) is expected


@pytest.mark.parametrize("text", ["", "x", "Đạt yêu cầu", "T", "Tốt", "7"])
def test_verdict_parse_refuses(text: str) -> None:
    with pytest.raises(InvalidValue, match="Đ \\(Đạt\\), CĐ \\(Chưa đạt\\)"):
        Verdict.parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("T", T),
        ("Tốt", T),
        ("tot", T),
        ("K", K),
        ("Khá", K),
        ("kha", K),
        ("Đ", DAT),
        ("Đạt", DAT),
        ("CĐ", CD),
        ("chưa đạt", CD),
    ],
)
def test_level_parse(text: str, expected: Level) -> None:
    assert Level.parse(text) is expected


def test_level_parse_refuses() -> None:
    with pytest.raises(InvalidValue):
        Level.parse("Giỏi")


def test_parse_accepts_vietnamese_whatever_the_reader_language() -> None:
    with use_language("en"):
        assert Level.parse("Khá") is K


def test_labels() -> None:
    assert [lv.label for lv in Level] == ["Tốt", "Khá", "Đạt", "Chưa đạt"]
    assert [v.label for v in Verdict] == ["Đạt", "Chưa đạt"]


def test_level_order() -> None:
    assert T.rank > K.rank > DAT.rank > CD.rank
    assert K.at_least(DAT) and K.at_least(K) and not DAT.at_least(K)
    assert CD.raised() is DAT and T.raised() is T


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", D("7")),
        ("7.5", D("7.5")),
        ("7,5", D("7.5")),
        (" 8,0 ", D("8")),
        ("0", D("0")),
        ("10", D("10")),
        ("10.0", D("10")),
        ("7.50", D("7.5")),
        (9, D("9")),
        (6.5, D("6.5")),
        (7.3, D("7.3")),
        (D("4.0"), D("4")),
    ],
)
def test_parse_score(text: str | int | float | Decimal, expected: Decimal) -> None:
    assert parse_score(text) == expected


@pytest.mark.parametrize(
    "text",
    ["7.25", "11", "10.1", "-1", "abc", "", "  ", "7..5", "1e1", "NaN", 7.25, -0.5, True, D("inf")],
)
def test_parse_score_refuses(text: str | int | float | Decimal) -> None:
    with pytest.raises(InvalidValue, match="điểm từ 0 đến 10"):
        parse_score(text)


# ---------------------------------------------------------------------------- averages


@pytest.mark.parametrize(
    ("periods", "count"), [(1, 2), (35, 2), (36, 3), (52, 3), (70, 3), (71, 4), (105, 4), (140, 4)]
)
def test_regular_assessments_of_a_scored_subject_follow_its_periods(
    periods: int, count: int
) -> None:
    """TT22 Điều 6, khoản 2, điểm b: 2 up to 35 periods a year, 3 above 35 up to 70, 4 above."""
    assert regular_assessments(Assessment.SCORED, periods) == count


@pytest.mark.parametrize("periods", [35, 36, 70, 71, 105])
def test_a_comment_subject_has_two_regular_assessments_whatever_its_periods(periods: int) -> None:
    """TT22 Điều 6, khoản 2, điểm a: 2 a term for a comment-only subject; the scale by
    periods (điểm b) is for scored subjects only."""
    assert regular_assessments(Assessment.COMMENT, periods) == COMMENT_REGULAR_ASSESSMENTS == 2


def test_primary_subjects_have_no_regular_assessments() -> None:
    with pytest.raises(ValueError, match="levels"):
        regular_assessments(Assessment.LEVELS, 35)


@pytest.mark.parametrize(
    ("x", "expected"),
    [("7.25", "7.3"), ("6.45", "6.5"), ("7.24", "7.2"), ("6.449", "6.4"), ("10", "10.0")],
)
def test_round_score_half_up(x: str, expected: str) -> None:
    assert round_score(D(x)) == D(expected)
    assert str(round_score(D(x))) == expected


def test_decimal_where_float_gets_it_wrong() -> None:
    # round() on floats rounds half to even, and float sums drift below the .x5 boundary.
    assert round(7.25, 1) == 7.2
    assert round_score(D("7.25")) == D("7.3")
    float_average = (6.1 + 6.1 + 7.1 + 2 * 7.3 + 3 * 5.1) / 8  # 6.15 exactly on paper
    assert float_average < 6.15
    assert term_average(marks("6.1", "6.1", "7.1"), D("7.3"), D("5.1")) == D("6.2")


@pytest.mark.parametrize(
    ("regular", "mid", "final", "expected"),
    [
        # (7 + 8 + 2*6 + 3*7) / 7 = 48 / 7 = 6.857...
        (["7", "8"], "6", "7", "6.9"),
        # (8 + 9 + 7 + 2*8 + 3*9) / 8 = 67 / 8 = 8.375
        (["8", "9", "7"], "8", "9", "8.4"),
        # (6 + 7 + 8 + 9 + 2*7 + 3*6.5) / 9 = 63.5 / 9 = 7.055...
        (["6", "7", "8", "9"], "7", "6.5", "7.1"),
        # (6.5 + 7 + 2*7 + 3*7.5) / 7 = 50 / 7 = 7.142...
        (["6.5", "7"], "7", "7.5", "7.1"),
        # (7 + 8 + 2*7 + 3*7.5) / 7 = 51.5 / 7 = 7.357...
        (["7", "8"], "7", "7.5", "7.4"),
        # (5 + 6 + 7 + 2*8 + 3*8.5) / 8 = 59.5 / 8 = 7.4375
        (["5", "6", "7"], "8", "8.5", "7.4"),
        # (10 + 6 + 2*6.5 + 3*6.5) / 7 = 48.5 / 7 = 6.928...
        (["10", "6"], "6.5", "6.5", "6.9"),
        # (7 + 7 + 8.5 + 2*8 + 3*7.5) / 8 = 61 / 8 = 7.625
        (["7", "7", "8.5"], "8", "7.5", "7.6"),
        # (6.5 + 7 + 7 + 2*7.5 + 3*7.5) / 8 = 58 / 8 = 7.25 -> 7.3 (half up)
        (["6.5", "7", "7"], "7.5", "7.5", "7.3"),
        # (6 + 6 + 7.1 + 2*6.5 + 3*6.5) / 8 = 51.6 / 8 = 6.45 -> 6.5 (float says 6.4)
        (["6", "6", "7.1"], "6.5", "6.5", "6.5"),
        # With a learning-topic result, one more regular mark (TT22 Điều 6 khoản 3, Điều 9):
        # 70 periods, TX 6, 7, 8 and topic 10: (6 + 7 + 8 + 10 + 2*7 + 3*7) / (4 + 5) = 66 / 9
        # = 7.33 -> 7.3 (without the topic: (21 + 14 + 21) / 8 = 7.0)
        (["6", "7", "8", "10"], "7", "7", "7.3"),
        # 105 periods, TX 8, 8, 8, 8 and topic 3: (32 + 3 + 2*8 + 3*8) / (5 + 5) = 75 / 10 = 7.5
        (["8", "8", "8", "8", "3"], "8", "8", "7.5"),
    ],
)
def test_term_average(regular: list[str], mid: str, final: str, expected: str) -> None:
    assert term_average(marks(*regular), D(mid), D(final)) == D(expected)


@pytest.mark.parametrize(
    ("t1", "t2", "expected"),
    [
        ("6.0", "7.5", "7.0"),  # 21.0 / 3
        ("8.0", "7.0", "7.3"),  # 22.0 / 3 = 7.33
        ("6.5", "7.0", "6.8"),  # 20.5 / 3 = 6.833
        ("5.0", "8.5", "7.3"),  # 22.0 / 3
        ("7.1", "7.0", "7.0"),  # 21.1 / 3 = 7.033
        ("7.25", "7.0", "7.1"),  # term I rounds to 7.3 first: 21.3 / 3 = 7.1
    ],
)
def test_year_average(t1: str, t2: str, expected: str) -> None:
    assert year_average(D(t1), D(t2)) == D(expected)


one_decimal = st.integers(min_value=0, max_value=100).map(lambda n: D(n) / 10)
regular_marks = st.lists(one_decimal, min_size=2, max_size=4)


def _has_one_decimal_within_range(x: Decimal) -> bool:
    return D(0) <= x <= D(10) and x == x.quantize(D("0.1")) and x.as_tuple().exponent == -1


@given(regular_marks, one_decimal, one_decimal)
def test_term_average_stays_a_mark(regular: list[Decimal], mid: Decimal, final: Decimal) -> None:
    assert _has_one_decimal_within_range(term_average(regular, mid, final))


@given(one_decimal, one_decimal)
def test_year_average_stays_a_mark_between_the_terms(t1: Decimal, t2: Decimal) -> None:
    avg = year_average(t1, t2)
    assert _has_one_decimal_within_range(avg)
    assert min(t1, t2) <= avg <= max(t1, t2)


@given(st.integers(min_value=2, max_value=4), one_decimal)
def test_equal_marks_give_that_mark(n: int, mark: Decimal) -> None:
    assert term_average([mark] * n, mark, mark) == mark
    assert year_average(mark, mark) == mark


@given(regular_marks, one_decimal, one_decimal, st.data())
def test_raising_one_mark_never_lowers_the_average(
    regular: list[Decimal], mid: Decimal, final: Decimal, data: st.DataObject
) -> None:
    before = term_average(regular, mid, final)
    every = [*regular, mid, final]
    which = data.draw(st.integers(min_value=0, max_value=len(every) - 1))
    every[which] = min(every[which] + data.draw(one_decimal), D(10))
    assert term_average(every[:-2], every[-2], every[-1]) >= before


@given(one_decimal, one_decimal, one_decimal)
def test_raising_a_term_never_lowers_the_year(t1: Decimal, t2: Decimal, bump: Decimal) -> None:
    higher1 = min(t1 + bump, D(10))
    higher2 = min(t2 + bump, D(10))
    assert year_average(higher1, t2) >= year_average(t1, t2)
    assert year_average(t1, higher2) >= year_average(t1, t2)


# ---------------------------------------------------------------------------- comment subjects


@pytest.mark.parametrize(
    ("verdicts", "required", "expected"),
    [
        ([OK, OK, OK, OK], 4, OK),
        ([OK, OK, OK, OK, OK], 4, OK),
        ([OK, OK, OK], 4, NO),  # one assessment missing
        ([OK, NO, OK, OK], 4, NO),
        ([OK, OK, OK, NO], 4, NO),
        ([], 4, NO),
        ([OK, OK], 2, OK),
    ],
)
def test_comment_subject_term(verdicts: list[Verdict], required: int, expected: Verdict) -> None:
    assert comment_subject_term(verdicts, required) is expected


@pytest.mark.parametrize(
    ("regular", "expected"),
    [
        ([OK], NO),  # one regular verdict: the second of Điều 6 khoản 2 điểm a is missing
        ([OK, OK], OK),  # the two regular verdicts, then GK and CK
        ([OK, NO], NO),
        ([OK, OK, OK], OK),  # a third one (the upper-secondary topic verdict) is one more
        ([OK, OK, NO], NO),  # ... held to the same rule: every verdict Đạt (Điều 9 khoản 1)
    ],
)
def test_comment_subject_term_by_regular_verdicts(
    regular: list[Verdict], expected: Verdict
) -> None:
    """TT22 Điều 6 khoản 2 điểm a (2 regular), Điều 7 (GK, CK), Điều 9 khoản 1 (Đạt)."""
    assert COMMENT_REGULAR_ASSESSMENTS + PERIODIC_ASSESSMENTS == 4
    assert comment_subject_term([*regular, OK, OK]) is expected


@pytest.mark.parametrize(
    ("t1", "t2", "expected"), [(OK, OK, OK), (NO, OK, OK), (OK, NO, NO), (NO, NO, NO)]
)
def test_comment_subject_year_follows_term_two(t1: Verdict, t2: Verdict, expected: Verdict) -> None:
    assert comment_subject_year(t1, t2) is expected


# ---------------------------------------------------------------------------- learning result

ALL_OK = [OK, OK, OK, OK]
ONE_NO = [OK, OK, OK, NO]
TWO_NO = [OK, OK, NO, NO]


@pytest.mark.parametrize(
    ("scored", "comment", "expected"),
    [
        # Tốt: six >= 8.0 exactly, the rest >= 6.5 exactly.
        (marks("8.0", "8", "8", "8", "8", "8", "6.5", "6.5"), ALL_OK, T),
        (marks("9", "9", "9", "9", "9", "9", "9", "9"), ALL_OK, T),
        # only five >= 8.0 -> Khá
        (marks("8", "8", "8", "8", "8", "7.9", "6.5", "6.5"), ALL_OK, K),
        # one average 6.4 -> not Tốt; all >= 5.0, six >= 6.5 -> Khá
        (marks("8", "8", "8", "8", "8", "8", "8", "6.4"), ALL_OK, K),
        # Khá at the boundary: six at 6.5, the rest at 5.0
        (marks("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0", "5.0"), ALL_OK, K),
        # five >= 6.5 -> Đạt
        (marks("6.5", "6.5", "6.5", "6.5", "6.5", "6.4", "5.0", "5.0"), ALL_OK, DAT),
        # Đạt at the boundary: six at 5.0, the rest at 3.5
        (marks("5", "5", "5", "5", "5", "5", "3.5", "3.5"), ALL_OK, DAT),
        # five >= 5.0 -> Chưa đạt
        (marks("5", "5", "5", "5", "5", "4.9", "3.5", "3.5"), ALL_OK, CD),
        # two averages < 3.5 -> Chưa đạt (two subjects: no adjustment)
        (marks("5", "5", "5", "5", "5", "5", "3.4", "3.4"), ALL_OK, CD),
        # one comment subject Chưa đạt: Khá-level marks -> Đạt (one level only)
        (marks("7", "7", "7", "7", "7", "7", "7", "7"), ONE_NO, DAT),
        # two comment subjects Chưa đạt -> Chưa đạt (not one subject: no adjustment)
        (marks("9", "9", "9", "9", "9", "9", "9", "9"), TWO_NO, CD),
        # fewer than six scored subjects can never reach the counts
        (marks("10", "10", "10", "10", "10"), ALL_OK, CD),
        ([], [], CD),
    ],
)
def test_learning_result(scored: list[Decimal], comment: list[Verdict], expected: Level) -> None:
    assert learning_result(scored, comment) is expected


@pytest.mark.parametrize(
    ("scored", "comment", "expected"),
    [
        # Tốt marks, one comment subject Chưa đạt: khoản 2 gives Đạt (two levels down
        # because of that one subject) -> raised to Khá.
        (marks("9", "9", "9", "9", "9", "9", "9", "9"), ONE_NO, K),
        # Tốt marks but one average 3.4: khoản 2 gives Chưa đạt (three levels down) -> Đạt.
        (marks("9", "9", "9", "9", "9", "9", "9", "3.4"), ALL_OK, DAT),
        # Tốt marks but one average 4.9: khoản 2 gives Đạt (two down) -> Khá.
        (marks("9", "9", "9", "9", "9", "9", "9", "4.9"), ALL_OK, K),
        # Khá marks but one average 3.0: khoản 2 gives Chưa đạt (two down) -> Đạt.
        (marks("7", "7", "7", "7", "7", "7", "7", "3.0"), ALL_OK, DAT),
        # five at 9 and the sixth at 4.0: fixing that subject alone gives Tốt, so the
        # two-level drop is caused by it -> Khá (see the interpretation in the docstring).
        (marks("9", "9", "9", "9", "9", "4.0", "6.5", "6.5"), ALL_OK, K),
    ],
)
def test_learning_result_one_subject_adjustment(
    scored: list[Decimal], comment: list[Verdict], expected: Level
) -> None:
    assert learning_result(scored, comment) is expected


@pytest.mark.parametrize(
    ("scored", "comment", "expected"),
    [
        # Khá marks but one average 4.9: khoản 2 gives Đạt, one level only -> stays Đạt.
        (marks("7", "7", "7", "7", "7", "7", "7", "4.9"), ALL_OK, DAT),
        # Tốt marks, one comment subject failed AND one average 3.4: two subjects -> no help.
        (marks("9", "9", "9", "9", "9", "9", "9", "3.4"), ONE_NO, CD),
        # Tốt marks with two averages 3.4: two subjects -> Chưa đạt stays.
        (marks("9", "9", "9", "9", "9", "9", "3.4", "3.4"), ALL_OK, CD),
    ],
)
def test_learning_result_no_adjustment(
    scored: list[Decimal], comment: list[Verdict], expected: Level
) -> None:
    assert learning_result(scored, comment) is expected


# ---------------------------------------------------------------------------- conduct

CONDUCT_YEAR_TABLE = [
    # (term I, term II, year)
    (T, T, T),
    (K, T, T),
    (DAT, T, K),
    (CD, T, K),
    (T, K, K),
    (K, K, K),
    (DAT, K, K),
    (CD, K, DAT),
    (T, DAT, K),
    (K, DAT, DAT),
    (DAT, DAT, DAT),
    (CD, DAT, DAT),
    (T, CD, CD),
    (K, CD, CD),
    (DAT, CD, CD),
    (CD, CD, CD),
]


@pytest.mark.parametrize(("term1", "term2", "year"), CONDUCT_YEAR_TABLE)
def test_conduct_year_table(term1: Level, term2: Level, year: Level) -> None:
    assert conduct_year(term1, term2) is year


def test_conduct_year_table_is_complete() -> None:
    assert {(a, b) for a, b, _ in CONDUCT_YEAR_TABLE} == {(a, b) for a in Level for b in Level}


# ---------------------------------------------------------------------------- promotion, titles


@pytest.mark.parametrize(
    ("learning", "conduct", "absent", "expected"),
    [
        (T, T, 0, Promotion.PROMOTED),
        (DAT, DAT, 45, Promotion.PROMOTED),
        (T, T, 46, Promotion.REPEAT),
        (CD, CD, 46, Promotion.REPEAT),
        (CD, T, 10, Promotion.RETEST),
        (K, CD, 10, Promotion.SUMMER_TRAINING),
        (CD, CD, 0, Promotion.TRAINING_AND_RETEST),
    ],
)
def test_promotion(learning: Level, conduct: Level, absent: int, expected: Promotion) -> None:
    assert promotion(learning, conduct, absent) is expected


def test_promotion_absence_limit_is_configurable() -> None:
    assert promotion(T, T, 46, max_absent_days=50) is Promotion.PROMOTED
    assert promotion(T, T, 31, max_absent_days=30) is Promotion.REPEAT


def test_promotion_labels() -> None:
    assert Promotion.PROMOTED.label == "Được lên lớp"
    assert Promotion.REPEAT.label == "Ở lại lớp"


NINES = marks("9.0", "9", "9", "9", "9", "9", "7")


@pytest.mark.parametrize(
    ("learning", "conduct", "averages", "expected"),
    [
        (T, T, NINES, Title.EXCELLENT),  # exactly six at 9.0
        (T, T, marks("9", "9", "9", "9", "9", "8.9", "10"), Title.EXCELLENT),
        (T, T, marks("9", "9", "9", "9", "9", "8.9", "8"), Title.GOOD),  # five at 9.0
        (T, K, NINES, None),
        (K, T, NINES, None),
        (DAT, DAT, NINES, None),
    ],
)
def test_title(
    learning: Level, conduct: Level, averages: list[Decimal], expected: Title | None
) -> None:
    assert title(learning, conduct, averages) is expected


def test_title_labels() -> None:
    assert Title.EXCELLENT.label == "Học sinh Xuất sắc"
    assert Title.GOOD.label == "Học sinh Giỏi"
