"""Progress: exact gaps per teacher × class × subject × term, views and their role checks."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import PermissionDenied
from core.models import AuditEvent, TeachingAssignment
from core.services.progress import class_progress, school_progress, teacher_progress

NOW = dt.datetime(2026, 1, 20, 9, 0, tzinfo=clock.zone())  # after term I's entry deadline
ENTRY_1 = dt.datetime(2026, 1, 15, 17, 0, tzinfo=clock.zone())


def gaps(sheet) -> list[tuple[str, list[str]]]:
    return [(g.column, [s.name for s in g.students]) for g in sheet.gaps]


async def test_complete_teacher_has_nothing_missing(small) -> None:
    mine = await teacher_progress(await small.actor("GV01"), small.year, now=NOW)
    assert [(s.class_name, s.subject_name, s.term) for s in mine.sheets] == [
        ("6A", "Toán", 1),
        ("6B", "Toán", 1),
    ]
    assert mine.complete and mine.missing == 0 and not mine.late(NOW)


async def test_incomplete_teacher_sees_columns_counts_and_students(small) -> None:
    mine = await teacher_progress(await small.actor("GV02"), small.year, now=NOW)
    (sheet,) = mine.sheets
    assert (sheet.class_name, sheet.subject_name, sheet.term, sheet.students) == (
        "6A",
        "Ngữ văn",
        1,
        3,
    )
    assert gaps(sheet) == [("TX4", ["Trần Thị Bình"]), ("CK", ["Trần Thị Bình", "Phạm Thị Chi"])]
    assert [g.count for g in sheet.gaps] == [1, 2]
    assert all(g.due == ENTRY_1 for g in sheet.gaps)
    assert sheet.late(NOW) and not sheet.late(ENTRY_1 - dt.timedelta(minutes=1))
    assert sheet.missing == 3
    assert sheet.due_by(ENTRY_1) == sheet.gaps

    homeroom = await teacher_progress(await small.actor("GV03"), small.year, now=NOW)
    (conduct,) = homeroom.sheets
    assert (conduct.class_name, conduct.subject_id) == ("6A", None)
    assert gaps(conduct) == [("RL", ["Phạm Thị Chi"]), ("NGHI", ["Phạm Thị Chi"])]
    assert [g.label for g in conduct.gaps] == ["Rèn luyện", "Số ngày nghỉ"]

    term_2 = await teacher_progress(await small.actor("GV02"), small.year, now=NOW, terms=[2])
    assert [g.column for g in term_2.sheets[0].gaps] == ["TX1", "TX2", "TX3", "TX4", "GK", "CK"]


async def test_school_view_puts_the_late_first(small) -> None:
    principal = await small.actor("HT01")
    school = await school_progress(principal, small.year, now=NOW)
    teachers = [g.name for g in school.by_teacher]
    assert teachers[-1] == "Hoàng Văn Toán"  # the complete teacher comes last
    assert set(teachers[:-1]) == {"Bùi Thị Văn", "Ngô Chủ Nhiệm", "(chưa phân công)"}
    late = {g.name: g for g in school.by_teacher}
    assert late["Bùi Thị Văn"].missing == 3
    # Every subject nobody was assigned shows as unassigned, with all its cells missing.
    unassigned = late["(chưa phân công)"]
    assert {s.class_name for s in unassigned.sheets} == {"6A", "6B"}
    assert [g.name for g in school.by_class] == ["6A", "6B"]
    assert school.by_class[0].late(NOW)

    klass = await class_progress(await small.actor("GV03"), small.classes["6A"], now=NOW)
    first = klass.sheets[0]
    assert first.late(NOW) and not klass.sheets[-1].late(NOW)  # late first, complete last
    assert klass.sheets[-1].subject_name == "Toán"
    assert await AuditEvent.filter(action="progress.read").count() == 2


async def test_role_checks(small) -> None:
    teacher = await small.actor("GV02")
    with pytest.raises(PermissionDenied):
        await teacher_progress(teacher, small.year, now=NOW, staff_id=small.staff["GV01"].id)
    with pytest.raises(PermissionDenied):
        await school_progress(teacher, small.year, now=NOW)
    with pytest.raises(PermissionDenied):
        await class_progress(teacher, small.classes["6A"], now=NOW)
    admin = await small.actor("QT01")
    other = await teacher_progress(admin, small.year, now=NOW, staff_id=small.staff["GV02"].id)
    assert other.missing == 3


async def test_a_teacher_of_two_subjects_sees_exactly_their_sheets(small) -> None:
    """GV02 also teaches Toán in 6B: their view holds their two (class, subject) pairs and no
    other subject of those classes, with the same gaps the school's view finds for them."""
    await TeachingAssignment.create(
        staff=small.staff["GV02"], school_class=small.classes["6B"], subject=small.subjects["TOAN"]
    )
    mine = await teacher_progress(await small.actor("GV02"), small.year, now=NOW)
    assert [(s.class_name, s.subject_name) for s in mine.sheets] == [
        ("6A", "Ngữ văn"),  # late first
        ("6B", "Toán"),
    ]
    school = await school_progress(await small.actor("HT01"), small.year, now=NOW)
    (theirs,) = [g for g in school.by_teacher if g.name == "Bùi Thị Văn"]
    assert [(s.class_name, s.subject_name, gaps(s)) for s in theirs.sheets] == [
        (s.class_name, s.subject_name, gaps(s)) for s in mine.sheets
    ]
    assert mine.missing == 3
