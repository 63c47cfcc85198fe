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
- The steps from the class list on are every student form's (core.services.student_form);
  what is this form's own is the sheet, its mark columns and `_Column`, which says how a mark
  is read, checked, shown and written.
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
from core.services.gradebook import (
    MarkValue,
    SheetRow,
    entry_columns,
    mark_column,
    mark_columns,
    validate_mark,
)
from core.services.locks import Touch, ensure_writable
from core.services.schools import current_year
from core.services.student_form import (
    ClassColumn,
    FormButtons,
    FormDraft,
    Step,
    StudentChoices,
    TermChoices,
    read_int,
    term_choices,
    term_title,
)
from core.typed import mark

BUTTONS = FormButtons(
    term=buttons.MARK_TERM,
    student=buttons.MARK_STUDENT,
    save=buttons.MARK_SAVE,
    next=buttons.MARK_NEXT_STUDENT,
    cancel=buttons.MARK_CANCEL,
)
_KIND_CODES = {
    MarkKind.REGULAR: "r",
    MarkKind.MIDTERM: "m",
    MarkKind.FINAL: "f",
    MarkKind.TOPIC: "t",
}
_KINDS = {code: kind for kind, code in _KIND_CODES.items()}


# ---------------------------------------------------------------------------------------------
# What this form's own steps show (the rest: core.services.student_form)


@dataclass(frozen=True, kw_only=True)
class SheetChoices(Step):
    """The teacher's class × subject sheets that have marks."""

    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class ColumnChoices(Step):
    title: str  # "6A — Ngữ văn, HK I"
    choices: tuple[Choice, ...]


# ---------------------------------------------------------------------------------------------
# The draft


@dataclass(frozen=True)
class _Draft(FormDraft):
    """The shared draft, and the sheet's subject and mark column."""

    COLUMN = ("class_id", "subject_id", "term", "column")

    subject_id: int | None = None
    column: tuple[MarkKind, int] | None = None

    @classmethod
    def own(cls, raw: dict[str, Any]) -> dict[str, Any]:
        column = raw.get("column")
        kind = None
        if isinstance(column, list) and len(column) == 2 and isinstance(column[1], int):
            kind = next((k for k in MarkKind if k.value == column[0]), None)
        return {
            "subject_id": read_int(raw, "subject_id"),
            "column": (kind, column[1]) if kind is not None else None,
        }

    def own_json(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "column": [self.column[0].value, self.column[1]] if self.column else None,
        }

    def ended(self) -> str:
        return _("Phiên nhập điểm này đã kết thúc. Gõ /nhapdiem để bắt đầu lại.")

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
        return term_title(f"{self.school_class.name} — {self.subject.name}", self.term)

    @property
    def columns(self) -> list[tuple[MarkKind, int]]:
        """Every column a teacher may fill, the learning-topic one (CĐHT) included where the
        subject has one: a mark forgotten there is entered here like any other."""
        return entry_columns(self.subject, self.school_class.grade)

    def whole(self) -> Touch:
        """Every cell of the sheet, to refuse a locked scope before anything is typed. No
        correction opening covers a whole sheet: a cell opened for a correction is written
        through the correction flow, not here."""
        assert self.term is not None
        sc = self.school_class
        return Touch(sc.year_id, self.term.id, sc.id, self.subject.id, "")


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


@dataclass(frozen=True)
class _Column(ClassColumn[SheetRow, MarkValue]):
    """A mark column of the sheet: the steps from the class list on."""

    Draft = _Draft
    BUTTONS = BUTTONS
    sheet: _Sheet
    draft: _Draft

    @classmethod
    async def load(cls, actor: Actor, draft: _Draft) -> _Column:
        return cls(await _draft_sheet(actor, draft), draft)

    @property
    def title(self) -> str:
        return self.sheet.title

    @property
    def what(self) -> str:
        return self.draft.column_name

    @property
    def class_name(self) -> str:
        return self.sheet.school_class.name

    def whole(self) -> Touch:
        return self.sheet.whole()

    async def rows(self, student_id: int | None = None) -> list[SheetRow]:
        sheet = self.sheet
        assert sheet.term is not None
        return await gradebook.sheet_rows(
            sheet.school_class, sheet.subject, sheet.term, student_id=student_id
        )

    async def read(self, actor: Actor) -> list[SheetRow]:
        sheet = self.sheet
        assert sheet.term is not None
        return await gradebook.read_sheet(actor, sheet.school_class, sheet.subject, sheet.term)

    def current(self, row: SheetRow) -> str:
        return _shown(row.marks.get(self.what))

    def short(self, row: SheetRow) -> str:
        return _shown(row.marks[self.what]) if self.what in row.marks else "—"

    def expected(self) -> str:
        if self.sheet.subject.assessment == Assessment.COMMENT:
            return _("Gõ Đ (Đạt) hoặc CĐ (Chưa đạt):")
        return _("Gõ điểm từ 0 đến 10, số nguyên hoặc một chữ số thập phân (ví dụ 7 hoặc 7,5):")

    def parse(self, text: str) -> MarkValue:
        """A text too long to be a mark is refused first, with the limit."""
        assert self.draft.column is not None
        sheet = self.sheet
        return validate_mark(
            sheet.subject, sheet.school_class.grade, *self.draft.column, mark(text)
        )

    def stored(self, value: MarkValue) -> str:
        return str(value) if isinstance(value, Decimal) else value.value

    def shown(self, value: MarkValue) -> str:
        return _shown(value)

    async def write(self, actor: Actor, student_id: int, value: MarkValue) -> bool:
        sheet = self.sheet
        assert sheet.term is not None and self.draft.column is not None
        entry = gradebook.MarkEntry(
            student_id, sheet.school_class, sheet.subject, sheet.term, *self.draft.column, value
        )
        return bool((await gradebook.write_marks(actor, [entry])).changed)

    def next_label(self) -> str:
        return _("➕ Học sinh khác, cột {column}").format(column=self.what)


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
    return TermChoices(
        draft=_Draft(class_id=class_id, subject_id=subject_id).json(),
        title=sheet.title,
        choices=await term_choices(sheet.school_class.year_id, BUTTONS.term),
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
    return await _Column(sheet, replace(draft, column=(kind, index))).class_list(actor)


# The steps from the class list on (core.services.student_form), on a mark column
next_student = _Column.next_student
search_student = _Column.search_student
choose_student = _Column.choose_student
type_value = _Column.type_value
save = _Column.save
