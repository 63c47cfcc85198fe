"""Grading rules of lower and upper secondary school: Thông tư 22/2021/TT-BGDĐT.

Pure functions over `Decimal` marks: the averages the record book prints must match the ones a
teacher computes by hand, which float arithmetic does not guarantee (round(7.25, 1) gives 7.2,
and an average that is 6.15 on paper comes out 6.1499... as a float).

Article and clause numbers are cited from the Thông tư as we know it; where the wording of a
rule is uncertain, the doubt is written next to the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from core.errors import InvalidValue
from core.i18n import _
from core.rules.catalog import Assessment, Choice, RankedChoice, read_number

ONE_DECIMAL = Decimal("0.1")
MAX_SCORE = Decimal(10)
MAX_ABSENT_SESSIONS = 45

# How many assessments a secondary subject has per term: the one definition every column,
# template, reminder and result follows (through core.services.gradebook.mark_columns).
# TT22 Điều 6, khoản 2, điểm a: a comment-only subject (Đạt / Chưa đạt) has 2 regular
# assessments a term, whatever its yearly periods; điểm b's scale by periods is for scored ones.
COMMENT_REGULAR_ASSESSMENTS = 2
# TT22 Điều 6, khoản 2, điểm b: a scored subject's regular marks by its yearly periods:
# 2 up to 35 periods a year, 3 above 35 up to 70, 4 above 70 (the last has no upper bound).
_SCORED_REGULAR_BY_PERIODS = ((35, 2), (70, 3))
MAX_REGULAR_ASSESSMENTS = 4
# TT22 Điều 7: one mid-term and one end-of-term assessment a term, for every subject.
PERIODIC_ASSESSMENTS = 2
# TT22 Điều 6, khoản 3: in upper secondary, a learning-topic cluster (cụm chuyên đề học tập) is
# assessed once a term, and that result counts as one regular assessment of its subject; only
# the students who take the cluster have it. Doubt: the clause is read as "mỗi học kì chọn 01
# lần đánh giá" (once per term, as TT22 counts every regular assessment per term); its text is
# not in ../shared/regulations/. Were it once a year, the column would be left blank in one term.
LEARNING_TOPIC_ASSESSMENTS = 1


class Verdict(Choice):
    """Result of a comment-only subject (môn học đánh giá bằng nhận xét), TT22 Điều 5."""

    PASS = "Đ"
    FAIL = "CĐ"

    @property
    def label(self) -> str:
        return {Verdict.PASS: _("Đạt"), Verdict.FAIL: _("Chưa đạt")}[self]


class Level(RankedChoice):
    """Learning (Điều 9) and conduct (Điều 8) result of a term or a year, best first."""

    GOOD = "T"
    FAIR = "K"
    PASS = "Đ"
    FAIL = "CĐ"

    @property
    def label(self) -> str:
        return {
            Level.GOOD: _("Tốt"),
            Level.FAIR: _("Khá"),
            Level.PASS: _("Đạt"),
            Level.FAIL: _("Chưa đạt"),
        }[self]


def regular_assessments(assessment: Assessment, yearly_periods: int) -> int:
    """Regular assessments (ĐĐGtx) a secondary subject has per term, learning topics aside.

    TT22 Điều 6, khoản 2: điểm a, a comment-only subject has COMMENT_REGULAR_ASSESSMENTS (2)
    whatever its periods; điểm b, a scored subject has 2 for up to 35 periods a year, 3 above
    35 up to 70, 4 above 70. A learning-topic result (khoản 3) comes on top, for the students
    who take the cluster. Primary subjects (levels, Thông tư 27) have no ĐĐGtx: asking is a bug.
    """
    if assessment == Assessment.COMMENT:
        return COMMENT_REGULAR_ASSESSMENTS
    if assessment != Assessment.SCORED:
        raise ValueError(f"{assessment} subjects have no regular assessments (ĐĐGtx)")
    return next(
        (count for limit, count in _SCORED_REGULAR_BY_PERIODS if yearly_periods <= limit),
        MAX_REGULAR_ASSESSMENTS,
    )


def parse_score(text: str | int | float | Decimal) -> Decimal:
    """A mark as a teacher types it: 0 to 10, an integer or one decimal (TT22 Điều 5, khoản 2).

    "7,5" (Vietnamese decimal comma) and "7.5" both read as 7.5. The Thông tư has the teacher
    round a mark to one decimal; a mark typed with two is refused rather than rounded here,
    because it is more likely a typing mistake the teacher must see.
    """
    value = read_number(text)
    if value is None or value > MAX_SCORE or value != value.quantize(ONE_DECIMAL):
        raise InvalidValue(
            _(
                "Điểm «{value}» không hợp lệ: điểm từ 0 đến 10, số nguyên hoặc một chữ số "
                "thập phân (ví dụ 7 hoặc 7,5)."
            ).format(value=str(text).strip())
        )
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def round_score(x: Decimal) -> Decimal:
    """One decimal, half up (7.25 -> 7.3): TT22 Điều 9 writes averages "làm tròn đến 1 chữ số
    thập phân", and schools round .x5 up, which Python's round() (half even) does not."""
    return x.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def term_average(regular: Sequence[Decimal], midterm: Decimal, final: Decimal) -> Decimal:
    """Subject term average ĐTBmhk, TT22 Điều 9, khoản 1.

    (sum of regular marks + 2 x mid-term + 3 x end-of-term) / (number of regular marks + 5).
    `regular` holds the learning-topic result too when the student has one (Điều 6, khoản 3:
    it counts as one regular assessment), so it is then divided by n + 1 + 5.
    """
    total = sum(regular, Decimal(0)) + 2 * midterm + 3 * final
    return round_score(total / (len(regular) + 5))


def year_average(term1: Decimal, term2: Decimal) -> Decimal:
    """Subject year average ĐTBmcn = (ĐTBmhkI + 2 x ĐTBmhkII) / 3, TT22 Điều 9, khoản 1.

    Computed from the rounded term averages (the ones printed in the record), so they are
    rounded here first in case a caller passes raw values.
    """
    return round_score((round_score(term1) + 2 * round_score(term2)) / 3)


def comment_subject_term(
    verdicts: Sequence[Verdict],
    required: int = COMMENT_REGULAR_ASSESSMENTS + PERIODIC_ASSESSMENTS,
) -> Verdict:
    """Term result of a comment-only subject: TT22 Điều 9, khoản 1.

    Đạt needs every required assessment (2 regular, Điều 6 khoản 2 điểm a, + 1 mid-term + 1
    end-of-term, Điều 7) and all of them Đạt; anything else is Chưa đạt. A learning-topic
    verdict (upper-secondary Âm nhạc, Mĩ thuật; Điều 6 khoản 3) is one more regular verdict in
    `verdicts`, held to the same rule.
    Doubt: the article may instead read "có đủ số lần kiểm tra, đánh giá và kết quả đánh giá
    cuối kì đạt", i.e. only the end-of-term assessment must be Đạt. The stricter reading,
    "tất cả các lần được đánh giá mức Đạt", is the one encoded; check the Thông tư text.
    """
    complete = len(verdicts) >= required
    return Verdict.PASS if complete and Verdict.FAIL not in verdicts else Verdict.FAIL


def comment_subject_year(term1: Verdict, term2: Verdict) -> Verdict:
    """Year result of a comment-only subject: the term II result (TT22 Điều 9, khoản 1).

    Term I is taken so callers pass both terms as they do for scored subjects; it does not
    count, because term II already reflects the whole year's progress.
    """
    del term1
    return term2


_GOOD_MIN = Decimal("8.0")
_FAIR_MIN = Decimal("6.5")
_PASS_MIN = Decimal("5.0")
_FLOOR = Decimal("3.5")
_ENOUGH_SUBJECTS = 6


def _level_by_thresholds(scored: Sequence[Decimal], comment: Sequence[Verdict]) -> Level:
    """TT22 Điều 9, khoản 2 as written, before the one-subject adjustment of khoản 3."""
    failed = sum(1 for v in comment if v is Verdict.FAIL)

    def count_from(threshold: Decimal) -> int:
        return sum(1 for s in scored if s >= threshold)

    lowest = min(scored, default=MAX_SCORE)
    if failed == 0 and lowest >= _FAIR_MIN and count_from(_GOOD_MIN) >= _ENOUGH_SUBJECTS:
        return Level.GOOD
    if failed == 0 and lowest >= _PASS_MIN and count_from(_FAIR_MIN) >= _ENOUGH_SUBJECTS:
        return Level.FAIR
    if failed <= 1 and lowest >= _FLOOR and count_from(_PASS_MIN) >= _ENOUGH_SUBJECTS:
        return Level.PASS
    return Level.FAIL


def learning_result(scored: Sequence[Decimal], comment: Sequence[Verdict]) -> Level:
    """Learning result of a term (on term averages) or a year (on year averages), TT22 Điều 9.

    Khoản 2: Tốt = all comment subjects Đạt, every scored average >= 6.5 and at least six
    >= 8.0; Khá = all Đạt, every average >= 5.0 and at least six >= 6.5; Đạt = at most one
    comment subject Chưa đạt, at least six averages >= 5.0 and none < 3.5; else Chưa đạt.

    Khoản 3: a result pulled down two levels or more by the result of one single subject is
    raised to the adjacent level (one above the level khoản 2 gives). Interpretation encoded:
    the level is "pulled down by subject X only" when giving X its best result (10.0, or Đạt)
    and keeping every other subject as is would lift the level by two or more. This follows
    the old TT58 practice (Giỏi lost to Trung bình by one subject -> Khá). Doubt: another
    reading leaves subject X out instead of giving it the best result; the two differ only
    when X's low mark also keeps the count of subjects >= 8.0 (or >= 6.5) below six.
    """
    scored, comment = list(scored), list(comment)
    level = _level_by_thresholds(scored, comment)
    best_with_one_fixed = [
        _level_by_thresholds([*scored[:i], MAX_SCORE, *scored[i + 1 :]], comment)
        for i in range(len(scored))
    ] + [
        _level_by_thresholds(scored, [*comment[:i], Verdict.PASS, *comment[i + 1 :]])
        for i in range(len(comment))
    ]
    if any(other.rank - level.rank >= 2 for other in best_with_one_fixed):
        return level.raised()
    return level


def conduct_year(term1: Level, term2: Level) -> Level:
    """Year conduct from the two term results, weighted to term II: TT22 Điều 8, khoản 2.

    Tốt: II Tốt and I at least Khá. Khá: II Khá and I at least Đạt; II Đạt and I Tốt; II Tốt
    and I Đạt or Chưa đạt. Đạt: II Đạt and I Khá, Đạt or Chưa đạt; II Khá and I Chưa đạt.
    Chưa đạt: the other cases, i.e. II Chưa đạt.
    """
    if term2 is Level.GOOD:
        return Level.GOOD if term1.at_least(Level.FAIR) else Level.FAIR
    if term2 is Level.FAIR:
        return Level.FAIR if term1.at_least(Level.PASS) else Level.PASS
    if term2 is Level.PASS:
        return Level.FAIR if term1 is Level.GOOD else Level.PASS
    return Level.FAIL


class Promotion(Choice):
    """What happens to a student at the end of the year: TT22 Điều 12, 13 and 14."""

    PROMOTED = "len_lop"
    RETEST = "kiem_tra_lai"
    SUMMER_TRAINING = "ren_luyen_he"
    TRAINING_AND_RETEST = "ren_luyen_he_kiem_tra_lai"
    REPEAT = "o_lai_lop"

    @property
    def label(self) -> str:
        return {
            Promotion.PROMOTED: _("Được lên lớp"),
            Promotion.RETEST: _("Kiểm tra lại trong hè"),
            Promotion.SUMMER_TRAINING: _("Rèn luyện trong hè"),
            Promotion.TRAINING_AND_RETEST: _("Rèn luyện trong hè và kiểm tra lại"),
            Promotion.REPEAT: _("Ở lại lớp"),
        }[self]


def promotion(
    learning_year: Level,
    conduct_year: Level,
    days_absent: int,
    max_absent_days: int = MAX_ABSENT_SESSIONS,
) -> Promotion:
    """The end-of-year decision, before any summer re-test or training.

    Điều 12, khoản 1: promoted when year learning and year conduct are at least Đạt and the
    student missed at most 45 sessions; khoản 2: more than 45 means repeating the year whatever
    the results. Điều 13: year conduct Chưa đạt -> conduct training in the summer. Điều 14:
    year learning Chưa đạt -> re-test of the failed subjects in the summer. Both Chưa đạt ->
    training first, then the re-test if the training brings conduct to Đạt (the ministry's
    reading of Điều 13-14).
    Doubt: the Thông tư counts absences in sessions ("buổi"), not days; `days_absent` must be
    the number of sessions missed, excused or not, together. `max_absent_days` lets a school's
    config override 45.
    """
    if days_absent > max_absent_days:
        return Promotion.REPEAT
    learning_ok = learning_year.at_least(Level.PASS)
    conduct_ok = conduct_year.at_least(Level.PASS)
    if learning_ok and conduct_ok:
        return Promotion.PROMOTED
    if conduct_ok:
        return Promotion.RETEST
    return Promotion.SUMMER_TRAINING if learning_ok else Promotion.TRAINING_AND_RETEST


class Title(Choice):
    """Year-end distinctions the principal awards: TT22 Điều 15, khoản 1."""

    EXCELLENT = "xuat_sac"
    GOOD = "gioi"

    @property
    def label(self) -> str:
        return {Title.EXCELLENT: _("Học sinh Xuất sắc"), Title.GOOD: _("Học sinh Giỏi")}[self]


_EXCELLENT_MIN = Decimal("9.0")


def title(
    learning_year: Level, conduct_year: Level, year_averages: Sequence[Decimal]
) -> Title | None:
    """Học sinh Xuất sắc: year learning and conduct Tốt and at least six scored subjects with a
    year average >= 9.0; Học sinh Giỏi: both Tốt; otherwise no title (TT22 Điều 15)."""
    if learning_year is not Level.GOOD or conduct_year is not Level.GOOD:
        return None
    top = sum(1 for a in year_averages if a >= _EXCELLENT_MIN)
    return Title.EXCELLENT if top >= _ENOUGH_SUBJECTS else Title.GOOD
