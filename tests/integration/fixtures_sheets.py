"""Spreadsheets as schools send them, built in memory for the import tests.

IDs are valid 12-digit personal IDs: province code, then the century-and-gender digit (2 = male
born 2000-2099, 3 = female), then the last two digits of the birth year, then a serial.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook

from core.errors import ImportRejected, Problem
from core.importing import import_file
from core.models import (
    AuditEvent,
    Enrollment,
    Guardian,
    Mark,
    PrimaryAssessment,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    TeachingAssignment,
)
from core.services.access import Actor
from core.workers import WorkerPool

Rows = Sequence[Sequence[Any]]


def national_id(serial: int, year: int = 2014, *, female: bool = False, province: str = "001"):
    return f"{province}{3 if female else 2}{year % 100:02d}{serial:06d}"


def xlsx(sheets: Mapping[str, Rows], merged: Mapping[str, Sequence[str]] | None = None) -> bytes:
    """A workbook with one sheet per entry; `merged` lists cell ranges to merge per sheet."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
        for cells in (merged or {}).get(name, ()):
            sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Excel writes it: base letters with their circumflex, breve
    or horn precomposed, the tone as a separate combining mark."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
        out.append(base + "".join(p for p in parts if p in tones))
    return "".join(out).encode("cp1258")


def csv_bytes(
    rows: Rows, *, delimiter: str = ",", bom: bool = False, encoding: str = "utf-8"
) -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    if encoding == "cp1258":
        return to_cp1258(text.getvalue())
    return ("\ufeff" if bom else "").encode() + text.getvalue().encode(encoding)


STUDENT_HEADER = (
    "STT",
    "Mã định danh",
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Lớp",
    "Dân tộc",
    "Nơi sinh",
    "Họ tên cha",
    "SĐT cha",
    "Họ tên mẹ",
    "SĐT mẹ",
)
AN = national_id(1)
BINH = national_id(2, female=True)
CHI = national_id(3, 2013, female=True, province="079")
DUNG = national_id(4, province="031")
STUDENTS: Rows = (
    (1, AN, "Nguyễn Văn An", dt.datetime(2014, 3, 2), "Nam", "6A", "Kinh", "Hà Nội",
     "Nguyễn Văn Ba", "0912345678", "Lê Thị Hồng", "0987654321"),
    (2, BINH, "trần thị  bình", "15/08/2014", "Nữ", "6a", "Tày", "Cao Bằng",
     None, None, "Hoàng Thị Mai", "0981 222 333"),
    (3, CHI, "Phạm Thị Chi", "01/01/2013", "nu", "7A", None, None,
     "Phạm Văn Cường", "+84 903 111 222", None, None),
    (4, DUNG, "Đỗ Minh Dũng", dt.date(2014, 12, 31), "Nam", "6B", "Kinh", "Hải Phòng",
     None, None, None, None),
)  # fmt: skip


def students_xlsx(rows: Rows = STUDENTS, header: Sequence[str] = STUDENT_HEADER) -> bytes:
    return xlsx({"Danh sách": [header, *rows]})


STAFF_HEADER = ("Mã cán bộ", "Họ và tên", "Vai trò", "Chủ nhiệm lớp", "Số điện thoại", "Email")
STAFF: Rows = (
    ("HT01", "Vũ Văn Hải", "Hiệu trưởng", None, "0911000001", "hai@daian.edu.vn"),
    ("GV01", "Lê Thị Hoa", "Giáo viên, GVCN", "6A", "0911000002", None),
    ("GV02", "Trần Văn Bình", "GVBM", None, None, None),
    ("QT01", "Ngô Thị Lan", "Quản trị; Văn thư", None, None, None),
)


def staff_xlsx(rows: Rows = STAFF) -> bytes:
    return xlsx({"Cán bộ": [STAFF_HEADER, *rows]})


ASSIGNMENTS: Rows = (
    ("Mã cán bộ", "Lớp", "Môn"),
    ("GV01", "6A, 6B", "Toán"),
    ("GV02", "6A", "Ngữ văn"),
    ("GV02", "7A", "GDTC"),
)


async def counts() -> dict[str, int]:
    """Rows of every table an import may write, to prove a refused file wrote nothing."""
    models = (
        AuditEvent,
        Student,
        Enrollment,
        Guardian,
        SchoolClass,
        Staff,
        StaffRole,
        TeachingAssignment,
        Mark,
        PrimaryAssessment,
    )
    return {m.__name__: await m.all().count() for m in models}


async def rejected(
    actor: Actor, year, kind: str, data: bytes, name: str, workers: WorkerPool
) -> list[Problem]:
    """The problems of a refused file, after checking that nothing at all was written."""
    before = await counts()
    try:
        await import_file(actor, year, kind, data, name, workers=workers)
    except ImportRejected as error:
        assert await counts() == before
        return error.problems
    raise AssertionError("the file was accepted")


def find(problems: list[Problem], *, row: int | None = None, phrase: str) -> Problem:
    """The one problem of `row` whose text contains `phrase`."""
    hits = [p for p in problems if p.row == row and phrase in f"{p.problem} {p.expected}"]
    assert len(hits) == 1, f"{phrase!r} at row {row}: {hits or problems}"
    return hits[0]


async def seed(
    actor: Actor, year, *, staff: bool = True, assignments: bool = True, workers: WorkerPool
) -> None:
    """The students, staff and assignments above, imported as a school would."""
    await import_file(actor, year, "students", students_xlsx(), "hocsinh.xlsx", workers=workers)
    if staff:
        await import_file(actor, year, "staff", staff_xlsx(), "canbo.xlsx", workers=workers)
    if assignments:
        await import_file(
            actor, year, "assignments", xlsx({"PC": ASSIGNMENTS}), "pc.xlsx", workers=workers
        )
