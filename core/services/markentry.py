"""The single-mark form (/nhapdiem): one core call per step of the conversation.

Class × subject (among the teacher's assignments) → term → column → student → the new value →
confirm → saved. A teacher with one cell to fill (a student who sat the test late, a mark
forgotten) should not have to download, fill and send back a whole sheet.

Why it is built this way:
- Each step takes the draft the front end kept (JSON: ids, and the value as the rules read it)
  and the button or text of this step, checks everything again (the teacher's assignment, the
  class's year and terms, the subject's columns, the class list, the locks, the typed value
  with `validate_mark`) and returns what the step shows together with the new draft. Button
  data and a kept draft are never trusted: a modified client can send any data, and a draft
  kept across a restart may name a class whose assignment changed since. A forged or stale id
  gets a plain NotFound or PermissionDenied and the draft stays as it was.
- The draft is rebuilt from known keys at every step, so it never grows, whatever it held.
- The sheet is read once per step. Reading personal data is audited once per mark: when the
  class list with its marks is shown (the column step, or «next student»); the later steps
  show one cell of that list again and are not audited again. Saving writes through
  `gradebook.write_marks` (rights and locks checked there once more), one audit event per
  changed mark.
- A locked scope is refused as soon as the term is chosen, before anything is typed; the write
  refuses again if a lock falls while the teacher is typing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from core import buttons
from core.buttons import Choice
from core.errors import InvalidValue, NotFound
from core.formatting import score
from core.i18n import _
from core.models import MarkKind, SchoolClass, Subject, TeachingAssignment, Term
from core.rules.catalog import Assessment
from core.services import gradebook
from core.services.access import Actor, ensure_can_write_subject
from core.services.gradebook import MarkValue, SheetRow, mark_column, mark_columns, validate_mark
from core.services.locks import Touch, ensure_writable
from core.services.schools import current_year
from core.text import fold
from core.typed import mark, name_part

MAX_MATCHES = 10  # students offered after a typed search; more means the search was too loose
_KIND_CODES = {MarkKind.REGULAR: "r", MarkKind.MIDTERM: "m", MarkKind.FINAL: "f"}
_KINDS = {code: kind for kind, code in _KIND_CODES.items()}


# ---------------------------------------------------------------------------------------------
# What the steps show


@dataclass(frozen=True)
class StudentLine:
    """A student of the class list with the value the chosen column holds now."""

    number: int
    name: str
    current: str  # as shown: "8,0", "Đ", or "(trống)"


@dataclass(frozen=True, kw_only=True)
class Step:
    """What every step returns: the draft to keep for the next one."""

    draft: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class SheetChoices(Step):
    """The teacher's class × subject sheets that have marks."""

    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class TermChoices(Step):
    title: str  # "6A — Ngữ văn"
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class ColumnChoices(Step):
    title: str  # "6A — Ngữ văn, HK I"
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class StudentChoices(Step):
    """The class list (or, after a search, `found` matches of `typed`, at most MAX_MATCHES
    shown; none found when `choices` is empty)."""

    title: str
    column: str
    class_name: str
    choices: tuple[Choice, ...]
    typed: str | None = None
    found: int = 0


@dataclass(frozen=True, kw_only=True)
class ValueAsked(Step):
    """The student's current value and what to type; `refused` says why a typed value was
    not accepted (then the question is asked again)."""

    title: str
    column: str
    student: StudentLine
    expected: str
    refused: str = ""


@dataclass(frozen=True, kw_only=True)
class Confirmation(Step):
    title: str
    column: str
    student: StudentLine
    new: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class Saved(Step):
    column: str
    student: StudentLine
    value: str
    changed: bool
    choices: tuple[Choice, ...]


# ---------------------------------------------------------------------------------------------
# The draft


@dataclass(frozen=True)
class _Draft:
    """The draft as the rules read it; `read` keeps only well-typed known keys."""

    class_id: int | None = None
    subject_id: int | None = None
    term: int | None = None
    column: tuple[MarkKind, int] | None = None
    student_id: int | None = None
    value: str | None = None

    @classmethod
    def read(cls, raw: object) -> _Draft:
        if not isinstance(raw, dict):
            return cls()

        def number(key: str) -> int | None:
            value = raw.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        column = raw.get("column")
        kind = None
        if isinstance(column, list) and len(column) == 2 and isinstance(column[1], int):
            kind = next((k for k in MarkKind if k.value == column[0]), None)
        value = raw.get("value")
        return cls(
            number("class_id"),
            number("subject_id"),
            number("term"),
            (kind, column[1]) if kind is not None else None,
            number("student_id"),
            value if isinstance(value, str) else None,
        )

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "class_id": self.class_id,
            "subject_id": self.subject_id,
            "term": self.term,
            "column": [self.column[0].value, self.column[1]] if self.column else None,
            "student_id": self.student_id,
            "value": self.value,
        }
        return {k: v for k, v in out.items() if v is not None}

    def need(self, *keys: str) -> None:
        """A button of a later step whose draft is gone (the flow ended, or was cancelled)."""
        if any(getattr(self, key) is None for key in keys):
            raise NotFound(_("Phiên nhập điểm này đã kết thúc. Gõ /nhapdiem để bắt đầu lại."))

    @property
    def column_name(self) -> str:
        assert self.column is not None
        return mark_column(*self.column)


# ---------------------------------------------------------------------------------------------
# The sheet a draft is about, loaded and checked again at every step


@dataclass(frozen=True)
class _Sheet:
    school_class: SchoolClass
    subject: Subject
    term: Term | None = None

    @property
    def title(self) -> str:
        title = f"{self.school_class.name} — {self.subject.name}"
        if self.term is not None:
            title += ", " + _("HK {term}").format(term="I" * self.term.number)
        return title

    @property
    def columns(self) -> list[tuple[MarkKind, int]]:
        return mark_columns(self.subject, self.school_class.grade)

    def whole(self) -> Touch:
        """Every cell of the sheet, to refuse a locked scope before anything is typed. No
        correction opening covers a whole sheet: a cell opened for a correction is written
        through the correction flow, not here."""
        assert self.term is not None
        sc = self.school_class
        return Touch(sc.year_id, self.term.id, sc.id, self.subject.id, "")

    def expected(self) -> str:
        if self.subject.assessment == Assessment.COMMENT:
            return _("Gõ Đ (Đạt) hoặc CĐ (Chưa đạt):")
        return _("Gõ điểm từ 0 đến 10, số nguyên hoặc một chữ số thập phân (ví dụ 7 hoặc 7,5):")

    async def rows(self, student_id: int | None = None) -> list[SheetRow]:
        assert self.term is not None
        return await gradebook.sheet_rows(
            self.school_class, self.subject, self.term, student_id=student_id
        )

    async def row(self, student_id: int) -> SheetRow:
        """The student's line: only a student of the class list is accepted."""
        found = await self.rows(student_id)
        if not found:
            raise NotFound(
                _("Học sinh này không có trong danh sách lớp {klass}.").format(
                    klass=self.school_class.name
                )
            )
        return found[0]


async def _sheet(actor: Actor, class_id: int, subject_id: int, term: int | None = None) -> _Sheet:
    """The sheet, if the actor may write its marks (the core's rule) and it has columns."""
    school_class = await SchoolClass.get_or_none(id=class_id, year__school_id=actor.school_id)
    subject = await Subject.get_or_none(id=subject_id, school_id=actor.school_id)
    if school_class is None or subject is None:
        raise NotFound(_("Không tìm thấy lớp hoặc môn này. Gõ /nhapdiem để chọn lại."))
    await ensure_can_write_subject(actor, school_class, subject)
    if not mark_columns(subject, school_class.grade):
        raise InvalidValue(
            _("Môn {subject} đánh giá bằng mức, không nhập điểm số ở đây.").format(
                subject=subject.name
            )
        )
    if term is None:
        return _Sheet(school_class, subject)
    found = await Term.get_or_none(year_id=school_class.year_id, number=term)
    if found is None:
        raise NotFound(
            _("Năm học của lớp {klass} không có học kỳ này.").format(klass=school_class.name)
        )
    return _Sheet(school_class, subject, found)


async def _draft_sheet(actor: Actor, draft: _Draft) -> _Sheet:
    assert draft.class_id is not None and draft.subject_id is not None
    return await _sheet(actor, draft.class_id, draft.subject_id, draft.term)


def _shown(value: MarkValue | None) -> str:
    if value is None:
        return _("(trống)")
    return score(value) if isinstance(value, Decimal) else value.label


def _stored(value: MarkValue) -> str:
    """The value as JSON keeps it and `validate_mark` reads it back unchanged."""
    return str(value) if isinstance(value, Decimal) else value.value


def _line(row: SheetRow, column: str) -> StudentLine:
    return StudentLine(row.number, row.full_name, _shown(row.marks.get(column)))


def _student_choices(rows: list[SheetRow], column: str) -> tuple[Choice, ...]:
    """ "3. Lê Thị Bích · 8,0": the class-list number, the name, the value now (— if none)."""
    return tuple(
        Choice(
            f"{r.number}. {r.full_name} · "
            + (_shown(r.marks[column]) if column in r.marks else "—"),
            buttons.MARK_STUDENT.data(r.student_id),
        )
        for r in rows
    )


# ---------------------------------------------------------------------------------------------
# The steps


async def start(actor: Actor) -> SheetChoices:
    """The teacher's sheets with marks in the current year; a new, empty draft."""
    year = await current_year(actor.school_id)
    assignments = (
        await TeachingAssignment.filter(staff_id=actor.staff_id, school_class__year_id=year.id)
        .select_related("school_class", "subject")
        .order_by("school_class__grade", "school_class__name", "subject__name")
    )
    choices = tuple(
        Choice(
            f"{a.school_class.name} — {a.subject.name}",
            buttons.MARK_SHEET.data(a.school_class_id, a.subject_id),
        )
        for a in assignments
        if mark_columns(a.subject, a.school_class.grade)
    )
    if not choices:
        raise NotFound(_("Thầy cô chưa được phân công môn nào có điểm số để nhập."))
    return SheetChoices(draft={}, choices=choices)


async def choose_sheet(actor: Actor, class_id: int, subject_id: int) -> TermChoices:
    """A class × subject chosen: its year's terms."""
    sheet = await _sheet(actor, class_id, subject_id)
    terms = await Term.filter(year_id=sheet.school_class.year_id).order_by("number")
    return TermChoices(
        draft=_Draft(class_id, subject_id).json(),
        title=sheet.title,
        choices=tuple(
            Choice(_("Học kỳ {n}").format(n="I" * t.number), buttons.MARK_TERM.data(t.number))
            for t in terms
        ),
    )


async def choose_term(actor: Actor, raw_draft: object, number: int) -> ColumnChoices:
    """A term chosen: refused at once if the sheet is locked; else the subject's columns."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id", "subject_id")
    sheet = await _draft_sheet(actor, replace(draft, term=number))
    await ensure_writable(actor, [sheet.whole()])
    return ColumnChoices(
        draft=replace(draft, term=number, column=None, student_id=None, value=None).json(),
        title=sheet.title,
        choices=tuple(
            Choice(mark_column(kind, index), buttons.MARK_COLUMN.data(_KIND_CODES[kind], index))
            for kind, index in sheet.columns
        ),
    )


async def _class_list(actor: Actor, sheet: _Sheet, draft: _Draft) -> StudentChoices:
    """The class list with the column's values: the read of personal data this mark's entry
    is audited for."""
    assert sheet.term is not None
    rows = await gradebook.read_sheet(actor, sheet.school_class, sheet.subject, sheet.term)
    return StudentChoices(
        draft=replace(draft, student_id=None, value=None).json(),
        title=sheet.title,
        column=draft.column_name,
        class_name=sheet.school_class.name,
        choices=_student_choices(rows, draft.column_name),
    )


async def choose_column(
    actor: Actor, raw_draft: object, kind_code: str, index: int
) -> StudentChoices:
    """A column chosen: it must be one of the subject's in the class's grade."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id", "subject_id", "term")
    sheet = await _draft_sheet(actor, draft)
    kind = _KINDS.get(kind_code)
    if kind is None or (kind, index) not in sheet.columns:
        column = mark_column(kind, index) if kind is not None else kind_code
        raise InvalidValue(
            _("Môn {subject} lớp {klass} không có cột {column}.").format(
                subject=sheet.subject.name, klass=sheet.school_class.name, column=column
            )
        )
    return await _class_list(actor, sheet, replace(draft, column=(kind, index)))


async def next_student(actor: Actor, raw_draft: object) -> StudentChoices:
    """«Học sinh khác» after a save: the same sheet and column, locks checked again."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id", "subject_id", "term", "column")
    sheet = await _draft_sheet(actor, draft)
    await ensure_writable(actor, [sheet.whole()])
    return await _class_list(actor, sheet, draft)


def _ask(sheet: _Sheet, draft: _Draft, row: SheetRow, refused: str = "") -> ValueAsked:
    return ValueAsked(
        draft=replace(draft, student_id=row.student_id, value=None).json(),
        title=sheet.title,
        column=draft.column_name,
        student=_line(row, draft.column_name),
        expected=sheet.expected(),
        refused=refused,
    )


async def search_student(
    actor: Actor, raw_draft: object, typed: str
) -> StudentChoices | ValueAsked:
    """A typed class-list number or part of a name (accents optional; a long text is refused
    here, with the limit); one match goes straight to the value."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id", "subject_id", "term", "column")
    typed = name_part(typed)
    sheet = await _draft_sheet(actor, draft)
    rows = await sheet.rows()
    if typed.isdigit():
        found = [r for r in rows if r.number == int(typed)]
    else:
        found = [r for r in rows if fold(typed) in fold(r.full_name)]
    if len(found) == 1:
        return _ask(sheet, draft, found[0])
    return StudentChoices(
        draft=replace(draft, student_id=None, value=None).json(),
        title=sheet.title,
        column=draft.column_name,
        class_name=sheet.school_class.name,
        choices=_student_choices(found[:MAX_MATCHES], draft.column_name),
        typed=typed,
        found=len(found),
    )


async def choose_student(actor: Actor, raw_draft: object, student_id: int) -> ValueAsked:
    """A student's button: only a student of the class list is accepted."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id", "subject_id", "term", "column")
    sheet = await _draft_sheet(actor, draft)
    return _ask(sheet, draft, await sheet.row(student_id))


async def type_value(actor: Actor, raw_draft: object, text: str) -> ValueAsked | Confirmation:
    """The new value, checked by the rules (a text too long to be a mark first); a refusal asks
    again and says what is expected."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id", "subject_id", "term", "column", "student_id")
    assert draft.column is not None and draft.student_id is not None
    sheet = await _draft_sheet(actor, draft)
    row = await sheet.row(draft.student_id)
    try:
        value = validate_mark(sheet.subject, sheet.school_class.grade, *draft.column, mark(text))
    except InvalidValue as refused:
        return _ask(sheet, draft, row, str(refused))
    return Confirmation(
        draft=replace(draft, value=_stored(value)).json(),
        title=sheet.title,
        column=draft.column_name,
        student=_line(row, draft.column_name),
        new=_shown(value),
        choices=(Choice(_("✅ Lưu"), buttons.MARK_SAVE.data()),),
    )


async def save(actor: Actor, raw_draft: object) -> Saved:
    """Write the confirmed value through the gradebook (assignment and locks checked there
    again). The new draft keeps the sheet and column for «another student»."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id", "subject_id", "term", "column", "student_id", "value")
    assert draft.column is not None and draft.student_id is not None
    sheet = await _draft_sheet(actor, draft)
    assert sheet.term is not None
    row = await sheet.row(draft.student_id)
    value = validate_mark(sheet.subject, sheet.school_class.grade, *draft.column, draft.value)
    entry = gradebook.MarkEntry(
        row.student_id, sheet.school_class, sheet.subject, sheet.term, *draft.column, value
    )
    written = await gradebook.write_marks(actor, [entry])
    column = draft.column_name
    return Saved(
        draft=replace(draft, student_id=None, value=None).json(),
        column=column,
        student=_line(row, column),
        value=_shown(value),
        changed=bool(written.changed),
        choices=(
            Choice(
                _("➕ Học sinh khác, cột {column}").format(column=column),
                buttons.MARK_NEXT_STUDENT.data(),
            ),
        ),
    )
