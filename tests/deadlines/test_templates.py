"""The grade-sheet template: the importer's own layout, pre-filled, for the assigned teacher."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from core.errors import ImportRejected, PermissionDenied
from core.importing import import_file
from core.importing.headers import GUIDE_HEADING
from core.models import (
    AuditEvent,
    Comment,
    Mark,
    PrimaryAssessment,
    Role,
    SchoolClass,
    Staff,
    Subject,
    Term,
)
from core.services import roster
from core.services.access import Actor
from core.services.progress import teacher_progress
from core.services.templates import grade_sheet_template
from core.validation import Gender

from .test_progress import NOW


def rows(data: bytes, sheet: str = "Bảng điểm") -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def filled(data: bytes, cells: dict[str, object]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    for address, value in cells.items():
        book["Bảng điểm"][address] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_round_trip_writes_what_the_teacher_added(small, workers, clock_at) -> None:
    clock_at("01/12/2025")  # term I, before its lock: the sheet comes back in time
    teacher = await small.actor("GV02")
    template = await grade_sheet_template(
        teacher, small.classes["6A"], small.subjects["NV"], small.terms[1], workers=workers
    )
    assert template.filename == "bang-diem-6a-ngu-van-hk1.xlsx"
    lines = rows(template.data)
    assert lines[2][:5] == ("Lớp: 6A", None, "Môn: Ngữ văn", None, "Học kỳ: I")
    marks = ("TX1", "TX2", "TX3", "TX4", "GK", "CK")
    assert lines[4] == ("STT", "Mã định danh", "Họ và tên", *marks, "Nhận xét")
    assert lines[5] == (1, "001214000001", "Nguyễn Văn An", 7, 7, 7, 7, 7, 7, None)
    assert lines[6] == (2, "001314000002", "Trần Thị Bình", 6, 6, 6, None, 6, None, None)
    assert lines[7] == (3, "001314000003", "Phạm Thị Chi", 9, 9, 9, 9, 9, None, None)
    read = await AuditEvent.get(action="gradebook.read", actor=teacher.label)
    assert read.target.startswith(f"sheet:{small.classes['6A'].id}:")

    back = filled(template.data, {"G7": 6.5, "I7": 7, "I8": "8,5"})
    report = await import_file(
        teacher, small.year, "marks", back, template.filename, workers=workers
    )
    assert report.parts["marks"].created == 3 and report.parts["marks"].updated == 0
    mine = await teacher_progress(teacher, small.year, now=NOW)
    assert mine.complete

    moved = filled(template.data, {"B8": "001214000004"})  # a student of 6B in 6A's sheet
    with pytest.raises(ImportRejected, match="lớp 6B"):
        await import_file(teacher, small.year, "marks", moved, template.filename, workers=workers)


async def test_only_the_assigned_teacher_or_an_admin_gets_it(small, workers) -> None:
    with pytest.raises(PermissionDenied, match="không được phân công"):
        await grade_sheet_template(
            await small.actor("GV01"),
            small.classes["6A"],
            small.subjects["NV"],
            small.terms[1],
            workers=workers,
        )
    comment = await grade_sheet_template(
        small.admin, small.classes["6B"], small.subjects["GDTC"], small.terms[2], workers=workers
    )
    # comment-only: 2 TX whatever the periods (TT22 Điều 6 khoản 2 điểm a; GDTC has 70)
    assert rows(comment.data)[4][3:] == ("TX1", "TX2", "GK", "CK", "Nhận xét")
    guide = rows(comment.data, "Hướng dẫn")
    assert guide[0][0] == GUIDE_HEADING and "Đ (Đạt)" in guide[2][0]


async def test_primary_round_trip(primary, workers) -> None:
    school, year = primary
    admin = Actor.command_line(school.id)
    await roster.write_students(
        admin,
        year,
        [
            roster.StudentEntry(
                "001216000041", "Hà Minh Khôi", dt.date(2016, 10, 10), Gender.MALE, "4A", 4, 1
            )
        ],
    )
    await roster.write_staff(
        admin, year, [roster.StaffEntry("GV09", "Lý Thu Hà", frozenset({Role.SUBJECT_TEACHER}))]
    )
    tv = await Subject.get(school=school, code="TV")
    await roster.write_assignments(admin, year, [roster.AssignmentEntry("GV09", "4A", tv.id)])
    teacher = await Actor.of_staff(await Staff.get(code="GV09"))
    klass = await SchoolClass.get(year=year, name="4A")
    term = await Term.get(year=year, number=1)
    template = await grade_sheet_template(teacher, klass, tv, term, workers=workers)
    lines = rows(template.data)
    assert lines[4] == (
        "STT",
        "Mã định danh",
        "Họ và tên",
        "Mức GHK1",
        "Điểm GHK1",
        "Mức CHK1",
        "Điểm CHK1",
        "Nhận xét",
    )
    said = "Đọc to, rõ ràng."  # the subject teacher's comment of term I (Thông tư 27 Điều 6)
    back = filled(template.data, {"D6": "H", "E6": 7, "F6": "T", "G6": 9, "H6": said})
    report = await import_file(teacher, year, "marks", back, template.filename, workers=workers)
    assert report.parts["comments"].created == 1
    stored = {str(a.point): (a.level, a.score) for a in await PrimaryAssessment.filter(subject=tv)}
    assert stored == {"mid_1": ("H", 7), "end_1": ("T", 9)}
    comment = await Comment.get(subject=tv)
    assert (comment.term_id, comment.text, comment.author_id) == (term.id, said, teacher.staff_id)
    again = rows((await grade_sheet_template(teacher, klass, tv, term, workers=workers)).data)
    assert again[5][3:] == ("H", 7, "T", 9, said)
    assert not await Mark.exists()
