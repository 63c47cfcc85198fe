"""Reading one data row: each field's value parsed, each failure turned into a located Problem.

Every kind of import checks its rows through `RowView.get`, so a bad cell is reported the same
way everywhere: sheet, row number as the school sees it, the column header as written in the
file, what is wrong (the validator's sentence) and what is expected.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import TypeVar

from core.errors import InvalidValue, Problem
from core.i18n import _
from core.importing.cells import BadCell, Cell, Sheet
from core.importing.headers import Field, Layout, cell_text, shown_number
from core.text import clean_name, fold
from core.validation import shown

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
    indexes: dict[str, int] = field(init=False)  # column of each field, read once per cell

    def __post_init__(self) -> None:
        self.indexes = {key: column.index for key, column in self.layout.columns.items()}

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
        """Whom the row is about (asked once, at its first problem), its hidden characters
        named: a right-to-left override in a name must not reorder the message itself."""
        if self._who is None:
            name = self.sheet.who(self)
            self._who = (shown(name) if name else name,)
        return self._who[0]

    def raw(self, key: str) -> Cell:
        index = self.sheet.indexes.get(key)
        if index is None or index >= len(self.values):
            return None
        return self.values[index]

    def filled(self, key: str) -> bool:
        return self.raw(key) is not None

    def location(self, key: str) -> Location:
        column = self.sheet.layout.columns.get(key)
        if column is None and key in self.sheet.layout.titles:
            title = self.sheet.layout.titles[key]
            return Location(self.sheet.name, title.row, title.label)
        header = column.header if column else self.sheet.fields[key].label
        return Location(self.sheet.name, self.number, header, self.who())

    def problem(
        self, key: str, message: str, expected: str | Callable[[], str] | None = None
    ) -> None:
        """Record a problem of this row's `key` (`expected` may be a function: long sheets
        word it only when a problem occurs)."""
        self.ok = False
        where = self.location(key)
        if callable(expected):
            expected = expected()
        self.sheet.problems.append(
            where.problem(message, expected or self.sheet.fields[key].expected)
        )

    def get(
        self,
        key: str,
        parse: Callable[[Cell], T],
        *,
        required: bool = False,
        expected: str | Callable[[], str] | None = None,
        memo: Memo | None = None,
    ) -> T | None:
        """The parsed value of a field; None when blank or invalid (the problem is recorded).

        A field absent from the columns is read from the sheet's title rows, if written there.
        `memo` keeps `parse`'s answer (value or refusal) per distinct cell, for a column whose
        few values repeat down a long sheet (marks, IDs repeated for every subject): `parse`
        must then depend on the cell only.
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
        if type(raw) is BadCell:  # a formula never computed, #DIV/0!, NaN... (reader)
            self.problem(key, raw.problem, raw.expected)
            return None
        if memo is not None:
            # the type is part of the key: True == 1 == 1.0 are one key to a dict
            known = memo.get((raw.__class__, raw), _UNKNOWN)
            if known is _UNKNOWN:
                known = memo[raw.__class__, raw] = _parsed(parse, raw)
            if type(known) is _Refusal:
                self.problem(key, known.message, expected)
                return None
            return known  # type: ignore[return-value]
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

    def check_name(self, key: str, stored: str, whose: str | Callable[[], str]) -> None:
        """A name written beside an ID must be the stored one: a mismatch nearly always means
        rows shifted against their IDs while the sheet was edited (`whose` names the person,
        or is a function that does, called only then)."""
        written = self.get(key, text_value)
        if written and not same_name(written, stored):
            whose = whose() if callable(whose) else whose
            self.problem(
                key,
                _("Họ tên «{written}» khác với họ tên trong hồ sơ của {whose} («{stored}»)").format(
                    written=written, whose=whose, stored=stored
                ),
                _("đúng họ tên của người có mã này; kiểm tra xem các dòng có bị lệch không"),
            )


@dataclass(frozen=True)
class _Refusal:
    message: str


Memo = dict[tuple[type, Cell], object]
_UNKNOWN = object()


def _parsed(parse: Callable[[Cell], T], raw: Cell) -> T | _Refusal:
    try:
        return parse(raw)
    except InvalidValue as error:
        return _Refusal(_as_shown(_sentence(error), raw))


def _as_shown(message: str, raw: Cell) -> str:
    """A validator's sentence with a number cell written as the sheet shows it to a
    Vietnamese reader: 7.55 as «7,55» (the validators quote what they were given)."""
    if isinstance(raw, float | Decimal) and not isinstance(raw, bool):
        return message.replace(f"«{raw}»", f"«{shown_number(raw)}»")
    return message


@lru_cache(maxsize=65536)
def same_name(written: str, stored: str) -> bool:
    """Whether a name as written is the stored name, case, accents and spacing aside (asked
    for each row of a long sheet, where every name repeats once per subject and term)."""
    return fold(clean_name(written)) == fold(stored)


def text_value(raw: Cell) -> str:
    """Any cell as text (a code typed as a number stays '1001', not '1001.0')."""
    return cell_text(raw)


class Duplicates:
    """Reports a key seen twice in the file, naming both places.

    The first place of each key is kept as its row and column, and turned into a Location
    (which names the row's student) only when a problem needs it: a 36,000-row sheet has no
    duplicate in the normal case, and should not pay for 36,000 names.
    """

    def __init__(self, problems: list[Problem]):
        self._problems = problems
        self._first: dict[Hashable, tuple[RowView, str]] = {}

    def first_time(
        self,
        key: Hashable,
        row: RowView,
        column: str,
        what: str | Callable[[], str],
        expected: str | Callable[[], str],
    ) -> bool:
        """True the first time `key` is seen; otherwise records a problem naming both rows.
        `what` and `expected` may be given as functions, worded only for a duplicate."""
        first = self._first.setdefault(key, (row, column))
        if first[0] is row:
            return True
        row.ok = False
        before = self.where(key)
        self._problems.append(
            row.location(column).problem(
                _("{what} đã có ở trang «{sheet}», dòng {row}").format(
                    what=what() if callable(what) else what, sheet=before.sheet, row=before.row
                ),
                expected() if callable(expected) else expected,
            )
        )
        return False

    def where(self, key: Hashable) -> Location:
        row, column = self._first[key]
        return row.location(column)

    def forget(self) -> None:
        """Let the rows go once every row was checked. A row refers back to its importer (its
        sheet asks the importer whom the row is about), and the importer holds these rows: a
        cycle that only Python's cyclic collector would free, and imports pause it
        (`core.importing`); broken here, a year's rows and entries are freed as the import
        ends."""
        self._first.clear()
