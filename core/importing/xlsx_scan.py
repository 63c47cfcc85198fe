"""One pass over every part of an .xlsx, in bounded chunks, before python-calamine parses it.

calamine lays each sheet out as a dense grid from its first to its last cell holding a value:
two cells, A1 and XFD1048576, make it allocate 17 billion cells and abort the process. It also
reads a formula that was never computed as a blank, an error such as #DIV/0! as a blank, a
shared-string index it cannot resolve as another string or as a failure of the whole file. So
this scan, over the bytes `package.part_chunks` unpacks (each part's true size checked):

- refuses a part with a DTD or entity declaration (no workbook has one: it is an XML attack);
- refuses a sheet whose declared `<dimension>`, read before its rows, or whose actual cell
  references reach past MAX_SHEET_ROWS, MAX_COLUMNS or MAX_AREA cells, naming the sheet and
  the far cell, so a sparse million-row sheet is refused in milliseconds;
- finds the cells whose value cannot be trusted (a formula without a cached value, an error
  value, a shared-string index that is not a number, a boolean that is neither 0 nor 1) and
  returns them by sheet, row and column as `BadCell`s, which the importers report on their
  rows; cells calamine would fail on are listed for `blank_cells` to empty first.

The common case costs a few C-speed searches per megabyte (about a tenth of calamine's own
time on a 36,000-row sheet); cells are looked at one by one only where something was found.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from posixpath import join, normpath

from core.i18n import _
from core.importing.cells import (
    BadCell,
    broken_reference,
    error_value,
    formula_without_value,
    whole_file_problem,
)
from core.importing.package import part_chunks

MAX_SHEET_ROWS = 100_000  # the last row holding a value (MAX_ROWS non-blank rows must fit)
MAX_COLUMNS = 256  # IV, the last column of Excel 97-2003: no school sheet comes close
MAX_AREA = 4_000_000  # rows x columns from the first to the last value, as calamine lays out
_SMALL_PART = 4 * 1024 * 1024  # the workbook and its relationships, read whole
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_SHEET_TYPE = "/worksheet"
_DANGEROUS = (b"<!DOCTYPE", b"<!ENTITY")
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
_RANGE = re.compile(r"^([A-Z]{1,3})?([0-9]{1,9})?(?::([A-Z]{1,3})?([0-9]{1,9})?)?$")
# Fast path: every cell written as every producer writes it, `<c r="B7" ...`.
_REFS = re.compile(rb' r="([A-Za-z]{0,3})([0-9]+)"')  # a row's (no letters) or a cell's
_FAR_ROW = re.compile(rb' r="[A-Za-z]{0,3}([0-9]{%d,})"' % len(str(MAX_SHEET_ROWS)))
_WIDE = re.compile(rb' r="([A-Za-z]{2,})[0-9]')
_BAD_REF = re.compile(rb' r="(?![A-Za-z]{0,3}[0-9]{1,7}")([^"]{0,20})')
# Slow path, for any other spelling XML allows (another order, other quotes, spaces).
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]*)([0-9]*)["']""")
_CARRY = 4 * 1024 * 1024  # a segment without a row end is cut at an element's end instead
_TYPE = re.compile(rb'\st="([a-zA-Z]*)"')


def column_number(letters: str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27, 'XFD' -> 16384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class SheetScan:
    """What the scan found in one worksheet part: untrustworthy cells by 0-based row and
    column, and the references of cells calamine cannot read (to be blanked first)."""

    part: str
    bad: dict[int, dict[int, BadCell]] = field(default_factory=dict)
    unreadable: set[bytes] = field(default_factory=set)
    unplaced: int = 0  # bad cells without a reference, so without a row to report them on

    def mark(self, ref: tuple[bytes, bytes] | None, cell: BadCell) -> None:
        if ref is None:
            self.unplaced += 1
            return
        row, column = int(ref[1]) - 1, column_number(ref[0].decode()) - 1
        self.bad.setdefault(row, {})[column] = cell


@dataclass
class WorkbookScan:
    sheets: dict[str, SheetScan]  # by part name
    names: list[str]  # the sheets' names, in the workbook's order
    parts: list[str | None]  # the part of each sheet, in the same order

    def sheet(self, index: int) -> SheetScan | None:
        part = self.parts[index] if index < len(self.parts) else None
        return self.sheets.get(part) if part else None


class _Extent:
    """The far corner of a sheet's cells, and the sheet's name for messages."""

    def __init__(self, filename: str, sheet: str):
        self.filename = filename
        self.sheet = sheet
        self.last_row = 0
        self.last_column = 0

    def check(self, last_row: int, last_column: int, declared: bool = False) -> None:
        """Grow the far corner (or, `declared`, check what the sheet says of itself)."""
        if declared:
            rows, columns = last_row, last_column
        else:
            self.last_row = max(self.last_row, last_row)
            self.last_column = max(self.last_column, last_column)
            rows, columns = self.last_row, self.last_column
        if rows <= MAX_SHEET_ROWS and columns <= MAX_COLUMNS and rows * columns <= MAX_AREA:
            return
        far = f"{column_letters(columns)}{rows}"
        if declared:
            problem = _(
                "Trang tính «{sheet}» khai báo vùng dữ liệu tới ô {cell} ({rows} dòng × "
                "{columns} cột), quá lớn cho một bảng tính của trường"
            )
        else:
            problem = _(
                "Trang tính «{sheet}» có dữ liệu tới ô {cell} ({rows} dòng × {columns} cột), "
                "quá lớn cho một bảng tính của trường"
            )
        raise whole_file_problem(
            self.filename,
            problem.format(
                sheet=self.sheet,
                cell=far,
                rows=f"{rows:,}".replace(",", "."),
                columns=f"{columns:,}".replace(",", "."),
            ),
            _(
                "dữ liệu trong {rows} dòng đầu và {columns} cột đầu: xóa các ô thừa ở xa (chọn "
                "các dòng, cột trống phía sau dữ liệu, Xóa), hoặc chia tệp"
            ).format(rows=f"{MAX_SHEET_ROWS:,}".replace(",", "."), columns=MAX_COLUMNS),
        )


def _refuse_dtd(filename: str, part: str) -> Exception:
    return whole_file_problem(
        filename,
        _(
            "Phần {part} của tệp có khai báo DTD hoặc thực thể XML, điều mà bảng tính không bao "
            "giờ có"
        ).format(part=part),
        _("một tệp .xlsx lưu thẳng từ Excel, LibreOffice hoặc Google Trang tính"),
    )


def _sheet_names(filename: str, workbook: bytes, rels: bytes) -> list[tuple[str, str | None]]:
    """(name, part) of each sheet in the workbook's order, part None when it is not found."""
    try:
        book = ET.fromstring(workbook)
        links = ET.fromstring(rels)
    except ET.ParseError as exc:
        raise whole_file_problem(
            filename,
            _("Tệp .xlsx bị hỏng (danh sách trang tính không đọc được)"),
            _("mở tệp bằng Excel, LibreOffice hoặc Google Trang tính rồi lưu lại thành .xlsx mới"),
        ) from exc
    targets = {}
    for link in links:
        if link.get("Type", "").endswith(_SHEET_TYPE):
            target = link.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else join("xl", target)
            targets[link.get("Id")] = normpath(path)
    found = []
    for element in book.iter():
        if element.tag.rsplit("}", 1)[-1] != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
        found.append((element.get("name", ""), targets.get(rid)))
    return found


def _segments(chunks: Iterator[bytes], end: bytes, filename: str, part: str) -> Iterator[bytes]:
    """The part's bytes cut after the last complete `end` tag of each chunk (or of any
    element, past _CARRY bytes without one), so no row found by the scan straddles two
    segments; DTDs are refused on the way."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        if any(marker in data for marker in _DANGEROUS):
            raise _refuse_dtd(filename, part)
        cut = data.rfind(end)
        if cut >= 0:
            cut += len(end)
        elif len(data) > _CARRY:
            cut = data.rfind(b">") + 1
        if cut <= 0:
            carry = data
            continue
        carry = data[cut:]
        yield data[:cut]
    if carry:
        yield carry


class _SheetScanner:
    """Scans one worksheet part, segment by segment."""

    def __init__(self, filename: str, sheet: str, part: str, prefix: bytes):
        self.result = SheetScan(part)
        self.extent = _Extent(filename, sheet)
        self.filename = filename
        p = prefix
        self.cells = re.compile(b"<" + re.escape(p) + rb"c[\s>/]")
        self.cell_open = (b"<" + p + b"c ", b"<" + p + b"c>", b"<" + p + b"c/>")
        self.standard_cell = b"<" + p + b'c r="'
        self.cell_close = b"</" + p + b"c>"
        self.bad_string = re.compile(rb't="s"[^>]*>\s*<' + re.escape(p) + rb"v>(?!\s*[0-9]+\s*</)")
        self.formula = re.compile(b"<" + re.escape(p) + rb"f[\s>/]")
        self.value = re.compile(b"<" + re.escape(p) + rb"v(?:\s[^>]*)?(?:/>|>([^<]*)<)")
        self.dimension = re.compile(b"<" + re.escape(p) + rb'dimension\s[^>]*?ref="([^"]*)"')
        self.positional = re.compile(b"<" + re.escape(p) + rb"(row|c)(?=[\s/>])([^>]*?)(/?)>")
        self.first = True

    def declared(self, segment: bytes) -> None:
        """The `<dimension ref="A1:K36289">` a sheet states before its rows."""
        found = self.dimension.search(segment)
        if not found:
            return
        match = _RANGE.match(found.group(1).decode("ascii", "replace").upper())
        if not match:
            return
        columns = [g for g in (match.group(1), match.group(3)) if g]
        rows = [int(g) for g in (match.group(2), match.group(4)) if g]
        self.extent.check(
            max(rows, default=0),
            max((column_number(c) for c in columns), default=0),
            declared=True,
        )

    def scan(self, segment: bytes) -> None:
        if self.first:
            self.first = False
            self.declared(segment[:65536])
        self._extent(segment)
        if self.formula.search(segment):
            self._formulas(segment)
        if b't="e"' in segment:
            self._typed(segment, b"e")
        # every text cell of an Excel file is a shared string: only a bad index is looked at
        for bad in self.bad_string.finditer(segment):
            self._typed(segment, b"s", bad.start())
        if b't="b"' in segment:
            self._typed(segment, b"b")

    def _extent(self, segment: bytes) -> None:
        """The far corner from the cells' references, when every cell starts `<c r="`.

        A row past MAX_SHEET_ROWS has at least as many digits, and with columns up to Z (one
        letter) the area stays within MAX_AREA: a segment with neither needs no more look.
        Otherwise (a wide sheet, or one about to be refused) every reference is read, so the
        message names the true far corner. Other files are placed cell by cell, as calamine
        places them (`_positional`)."""
        cells = len(self.cells.findall(segment))
        if cells != segment.count(self.standard_cell):
            self._positional(segment)
            return
        bad = _BAD_REF.search(segment)
        if bad:
            raise broken_sheet(
                self.filename, self.extent.sheet, bad.group(1).decode(errors="replace")
            )
        if _FAR_ROW.search(segment) or _WIDE.search(segment):
            refs = _REFS.findall(segment)
            self.extent.check(
                max(int(row) for _letters, row in refs),
                max(column_number(letters.decode()) for letters, _row in refs),
            )

    def _positional(self, segment: bytes) -> None:
        """Every row and cell in order, placed as a reader does when a reference is missing:
        a row after the previous one, a cell after the previous cell of its row."""
        row = self.extent.last_row
        column = 0
        for kind, attributes, _closed in self.positional.findall(segment):
            ref = _REF.search(b" " + attributes)
            if ref and (len(ref.group(1)) > 3 or len(ref.group(2)) > 7):
                raise broken_sheet(self.filename, self.extent.sheet, ref.group().decode())
            if kind == b"row":
                row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                column = 0
                self.extent.check(row, 0)
                continue
            if ref and ref.group(1):
                column = column_number(ref.group(1).decode())
            else:
                column += 1
            if ref and ref.group(2):
                row = int(ref.group(2))
            self.extent.check(row, column)

    def _cell_at(self, segment: bytes, position: int) -> tuple[tuple[bytes, bytes] | None, bytes]:
        """The reference and the inner XML of the cell around `position`."""
        start = max(segment.rfind(tag, 0, position) for tag in self.cell_open)
        head_end = segment.find(b">", start)
        end = segment.find(self.cell_close, head_end)
        if end < 0:
            end = len(segment)
        ref = _REF.search(segment, start, head_end) if start >= 0 else None
        if ref is None or not ref.group(1) or not ref.group(2):
            return None, segment[head_end + 1 : end]
        return (ref.group(1), ref.group(2)), segment[head_end + 1 : end]

    def _unreadable(self, ref: tuple[bytes, bytes] | None) -> None:
        """A cell calamine would fail the whole file on: blanked before it parses."""
        if ref:
            self.result.unreadable.add(ref[0] + ref[1])

    def _formulas(self, segment: bytes) -> None:
        """A formula cell must carry the value its program computed; openpyxl, pandas and
        most generators write the formula alone, which every reader then takes for blank."""
        for found in self.formula.finditer(segment):
            ref, body = self._cell_at(segment, found.start())
            value = self.value.search(body)
            if value is None:
                self.result.mark(ref, formula_without_value())

    def _typed(self, segment: bytes, kind: bytes, only: int | None = None) -> None:
        """Cells of type `kind` (error, shared string, boolean) whose value cannot be used;
        `only`: just the cell at that position."""
        marker = b't="' + kind + b'"'
        position = segment.find(marker) if only is None else only
        while position >= 0:
            ref, body = self._cell_at(segment, position)
            value = self.value.search(body)
            text = (value.group(1) or b"") if value else b""
            if kind == b"e":
                self.result.mark(ref, error_value(text.decode("utf-8", "replace").strip()))
            elif kind == b"s" and value and not text.strip().isdigit():
                self.result.mark(
                    ref,
                    broken_reference(
                        _("chỉ số chuỗi dùng chung «{value}» không phải số").format(
                            value=text.decode("utf-8", "replace")[:20]
                        )
                    ),
                )
                self._unreadable(ref)
            elif kind == b"b" and value and text.strip() not in (b"0", b"1"):
                self.result.mark(
                    ref,
                    broken_reference(
                        _("giá trị đúng/sai «{value}» không phải 0 hoặc 1").format(
                            value=text.decode("utf-8", "replace")[:20]
                        )
                    ),
                )
                self._unreadable(ref)
            if only is not None:
                return
            position = segment.find(marker, position + len(marker))


def broken_sheet(filename: str, sheet: str, ref: str) -> Exception:
    return whole_file_problem(
        filename,
        _("Trang tính «{sheet}» có ô mang địa chỉ không hợp lệ «{ref}»").format(
            sheet=sheet, ref=ref
        ),
        _("mở tệp bằng Excel, LibreOffice hoặc Google Trang tính rồi lưu lại thành .xlsx mới"),
    )


def _read_small(data: bytes, part: zipfile.ZipInfo, filename: str) -> bytes:
    if part.file_size > _SMALL_PART:
        raise whole_file_problem(
            filename,
            _("Phần {part} của tệp lớn bất thường").format(part=part.filename),
            _("một tệp .xlsx lưu thẳng từ Excel, LibreOffice hoặc Google Trang tính"),
        )
    content = b"".join(part_chunks(data, part, filename))
    if any(marker in content for marker in _DANGEROUS):
        raise _refuse_dtd(filename, part.filename)
    return content


def scan_workbook(data: bytes, package: zipfile.ZipFile, filename: str) -> WorkbookScan:
    """Every part unpacked once and checked; the worksheets scanned (see the module)."""
    parts = {p.filename: p for p in package.infolist()}
    if _WORKBOOK not in parts or _WORKBOOK_RELS not in parts:
        raise whole_file_problem(
            filename,
            _("Tệp là tệp nén nhưng không phải bảng tính Excel .xlsx đọc được"),
            _("một tệp .xlsx lưu từ Excel, LibreOffice hoặc Google Trang tính"),
        )
    sheets = _sheet_names(
        filename,
        _read_small(data, parts[_WORKBOOK], filename),
        _read_small(data, parts[_WORKBOOK_RELS], filename),
    )
    names = {part: name for name, part in sheets if part}
    found: dict[str, SheetScan] = {}
    for name, part in parts.items():
        if name in (_WORKBOOK, _WORKBOOK_RELS):
            continue
        chunks = part_chunks(data, part, filename)
        if name in names or name.startswith("xl/worksheets/"):
            found[name] = _scan_sheet(chunks, filename, names.get(name, name), name)
        else:
            for _segment in _segments(chunks, b">", filename, name):
                pass
    return WorkbookScan(found, [name for name, _part in sheets], [part for _n, part in sheets])


def _scan_sheet(chunks: Iterator[bytes], filename: str, sheet: str, part: str) -> SheetScan:
    first = next(chunks, b"")
    root = _ROOT.search(first[:4096])
    prefix = (root.group(1) or b"") if root else b""
    scanner = _SheetScanner(filename, sheet, part, prefix)

    def again() -> Iterator[bytes]:
        yield first
        yield from chunks

    for segment in _segments(again(), b"</" + prefix + b"row>", filename, part):
        scanner.scan(segment)
    return scanner.result
