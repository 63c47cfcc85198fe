"""Assessment rules of primary school: Thông tư 27/2020/TT-BGDĐT (TT27).

Primary school grades by levels, not averages: each subject is Hoàn thành tốt / Hoàn thành /
Chưa hoàn thành, each quality and competency Tốt / Đạt / Cần cố gắng, and only a few subjects
have periodic tests, scored as whole numbers. The year result combines the three.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import InvalidValue
from core.i18n import _
from core.rules.catalog import Choice, RankedChoice, SchoolLevel, find_subject, read_number


class SubjectLevel(RankedChoice):
    """Periodic level of a subject or activity, TT27 Điều 7, khoản 1."""

    GOOD = "T"
    DONE = "H"
    NOT_DONE = "C"

    @property
    def label(self) -> str:
        return {
            SubjectLevel.GOOD: _("Hoàn thành tốt"),
            SubjectLevel.DONE: _("Hoàn thành"),
            SubjectLevel.NOT_DONE: _("Chưa hoàn thành"),
        }[self]


class QualityLevel(RankedChoice):
    """Periodic level of a quality or competency, TT27 Điều 7, khoản 2."""

    GOOD = "T"
    PASS = "Đ"
    EFFORT = "C"

    @property
    def label(self) -> str:
        return {
            QualityLevel.GOOD: _("Tốt"),
            QualityLevel.PASS: _("Đạt"),
            QualityLevel.EFFORT: _("Cần cố gắng"),
        }[self]


# The qualities and competencies TT27 assesses are those the programme sets out (CT GDPT 2018,
# Chương trình tổng thể, mục II), in the programme's order, which the record book follows.
QUALITIES: tuple[tuple[str, str], ...] = (
    ("YEU_NUOC", "Yêu nước"),
    ("NHAN_AI", "Nhân ái"),
    ("CHAM_CHI", "Chăm chỉ"),
    ("TRUNG_THUC", "Trung thực"),
    ("TRACH_NHIEM", "Trách nhiệm"),
)
GENERAL_COMPETENCIES: tuple[tuple[str, str], ...] = (
    ("TU_CHU_TU_HOC", "Tự chủ và tự học"),
    ("GIAO_TIEP_HOP_TAC", "Giao tiếp và hợp tác"),
    ("GQVD_SANG_TAO", "Giải quyết vấn đề và sáng tạo"),
)
SPECIFIC_COMPETENCIES: tuple[tuple[str, str], ...] = (
    ("NGON_NGU", "Ngôn ngữ"),
    ("TINH_TOAN", "Tính toán"),
    ("KHOA_HOC", "Khoa học"),
    ("CONG_NGHE", "Công nghệ"),
    ("TIN_HOC", "Tin học"),
    ("THAM_MI", "Thẩm mĩ"),
    ("THE_CHAT", "Thể chất"),
)
COMPETENCIES = GENERAL_COMPETENCIES + SPECIFIC_COMPETENCIES


class TestPoint(Choice):
    """The four periodic assessment points of a school year, TT27 Điều 7."""

    __test__ = False  # not a pytest test class, despite the name

    MID_1 = "mid_1"
    END_1 = "end_1"
    MID_2 = "mid_2"
    END_YEAR = "end_year"

    @property
    def label(self) -> str:
        return {
            TestPoint.MID_1: _("Giữa học kì I"),
            TestPoint.END_1: _("Cuối học kì I"),
            TestPoint.MID_2: _("Giữa học kì II"),
            TestPoint.END_YEAR: _("Cuối năm học"),
        }[self]


_TESTED_SUBJECTS = frozenset({"TV", "TOAN", "NN1", "LSDL", "KH", "TINCN"})
_MID_TERM_TESTS = frozenset({"TV", "TOAN"})
_MID_TERM_GRADES = range(4, 6)


def periodic_tests(grade: int, subject_code: str) -> tuple[TestPoint, ...]:
    """When a subject has a written periodic test in `grade`, TT27 Điều 7, khoản 1.

    End of term I and end of year for Tiếng Việt, Toán, Ngoại ngữ 1, Lịch sử và Địa lí, Khoa
    học and Tin học và Công nghệ, in the grades where the subject is taught; grades 4 and 5 also
    mid-term I and mid-term II for Tiếng Việt and Toán. Every other subject: no test.
    """
    spec = find_subject(SchoolLevel.PRIMARY, subject_code)
    if spec is None or spec.code not in _TESTED_SUBJECTS or not spec.taught_in(grade):
        return ()
    if spec.code in _MID_TERM_TESTS and grade in _MID_TERM_GRADES:
        return (TestPoint.MID_1, TestPoint.END_1, TestPoint.MID_2, TestPoint.END_YEAR)
    return (TestPoint.END_1, TestPoint.END_YEAR)


def parse_periodic_score(text: str | int | float) -> int:
    """A periodic test score: a whole number from 1 to 10, TT27 Điều 7, khoản 1.

    The test is marked on a 10-point scale without decimals. A 0 is refused as well: the
    earlier rule (Thông tư 22/2016/TT-BGDĐT) said "không cho điểm 0" in so many words.
    Doubt: TT27 itself may only say "không cho điểm thập phân"; the product follows the
    design notes (1 to 10) until a school shows otherwise.
    """
    value = read_number(text)
    if value is None or value != value.to_integral_value() or not 1 <= value <= 10:
        raise InvalidValue(
            _(
                "Điểm kiểm tra định kì «{value}» không hợp lệ: ở tiểu học điểm là số nguyên "
                "từ 1 đến 10, không có điểm 0 và không có điểm thập phân."
            ).format(value=str(text).strip())
        )
    return int(value)


class YearResult(Choice):
    """End-of-year education result, TT27 Điều 9, khoản 2, điểm a."""

    EXCELLENT = "HTXS"
    GOOD = "HTT"
    DONE = "HT"
    NOT_DONE = "CHT"

    @property
    def label(self) -> str:
        return {
            YearResult.EXCELLENT: _("Hoàn thành xuất sắc"),
            YearResult.GOOD: _("Hoàn thành tốt"),
            YearResult.DONE: _("Hoàn thành"),
            YearResult.NOT_DONE: _("Chưa hoàn thành"),
        }[self]


# (result, lowest subject level, lowest quality level, lowest end-of-year test score), best first.
_YEAR_RESULT_FLOORS = (
    (YearResult.EXCELLENT, SubjectLevel.GOOD, QualityLevel.GOOD, 9),
    (YearResult.GOOD, SubjectLevel.GOOD, QualityLevel.GOOD, 7),
    (YearResult.DONE, SubjectLevel.DONE, QualityLevel.PASS, 5),
)


def year_result(
    subject_levels: Sequence[SubjectLevel],
    quality_levels: Sequence[QualityLevel],
    end_of_year_scores: Sequence[int],
) -> YearResult:
    """The year's education result, TT27 Điều 9, khoản 2, điểm a.

    Hoàn thành xuất sắc: every subject and activity Hoàn thành tốt, every quality and
    competency Tốt, every end-of-year test >= 9. Hoàn thành tốt: the same with tests >= 7.
    Hoàn thành: every subject at least Hoàn thành, every quality at least Đạt, tests >= 5.
    Otherwise Chưa hoàn thành. `quality_levels` holds the qualities and competencies together.
    """
    for result, subject_floor, quality_floor, score_floor in _YEAR_RESULT_FLOORS:
        if (
            all(s.at_least(subject_floor) for s in subject_levels)
            and all(q.at_least(quality_floor) for q in quality_levels)
            and all(score >= score_floor for score in end_of_year_scores)
        ):
            return result
    return YearResult.NOT_DONE
