"""Finding the header row of a sheet and which column holds which field.

Schools write headers by hand: with or without accents, in any case, "Họ và tên" or "Họ tên",
under a few title rows, sometimes on two rows where a merged group cell ("Điểm ĐĐGtx") sits
above the real names ("TX1".."TX4"). A header is compared by `header_key`, which keeps only
letters and digits, so spacing and punctuation never matter. Values that are the same for the
whole sheet (class, subject, term of a teacher's template) may instead be written once above the
header as "Lớp: 6A".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core.errors import Problem
from core.i18n import _
from core.importing.reader import Cell, Row, Sheet
from core.text import fold

HEADER_SCAN_ROWS = 15
# The first line of the guide sheet of the grade sheet the bot sends (core.services.templates):
# never translated, so the importer knows the sheet in any language and passes over it without
# a word; the file is the bot's own, the teacher did not leave anything out.
GUIDE_HEADING = "HƯỚNG DẪN ĐIỀN BẢNG ĐIỂM"
# A row is a header when it names at least this many fields, one of them a signature field
# of the kind, so a title row or a sheet of another kind is not taken for one.
MIN_FIELDS = 2

_PARENTHESES = re.compile(r"\([^)]*\)")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def header_key(text: str) -> str:
    """'Họ và tên (*)' and 'ho va ten' -> 'hovaten'; 'Học kỳ'/'học kì' -> 'hocki'."""
    return _NOT_ALNUM.sub("", fold(text)).replace("y", "i")


def cell_text(value: Cell) -> str:
    """A cell as the school reads it on screen; numbers typed as 7 are not shown as 7.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def shown_number(value: float | Decimal) -> str:
    """A number as a Vietnamese sheet shows it: 7.5 as "7,5" (the decimal comma the grade
    sheet asks for), 11.0 as "11"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace(".", ",")


@dataclass(frozen=True)
class Field:
    """One thing a sheet may hold, with every spelling schools use for its header, best first.

    `title_labels` (folded) let the value be written once above the header ("Lớp: 6A");
    `signature` fields tell one kind of sheet from another.
    """

    key: str
    label: str
    aliases: tuple[str, ...]
    expected: str = ""
    required: bool = False
    signature: bool = False
    title_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    index: int
    header: str  # as written in the file, the two rows joined for a two-row header


@dataclass(frozen=True)
class TitleValue:
    value: str
    row: int
    label: str


@dataclass
class Layout:
    """Where a sheet's header is and what each of its columns means."""

    header_row: int  # the last row of the header, as numbered in the file
    columns: dict[str, Column]
    titles: dict[str, TitleValue] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class FieldIndex:
    """Header keys -> (field, priority) for one kind; built per import so labels follow the
    reader's language."""

    def __init__(self, fields: Sequence[Field]):
        self.fields = {f.key: f for f in fields}
        self._keys: dict[str, tuple[Field, int]] = {}
        for f in fields:
            for priority, alias in enumerate(f.aliases):
                key = header_key(alias)
                other = self._keys.setdefault(key, (f, priority))[0]
                if other is not f:
                    raise ValueError(f"header {alias!r} names both {other.key} and {f.key}")

    def match(self, candidates: Iterable[str]) -> tuple[Field, int, str] | None:
        """The field the first matching spelling names; parentheses ("Ngày sinh (dd/mm/yyyy)")
        are tried without their content last."""
        for text in candidates:
            for key in (header_key(text), header_key(_PARENTHESES.sub("", text))):
                if key in self._keys:
                    found, priority = self._keys[key]
                    return found, priority, text
        return None


# A column's candidate names, best first, and how many of the first ones contain the text of
# the header's last row (the others are a group label above it, alone).
_Names = tuple[int, list[str], int]


def _single(row: Row) -> list[_Names]:
    return [(i, [cell_text(v)], 1) for i, v in enumerate(row) if cell_text(v)]


def _double(top: Row, bottom: Row) -> list[_Names]:
    """Candidate names of each column of a two-row header.

    A merged cell keeps its text only in its first column, so a group label is carried to
    the right over blank top cells while the bottom row has names under it.
    """
    columns: list[_Names] = []
    group = ""
    for i in range(max(len(top), len(bottom))):
        upper = cell_text(top[i]) if i < len(top) else ""
        lower = cell_text(bottom[i]) if i < len(bottom) else ""
        if upper:
            group = upper
        elif not lower:
            group = ""
        if not lower:
            if upper:
                columns.append((i, [upper], 0))
        elif group:
            columns.append((i, [lower, f"{group} {lower}", f"{lower} {group}", group], 3))
        else:
            columns.append((i, [lower], 1))
    return columns


@dataclass
class _Candidate:
    first_row: int  # index into sheet.rows
    last_row: int
    matched: dict[int, tuple[Field, int, str]]
    unmatched: list[str]
    # Every cell of the last row is part of a recognised name: it is a row of sub-headers
    # ("Mức", "Điểm" under a merged "Cuối học kỳ I"), not data under a one-row header.
    last_row_all_names: bool

    @property
    def score(self) -> int:
        return len({f.key for f, _p, _t in self.matched.values()})

    def recognised(self) -> bool:
        return self.score >= MIN_FIELDS and any(f.signature for f, _p, _t in self.matched.values())


def _candidate(index: FieldIndex, first: int, last: int, columns: list[_Names]) -> _Candidate:
    matched, unmatched = {}, []
    all_names = True
    for i, names, with_last_row in columns:
        hit = index.match(names)
        if hit:
            matched[i] = hit
        else:
            unmatched.append(names[0])
        if with_last_row and (hit is None or names.index(hit[2]) >= with_last_row):
            all_names = False
    return _Candidate(first, last, matched, unmatched, all_names)


def _best(index: FieldIndex, rows: list[Row]) -> _Candidate | None:
    """The header among the first rows: the single row naming the most fields, or two rows
    together when they name more, or as many with the second row made only of sub-headers."""
    scan = rows[:HEADER_SCAN_ROWS]
    best: _Candidate | None = None
    for r, row in enumerate(scan):
        found = _candidate(index, r, r, _single(row))
        if found.recognised() and (best is None or found.score > best.score):
            best = found
    for r in range(len(scan) - 1):
        found = _candidate(index, r, r + 1, _double(rows[r], rows[r + 1]))
        if found.recognised() and (
            best is None
            or found.score > best.score
            or (found.score == best.score and found.last_row_all_names and best.last_row == r)
        ):
            best = found
    return best


# What ends a title value besides the next label: "Học kỳ: I - Năm học: 2025-2026".
_TITLE_END = re.compile(r"\s+[-–|;]\s+|\s{2,}|\n|\s*[|;]")


def _fold_same_length(text: str) -> str:
    """`fold` one character at a time, so positions in the result are positions in `text`."""
    out = []
    for ch in text:
        folded = fold(ch)
        out.append(folded if len(folded) == 1 else (" " if not folded else ch.lower()))
    return "".join(out)


def _titles(index: FieldIndex, rows: list[Row]) -> dict[str, TitleValue]:
    """'Lớp: 6A', 'Môn: Toán  Học kỳ: I' in title cells, or a label cell ('Lớp') followed
    by its value in the next filled cell of the row."""
    labels = sorted(
        ((label, f) for f in index.fields.values() for label in f.title_labels),
        key=lambda pair: -len(pair[0]),
    )
    if not labels:
        return {}
    by_label = dict(labels)
    alternatives = "|".join(re.escape(label) for label, _f in labels)
    # "Giáo viên chủ nhiệm lớp: Nguyễn Văn A" names a teacher, not the class.
    with_colon = re.compile(rf"(?<![a-z0-9])(?<!nhiem )({alternatives})\s*:\s*")
    alone = re.compile(rf"^({alternatives})\s*:?$")
    found: dict[str, TitleValue] = {}
    for r, row in enumerate(rows):
        texts = [cell_text(v) for v in row]
        for c, text in enumerate(texts):
            folded = _fold_same_length(text)
            label_only = alone.match(folded.strip())
            if label_only:
                following = next((t for t in texts[c + 1 :] if t), "")
                if following:
                    key = by_label[label_only.group(1)].key
                    found.setdefault(key, TitleValue(following, r + 1, text.rstrip(": ")))
                continue
            matches = list(with_colon.finditer(folded))
            if not matches:
                continue
            ends = [m.start() for m in matches[1:]] + [len(text)]
            for m, end in zip(matches, ends, strict=True):
                value = _TITLE_END.split(text[m.end() : end])[0]
                value = value.strip(" ,.")
                if value:
                    label = text[m.start(1) : m.end(1)]
                    found.setdefault(by_label[m.group(1)].key, TitleValue(value, r + 1, label))
    return found


def is_guide(sheet: Sheet, heading: str = GUIDE_HEADING) -> bool:
    """The guide sheet of a template the bot made (its first line is `heading`: GUIDE_HEADING,
    or the homeroom sheet's HOMEROOM_GUIDE_HEADING)."""
    first = next((row for row in sheet.rows if row), ())
    return bool(first) and header_key(cell_text(first[0])) == header_key(heading)


def find_layout(sheet: Sheet, fields: Sequence[Field]) -> Layout | None:
    """The sheet's header and columns, or None when no row looks like a header of this kind.

    Problems of the header itself (a required column missing, two columns meaning the same)
    are returned in the layout, so every sheet's problems are reported together.
    """
    index = FieldIndex(fields)
    best = _best(index, sheet.rows)
    if best is None:
        return None
    columns: dict[str, Column] = {}
    chosen: dict[str, int] = {}
    problems: list[Problem] = []
    for i, (f, priority, text) in sorted(best.matched.items()):
        if f.key not in columns or priority < chosen[f.key]:
            columns[f.key], chosen[f.key] = Column(i, text), priority
        elif priority == chosen[f.key]:
            problems.append(
                Problem(
                    sheet.name,
                    best.last_row + 1,
                    text,
                    _("Hai cột cùng là «{label}»: «{first}» và «{second}»").format(
                        label=f.label, first=columns[f.key].header, second=text
                    ),
                    _("chỉ một cột «{label}»; xóa hoặc đổi tên cột thừa").format(label=f.label),
                )
            )
    ignored = best.unmatched + [
        text for i, (f, _p, text) in sorted(best.matched.items()) if columns[f.key].index != i
    ]
    titles = _titles(index, sheet.rows[: best.first_row])
    layout = Layout(best.last_row + 1, columns, titles, ignored, problems)
    for f in fields:
        if f.required and f.key not in columns and f.key not in titles:
            problems.append(_missing(sheet.name, best.last_row + 1, f))
    return layout


def _missing(sheet: str, row: int, f: Field) -> Problem:
    spellings = ", ".join(f"«{a}»" for a in f.aliases[:8])
    expected = _("một cột có tiêu đề {spellings}").format(spellings=spellings)
    if f.title_labels:
        expected += _(", hoặc một dòng «{label}: ...» phía trên dòng tiêu đề").format(label=f.label)
    return Problem(sheet, row, None, _("Thiếu cột «{label}»").format(label=f.label), expected)
