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
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

HEADER_ROW = 5
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
    sheet.append([book.school_name.upper()])
    sheet.append([book.title])
    heading: list[object] = []
    for part in book.heading:
        heading += [part, None]
    sheet.append(heading[:-1])
    sheet.append([])
    sheet.append([*IDENTITY, *(c.header for c in book.columns)])
    for row in book.rows:
        sheet.append(list(row))
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
        guide.append([line])
    guide["A1"].font = _BOLD
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


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
