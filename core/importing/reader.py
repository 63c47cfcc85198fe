"""Bytes of an uploaded file -> sheets of cell values, whatever tool the school saved it with.

The file's content decides how it is read, not its name: a PDF or an old .xls renamed .xlsx is
named for what it is, so the sender knows what to do. Rows keep their position (`rows[i]` is
the row the school sees as number i + 1) so every problem can point at the right line.

Parsing a workbook is pure CPU work (a whole school's marks take seconds), so the importer
runs `parse_file` in the worker pool: plain values in (bytes, the file name, the reader's
language), plain rows or the problems out, never an exception to carry across processes.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from openpyxl import load_workbook

from core.errors import ImportRejected, Problem
from core.i18n import _, use_language

MAX_BYTES = 20 * 1024 * 1024
# Per sheet, counting non-blank rows: a whole school's marks in one long sheet (1,500 students
# x 12 subjects x 2 terms = 36,000 rows) must fit, a runaway export must not.
MAX_ROWS = 60_000

Cell = object
Row = tuple[Cell, ...]

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
_PDF = b"%PDF"
_XLSX_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}
# Control characters never found in a text table; their presence means binary content.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True)
class Sheet:
    """One table of the file: an Excel worksheet, or the whole CSV file."""

    name: str
    rows: list[Row]


def _whole_file_problem(filename: str, problem: str, expected: str) -> ImportRejected:
    return ImportRejected([Problem(filename, None, None, problem, expected)])


def _clean(value: Cell) -> Cell:
    """Text in NFC without surrounding spaces (macOS and cp1258 write decomposed accents);
    a cell with only spaces is blank."""
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value or None
    return value


def _collect(name: str, rows: Iterable[Iterable[Cell]]) -> Sheet:
    """Cleaned rows with trailing blanks dropped, refusing a sheet beyond the row limit."""
    kept: list[Row] = []
    filled = 0
    for raw in rows:
        row = [_clean(v) for v in raw]
        while row and row[-1] is None:
            row.pop()
        if row:
            filled += 1
            if filled > MAX_ROWS:
                raise _whole_file_problem(
                    name,
                    _("Trang tính có hơn {limit} dòng dữ liệu").format(
                        limit=f"{MAX_ROWS:,}".replace(",", ".")
                    ),
                    _("chia tệp thành nhiều tệp nhỏ hơn, ví dụ theo khối hoặc theo lớp"),
                )
        kept.append(tuple(row))
    while kept and not kept[-1]:
        kept.pop()
    return Sheet(name, kept)


def _read_xlsx(data: bytes, filename: str) -> list[Sheet]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # openpyxl reports a damaged or foreign zip with many exception types (BadZipFile,
    # KeyError for a missing part, XML parse errors...); all mean the same to the sender.
    except Exception as exc:
        raise _whole_file_problem(
            filename,
            _("Tệp là tệp nén nhưng không phải bảng tính Excel .xlsx đọc được"),
            _("một tệp .xlsx lưu từ Excel, LibreOffice hoặc Google Trang tính"),
        ) from exc
    try:
        return [_collect(ws.title, ws.iter_rows(values_only=True)) for ws in workbook.worksheets]
    finally:
        workbook.close()


def _decode(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM) as modern tools write, UTF-16 as Excel's "Unicode text"
    export does, else Windows-1258 as old Vietnamese Excel exports do."""
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1258"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _BINARY.search(text):
            return unicodedata.normalize("NFC", text)
    raise _whole_file_problem(
        filename,
        _("Tệp không phải bảng tính: không đọc được như .xlsx hay như văn bản .csv"),
        _("một tệp .xlsx, hoặc .csv lưu bằng UTF-8"),
    )


def _delimiter(lines: list[str]) -> str:
    """The separator that splits the first lines into the most columns, most consistently.

    `csv.Sniffer` is fooled by Vietnamese decimal commas ("7,5") in semicolon files; the mode
    of the column count is not, because each decimal comma sits inside one field. A tie goes to
    the semicolon, which Excel uses wherever the comma is the decimal separator.
    """
    sample = [line for line in lines if line.strip()][:50]

    def width(delimiter: str) -> int:
        counts = Counter(len(r) for r in csv.reader(sample, delimiter=delimiter))
        return counts.most_common(1)[0][0] if counts else 0

    return max(_DELIMITERS, key=width)


def _read_csv(data: bytes, filename: str) -> list[Sheet]:
    text = _decode(data, filename)
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(lines))
    return [_collect(PurePath(filename).name, reader)]


def check_size(data: bytes, filename: str) -> None:
    """Refuse an empty or oversized file before anything reads it (the importer asks this
    before handing the bytes to a worker, so a runaway file is never copied there)."""
    if not data:
        raise _whole_file_problem(
            filename, _("Tệp rỗng"), _("một tệp .xlsx hoặc .csv có dòng tiêu đề và dữ liệu")
        )
    if len(data) > MAX_BYTES:
        raise _whole_file_problem(
            filename,
            _("Tệp nặng {size:.1f} MB, quá giới hạn {limit} MB").format(
                size=len(data) / 1024 / 1024, limit=MAX_BYTES // 1024 // 1024
            ),
            _("tệp nhỏ hơn: chia theo khối hoặc theo lớp, và bỏ ảnh, biểu đồ khỏi tệp"),
        )


def read_sheets(data: bytes, filename: str) -> list[Sheet]:
    """Every table of the file; ImportRejected with one problem when it is not a spreadsheet."""
    check_size(data, filename)
    if data.startswith(_OLE2):
        raise _whole_file_problem(
            filename,
            _("Tệp là bảng tính Excel cũ (.xls), chưa đọc được"),
            _("mở tệp trong Excel và lưu lại dạng .xlsx (Lưu thành > Sổ làm việc Excel)"),
        )
    if data.startswith(_PDF):
        raise _whole_file_problem(
            filename,
            _("Tệp là tài liệu PDF, không phải bảng tính"),
            _("tệp .xlsx hoặc .csv xuất từ phần mềm quản lý hoặc từ Excel"),
        )
    if data.startswith(_ZIP) and zipfile.is_zipfile(io.BytesIO(data)):
        return _read_xlsx(data, filename)
    if PurePath(filename).suffix.lower() in _XLSX_SUFFIXES:
        raise _whole_file_problem(
            filename,
            _("Tệp mang đuôi .xlsx nhưng nội dung không phải bảng tính Excel"),
            _("một tệp .xlsx lưu từ Excel, LibreOffice hoặc Google Trang tính"),
        )
    return _read_csv(data, filename)


@dataclass(frozen=True)
class Parsed:
    """What `parse_file` found: the sheets, or why the file is not a spreadsheet."""

    sheets: list[Sheet]
    problems: list[Problem]


def parse_file(data: bytes, filename: str, language: str) -> Parsed:
    """`read_sheets` for a worker process: problems worded in the sender's `language` and
    returned, not raised."""
    with use_language(language):
        try:
            return Parsed(read_sheets(data, filename), [])
        except ImportRejected as rejected:
            return Parsed([], rejected.problems)
