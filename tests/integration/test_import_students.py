"""Importing class lists: students, their classes and guardians, all checked before any write."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db import connection, dialect
from core.i18n import use_language
from core.importing import import_file
from core.models import AuditEvent, Enrollment, Guardian, SchoolClass, Student
from core.rules.catalog import SchoolLevel
from core.services.schools import create_school, ensure_year
from core.validation import Gender
from tests.integration.fixtures_sheets import (
    AN,
    BINH,
    CHI,
    STUDENT_HEADER,
    STUDENTS,
    csv_bytes,
    find,
    national_id,
    rejected,
    students_xlsx,
    xlsx,
)


async def test_class_list_is_stored_and_read_back(secondary, admin_of, workers) -> None:
    school, year = secondary
    report = await import_file(
        admin_of(school), year, "hocsinh", students_xlsx(), "ds.xlsx", workers=workers
    )

    assert report.parts["students"].created == 4
    assert report.parts["enrollments"].created == 4
    assert report.parts["guardians"].created == 4
    an = await Student.get(national_id=AN)
    assert (an.full_name, an.born, an.gender) == ("Nguyễn Văn An", dt.date(2014, 3, 2), Gender.MALE)
    assert (an.ethnicity, an.birthplace, an.school_id) == ("Kinh", "Hà Nội", school.id)
    binh = await Student.get(national_id=BINH)
    assert (binh.full_name, binh.born, binh.ethnicity) == (
        "Trần Thị Bình",
        dt.date(2014, 8, 15),
        "Tày",
    )
    enrollment = await Enrollment.get(student=binh).prefetch_related("school_class")
    assert (enrollment.school_class.name, enrollment.school_class.grade, enrollment.number) == (
        "6A",
        6,
        2,
    )
    assert sorted(await SchoolClass.filter(year=year).values_list("name", flat=True)) == [
        "6A",
        "6B",
        "7A",
    ]
    guardians = {
        (g.full_name, g.relation, g.phone)
        for g in await Guardian.filter(student__national_id__in=[AN, BINH, CHI])
    }
    assert guardians == {
        ("Nguyễn Văn Ba", "Cha", "+84912345678"),
        ("Lê Thị Hồng", "Mẹ", "+84987654321"),
        ("Hoàng Thị Mai", "Mẹ", "+84981222333"),
        ("Phạm Văn Cường", "Cha", "+84903111222"),
    }
    summary = report.summary()
    assert "Học sinh: 4 thêm mới, 0 cập nhật, 0 không đổi" in summary
    assert "«ds.xlsx»" in summary


async def test_reimporting_the_same_file_changes_nothing(secondary, admin_of, workers) -> None:
    school, year = secondary
    admin = admin_of(school)
    await import_file(admin, year, "students", students_xlsx(), "ds.xlsx", workers=workers)
    audit_before = await AuditEvent.all().count()

    again = await import_file(admin, year, "students", students_xlsx(), "ds.xlsx", workers=workers)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 12)
    assert await AuditEvent.all().count() == audit_before
    assert "Không có gì thay đổi" in again.summary()


async def test_a_changed_row_is_an_update(secondary, admin_of, workers) -> None:
    school, year = secondary
    admin = admin_of(school)
    await import_file(admin, year, "students", students_xlsx(), "ds.xlsx", workers=workers)
    moved = [list(r) for r in STUDENTS]
    moved[0][5] = "6B"  # An changes class
    report = await import_file(
        admin, year, "students", students_xlsx(moved), "ds.xlsx", workers=workers
    )
    assert report.parts["enrollments"].updated == 1
    assert report.parts["students"].updated == 0
    enrollment = await Enrollment.get(student__national_id=AN).prefetch_related("school_class")
    assert enrollment.school_class.name == "6B"


async def test_csv_with_bom_semicolons_and_title_rows(secondary, admin_of, workers) -> None:
    school, year = secondary
    rows = [
        ["TRƯỜNG THCS ĐẠI AN"],
        ["DANH SÁCH HỌC SINH"],
        ["Giáo viên chủ nhiệm lớp: Lê Thị Hoa"],
        ["Năm học: 2025-2026", "Lớp: 6A"],
        [],
        ["stt", "MA DINH DANH", "ho va ten", "NGAY SINH", "gioi tinh", "dan toc", "", ""],
        ["1", AN, "Nguyễn Văn An", "02/03/2014", "Nam", "Kinh", "", ""],
        ["", "", "", "", "", "", "", ""],
        ["2", BINH, "Trần Thị Bình", "15/08/2014", "Nữ", "   ", "", ""],
    ]
    data = csv_bytes(rows, delimiter=";", bom=True)
    report = await import_file(admin_of(school), year, "students", data, "6a.csv", workers=workers)
    assert report.parts["students"].created == 2
    binh = await Student.get(national_id=BINH)
    assert binh.ethnicity == "Kinh"  # a cell of spaces is blank
    enrollment = await Enrollment.get(student=binh).prefetch_related("school_class")
    assert enrollment.school_class.name == "6A"  # from the title row


async def test_csv_in_windows_1258_is_refused_not_guessed(secondary, admin_of, workers) -> None:
    """An encoding that is not certain is never guessed: cp1258 read as Latin-1 or cp1252
    gives mojibake without an error, and that would be stored and signed."""
    school, year = secondary
    rows = [STUDENT_HEADER[:6], [1, AN, "Nguyễn Văn Ấn", "02/03/2014", "Nam", "6A"]]
    data = csv_bytes(rows, encoding="cp1258")
    problems = await rejected(admin_of(school), year, "students", data, "6a.csv", workers=workers)
    assert "không lưu bằng mã UTF-8" in problems[0].problem
    assert "CSV UTF-8" in problems[0].expected
    assert not await Student.exists()


async def test_every_bad_value_is_reported_and_nothing_is_written(
    secondary, admin_of, workers
) -> None:
    school, year = secondary
    other = await create_school("THCS-KH", "Trường THCS Kim Hoa", SchoolLevel.LOWER_SECONDARY)
    elsewhere = national_id(77)
    await import_file(
        admin_of(other),
        await ensure_year(other, "2025-2026"),
        "students",
        students_xlsx([[1, elsewhere, "Lý Văn Khoa", "01/02/2014", "Nam", "6A"]]),
        "kh.xlsx",
        workers=workers,
    )
    rows = [
        [1, "00121400001", "Thiếu Một Số", "02/03/2014", "Nam", "6A"],
        [2, "00121400000A", "Có Chữ", "02/03/2014", "Nam", "6A"],
        [3, "999214000001", "Sai Tỉnh", "02/03/2014", "Nam", "6A"],
        [4, national_id(4), "Sai Năm", "02/03/2013", "Nam", "6A"],
        [5, national_id(5), "Sai Giới", "02/03/2014", "Nữ", "6A"],
        [6, national_id(6), "Ngày Lạ", "31/02/2014", "Nam", "6A"],
        [7, national_id(7, 2030), "Tương Lai", "02/03/2030", "Nam", "6A"],
        [8, national_id(8), "Không Rõ", "02/03/2014", "X", "6A"],
        [9, national_id(9), None, "02/03/2014", "Nam", "6A"],
        [10, national_id(10), "Trùng Một", "02/03/2014", "Nam", "6A"],
        [11, national_id(10), "Trùng Hai", "02/03/2014", "Nam", "6B"],
        [12, elsewhere, "Lý Văn Khoa", "01/02/2014", "Nam", "6A"],
        [13, national_id(13), "Khối Lạ", "02/03/2014", "Nam", "10A"],
        [14, national_id(14), "Sai Điện Thoại", "02/03/2014", "Nam", "6A", None, None,
         "Cha Em", "12345"],
        [15, national_id(15), "Thiếu Tên Cha", "02/03/2014", "Nam", "6A", None, None,
         None, "0912345678"],
    ]  # fmt: skip
    data = xlsx({"Lớp 6": [["DANH SÁCH HỌC SINH"], STUDENT_HEADER, *rows]})
    problems = await rejected(admin_of(school), year, "students", data, "ds.xlsx", workers=workers)

    assert all(p.sheet == "Lớp 6" for p in problems)
    assert find(problems, row=3, phrase="12 chữ số").column == "Mã định danh"
    find(problems, row=4, phrase="12 chữ số")
    find(problems, row=5, phrase="mã tỉnh")
    assert find(problems, row=6, phrase="năm sinh 2014").column == "Mã định danh"
    find(problems, row=7, phrase="giới tính Nam")
    assert find(problems, row=8, phrase="31/02/2014").column == "Ngày sinh"
    find(problems, row=9, phrase="sau hôm nay")
    assert find(problems, row=10, phrase="Nam hoặc Nữ").column == "Giới tính"
    assert find(problems, row=11, phrase="để trống").column == "Họ và tên"
    duplicate = find(problems, row=13, phrase="đã có ở trang «Lớp 6», dòng 12")
    assert national_id(10) in duplicate.problem
    assert find(problems, row=14, phrase="trường khác").column == "Mã định danh"
    assert find(problems, row=15, phrase="khối 10").column == "Lớp"
    assert find(problems, row=16, phrase="12345").column == "SĐT cha"
    assert find(problems, row=17, phrase="không có họ tên").column == "SĐT cha"
    assert len(problems) == 14  # the first of the two duplicate rows is fine
    assert not await Student.filter(school=school).exists()


# A failure of the database in the middle of the write, after the students are stored and
# before their classes are: a trigger that refuses every enrollment, on either engine.
_FAIL = {
    "sqlite": [
        "CREATE TRIGGER fail_enrollment BEFORE INSERT ON enrollment "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    ],
    "postgres": [
        "CREATE FUNCTION fail_enrollment() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
        "CREATE TRIGGER fail_enrollment BEFORE INSERT ON enrollment "
        "FOR EACH ROW EXECUTE FUNCTION fail_enrollment()",
    ],
}
_HEAL = {
    "sqlite": ["DROP TRIGGER fail_enrollment"],
    "postgres": ["DROP TRIGGER fail_enrollment ON enrollment", "DROP FUNCTION fail_enrollment()"],
}


async def test_an_import_that_stops_halfway_leaves_nothing_and_runs_again(
    secondary, admin_of, workers
) -> None:
    school, year = secondary
    admin = admin_of(school)
    events = await AuditEvent.all().count()
    for statement in _FAIL[dialect()]:
        await connection().execute_script(statement)
    with pytest.raises(Exception, match="disk"):  # the engine's own error, as it comes
        await import_file(admin, year, "students", students_xlsx(), "ds.xlsx", workers=workers)
    assert await Student.all().count() == 0  # the students written first went back too
    assert await AuditEvent.all().count() == events
    for statement in _HEAL[dialect()]:
        await connection().execute_script(statement)
    report = await import_file(admin, year, "students", students_xlsx(), "ds.xlsx", workers=workers)
    assert (report.parts["students"].created, report.parts["enrollments"].created) == (4, 4)


async def test_the_file_is_read_in_a_worker_in_the_senders_language(
    secondary, admin_of, workers
) -> None:
    """The worker process does not share the bot's language: the problems are worded in the
    sender's all the same."""
    school, year = secondary
    pdf = b"%PDF-1.7\n" + bytes(100)  # refused by the parser, in the worker
    with use_language("en"):
        problems = await rejected(admin_of(school), year, "students", pdf, "ds.xlsx", workers)
    assert [p.problem for p in problems] == ["The file is a PDF document, not a spreadsheet"]
