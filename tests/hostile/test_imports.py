"""Hostile files handed to the importer (issue 12, point 6 "Clean data in, bounded work").

Each case is a class list a school could send (`hocba import students`, or the bot) made
hostile in one way: a zip that lies or explodes, a sheet laid out to a million rows, a
multi-gigabyte file, text whose encoding nobody can be sure of, a cell Excel never computed or
that points nowhere, a name carrying a character nobody can see. Each is refused with its
reason in Vietnamese (on the row of the bad cell, or for the whole file), nothing is written
(every table an import writes, the audit log included, counted before and after), and the work
stays within a time and memory bound, in this process and in the worker that parses the file.
A re-typed personal ID in another script's digits is the same ID: it finds the same student
and writes nothing.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from core import clock
from core.importing import import_file, read_import_file
from core.importing.report import FileRejected
from core.models import School, SchoolYear, Student
from core.rules.catalog import SchoolLevel
from core.services.access import Actor
from core.services.schools import create_school, ensure_year
from core.workers import WorkerPool
from tests.conftest import DURING_2025_2026
from tests.hostile.conftest import bounded, worker_bounded
from tests.hostile.files import (
    NEW_ID,
    SHEET,
    Part,
    deflated,
    genuine,
    genuine_parts,
    header_row,
    pack,
    parts,
    raw_zip,
    student_csv,
    with_cell,
    with_part,
    with_sheet,
    zip_bomb,
)
from tests.integration.fixtures_sheets import AN, STUDENTS, counts, csv_bytes, find, students_xlsx

SECONDS = 10.0  # each refusal takes well under a second here, on a busy machine
TRACED_MIB = 48.0  # Python allocations in this process (a 21 MB upload included)
WORKER_MIB = 250.0  # the parsing worker's peak (it starts at about 110 MiB with its libraries)


@dataclass(frozen=True)
class Seeded:
    actor: Actor
    year: SchoolYear


@pytest.fixture
async def school(sqlite_db: str, workers: WorkerPool) -> Seeded:
    """A school with the four students of the integration tests, imported."""
    clock.set_time(DURING_2025_2026)
    school: School = await create_school(
        "THCS-DA", "Trường THCS Đại An", SchoolLevel.LOWER_SECONDARY
    )
    year = await ensure_year(school, "2025-2026")
    actor = Actor.command_line(school.id)
    await import_file(actor, year, "students", students_xlsx(), "ds.xlsx", workers=workers)
    return Seeded(actor, year)


@dataclass(frozen=True)
class Case:
    make: Callable[[], bytes]
    says: str  # a fragment of the Vietnamese problem
    row: int | None = None  # the row it is reported on; None: the whole file
    filename: str = "danhsach.xlsx"
    who: str | None = "Lê Văn Em"  # whom the row's problem names (None: the name is the bad cell)


def _sheet_with(cells: str, head: str = "") -> Callable[[], bytes]:
    return lambda: with_sheet(header_row() + cells, head)


def _many_parts() -> bytes:
    return pack({**parts(genuine()), **{f"xl/media/anh{i}.png": b"" for i in range(1001)}})


def _duplicated_sheet() -> bytes:
    sheet = [p for p in genuine_parts() if p.name == SHEET]
    return raw_zip([*genuine_parts(), *sheet])


def _encrypted() -> bytes:
    sheet = next(p for p in genuine_parts() if p.name == SHEET)
    return with_part(Part(sheet.name, sheet.packed, sheet.size, sheet.crc, flags=0x1))


def _bzip2() -> bytes:
    return with_part(Part(SHEET, b"BZh9", 100, 0, method=zipfile.ZIP_BZIP2))


def _declared_total() -> bytes:
    """200 parts of exactly 1 MiB of spaces each: no part above the ratio check's threshold,
    200 MiB in all (the file is 200 KB)."""
    spaces = b" " * (1 << 20)
    return raw_zip([*genuine_parts(), *(deflated(f"xl/media/{i}.bin", spaces) for i in range(200))])


def _ole2_encrypted() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512) + "EncryptedPackage".encode("utf-16-le")


def _laughs(part: str) -> Callable[[], bytes]:
    entities = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    body = f'<?xml version="1.0"?><!DOCTYPE w [{entities}]><worksheet>&l9;</worksheet>'
    return lambda: with_part(deflated(part, body.encode()))


def _rows_without_references() -> bytes:
    return with_sheet(header_row() + "<row/>" * 100_001 + "<row><c><v>1</v></c></row>")


def _cp1258() -> bytes:
    return csv_bytes([("Mã định danh", "Họ và tên"), (NEW_ID, "Lê Văn Em")], encoding="cp1258")


CASES: dict[str, Case] = {
    # the container: refused from the zip directory, before anything unpacks
    "zip-bomb-of-1-gib": Case(lambda: zip_bomb(1024), "dấu hiệu của tệp «bom nén»"),
    "zip-bomb-declaring-1-mib": Case(
        lambda: zip_bomb(64, declare_mib=1), "khác với kích thước khai báo"
    ),
    "200-mib-declared-in-small-parts": Case(_declared_total, "khi giải nén, quá giới hạn 128 MB"),
    "over-1000-parts": Case(_many_parts, "quá nhiều cho một bảng tính"),
    "two-parts-of-one-name": Case(_duplicated_sheet, "hai phần trùng tên"),
    "encrypted-zip-entry": Case(_encrypted, "Tệp đặt mật khẩu"),
    "unknown-compression": Case(_bzip2, "cách nén lạ"),
    "truncated-xlsx": Case(lambda: genuine()[: len(genuine()) // 2], "mục lục tệp nén"),
    "password-protected-workbook": Case(_ole2_encrypted, "Tệp đặt mật khẩu"),
    "upload-of-21-mb": Case(lambda: b"PK\x03\x04" + bytes(21 << 20), "quá giới hạn 20 MB"),
    "empty-file": Case(lambda: b"", "Tệp rỗng"),
    # the sheet's layout: refused from its declared dimension or its cells' references
    "sparse-sheet-to-xfd1048576": Case(
        _sheet_with('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
        "có dữ liệu tới ô XFD1048576",
    ),
    "one-cell-at-row-1048576": Case(
        _sheet_with('<row r="1048576"><c r="A1048576"><v>1</v></c></row>'),
        "(1.048.576 dòng × 12 cột)",
    ),
    "declared-dimension-of-a-million-rows": Case(
        _sheet_with("", '<dimension ref="A1:L1048576"/>'), "khai báo vùng dữ liệu tới ô L1048576"
    ),
    "column-past-iv": Case(_sheet_with('<row r="2"><c r="IW2"><v>1</v></c></row>'), "IW2"),
    "100001-rows-without-references": Case(_rows_without_references, "(100.001 dòng × 12 cột)"),
    "reference-out-of-range": Case(
        _sheet_with('<row r="2"><c r="A99999999"><v>1</v></c></row>'), "địa chỉ không hợp lệ"
    ),
    "entity-expansion-in-the-sheet": Case(_laughs(SHEET), "khai báo DTD"),
    "entity-expansion-in-shared-strings": Case(_laughs("xl/sharedStrings.xml"), "khai báo DTD"),
    "formula-without-a-value-nor-a-reference": Case(
        _sheet_with('<row r="2"><c r="A2"><v>5</v></c><c><f>1+1</f></c></row>'),
        "không rõ ở dòng nào",
    ),
    # text files: refused unless the encoding is certain, bounded by counts before decoding
    "csv-in-windows-1258": Case(_cp1258, "không lưu bằng mã UTF-8", filename="ds.csv"),
    "csv-already-garbled": Case(
        lambda: student_csv({"Họ và tên": "Nguyá»…n VÄƒn Em"}), "bị lỗi mã", filename="ds.csv"
    ),
    "csv-in-utf-16-without-bom": Case(
        lambda: student_csv({}).decode().encode("utf-16-le"),
        "không phải bảng tính",
        filename="ds.csv",
    ),
    "csv-in-utf-32": Case(
        lambda: codecs.BOM_UTF32_LE + student_csv({}).decode().encode("utf-32-le"),
        "UTF-32",
        filename="ds.csv",
    ),
    "csv-of-130000-blank-lines": Case(
        lambda: student_csv({}) + b"\r\n" * 130_000, "dòng, quá giới hạn", filename="ds.csv"
    ),
    "csv-of-4-million-separators": Case(
        lambda: student_csv({}) + b";" * 4_000_001, "dấu phân cách ô", filename="ds.csv"
    ),
    # cells that cannot be trusted: reported on their row, with the student's name
    "formula-never-computed": Case(
        lambda: with_cell("D2", '<c r="D2" s="1"><f>DATE(2014,3,2)</f></c>'),
        "công thức nhưng chưa có giá trị",
        row=2,
    ),
    "error-value": Case(
        lambda: with_cell("D2", '<c r="D2" t="e"><v>#DIV/0!</v></c>'), "#DIV/0!", row=2
    ),
    "nan": Case(lambda: with_cell("D2", '<c r="D2"><v>NaN</v></c>'), "NaN", row=2),
    "infinity": Case(lambda: with_cell("D2", '<c r="D2"><v>-inf</v></c>'), "vô cực", row=2),
    "date-before-1900": Case(
        lambda: with_cell("D2", '<c r="D2" s="1"><v>-5</v></c>'), "ngày giờ hỏng", row=2
    ),
    "date-that-is-a-time": Case(
        lambda: with_cell("D2", '<c r="D2" s="1"><v>0.5</v></c>'), "ngày giờ hỏng", row=2
    ),
    "shared-string-past-the-table": Case(
        lambda: with_cell("G2", '<c r="G2" t="s"><v>7</v></c>'), "vượt quá bảng 0 chuỗi", row=2
    ),
    "shared-string-index-not-a-number": Case(
        lambda: with_cell("G2", '<c r="G2" t="s"><v>x</v></c>'), "«x» không phải số", row=2
    ),
    "boolean-neither-0-nor-1": Case(
        lambda: with_cell("E2", '<c r="E2" t="b"><v>2</v></c>'), "không phải 0 hoặc 1", row=2
    ),
    "control-character": Case(
        lambda: with_cell("C2", '<c r="C2" t="inlineStr"><is><t>Lê&#7; Văn Em</t></is></c>'),
        "U+0007",
        row=2,
        who=None,
    ),
    # what a record must never carry, in the values themselves
    "zero-width-space-in-a-name": Case(
        lambda: student_csv({"Họ và tên": "Lê Văn\u200bEm"}),
        "U+200B",
        row=2,
        filename="ds.csv",
        who="Lê Văn[U+200B ZERO WIDTH SPACE]Em",
    ),
    "right-to-left-override-in-a-name": Case(
        lambda: student_csv({"Họ và tên": "Lê Văn \u202emE"}),
        "U+202E",
        row=2,
        filename="ds.csv",
        who="Lê Văn [U+202E RIGHT-TO-LEFT OVERRIDE]mE",
    ),
    "hangul-filler-as-a-name": Case(
        lambda: student_csv({"Họ và tên": "\u3164"}),
        "U+3164",
        row=2,
        filename="ds.csv",
        who="[U+3164 HANGUL FILLER]",
    ),
    "name-as-a-formula": Case(
        lambda: student_csv({"Họ và tên": '=HYPERLINK("http://x","An")'}),
        "phải bắt đầu bằng một chữ cái",
        row=2,
        filename="ds.csv",
        who='=HYPERLINK("http://x","An")',
    ),
    "bidi-control-in-a-birthplace": Case(
        lambda: student_csv({"Nơi sinh": "Hà\u2067Nội"}), "U+2067", row=2, filename="ds.csv"
    ),
    "id-with-a-superscript-digit": Case(
        lambda: student_csv({"Mã định danh": NEW_ID[:-1] + "²"}),
        "cần đúng 12 chữ số từ 0 đến 9",
        row=2,
        filename="ds.csv",
    ),
    "id-with-a-cyrillic-o": Case(
        lambda: student_csv({"Mã định danh": "О" + NEW_ID[1:]}),
        "cần đúng 12 chữ số từ 0 đến 9",
        row=2,
        filename="ds.csv",
    ),
    "phone-with-a-letter-o": Case(
        lambda: student_csv({"SĐT mẹ": "O912345678"}),
        "chỉ được có chữ số",
        row=2,
        filename="ds.csv",
    ),
    "class-in-cyrillic-letters": Case(
        lambda: student_csv({"Lớp": "6А"}), "Tên lớp «6А» không hợp lệ", row=2, filename="ds.csv"
    ),
}


async def _refused(school: Seeded, workers: WorkerPool, data: bytes, filename: str) -> FileRejected:
    """Import `data`, expecting a refusal within the bounds and nothing written."""
    before = await counts()
    async with worker_bounded(workers, WORKER_MIB):
        with bounded(SECONDS, TRACED_MIB), pytest.raises(FileRejected) as refused:
            await import_file(
                school.actor, school.year, "students", data, filename, workers=workers
            )
    assert await counts() == before
    return refused.value


@pytest.mark.parametrize("name", list(CASES))
async def test_hostile_file_is_refused(name: str, school: Seeded, workers: WorkerPool) -> None:
    case = CASES[name]
    refused = await _refused(school, workers, case.make(), case.filename)
    problem = find(refused.problems, row=case.row, phrase=case.says)
    if case.row is not None:  # on the new student's row, naming them as they can be shown
        assert problem.who == case.who, problem
    assert "Chưa lưu gì từ tệp" in str(refused)


async def test_a_multi_gigabyte_file_on_disk_is_refused_unread(tmp_path: Path) -> None:
    """`hocba import` reads a file only when its size allows: 3 GB cost a stat."""
    huge = tmp_path / "danhsach.xlsx"
    with huge.open("wb") as sparse:
        sparse.truncate(3 << 30)  # no disk used, and 3 GB of memory if it were read
    with bounded(SECONDS, 1.0), pytest.raises(FileRejected) as refused:
        read_import_file(huge)
    find(refused.value.problems, phrase="Tệp nặng 3072.0 MB, quá giới hạn 20 MB")


RETYPED = {
    "full-width": "０１２３４５６７８９",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯",
}


@pytest.mark.parametrize("script", list(RETYPED))
async def test_a_retyped_id_is_the_same_student(
    script: str, school: Seeded, workers: WorkerPool
) -> None:
    """Digits of another script are read as 0-9 (core.validation): An's row re-typed with
    them, the phone too and the name decomposed as macOS writes it, finds An and changes
    nothing; no second student is created."""
    digits = RETYPED[script]
    row = list(STUDENTS[0])
    row[1] = "".join(digits[int(d)] for d in AN)
    row[9] = "".join(digits[int(d)] for d in str(row[9]))
    row[2] = "Nguye\u0302\u0303n Va\u0306n An"  # NFD
    data = students_xlsx([row])
    before = await counts()
    async with worker_bounded(workers, WORKER_MIB):
        with bounded(SECONDS, TRACED_MIB):
            report = await import_file(
                school.actor, school.year, "students", data, "ds.xlsx", workers=workers
            )
    assert await counts() == before, report.summary()
    assert await Student.filter(national_id=AN).count() == 1
