"""Cells and sheets as every reader hands them to the importers, whatever the file format.

A cell is None (blank), a str (NFC, without surrounding spaces), an int or float, a bool, a
date or datetime, or a `BadCell`: a cell whose value cannot be trusted (a formula Excel never
computed, an error such as #DIV/0!, NaN, a broken date, a shared-string index that points
nowhere, a character no record may carry). A BadCell is not a whole-file refusal: it is
reported on its row, with the student's name, by `RowView.get` when an importer reads that
column, exactly like a value its validator refused.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.errors import ImportRejected, Problem
from core.i18n import _
from core.text import XML_FORBIDDEN, describe_character

# Per sheet, counting non-blank rows: a whole school's marks in one long sheet (1,500 students
# x 12 subjects x 2 terms = 36,000 rows) must fit, a runaway export must not.
MAX_ROWS = 60_000


@dataclass(frozen=True)
class BadCell:
    """A cell whose value cannot be trusted: what is wrong and what to do, in the reader's
    language (built in the worker, under the sender's language)."""

    problem: str
    expected: str

    def __str__(self) -> str:
        """Blank to code that only looks (a header, a name shown beside a problem)."""
        return ""


Cell = object
Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Sheet:
    """One table of the file: an Excel worksheet, or the whole CSV file."""

    name: str
    rows: list[Row]


def whole_file_problem(filename: str, problem: str, expected: str) -> ImportRejected:
    return ImportRejected([Problem(filename, None, None, problem, expected)])


def formula_without_value() -> BadCell:
    return BadCell(
        _(
            "Ô có công thức nhưng chưa có giá trị đã tính (tệp do một chương trình không tính "
            "công thức tạo ra)"
        ),
        _(
            "mở tệp bằng Excel hoặc LibreOffice, để chương trình tính rồi lưu lại; hoặc chép rồi "
            "dán giá trị thay cho công thức"
        ),
    )


def error_value(code: str) -> BadCell:
    return BadCell(
        _("Ô báo lỗi công thức {code}").format(code=code or "#ERROR"),
        _("sửa công thức để ô có giá trị, hoặc gõ giá trị vào ô"),
    )


def broken_reference(what: str) -> BadCell:
    return BadCell(
        _("Ô hỏng trong tệp: {what}").format(what=what),
        _("gõ lại giá trị của ô, hoặc mở tệp bằng Excel rồi lưu lại"),
    )


def _not_a_number() -> BadCell:
    return BadCell(
        _("Ô chứa giá trị không phải số (NaN hoặc vô cực)"),
        _("một số, hoặc để trống; kiểm tra công thức hay chương trình đã tạo tệp"),
    )


def _broken_date() -> BadCell:
    return BadCell(
        _("Ô chứa ngày giờ hỏng (giờ, khoảng thời gian hoặc ngày không có thật)"),
        _("ngày dạng ngày/tháng/năm, ví dụ 05/09/2013"),
    )


def _hidden(ch: str) -> BadCell:
    return BadCell(
        _("Ô có ký tự điều khiển {char} không in được").format(char=describe_character(ch)),
        _("gõ lại nội dung ô bằng bàn phím, đừng dán từ chương trình khác"),
    )


def clean(value: Cell) -> Cell:
    """A cell as the importers take it: text in NFC without surrounding spaces (macOS and
    cp1258 write decomposed accents), a blank text as None, a whole float as int (7.0 as 7,
    as a school sees it), and a value no record may hold as a BadCell."""
    kind = type(value)
    if kind is str:
        text = unicodedata.normalize("NFC", value).strip()  # type: ignore[arg-type]
        if not text:
            return None
        forbidden = XML_FORBIDDEN.search(text)
        return _hidden(forbidden.group()) if forbidden else text
    if kind is float:
        number: float = value  # type: ignore[assignment]
        if not math.isfinite(number):
            return _not_a_number()
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind is dt.time or kind is dt.timedelta:
        return _broken_date()
    return value


_MISSING = object()


def _cleaned(raw: Iterable[Cell], texts: dict[str, Cell], lead: int) -> list[Cell]:
    """`clean` over one row, fast: texts repeat down a sheet (classes, subjects, names), so
    each distinct text is cleaned once; whole numbers are the other common cell."""
    row: list[Cell] = [None] * lead
    append = row.append
    for value in raw:
        kind = value.__class__
        if kind is str:
            cell = texts.get(value, _MISSING)  # type: ignore[call-overload]
            if cell is _MISSING:
                cell = texts[value] = clean(value)  # type: ignore[index]
            append(cell)
        elif kind is float and value.is_integer() and -(2**53) < value < 2**53:  # type: ignore[attr-defined]
            append(int(value))  # type: ignore[call-overload]
        else:
            append(clean(value))
    return row


def collect(
    name: str,
    rows: Iterable[Iterable[Cell]],
    *,
    offset: int = 0,
    bad: Mapping[int, Mapping[int, BadCell]] | None = None,
) -> Sheet:
    """Cleaned rows with trailing blanks dropped, refusing a sheet beyond the row limit.

    `offset` blank cells are put back before each row (a reader that starts at the first
    used column), so `rows[i][j]` is the cell the school sees at row i + 1, column j + 1;
    `bad` puts BadCells at the (row, column) indexes a file scan found untrustworthy (the
    caller gives enough rows to hold them).
    """
    kept: list[Row] = []
    filled = 0
    texts: dict[str, Cell] = {"": None}
    bad = bad or {}
    for index, raw in enumerate(rows):
        row = _cleaned(raw, texts, offset)
        for column, cell in bad.get(index, {}).items():
            row.extend([None] * (column + 1 - len(row)))
            row[column] = cell
        while row and row[-1] is None:
            row.pop()
        if row:
            filled += 1
            if filled > MAX_ROWS:
                raise whole_file_problem(
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
