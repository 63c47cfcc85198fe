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
from core.i18n import _
from core.models import (
    Absence,
    Conduct,
    Mark,
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
from core.services.gradebook import class_students, mark_column, mark_columns

SubjectValue = Decimal | tt22.Verdict | None


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


@dataclass
class ClassResults:
    school_class: SchoolClass
    subjects: list[Subject]
    rows: Sequence[SecondaryResult] | Sequence[PrimaryResult]


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
    if subjects and subjects[0].assessment == Assessment.LEVELS:
        rows: Sequence[SecondaryResult] | Sequence[PrimaryResult] = await _primary(
            school_class, subjects, students, ids
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
    """A subject's term result from its cells, or None with the names of the missing cells."""
    columns = [mark_column(kind, index) for kind, index in mark_columns(subject, grade)]
    missing = [c for c in columns if c not in marks]
    if missing:
        return None, missing
    if subject.assessment == Assessment.COMMENT:
        verdicts = [marks[c] for c in columns]
        return tt22.comment_subject_term(verdicts, len(columns)), []  # type: ignore[arg-type]
    regular = [marks[c] for c in columns[:-2]]
    return tt22.term_average(regular, marks["GK"], marks["CK"]), []  # type: ignore[arg-type]


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


async def _secondary(school_class, subjects, terms, students, ids) -> list[SecondaryResult]:
    cells: dict[tuple[int, int, int], dict[str, object]] = defaultdict(dict)
    for m in await Mark.filter(student_id__in=ids, term_id__in=[t.id for t in terms.values()]):
        value = m.score if m.score is not None else m.verdict
        if value is not None:
            cells[(m.student_id, m.subject_id, m.term_id)][mark_column(m.kind, m.index)] = value
    conducts = {
        (c.student_id, c.term_id): c.level for c in await Conduct.filter(student_id__in=ids)
    }
    absent: dict[int, int] = defaultdict(int)
    for a in await Absence.filter(student_id__in=ids):
        absent[a.student_id] += a.excused + a.unexcused
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
                            subject=subject.name, term="I" * number, cells=", ".join(gaps)
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
            _("Rèn luyện HK{term}").format(term="I" * n) for n, c in ((1, c1), (2, c2)) if c is None
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


async def _primary(school_class, subjects, students, ids) -> list[PrimaryResult]:
    final = tt27.TestPoint.END_YEAR
    assessed = {
        (a.student_id, a.subject_id): a
        for a in await PrimaryAssessment.filter(student_id__in=ids, point=final)
    }
    qualities: dict[int, dict[str, tt27.QualityLevel]] = defaultdict(dict)
    for q in await QualityAssessment.filter(student_id__in=ids, point=final):
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
            )
        )
    return rows
