"""Importing teaching assignments: teacher × classes × subject, every name already known."""

from __future__ import annotations

import pytest

from core.importing import import_file
from core.models import AuditEvent, Subject, TeachingAssignment
from tests.integration.fixtures_sheets import ASSIGNMENTS, find, rejected, seed, xlsx


@pytest.fixture
async def school(secondary, admin_of, workers):
    school, year = secondary
    admin = admin_of(school)
    await seed(admin, year, assignments=False, workers=workers)
    return school, year, admin


async def _assigned() -> set[tuple[str, str, str]]:
    rows = await TeachingAssignment.all().values_list(
        "staff__code", "school_class__name", "subject__code"
    )
    return set(rows)


async def test_assignments_with_several_classes_per_cell(school, workers) -> None:
    _school, year, admin = school
    report = await import_file(
        admin, year, "phân công", xlsx({"PC": ASSIGNMENTS}), "pc.xlsx", workers=workers
    )
    assert report.parts["assignments"].created == 4
    assert await _assigned() == {
        ("GV01", "6A", "TOAN"),
        ("GV01", "6B", "TOAN"),
        ("GV02", "6A", "NV"),
        ("GV02", "7A", "GDTC"),
    }
    audit = await AuditEvent.all().count()
    again = await import_file(
        admin, year, "assignments", xlsx({"PC": ASSIGNMENTS}), "pc.xlsx", workers=workers
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert await AuditEvent.all().count() == audit


async def test_template_with_teacher_names_and_a_merged_title(school, workers) -> None:
    _school, year, admin = school
    rows = [
        ["PHÂN CÔNG GIẢNG DẠY HỌC KỲ I"],
        [],
        ["STT", "Mã GV", "Họ và tên", "Môn dạy", "Lớp dạy"],
        [1, "gv01", "Lê Thị Hoa", "toan hoc", "6A; 6B"],
        [2, "GV02", "Trần Văn Bình", "Văn", "7a"],
        [3, None, None, None, None],
    ]
    data = xlsx({"PC": rows}, merged={"PC": ["A1:E1"]})
    await import_file(admin, year, "assignments", data, "pc.xlsx", workers=workers)
    assert await _assigned() == {
        ("GV01", "6A", "TOAN"),
        ("GV01", "6B", "TOAN"),
        ("GV02", "7A", "NV"),
    }


async def test_unknown_names_are_reported(school, workers) -> None:
    school, year, admin = school
    # The school teaches Tin học in grades 8-9 only (its own timetable).
    await Subject.filter(school=school, code="TH").update(periods_by_grade={"8": 35, "9": 35})
    rows = [
        ("Mã cán bộ", "Họ và tên", "Lớp", "Môn"),
        ("GV99", None, "6A", "Toán"),
        ("GV01", None, "6A, 6C", "Toán"),
        ("GV01", None, "6A", "Thiên văn"),
        ("GV02", None, "6A", "Tin học"),
        ("GV02", "Lê Thị Hoa", "6A", "Toán"),
    ]
    problems = await rejected(
        admin, year, "assignments", xlsx({"PC": rows}), "pc.xlsx", workers=workers
    )
    unknown_staff = find(problems, row=2, phrase="GV99")
    assert (unknown_staff.column, "nhập danh sách cán bộ trước" in unknown_staff.expected) == (
        "Mã cán bộ",
        True,
    )
    assert find(problems, row=3, phrase="Chưa có lớp 6C").column == "Lớp"
    assert "Ngữ văn" in find(problems, row=4, phrase="Thiên văn").expected
    assert find(problems, row=5, phrase="không dạy ở khối 6").column == "Lớp"
    assert find(problems, row=6, phrase="Trần Văn Bình").column == "Họ và tên"
    assert len(problems) == 5
