"""Reading files: what is not a spreadsheet, limits, encodings, headers schools write by hand."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from core.errors import ImportRejected, InvalidValue
from core.importing import cells, import_file, reader
from core.models import Enrollment, Student
from tests.integration.fixtures_sheets import (
    AN,
    BINH,
    STUDENT_HEADER,
    STUDENTS,
    csv_bytes,
    rejected,
    students_xlsx,
    xlsx,
)


@pytest.fixture
async def school(secondary, admin_of):
    school, year = secondary
    return school, year, admin_of(school)


def _zip_of_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "không phải bảng tính")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "phrase"),
    [
        (b"", "ds.xlsx", "Tệp rỗng"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "ds.xlsx", "PDF"),
        (os.urandom(2048), "ds.xlsx", "không phải bảng tính Excel"),
        (_zip_of_text(), "ds.xlsx", "tệp nén"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "ds.xls", ".xls"),
        (bytes(range(256)) * 8, "ds.csv", "không phải bảng tính"),
        (xlsx({"Sheet1": [["Ghi chú"], ["xin chào"]]}), "ds.xlsx", "dòng tiêu đề"),
        (csv_bytes([["a", "b"], [1, 2]]), "ds.csv", "dòng tiêu đề"),
    ],
    ids=["empty", "pdf", "random", "zip", "xls", "binary-csv", "no-header", "csv-no-header"],
)
async def test_not_a_usable_spreadsheet_is_one_precise_problem(
    school, data, name, phrase, workers
) -> None:
    _school, year, admin = school
    problems = await rejected(admin, year, "students", data, name, workers=workers)
    assert len(problems) == 1
    assert problems[0].sheet == name and problems[0].row is None
    assert phrase in problems[0].problem


async def test_header_without_rows(school, workers) -> None:
    _school, year, admin = school
    problems = await rejected(
        admin, year, "students", xlsx({"DS": [STUDENT_HEADER]}), "a.xlsx", workers=workers
    )
    assert "Không có dòng dữ liệu" in problems[0].problem


async def test_size_and_row_limits(school, monkeypatch, workers) -> None:
    _school, year, admin = school
    monkeypatch.setattr(reader, "MAX_BYTES", 1000)  # checked before the file goes to a worker
    big = await rejected(admin, year, "students", bytes(2000), "big.xlsx", workers=workers)
    assert "quá giới hạn" in big[0].problem
    monkeypatch.setattr(reader, "MAX_BYTES", 20 * 1024 * 1024)
    # rows are counted while parsing, in the worker: the parser itself, in this process
    monkeypatch.setattr(cells, "MAX_ROWS", 3)
    with pytest.raises(ImportRejected) as refused:
        reader.read_sheets(students_xlsx(), "many.xlsx")
    many = refused.value.problems
    assert (many[0].sheet, len(many)) == ("Danh sách", 1)
    assert "hơn 3 dòng" in many[0].problem


async def test_unknown_kind(school, workers) -> None:
    _school, year, admin = school
    with pytest.raises(InvalidValue, match="không rõ"):
        await import_file(admin, year, "thời khóa biểu", students_xlsx(), "a.xlsx", workers=workers)


async def test_loose_headers_title_rows_blank_rows_and_extra_columns(school, workers) -> None:
    _school, year, admin = school
    rows = [
        ["SỞ GIÁO DỤC VÀ ĐÀO TẠO", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        ["TRƯỜNG THCS ĐẠI AN"],
        ["DANH SÁCH HỌC SINH NĂM HỌC 2025-2026"],
        [None],
        ["  stt ", "SO DINH DANH", "HỌ VÀ TÊN", "Ngày sinh (dd/mm/yyyy)", "GIOI TINH", "lop",
         "Ghi chú", None, "   "],
        [],
        [1, 1214000001, "nguyễn văn an", "02/03/2014", "Nam", "6A", "chuyển đến", None, None],
        [None, None, None, None, None, None, None],
        [2, BINH, "Trần Thị Bình", "15-08-2014", "Nữ", " 6a ", None, None, "  "],
    ]  # fmt: skip
    data = xlsx({"Sheet1": rows}, merged={"Sheet1": ["A1:C1", "A3:F3"]})
    report = await import_file(admin, year, "students", data, "ds.xlsx", workers=workers)

    assert report.parts["students"].created == 2
    assert (await Student.get(national_id=AN)).full_name == "Nguyễn Văn An"
    assert report.sheets[0].ignored_columns == ("Ghi chú",)
    assert "«Ghi chú»" in report.summary()


async def test_every_sheet_with_a_header_is_imported(school, workers) -> None:
    _school, year, admin = school
    data = xlsx(
        {
            "Hướng dẫn": [["Ghi mỗi học sinh một dòng"]],
            "6A": [STUDENT_HEADER, STUDENTS[0], STUDENTS[1]],
            "7A": [["Lớp 7A"], STUDENT_HEADER, STUDENTS[2]],
        }
    )
    report = await import_file(admin, year, "students", data, "ds.xlsx", workers=workers)
    assert [(s.name, s.rows) for s in report.sheets] == [("6A", 2), ("7A", 1)]
    assert report.ignored_sheets == ["Hướng dẫn"]
    assert await Enrollment.all().count() == 3


async def test_problems_name_every_sheet(school, workers) -> None:
    _school, year, admin = school
    bad = list(STUDENTS[0])
    bad[4] = "?"
    data = xlsx({"6A": [STUDENT_HEADER, bad], "7A": [STUDENT_HEADER[:4], STUDENTS[2][:4]]})
    problems = await rejected(admin, year, "students", data, "ds.xlsx", workers=workers)
    assert {(p.sheet, p.row, p.column) for p in problems} == {
        ("6A", 2, "Giới tính"),
        ("7A", 1, None),
    }
    assert "Thiếu cột «Giới tính»" in str(problems)


async def test_two_columns_for_one_field_is_a_problem(school, workers) -> None:
    _school, year, admin = school
    header = [*STUDENT_HEADER[:6], "Họ và tên"]
    problems = await rejected(
        admin,
        year,
        "students",
        xlsx({"DS": [header, [*STUDENTS[0][:6], "X"]]}),
        "ds.xlsx",
        workers=workers,
    )
    assert len(problems) == 1 and "Hai cột" in problems[0].problem


async def test_comma_csv_with_quoted_fields(school, workers) -> None:
    _school, year, admin = school
    rows = [
        STUDENT_HEADER[:8],
        [1, AN, "Nguyễn Văn An", "02/03/2014", "Nam", "6A", "Kinh", "Xã Đại An, Hà Nội"],
    ]
    await import_file(admin, year, "students", csv_bytes(rows), "ds.csv", workers=workers)
    assert (await Student.get(national_id=AN)).birthplace == "Xã Đại An, Hà Nội"


async def test_excel_unicode_text_export(school, workers) -> None:
    """Excel's "Unicode text" is UTF-16 with tabs between the columns."""
    _school, year, admin = school
    rows = [STUDENT_HEADER[:6], [1, AN, "Nguyễn Văn An", "02/03/2014", "Nam", "6A"]]
    data = csv_bytes(rows, delimiter="\t", encoding="utf-16")
    await import_file(admin, year, "students", data, "ds.txt", workers=workers)
    assert (await Student.get(national_id=AN)).full_name == "Nguyễn Văn An"


async def test_a_marks_file_without_mark_columns_says_what_it_needs(school, workers) -> None:
    _school, year, admin = school
    data = xlsx({"DS": [STUDENT_HEADER, STUDENTS[0]]})
    problems = await rejected(admin, year, "marks", data, "ds.xlsx", workers=workers)
    assert len(problems) == 1 and "«TX1»" in problems[0].expected
