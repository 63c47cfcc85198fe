"""Reading one data row: each field's value parsed, each failure turned into a located Problem.

Every kind of import checks its rows through `RowView.get`, so a bad cell is reported the same
way everywhere: sheet, row number as the school sees it, the column header as written in the
file, what is wrong (the validator's sentence) and what is expected.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from core.errors import InvalidValue, Problem
from core.i18n import _
from core.importing.headers import Field, Layout, cell_text, shown_number
from core.importing.reader import Cell, Sheet
from core.text import clean_name, fold

T = TypeVar("T")


def _sentence(error: InvalidValue) -> str:
    """The validator's message without its final full stop (Problem adds its own)."""
    return str(error).rstrip(". ")


@dataclass(frozen=True)
class Location:
    """Where a value came from, kept to report problems found after all rows were read;
    `who` is whom the row is about, so a teacher reads a name, not only a row number."""

    sheet: str
    row: int
    column: str | None
    who: str | None = None

    def problem(self, message: str, expected: str) -> Problem:
        return Problem(self.sheet, self.row, self.column, message, expected, self.who)


@dataclass
class SheetView:
    """A sheet with its layout, handing out its data rows and collecting their problems."""

    sheet: Sheet
    layout: Layout
    fields: dict[str, Field]
    problems: list[Problem]
    # whom a row is about, for its problems (the importer's `row_name`)
    who: Callable[[RowView], str | None] = lambda row: None
    _title_values: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.sheet.name

    def rows(self) -> Iterator[RowView]:
        """Data rows below the header that hold something in a recognised column (a row with
        only its STT filled is an unused line of a template)."""
        keys = [column.index for key, column in self.layout.columns.items() if key != "number"]
        for index in range(self.layout.header_row, len(self.sheet.rows)):
            values = self.sheet.rows[index]
            if any(i < len(values) and values[i] is not None for i in keys):
                yield RowView(self, index + 1, values)

    def title_value(self, key: str, parse: Callable[[Cell], T]) -> T | None:
        """A value written once above the header, parsed (and reported) once per sheet."""
        if key not in self._title_values:
            title = self.layout.titles[key]
            where = Location(self.name, title.row, title.label)
            try:
                self._title_values[key] = parse(title.value)
            except InvalidValue as error:
                self.problems.append(where.problem(_sentence(error), self.fields[key].expected))
                self._title_values[key] = None
        return self._title_values[key]  # type: ignore[return-value]


class RowView:
    """One data row; `ok` turns false at its first problem, so no entry is built from it."""

    __slots__ = ("_who", "number", "ok", "sheet", "values")

    def __init__(self, sheet: SheetView, number: int, values: tuple[Cell, ...]):
        self.sheet = sheet
        self.number = number
        self.values = values
        self.ok = True
        self._who: tuple[str | None] | None = None

    def who(self) -> str | None:
        """Whom the row is about (asked once, at its first problem)."""
        if self._who is None:
            self._who = (self.sheet.who(self),)
        return self._who[0]

    def raw(self, key: str) -> Cell:
        column = self.sheet.layout.columns.get(key)
        if column is None or column.index >= len(self.values):
            return None
        return self.values[column.index]

    def filled(self, key: str) -> bool:
        return self.raw(key) is not None

    def location(self, key: str) -> Location:
        column = self.sheet.layout.columns.get(key)
        if column is None and key in self.sheet.layout.titles:
            title = self.sheet.layout.titles[key]
            return Location(self.sheet.name, title.row, title.label)
        header = column.header if column else self.sheet.fields[key].label
        return Location(self.sheet.name, self.number, header, self.who())

    def problem(self, key: str, message: str, expected: str | None = None) -> None:
        self.ok = False
        where = self.location(key)
        self.sheet.problems.append(
            where.problem(message, expected or self.sheet.fields[key].expected)
        )

    def get(
        self,
        key: str,
        parse: Callable[[Cell], T],
        *,
        required: bool = False,
        expected: str | None = None,
    ) -> T | None:
        """The parsed value of a field; None when blank or invalid (the problem is recorded).

        A field absent from the columns is read from the sheet's title rows, if written there.
        """
        if key not in self.sheet.layout.columns and key in self.sheet.layout.titles:
            value = self.sheet.title_value(key, parse)
            if value is None:
                self.ok = False
            return value
        raw = self.raw(key)
        if raw is None:
            if required:
                self.problem(
                    key, _("Ô «{label}» để trống").format(label=self.sheet.fields[key].label)
                )
            return None
        try:
            return parse(raw)
        except InvalidValue as error:
            self.problem(key, _as_shown(_sentence(error), raw), expected)
            return None

    def verify(self, key: str, check: Callable[[], object], expected: str) -> None:
        """Run a check across fields (the ID against the birth date), reported on `key`."""
        try:
            check()
        except InvalidValue as error:
            self.problem(key, _sentence(error), expected)

    def check_name(self, key: str, stored: str, whose: str) -> None:
        """A name written beside an ID must be the stored one: a mismatch nearly always means
        rows shifted against their IDs while the sheet was edited."""
        written = self.get(key, text_value)
        if written and fold(clean_name(written)) != fold(stored):
            self.problem(
                key,
                _("Họ tên «{written}» khác với họ tên trong hồ sơ của {whose} («{stored}»)").format(
                    written=written, whose=whose, stored=stored
                ),
                _("đúng họ tên của người có mã này; kiểm tra xem các dòng có bị lệch không"),
            )


def _as_shown(message: str, raw: Cell) -> str:
    """A validator's sentence with a number cell written as the sheet shows it to a
    Vietnamese reader: 7.55 as «7,55» (the validators quote what they were given)."""
    if isinstance(raw, float | Decimal) and not isinstance(raw, bool):
        return message.replace(f"«{raw}»", f"«{shown_number(raw)}»")
    return message


def text_value(raw: Cell) -> str:
    """Any cell as text (a code typed as a number stays '1001', not '1001.0')."""
    return cell_text(raw)


class Duplicates:
    """Reports a key seen twice in the file, naming both places."""

    def __init__(self, problems: list[Problem]):
        self._problems = problems
        self._first: dict[Hashable, Location] = {}

    def first_time(
        self, key: Hashable, row: RowView, column: str, what: str, expected: str
    ) -> bool:
        """True the first time `key` is seen; otherwise records a problem naming both rows."""
        where = row.location(column)
        first = self._first.setdefault(key, where)
        if first is where:
            return True
        row.ok = False
        self._problems.append(
            where.problem(
                _("{what} đã có ở trang «{sheet}», dòng {row}").format(
                    what=what, sheet=first.sheet, row=first.row
                ),
                expected,
            )
        )
        return False

    def where(self, key: Hashable) -> Location:
        return self._first[key]
