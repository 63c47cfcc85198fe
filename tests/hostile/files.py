"""Hostile spreadsheet files, built byte by byte for tests/hostile/test_imports.py.

Each builder makes what a careless program or an attacker hands the importer: a zip whose
directory lies, a bomb, a sheet laid out to a million rows, cells Excel never computed, text
in an encoding nobody can be sure of. They start from a genuine workbook written by openpyxl
(the class list of tests/integration/fixtures_sheets.py with one new student) and change only
what the case is about, so the refusal can only come from that change.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from tests.integration.fixtures_sheets import STUDENT_HEADER, csv_bytes, national_id, xlsx

SHEET = "xl/worksheets/sheet1.xml"
NEW_ID = national_id(5)
# The new student of every row-level case, on row 2 (D2: a date, so its cell has a date style).
NEW_ROW = (5, NEW_ID, "Lê Văn Em", None, "Nam", "6A", "Kinh", "Hà Nội", None, None, None, None)
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


@cache
def genuine() -> bytes:
    """The class list with the new student, as openpyxl writes it."""
    row = list(NEW_ROW)
    row[3] = dt.datetime(2014, 3, 2)
    return xlsx({"Danh sách": [STUDENT_HEADER, row]})


def student_row(changes: dict[str, object] | None = None) -> list[object]:
    """The new student's row (birth date as text), cells changed by their column header."""
    row: list[object] = list(NEW_ROW)
    row[3] = "02/03/2014"
    for header, value in (changes or {}).items():
        row[STUDENT_HEADER.index(header)] = value
    return row


def student_csv(changes: dict[str, object], encoding: str = "utf-8") -> bytes:
    """The class list as a .csv with the new student, cells changed by their column header."""
    return csv_bytes([STUDENT_HEADER, student_row(changes)], encoding=encoding)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {info.filename: package.read(info) for info in package.infolist()}


def pack(content: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as package, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": the case wants one
        for name, body in content.items():
            package.writestr(name, body)
    return out.getvalue()


def with_parts(changes: dict[str, bytes], data: bytes | None = None) -> bytes:
    """The genuine workbook (or `data`) with parts replaced or added."""
    return pack({**parts(data or genuine()), **changes})


def with_cell(ref: str, cell: str) -> bytes:
    """The genuine workbook with the cell at `ref` written as the raw XML `cell`."""
    sheet = parts(genuine())[SHEET]
    pattern = rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)'
    changed, count = re.subn(pattern, cell.encode(), sheet, count=1, flags=re.DOTALL)
    if not count:  # a blank cell: openpyxl wrote nothing, put it at the end of its row
        row = int(re.sub("[A-Z]", "", ref))
        changed = sheet.replace(b"</row>", cell.encode() + b"</row>", row)
        changed = changed.replace(cell.encode() + b"</row>", b"</row>", row - 1)
    return with_parts({SHEET: changed})


def with_sheet(sheet_data: str, head: str = "") -> bytes:
    """The genuine workbook whose sheet is `<sheetData>sheet_data</sheetData>` after `head`."""
    xml = f'<worksheet xmlns="{_NS}">{head}<sheetData>{sheet_data}</sheetData></worksheet>'
    return with_parts({SHEET: xml.encode()})


def header_row() -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
        for i, h in enumerate(STUDENT_HEADER)
    )
    return f'<row r="1">{cells}</row>'


@dataclass(frozen=True)
class Part:
    """One zip entry as stored: its packed bytes and what the headers state about it."""

    name: str
    packed: bytes
    size: int
    crc: int
    method: int = zipfile.ZIP_DEFLATED
    flags: int = 0


def deflated(name: str, body: bytes) -> Part:
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return Part(name, deflate.compress(body) + deflate.flush(), len(body), zlib.crc32(body))


def genuine_parts(data: bytes | None = None) -> list[Part]:
    return [deflated(name, body) for name, body in parts(data or genuine()).items()]


def raw_zip(entries: Iterable[Part]) -> bytes:
    """A zip written field by field, so its headers state whatever the entries state."""
    out = bytearray()
    directory = bytearray()
    count = 0
    for part in entries:
        name = part.name.encode()
        stated = (part.flags, part.method, 0, 0x21, part.crc, len(part.packed), part.size)
        offset = len(out)
        out += _LOCAL.pack(b"PK\x03\x04", 20, *stated, len(name), 0) + name + part.packed
        directory += _CENTRAL.pack(b"PK\x01\x02", 20, 20, *stated, len(name), 0, 0, 0, 0, 0, offset)
        directory += name
        count += 1
    end = _END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), len(out), 0)
    return bytes(out + directory + end)


def with_part(part: Part, data: bytes | None = None) -> bytes:
    """The genuine workbook (or `data`) with one entry replaced or added, as `part` states."""
    kept = [p for p in genuine_parts(data) if p.name != part.name]
    return raw_zip([*kept, part])


@cache
def zip_bomb(mib: int, *, declare_mib: int | None = None) -> bytes:
    """A workbook whose sheet unpacks to `mib` MiB of spaces (1 KB packed per MiB);
    `declare_mib`: its headers state that size instead (a bomb hiding from ratio checks).

    Each MiB is deflated once and its bytes repeated: a full flush ends every copy on a byte
    boundary with an empty dictionary, so the copies chain into one valid stream.
    """
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    piece = deflate.compress(_SPACES) + deflate.flush(zlib.Z_FULL_FLUSH)
    size = (declare_mib if declare_mib is not None else mib) << 20
    return with_part(Part(SHEET, piece * mib + deflate.flush(), size, _spaces_crc(mib)))


_SPACES = b" " * (1 << 20)


@cache
def _spaces_crc(mib: int) -> int:
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(_SPACES, crc)
    return crc
