"""Computed results of a class, from marks entered through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core import clock
from core.models import AuditEvent, MarkKind, SchoolClass, Student, Subject, Term
from core.rules.catalog import Assessment
from core.rules.secondary import Level, Promotion, Title, Verdict
from core.services import gradebook, roster
from core.services.results import class_results
from core.services.schools import ensure_year
from core.validation import Gender
from tests.conftest import DURING_2025_2026
from tests.on_behalf import enable_on_behalf


async def _fill(actor, klass, student, subjects, terms, score: Decimal) -> None:
    marks = []
    for term in terms:
        for subject in subjects:
            cells = gradebook.mark_columns(subject, klass.grade)
            value = score if subject.assessment == Assessment.SCORED else Verdict.PASS
            marks += [
                gradebook.MarkEntry(student.id, klass, subject, term, kind, index, value)
                for kind, index in cells
            ]
    await gradebook.write_marks(actor, marks)


async def test_class_results(secondary, admin_of) -> None:
    school, year = secondary
    admin = admin_of(school)
    await enable_on_behalf(school.id)  # the admin enters marks for the teachers (nhập hộ)
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


async def _one_student_class(secondary, admin_of):
    school, year = secondary
    admin = admin_of(school)
    await enable_on_behalf(school.id)  # the admin enters marks for the teachers (nhập hộ)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                "037214000001", "Nguyễn Văn An", dt.date(2014, 1, 2), Gender.MALE, "6A", 6, 1
            )
        ],
    )
    klass = await SchoolClass.get(year=year, name="6A")
    term = await Term.get(year=year, number=1)
    return school, admin, klass, term, await Student.get(national_id="037214000001")


@pytest.mark.parametrize(
    ("regular", "result", "missing"),
    [
        # TT22 Điều 6 khoản 2 điểm a: a comment-only subject has 2 regular assessments a term,
        # plus GK and CK (Điều 7), whatever its periods (GDTC 70, HĐTN 105: 3 and 4 by điểm b)
        (["Đ"], None, "TX2"),
        (["Đ", "Đ"], Verdict.PASS, None),
        (["Đ", "CĐ"], Verdict.FAIL, None),
        # a third verdict stored by an older version is no cell of the subject: not counted
        (["Đ", "Đ", "CĐ"], Verdict.PASS, None),
    ],
)
@pytest.mark.parametrize("code", ["GDTC", "NT", "HDTN", "GDDP"])
async def test_comment_subject_term_by_its_regular_verdicts(
    secondary, admin_of, code, regular, result, missing
) -> None:
    school, admin, klass, term, an = await _one_student_class(secondary, admin_of)
    subject = await Subject.get(school=school, code=code)
    cells = [(MarkKind.REGULAR, i, v) for i, v in enumerate(regular, start=1)]
    cells += [(MarkKind.MIDTERM, 1, "Đ"), (MarkKind.FINAL, 1, "Đ")]
    await gradebook.write_marks(
        admin,
        [
            gradebook.MarkEntry(an.id, klass, subject, term, k, i, Verdict.parse(v))
            for k, i, v in cells
        ],
    )
    row = (await class_results(admin, klass)).rows[0]
    found = next(r for r in row.subjects if r.subject.code == code)
    assert found.term1 is result
    gaps = [g for g in row.missing if g.startswith(f"{subject.name} HKI:")]
    assert gaps == ([f"{subject.name} HKI: {missing}"] if missing else [])


@pytest.mark.parametrize(
    ("periods", "marks", "average"),
    [
        # TT22 Điều 6 khoản 2 điểm b: 35 periods -> 2 TX: (6 + 8 + 2*7 + 3*7) / 7 = 49 / 7 = 7.0
        (35, ["6", "8"], "7.0"),
        # 36 -> 3 TX: (6 + 8 + 10 + 14 + 21) / 8 = 59 / 8 = 7.375 -> 7.4
        (36, ["6", "8", "10"], "7.4"),
        # 70 -> 3 TX
        (70, ["6", "8", "10"], "7.4"),
        # 71 -> 4 TX: (6 + 8 + 10 + 5 + 14 + 21) / 9 = 64 / 9 = 7.11 -> 7.1
        (71, ["6", "8", "10", "5"], "7.1"),
    ],
)
async def test_scored_subject_term_by_its_yearly_periods(
    secondary, admin_of, periods, marks, average
) -> None:
    school, admin, klass, term, an = await _one_student_class(secondary, admin_of)
    await Subject.filter(school=school, code="TH").update(periods_by_grade={"6": periods})
    informatics = await Subject.get(school=school, code="TH")
    cells = [(MarkKind.REGULAR, i, v) for i, v in enumerate(marks, start=1)]
    entries = [
        gradebook.MarkEntry(an.id, klass, informatics, term, k, i, Decimal(v))
        for k, i, v in [*cells, (MarkKind.MIDTERM, 1, "7"), (MarkKind.FINAL, 1, "7")]
    ]
    await gradebook.write_marks(admin, entries[1:])  # the first regular mark still missing
    row = (await class_results(admin, klass)).rows[0]
    assert next(r for r in row.subjects if r.subject.code == "TH").term1 is None
    assert "Tin học HKI: TX1" in row.missing
    await gradebook.write_marks(admin, entries[:1])
    row = (await class_results(admin, klass)).rows[0]
    assert next(r for r in row.subjects if r.subject.code == "TH").term1 == Decimal(average)
    assert not any(g.startswith("Tin học HKI:") for g in row.missing)


async def test_a_year_counts_only_its_own_terms(secondary, admin_of) -> None:
    """A student's earlier year at the school (its absences, conduct, marks) never counts in
    this year's results: 40 days absent last year do not make this year's 3 a repeat."""
    school, year = secondary
    admin = admin_of(school)
    await enable_on_behalf(school.id)  # the admin enters marks for the teachers (nhập hộ)
    earlier = await ensure_year(school, "2024-2025")
    entry = ("037214000001", "Nguyễn Văn An", dt.date(2013, 1, 2), Gender.MALE)
    await roster.write_students(admin, earlier, [roster.StudentEntry(*entry, "6A", 6, 1)])
    await roster.write_students(admin, year, [roster.StudentEntry(*entry, "7A", 7, 1)])
    an = await Student.get(national_id="037214000001")
    old_class = await SchoolClass.get(year=earlier, name="6A")
    klass = await SchoolClass.get(year=year, name="7A")
    old_terms = list(await Term.filter(year=earlier).order_by("number"))
    terms = list(await Term.filter(year=year).order_by("number"))
    with clock.staged(DURING_2025_2026 - dt.timedelta(days=365)):  # entered during that year
        await gradebook.write_absences(
            admin, [gradebook.AbsenceEntry(an.id, old_class, t, 0, 20) for t in old_terms]
        )
        await gradebook.write_conducts(
            admin, [gradebook.ConductEntry(an.id, old_class, t, Level.FAIL) for t in old_terms]
        )
    subjects = [s for s in await Subject.filter(school=school) if s.taught_in(7)]
    await _fill(admin, klass, an, subjects, terms, Decimal("8"))
    await gradebook.write_conducts(
        admin, [gradebook.ConductEntry(an.id, klass, t, Level.GOOD) for t in terms]
    )
    await gradebook.write_absences(admin, [gradebook.AbsenceEntry(an.id, klass, terms[0], 2, 1)])
    [row] = (await class_results(admin, klass)).rows
    assert row.absent_days == 3 and row.conduct["year"] is Level.GOOD
    assert row.promotion is Promotion.PROMOTED
