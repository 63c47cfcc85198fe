"""A class list as an .xlsx to fill in and send back, with a guide: the one layout of the grade
sheet (core.services.templates) and the homeroom teacher's sheet (core.services.homeroom_sheet).

Both sheets are read back by an importer that finds the header by its names, reads "Lớp: 6A"
and "Học kỳ: I" above it, and passes over the guide sheet by its first line; so they share one
layout, built here once: the school's name and the sheet's title, the heading on row 3 (every
other cell: "Lớp: 6A", "Môn: Toán", "Học kỳ: I"...), the header on row 5 (STT, Mã định danh, Họ
và tên, then the sheet's columns), one row per student in class-list order with what is stored,
the personal IDs as text (a 12-digit ID keeps its leading zeros), the identity columns frozen,
and the guide on a second sheet. What a column allows (a list of levels, a whole number of days,
a comment's length) goes in as Excel's data validation, so Excel and LibreOffice offer the
values; the importers check everything again.

`build_workbook` runs in a worker process (openpyxl is pure-Python CPU work): the `Book` it
takes holds plain, picklable values, with every text already in the reader's language (a worker
process does not share the bot's language).

No cell is ever a formula. A text is written as a text cell, never as openpyxl's formula (which
is what it makes of any text starting with "="), and a text a spreadsheet would run as one when
it is edited or exported to CSV (starting with = + - @, a tab or a carriage return, or their
full-width forms: OWASP's "CSV injection" list) is marked with Excel's quote prefix: the
cell's `quotePrefix` style, which is how Excel itself stores a text typed after an apostrophe.
That is OWASP's advice to prefix such a cell with a single quote, in the form the .xlsx format
has for it: the value stays exactly what is stored (a comment "- Chăm ngoan" reads back as
itself), and Excel and LibreOffice show and keep it as text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

HEADER_ROW = 5
# What makes a spreadsheet read a text as a formula (OWASP, CSV injection), and full-width forms.
FORMULA_LEAD = tuple("=+-@\t\r\n＝＋－＠")
IDENTITY = ("STT", "Mã định danh", "Họ và tên")  # the importers' own spelling
_IDENTITY_WIDTHS = (5, 15, 28)
_BOLD = Font(bold=True)


@dataclass(frozen=True)
class Template:
    """A sheet to send: its file name and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class Rule:
    """A data validation of one column: what Excel lets the teacher type there."""

    kind: str  # "list", "whole", "textLength"
    formula1: str
    formula2: str | None
    operator: str | None
    error: str


@dataclass(frozen=True)
class Column:
    header: str  # the importer's own spelling (never translated)
    width: int | None = None  # Excel's default when None
    rule: Rule | None = None


@dataclass(frozen=True)
class Book:
    sheet_title: str  # the importer's own spelling: "Bảng điểm", "Chủ nhiệm"
    header_colour: str  # each kind of sheet its own, to tell them apart at a glance
    school_name: str
    title: str
    heading: tuple[str, ...]
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
    guide_title: str
    guide: tuple[str, ...]  # its first line: the heading the importer knows the guide by
    error_title: str = ""  # above a refused value, where a column has a rule


def build_workbook(book: Book) -> bytes:
    """The .xlsx bytes (runs in a worker process)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = book.sheet_title
    _append(sheet, [book.school_name.upper()])
    _append(sheet, [book.title])
    heading: list[object] = []
    for part in book.heading:
        heading += [part, None]
    _append(sheet, heading[:-1])
    sheet.append([])
    _append(sheet, [*IDENTITY, *(c.header for c in book.columns)])
    for row in book.rows:
        _append(sheet, list(row))
    fill = PatternFill("solid", fgColor=book.header_colour)
    for cell in sheet[HEADER_ROW]:
        cell.font, cell.fill = _BOLD, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet["A1"].font = sheet["A2"].font = _BOLD
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1, min_col=2, max_col=2):
        row[0].number_format = "@"  # a 12-digit ID keeps its leading zeros
    for index, width in enumerate(_IDENTITY_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    last = max(sheet.max_row, HEADER_ROW + 1)
    for index, column in enumerate(book.columns, start=len(IDENTITY) + 1):
        _format_column(sheet, index, column, last, book.error_title)
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=len(IDENTITY) + 1)
    guide = workbook.create_sheet(book.guide_title)
    for line in book.guide:
        _append(guide, [line])
    guide["A1"].font = _BOLD
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _append(sheet: Worksheet, values: list[object]) -> None:
    """A row whose texts are text cells, quote-prefixed where they look like a formula."""
    sheet.append([_text(sheet, v) if isinstance(v, str) else v for v in values])


def _text(sheet: Worksheet, value: str) -> Cell:
    cell = Cell(sheet, value=value)
    cell.data_type = "s"  # openpyxl takes a text starting with "=" for a formula
    if value.startswith(FORMULA_LEAD):
        cell.quotePrefix = True
    return cell


def _format_column(
    sheet: Worksheet, index: int, column: Column, last: int, error_title: str
) -> None:
    """The column's width and rule; a long text (a comment) wraps in its cells."""
    letter = get_column_letter(index)
    if column.width is not None:
        sheet.column_dimensions[letter].width = column.width
    rule = column.rule
    if rule is None:
        return
    validation = DataValidation(
        type=rule.kind,
        formula1=rule.formula1,
        formula2=rule.formula2,
        operator=rule.operator,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=error_title,
        error=rule.error,
    )
    validation.add(f"{letter}{HEADER_ROW + 1}:{letter}{last}")
    sheet.add_data_validation(validation)
    if rule.kind == "textLength":
        for (cell,) in sheet.iter_rows(min_row=HEADER_ROW + 1, min_col=index, max_col=index):
            cell.alignment = Alignment(wrap_text=True, vertical="top")
