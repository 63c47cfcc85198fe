"""The homeroom teacher's part of a class's term: which columns the rules ask for, what is
stored of them, and their names as people read them. Progress (core.services.progress) shows
and reminds of these columns like a subject's, with the homeroom teacher's own deadline
(`homeroom.termN` of the calendar).

What is asked, per student and term:
- secondary: the term's conduct (rèn luyện; Thông tư 22/2021, Điều 8, khoản 1: a result of each
  term and of the year, decided by the homeroom teacher);
- primary: the levels of every quality and competency at the end of each term (Thông tư
  27/2020, Điều 6–7; the points the record book prints: end of term I and end of year).
  Doubt: TT27 Điều 7 may ask for qualities at mid-term as well; the record book shows only
  the end-of-term ones, which is what is required here;
- both levels: the days absent, with and without permission (the homeroom teacher "follows
  attendance" and signs "the number of days off": 001 Điều 34, khoản 1 and 4; 000 Điều 4;
  promotion counts them, TT22 Điều 12). A student who missed nothing has "0, 0" entered, so a
  missing row means not entered, never zero;
- the homeroom teacher's comment (nhận xét chung, a row with no subject) where the record
  prints it: secondary once a year, at the end of term II (001 Điều 4 lists "nhận xét chung"
  in the record; Điều 24, khoản 5b has the homeroom teacher add the comments at the year's
  end); primary at the end of each term (000 Điều 7: "nhận xét, đánh giá cuối kỳ và cuối năm
  học").
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from core.formatting import roman
from core.i18n import _
from core.models import Absence, Comment, Conduct, QualityAssessment
from core.rules.catalog import SchoolLevel
from core.rules.primary import COMPETENCIES, QUALITIES, TestPoint
from core.services.calendar import POINT_COLUMNS, POINT_TERM

CONDUCT = "RL"
ABSENCES = "NGHI"
COMMENT = "NX"
QUALITY_PREFIX = "PCNL"
QUALITY_CODES = frozenset(code for code, _name in QUALITIES + COMPETENCIES)
QUALITY_POINTS = (TestPoint.END_1, TestPoint.END_YEAR)


def quality_column(point: TestPoint) -> str:
    """ "PCNL CHK1": the qualities and competencies at an assessment point."""
    return f"{QUALITY_PREFIX} {POINT_COLUMNS[point]}"


_QUALITY_POINT = {quality_column(p): p for p in QUALITY_POINTS}


def columns(level: SchoolLevel, term: int) -> list[str]:
    """The homeroom teacher's columns of a term, in the order the sheet and the views show
    them (see the module docstring for the articles)."""
    if level is SchoolLevel.PRIMARY:
        found = [quality_column(p) for p in QUALITY_POINTS if POINT_TERM[p] == term]
    else:
        found = [CONDUCT]
    found.append(ABSENCES)
    if level is SchoolLevel.PRIMARY or term == 2:  # secondary: the year's end only
        found.append(COMMENT)
    return found


def label(column: str) -> str:
    """A column as people read it: the homeroom's in words, a subject's as its sheet heads it
    (TX1, GK, Mức CHK1...)."""
    if column == CONDUCT:
        return _("Rèn luyện")
    if column == ABSENCES:
        return _("Số ngày nghỉ")
    if column == COMMENT:
        return _("Nhận xét của GVCN")
    if column in _QUALITY_POINT:
        point = _QUALITY_POINT[column].label
        return _("Phẩm chất, năng lực {point}").format(point=point[:1].lower() + point[1:])
    return column


# (term id, column) -> the students who have it
Entered = dict[tuple[int, str], set[int]]


async def entered(level: SchoolLevel, term_ids: list[int], narrow: dict[str, Any]) -> Entered:
    """What is stored of the homeroom columns for these terms, in three queries; `narrow`
    filters the students (a class's or a teacher's view), empty for the whole school."""
    found: Entered = defaultdict(set)
    if level is SchoolLevel.PRIMARY:
        qualities: dict[tuple[int, int, str], set[str]] = defaultdict(set)
        for student, term, point, quality in await QualityAssessment.filter(
            term_id__in=term_ids, **narrow
        ).values_list("student_id", "term_id", "point", "quality"):
            qualities[student, term, point].add(quality)
        for (student, term, point), codes in qualities.items():
            if codes >= QUALITY_CODES:
                found[term, quality_column(TestPoint(point))].add(student)
    else:
        for student, term in await Conduct.filter(term_id__in=term_ids, **narrow).values_list(
            "student_id", "term_id"
        ):
            found[term, CONDUCT].add(student)
    for student, term in await Absence.filter(term_id__in=term_ids, **narrow).values_list(
        "student_id", "term_id"
    ):
        found[term, ABSENCES].add(student)
    for student, term in (
        await Comment.filter(term_id__in=term_ids, subject_id__isnull=True, **narrow)
        .exclude(text="")
        .values_list("student_id", "term_id")
    ):
        found[term, COMMENT].add(student)
    return found


async def unentered(
    level: SchoolLevel, terms: list[tuple[int, int]], student_ids: list[int], wanted: set[str]
) -> dict[int, list[str]]:
    """student id → the `wanted` homeroom columns of these terms ((term id, number) pairs) that
    nobody entered for them, as people read them ("Số ngày nghỉ HK II"): what closing a year
    must refuse, with the same columns progress reminds of."""
    found = await entered(
        level, [term_id for term_id, _n in terms], {"student_id__in": student_ids}
    )

    def said(column: str, number: int) -> str:
        text = _("{column} HK{term}").format(column=label(column), term=roman(number))
        return text + (_(" (ghi 0 nếu không nghỉ)") if column == ABSENCES else "")

    return {
        student: [
            said(column, number)
            for term_id, number in terms
            for column in columns(level, number)
            if column in wanted and student not in found.get((term_id, column), set())
        ]
        for student in student_ids
    }
