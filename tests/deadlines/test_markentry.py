"""The single-mark form service (core.services.markentry) on its own: what each step returns,
a draft that is checked again and never grows, and a school without a year."""

from __future__ import annotations

import pytest

from core.errors import InvalidValue, NotFound, PermissionDenied
from core.models import Mark, MarkKind, SchoolYear
from core.services import markentry, schools
from core.services.student_form import Confirmation, ValueAsked

FIELDS = {"class_id", "subject_id", "term", "column", "student_id", "value"}


async def test_each_step_returns_what_it_shows_and_the_next_draft(upcoming) -> None:
    small = upcoming
    teacher = await small.actor("GV02")
    start = await markentry.start(teacher)
    assert [c.label for c in start.choices] == ["6A — Ngữ văn"]
    klass, subject = small.classes["6A"], small.subjects["NV"]
    terms = await markentry.choose_sheet(teacher, klass.id, subject.id)
    assert terms.title == "6A — Ngữ văn" and [c.data for c in terms.choices] == ["mk:t:1", "mk:t:2"]
    columns = await markentry.choose_term(teacher, terms.draft, 1)
    assert [c.data for c in columns.choices][3:] == ["mk:c:r:4", "mk:c:m:1", "mk:c:f:1"]
    students = await markentry.choose_column(teacher, columns.draft, "r", 4)
    assert students.choices[1].label == "2. Trần Thị Bình · —"
    asked = await markentry.search_student(teacher, students.draft, "2")
    assert isinstance(asked, ValueAsked) and asked.student.current == "(trống)"
    refused = await markentry.type_value(teacher, asked.draft, "10,25")
    assert isinstance(refused, ValueAsked) and "10,25" in refused.refused
    check = await markentry.type_value(teacher, asked.draft, "9,5")
    assert isinstance(check, Confirmation) and check.new == "9,5"
    saved = await markentry.save(teacher, check.draft)
    assert saved.changed and set(saved.draft) == {"class_id", "subject_id", "term", "column"}
    mark = await Mark.get(student_id=small.students["Trần Thị Bình"], subject=subject, index=4)
    assert (mark.kind, str(mark.score)) == (MarkKind.REGULAR, "9.5")


async def test_the_draft_is_checked_again_and_never_grows(upcoming) -> None:
    small = upcoming
    teacher = await small.actor("GV02")
    klass, subject = small.classes["6A"], small.subjects["NV"]
    terms = await markentry.choose_sheet(teacher, klass.id, subject.id)
    junk = {**terms.draft, "term": "1", "history": list(range(1000)), "value": 7}
    with pytest.raises(NotFound, match="Phiên nhập điểm này đã kết thúc"):
        await markentry.choose_column(teacher, junk, "r", 1)  # "term" is not a number
    columns = await markentry.choose_term(teacher, junk, 1)
    assert set(columns.draft) <= FIELDS and "history" not in columns.draft
    # a draft kept from before the teacher lost the class is refused, not trusted
    other = await small.actor("GV01")
    with pytest.raises(PermissionDenied, match="không được phân công"):
        await markentry.choose_column(other, columns.draft, "r", 1)
    # a value kept in the draft is validated again when saved
    students = await markentry.choose_column(teacher, columns.draft, "r", 1)
    asked = await markentry.choose_student(teacher, students.draft, small.students["Phạm Thị Chi"])
    forged = {**asked.draft, "value": "11"}
    with pytest.raises(InvalidValue, match="11"):
        await markentry.save(teacher, forged)
    assert not await Mark.exists(student_id=small.students["Phạm Thị Chi"], score=11)


async def test_a_school_without_a_year_is_told_what_to_do(upcoming) -> None:
    small = upcoming
    teacher = await small.actor("GV02")
    await SchoolYear.filter(id=small.year.id).delete()
    with pytest.raises(NotFound, match="Trường chưa có năm học nào") as refused:
        await schools.current_year(small.school.id)
    # Only `hocba init` creates a year (read commands such as `calendar show` never do).
    assert "hocba --year 2025-2026 init" in str(refused.value)
    assert "hocba calendar show" in str(refused.value)
    assert await schools.current_year_if_any(small.school.id) is None
    with pytest.raises(NotFound, match="Trường chưa có năm học nào"):
        await markentry.start(teacher)
