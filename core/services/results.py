"""Computed results of a class: averages, learning and conduct results, promotion, titles.

Nothing computed is stored: results are derived from the gradebook each time, by the rules in
core.rules, so a corrected mark changes every result that depends on it. A value that cannot be
computed yet (a mark missing) is None, and `missing` says what is missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core import audit
from core.formatting import roman
from core.i18n import _
from core.models import (
    Absence,
    Conduct,
    Mark,
    MarkKind,
    PrimaryAssessment,
    QualityAssessment,
    SchoolClass,
    Subject,
    Term,
)
from core.rules import primary as tt27
from core.rules import secondary as tt22
from core.rules.catalog import Assessment
from core.services.access import Actor, ensure_can_read
from core.services.gradebook import class_students, entry_columns, mark_column, mark_columns

SubjectValue = Decimal | tt22.Verdict | None
# The cells that weigh 1 in ĐTBmhk: regular marks and the learning-topic result (TT22 Điều 9;
# Điều 6 khoản 3 counts the topic result as one regular assessment).
_REGULAR_WEIGHT = (MarkKind.REGULAR, MarkKind.TOPIC)


@dataclass
class SubjectResult:
    subject: Subject
    term1: SubjectValue = None
    term2: SubjectValue = None
    year: SubjectValue = None


@dataclass
class SecondaryResult:
    """One student's year by Thông tư 22."""

    number: int
    full_name: str
    national_id: str
    subjects: list[SubjectResult]
    learning: dict[str, tt22.Level | None]
    conduct: dict[str, tt22.Level | None]
    absent_days: int
    promotion: tt22.Promotion | None
    title: tt22.Title | None
    missing: list[str] = field(default_factory=list)


@dataclass
class PrimaryResult:
    """One student's year by Thông tư 27: end-of-year levels and scores, and the year result."""

    number: int
    full_name: str
    national_id: str
    levels: dict[str, tt27.SubjectLevel | None]
    scores: dict[str, int | None]
    qualities: dict[str, tt27.QualityLevel | None]
    result: tt27.YearResult | None
    missing: list[str] = field(default_factory=list)
    absent_days: int = 0


@dataclass
class ClassResults:
    school_class: SchoolClass
    subjects: list[Subject]
    rows: Sequence[SecondaryResult] | Sequence[PrimaryResult]

    @property
    def primary(self) -> bool:
        """Assessed by Thông tư 27 (levels), so its rows are PrimaryResult."""
        return _by_levels(self.subjects)


def _by_levels(subjects: list[Subject]) -> bool:
    return bool(subjects) and subjects[0].assessment == Assessment.LEVELS


async def _class_subjects(school_class: SchoolClass) -> list[Subject]:
    year = await school_class.year
    subjects = await Subject.filter(school_id=year.school_id).order_by("id")
    return [s for s in subjects if s.taught_in(school_class.grade)]


async def class_results(actor: Actor, school_class: SchoolClass) -> ClassResults:
    """The computed year of every student of a class; reading it is audited."""
    await ensure_can_read(actor, school_class)
    subjects = await _class_subjects(school_class)
    terms = {t.number: t for t in await Term.filter(year_id=school_class.year_id)}
    students = await class_students(school_class)
    ids = [s.id for _e, s in students]
    if _by_levels(subjects):
        rows: Sequence[SecondaryResult] | Sequence[PrimaryResult] = await _primary(
            school_class, subjects, students, ids, [t.id for t in terms.values()]
        )
    else:
        rows = await _secondary(school_class, subjects, terms, students, ids)
    await audit.record(
        audit.Event(
            actor.label, "results.read", f"class:{school_class.id}", after={"students": len(ids)}
        )
    )
    return ClassResults(school_class, subjects, rows)


def _subject_term(
    subject: Subject, grade: int, marks: dict[str, object]
) -> tuple[SubjectValue, list[str]]:
    """A subject's term result from its cells, or None with the names of the missing cells.

    Every cell of `mark_columns` is needed; the learning-topic result (CĐHT), which only the
    students of the topic cluster have, counts when present as one more regular assessment
    (TT22 Điều 6 khoản 3, Điều 9): ĐTBmhk is then divided by n + 1 + 5, and a comment-only
    subject's topic verdict is one more verdict that must be Đạt."""
    required = [mark_column(kind, index) for kind, index in mark_columns(subject, grade)]
    missing = [c for c in required if c not in marks]
    if missing:
        return None, missing
    given = {
        (kind, index): marks[c]
        for kind, index in entry_columns(subject, grade)
        if (c := mark_column(kind, index)) in marks
    }
    if subject.assessment == Assessment.COMMENT:
        verdicts = list(given.values())
        return tt22.comment_subject_term(verdicts, len(required)), []  # type: ignore[arg-type]
    regular = [v for (kind, _i), v in given.items() if kind in _REGULAR_WEIGHT]
    midterm, final = given[MarkKind.MIDTERM, 1], given[MarkKind.FINAL, 1]
    return tt22.term_average(regular, midterm, final), []  # type: ignore[arg-type]


def _subject_year(subject: Subject, t1: SubjectValue, t2: SubjectValue) -> SubjectValue:
    if t1 is None or t2 is None:
        return None
    if subject.assessment == Assessment.COMMENT:
        return tt22.comment_subject_year(t1, t2)  # type: ignore[arg-type]
    return tt22.year_average(t1, t2)  # type: ignore[arg-type]


def _learning(results: list[SubjectResult], key: str) -> tt22.Level | None:
    values = [getattr(r, key) for r in results]
    if any(v is None for v in values):
        return None
    scored = [v for v in values if isinstance(v, Decimal)]
    comment = [v for v in values if isinstance(v, tt22.Verdict)]
    return tt22.learning_result(scored, comment)


async def _absent_days(ids: list[int], term_ids: list[int]) -> dict[int, int]:
    """Days absent in the year per student, with and without permission together."""
    absent: dict[int, int] = defaultdict(int)
    for a in await Absence.filter(student_id__in=ids, term_id__in=term_ids):
        absent[a.student_id] += a.excused + a.unexcused
    return absent


async def _secondary(school_class, subjects, terms, students, ids) -> list[SecondaryResult]:
    cells: dict[tuple[int, int, int], dict[str, object]] = defaultdict(dict)
    term_ids = [t.id for t in terms.values()]  # this year only: a student has earlier years
    for m in await Mark.filter(student_id__in=ids, term_id__in=term_ids):
        value = m.score if m.score is not None else m.verdict
        if value is not None:
            cells[(m.student_id, m.subject_id, m.term_id)][mark_column(m.kind, m.index)] = value
    conducts = {
        (c.student_id, c.term_id): c.level
        for c in await Conduct.filter(student_id__in=ids, term_id__in=term_ids)
    }
    absent = await _absent_days(ids, term_ids)
    rows = []
    for enrollment, student in students:
        missing: list[str] = []
        results = []
        for subject in subjects:
            result = SubjectResult(subject)
            for number in (1, 2):
                value, gaps = _subject_term(
                    subject, school_class.grade, cells[(student.id, subject.id, terms[number].id)]
                )
                setattr(result, f"term{number}", value)
                if gaps:
                    missing.append(
                        _("{subject} HK{term}: {cells}").format(
                            subject=subject.name, term=roman(number), cells=", ".join(gaps)
                        )
                    )
            result.year = _subject_year(subject, result.term1, result.term2)
            results.append(result)
        learning = {k: _learning(results, k) for k in ("term1", "term2", "year")}
        c1 = conducts.get((student.id, terms[1].id))
        c2 = conducts.get((student.id, terms[2].id))
        conduct = {
            "term1": c1,
            "term2": c2,
            "year": tt22.conduct_year(c1, c2) if c1 and c2 else None,
        }
        missing += [
            _("Rèn luyện HK{term}").format(term=roman(n))
            for n, c in ((1, c1), (2, c2))
            if c is None
        ]
        promotion = title = None
        if learning["year"] and conduct["year"]:
            promotion = tt22.promotion(learning["year"], conduct["year"], absent[student.id])
            year_averages = [r.year for r in results if isinstance(r.year, Decimal)]
            title = tt22.title(learning["year"], conduct["year"], year_averages)
        rows.append(
            SecondaryResult(
                enrollment.number,
                student.full_name,
                student.national_id,
                results,
                learning,
                conduct,
                absent[student.id],
                promotion,
                title,
                missing,
            )
        )
    return rows


async def _primary(school_class, subjects, students, ids, term_ids) -> list[PrimaryResult]:
    final = tt27.TestPoint.END_YEAR
    absent = await _absent_days(ids, term_ids)
    assessed = {
        (a.student_id, a.subject_id): a
        for a in await PrimaryAssessment.filter(
            student_id__in=ids, point=final, term__year_id=school_class.year_id
        )
    }
    qualities: dict[int, dict[str, tt27.QualityLevel]] = defaultdict(dict)
    for q in await QualityAssessment.filter(
        student_id__in=ids, point=final, term__year_id=school_class.year_id
    ):
        qualities[q.student_id][q.quality] = q.level
    names = dict(tt27.QUALITIES + tt27.COMPETENCIES)
    codes = list(names)
    rows = []
    for enrollment, student in students:
        levels: dict[str, tt27.SubjectLevel | None] = {}
        scores: dict[str, int | None] = {}
        missing: list[str] = []
        for subject in subjects:
            entry = assessed.get((student.id, subject.id))
            levels[subject.code] = entry.level if entry else None
            if levels[subject.code] is None:
                missing.append(_("{subject}: mức cuối năm").format(subject=subject.name))
            if final in tt27.periodic_tests(school_class.grade, subject.code):
                scores[subject.code] = entry.score if entry else None
                if scores[subject.code] is None:
                    missing.append(_("{subject}: điểm KTĐK cuối năm").format(subject=subject.name))
        student_qualities = {c: qualities[student.id].get(c) for c in codes}
        missing += [
            _("Phẩm chất, năng lực: {name}").format(name=names[c])
            for c, v in student_qualities.items()
            if v is None
        ]
        result = None
        if not missing:
            result = tt27.year_result(
                list(levels.values()), list(student_qualities.values()), list(scores.values())
            )
        rows.append(
            PrimaryResult(
                enrollment.number,
                student.full_name,
                student.national_id,
                levels,
                scores,
                student_qualities,
                result,
                missing,
                absent[student.id],
            )
        )
    return rows
