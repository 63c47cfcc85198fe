"""Computed results of a class, from marks entered through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.models import AuditEvent, MarkKind, SchoolClass, Student, Subject, Term
from core.rules.catalog import Assessment
from core.rules.secondary import Level, Promotion, Title, Verdict, regular_mark_count
from core.services import gradebook, roster
from core.services.results import class_results
from core.validation import Gender


async def _fill(actor, klass, student, subjects, terms, score: Decimal) -> None:
    marks = []
    for term in terms:
        for subject in subjects:
            count = regular_mark_count(subject.yearly_periods(klass.grade))
            cells = [(MarkKind.REGULAR, i) for i in range(1, count + 1)]
            cells += [(MarkKind.MIDTERM, 1), (MarkKind.FINAL, 1)]
            value = score if subject.assessment == Assessment.SCORED else Verdict.PASS
            marks += [
                gradebook.MarkEntry(student.id, klass, subject, term, kind, index, value)
                for kind, index in cells
            ]
    await gradebook.write_marks(actor, marks)


async def test_class_results(secondary, admin_of) -> None:
    school, year = secondary
    admin = admin_of(school)
    entries = [
        roster.StudentEntry(
            "037214000001", "Nguyễn Văn An", dt.date(2014, 1, 2), Gender.MALE, "6A", 6, 1
        ),
        roster.StudentEntry(
            "037314000002", "Lê Thị Bình", dt.date(2014, 5, 6), Gender.FEMALE, "6A", 6, 2
        ),
    ]
    await roster.write_students(admin, year, entries)
    klass = await SchoolClass.get(year=year, name="6A")
    terms = list(await Term.filter(year=year).order_by("number"))
    subjects = [s for s in await Subject.filter(school=school) if s.taught_in(6)]
    an = await Student.get(national_id="037214000001")
    binh = await Student.get(national_id="037314000002")
    await _fill(admin, klass, an, subjects, terms, Decimal("9.5"))
    await _fill(admin, klass, binh, subjects, terms[:1], Decimal("6"))  # term II missing
    maths = next(s for s in subjects if s.code == "TOAN")
    # An's maths term II: regular 8, 9, 10, 7; mid 8.5; final 9 -> (34 + 17 + 27) / 9 = 8.67 -> 8.7
    term2 = terms[1]
    await gradebook.write_marks(
        admin,
        [
            gradebook.MarkEntry(an.id, klass, maths, term2, MarkKind.REGULAR, i, Decimal(v))
            for i, v in enumerate(["8", "9", "10", "7"], start=1)
        ]
        + [
            gradebook.MarkEntry(an.id, klass, maths, term2, MarkKind.MIDTERM, 1, Decimal("8.5")),
            gradebook.MarkEntry(an.id, klass, maths, term2, MarkKind.FINAL, 1, Decimal("9")),
        ],
    )
    for term in terms:
        await gradebook.write_conducts(
            admin, [gradebook.ConductEntry(an.id, klass, term, Level.GOOD)]
        )
    await gradebook.write_absences(
        admin, [gradebook.AbsenceEntry(an.id, klass, terms[0], excused=2, unexcused=1)]
    )

    results = await class_results(admin, klass)
    assert await AuditEvent.filter(action="results.read").exists()
    first, second = results.rows
    maths_result = next(r for r in first.subjects if r.subject.code == "TOAN")
    assert maths_result.term1 == Decimal("9.5") and maths_result.term2 == Decimal("8.7")
    # year = (9.5 + 2 × 8.7) / 3 = 8.97 -> 9.0
    assert maths_result.year == Decimal("9.0")
    assert first.learning["year"] is Level.GOOD and first.conduct["year"] is Level.GOOD
    assert first.absent_days == 3
    assert first.promotion is Promotion.PROMOTED and first.title is Title.EXCELLENT
    assert first.missing == []
    assert second.learning["term1"] is Level.PASS  # all 6.0: ≥ 5.0 everywhere, none ≥ 6.5
    assert second.learning["year"] is None and second.promotion is None
    assert any("HKII" in gap for gap in second.missing)
