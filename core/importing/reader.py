"""Bytes of an uploaded file -> sheets of cell values, whatever tool the school saved it with.

The file's content decides how it is read, not its name: a PDF or an old .xls renamed .xlsx is
named for what it is, so the sender knows what to do. Rows keep their position (`rows[i]` is
the row the school sees as number i + 1) so every problem can point at the right line.

Every read is bounded before any parser runs: `check_size` refuses an empty or oversized file
and, for an .xlsx, what its zip directory declares (core.importing.package); the worker then
unpacks each part with a hard stop at its declared size and refuses sheets laid out past the
limits (core.importing.xlsx_scan), or a .csv whose encoding is not certain or whose line and
cell counts are too large (core.importing.csv_text). A zip bomb, a sparse million-row sheet or
a multi-gigabyte file is refused in seconds with little memory. `read_import_file` reads a
file from disk the same way: its size is looked at before a byte is read.

Parsing a workbook is CPU work, so the importer runs `parse_file` in the worker pool: plain
values in (bytes, the file name, the reader's language), plain rows or the problems out, never
an exception to carry across processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath

from core.errors import ImportRejected, Problem
from core.i18n import _, use_language
from core.importing.cells import MAX_ROWS, BadCell, Cell, Row, Sheet, whole_file_problem
from core.importing.csv_text import read_csv
from core.importing.package import open_package
from core.importing.xlsx import read_xlsx

MAX_BYTES = 20 * 1024 * 1024

__all__ = [
    "MAX_BYTES",
    "MAX_ROWS",
    "BadCell",
    "Cell",
    "Parsed",
    "Row",
    "Sheet",
    "check_size",
    "parse_file",
    "read_bounded",
    "read_sheets",
]

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls, or an encrypted .xlsx
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")  # the stream of a password-protected .xlsx
_PDF = b"%PDF"
_XLSX_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm"}


def _too_big(filename: str, size: int) -> ImportRejected:
    return whole_file_problem(
        filename,
        _("Tệp nặng {size:.1f} MB, quá giới hạn {limit} MB").format(
            size=size / 1024 / 1024, limit=MAX_BYTES // 1024 // 1024
        ),
        _("tệp nhỏ hơn: chia theo khối hoặc theo lớp, và bỏ ảnh, biểu đồ khỏi tệp"),
    )


def read_bounded(path: Path, filename: str | None = None) -> bytes:
    """The bytes of a file on disk, refused by its size before it is read (a 2 GB file costs
    a stat, not 2 GB of memory), and read at most MAX_BYTES + 1 even if it grows meanwhile."""
    name = filename or path.name
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _too_big(name, size)
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise whole_file_problem(
            name,
            _("Không đọc được tệp: {reason}").format(reason=exc.strerror or exc),
            _("một tệp .xlsx hoặc .csv có quyền đọc"),
        ) from exc
    if len(data) > MAX_BYTES:
        raise _too_big(name, len(data))
    return data


def check_size(data: bytes, filename: str) -> None:
    """Refuse an empty or oversized file, and a zip whose directory declares what no workbook
    is, before anything parses it (the importer asks this before handing the bytes to a
    worker, so a runaway file is never copied there). Reads no more than the zip directory."""
    if not data:
        raise whole_file_problem(
            filename, _("Tệp rỗng"), _("một tệp .xlsx hoặc .csv có dòng tiêu đề và dữ liệu")
        )
    if len(data) > MAX_BYTES:
        raise _too_big(filename, len(data))
    if data.startswith(_ZIP):
        open_package(data, filename)


def read_sheets(data: bytes, filename: str) -> list[Sheet]:
    """Every table of the file; ImportRejected with one problem when it is not a spreadsheet."""
    check_size(data, filename)
    if data.startswith(_OLE2):
        if _ENCRYPTED in data:
            raise whole_file_problem(
                filename,
                _("Tệp đặt mật khẩu, không đọc được"),
                _("mở tệp, bỏ mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi gửi lại"),
            )
        raise whole_file_problem(
            filename,
            _("Tệp là bảng tính Excel cũ (.xls), chưa đọc được"),
            _("mở tệp trong Excel và lưu lại dạng .xlsx (Lưu thành > Sổ làm việc Excel)"),
        )
    if data.startswith(_PDF):
        raise whole_file_problem(
            filename,
            _("Tệp là tài liệu PDF, không phải bảng tính"),
            _("tệp .xlsx hoặc .csv xuất từ phần mềm quản lý hoặc từ Excel"),
        )
    if data.startswith(_ZIP):
        return read_xlsx(data, filename)
    if PurePath(filename).suffix.lower() in _XLSX_SUFFIXES:
        raise whole_file_problem(
            filename,
            _("Tệp mang đuôi .xlsx nhưng nội dung không phải bảng tính Excel"),
            _("một tệp .xlsx lưu từ Excel, LibreOffice hoặc Google Trang tính"),
        )
    return read_csv(data, filename)


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
