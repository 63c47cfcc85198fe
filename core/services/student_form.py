"""What every guided entry of one student's value shares, from the class list to the saved value.

Two forms enter one value for one student of a class list in chat: a mark (/nhapdiem,
core.services.markentry) and the homeroom teacher's conduct or days absent (/chunhiem,
core.services.homeroom_entry). Their first steps differ (a teacher's sheet and mark column; a
homeroom class and what to enter); from the class list on they are the same steps: the list
with each student's value now, a typed class-list number or part of a name, the student's
button, the value typed (or tapped) and checked by the rules, the confirmation, the write, and
«another student». Written once here, so a limit, a check or an audited read fixed in one form
is fixed in both.

Why it is built this way:
- A form describes its column once, as a `ClassColumn`: which class list and term its draft
  names and who may write it (`load`, checked again at every step: button data and a kept
  draft are never trusted, a forged or stale id gets a plain NotFound or PermissionDenied and
  the draft stays as it was), how its list is read (the audited read of personal data, once
  per entry, when the list is shown), how a value is parsed, shown and written, and its
  buttons. The steps are the classmethods of `ClassColumn`; a form's module publishes them
  under its own names, so its front end makes one core call per step.
- The draft (`FormDraft`) is rebuilt from known, well-typed keys at every step, so it never
  grows, whatever a client sends.
- A locked scope is refused when the list is shown again for «another student» (and by each
  form as soon as its term is chosen); the write refuses again if a lock falls meanwhile.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from core.buttons import Action, Choice
from core.errors import InvalidValue, NotFound
from core.formatting import roman
from core.i18n import _
from core.models import Term
from core.services.access import Actor
from core.services.locks import Touch, ensure_writable
from core.text import fold
from core.typed import name_part

MAX_MATCHES = 10  # students offered after a typed search; more means the search was too loose


@dataclass(frozen=True)
class FormButtons:
    """A form's buttons (core.buttons), for the choices its steps offer and the patterns its
    front end listens to: the term, a student, the save, «another student», «Hủy», and the
    value's own buttons where a value can be tapped (conduct's levels)."""

    term: Action
    student: Action
    save: Action
    next: Action
    cancel: Action
    value: Action | None = None


# ---------------------------------------------------------------------------------------------
# What the steps show


@dataclass(frozen=True)
class StudentLine:
    """A student of the class list with the value the chosen column holds now."""

    number: int
    name: str
    current: str  # as shown: "8,0", "Đ", "Tốt", "2 có phép, 1 không phép", or "(trống)"


@dataclass(frozen=True, kw_only=True)
class Step:
    """What every step returns: the draft to keep for the next one."""

    draft: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class TermChoices(Step):
    title: str  # "6A — Ngữ văn", "Lớp 6A"
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class StudentChoices(Step):
    """The class list (or, after a search, `found` matches of `typed`, at most MAX_MATCHES
    shown; none found when `choices` is empty)."""

    title: str
    what: str  # the column: "TX1", "Rèn luyện"
    class_name: str
    choices: tuple[Choice, ...]
    typed: str | None = None
    found: int = 0


@dataclass(frozen=True, kw_only=True)
class ValueAsked(Step):
    """The student's current value and what to type (or tap: `choices`); `refused` says why a
    value was not accepted (then the question is asked again)."""

    title: str
    what: str
    student: StudentLine
    expected: str
    choices: tuple[Choice, ...] = ()
    refused: str = ""


@dataclass(frozen=True, kw_only=True)
class Confirmation(Step):
    title: str
    what: str
    student: StudentLine
    new: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class Saved(Step):
    what: str
    student: StudentLine
    value: str
    changed: bool
    choices: tuple[Choice, ...]


def term_title(title: str, term: Term | None) -> str:
    """A step's title, with the term once it is chosen: "6A — Ngữ văn, HK I", "Lớp 6A, HK I"."""
    if term is None:
        return title
    return title + ", " + _("HK {term}").format(term=roman(term.number))


async def term_choices(year_id: int, action: Action) -> tuple[Choice, ...]:
    """A button per term of the class's year: «Học kỳ I», «Học kỳ II»."""
    terms = await Term.filter(year_id=year_id).order_by("number")
    return tuple(
        Choice(_("Học kỳ {n}").format(n=roman(t.number)), action.data(t.number)) for t in terms
    )


# ---------------------------------------------------------------------------------------------
# The draft


def read_int(raw: dict[str, Any], key: str) -> int | None:
    """A draft's id or number, if it is one (JSON has no other check)."""
    value = raw.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class FormDraft(ABC):
    """The draft as the steps read it: the class and term, the student, the value as the rules
    read it back. A form adds the keys that name its column (`own`, `own_json`) and lists in
    COLUMN every key the steps from the class list on need."""

    COLUMN: ClassVar[tuple[str, ...]]

    class_id: int | None = None
    term: int | None = None
    student_id: int | None = None
    value: str | None = None

    @classmethod
    def read(cls, raw: object) -> Self:
        """Only well-typed known keys; anything else is dropped."""
        if not isinstance(raw, dict):
            return cls()
        value = raw.get("value")
        return cls(
            class_id=read_int(raw, "class_id"),
            term=read_int(raw, "term"),
            student_id=read_int(raw, "student_id"),
            value=value if isinstance(value, str) else None,
            **cls.own(raw),
        )

    @classmethod
    @abstractmethod
    def own(cls, raw: dict[str, Any]) -> dict[str, Any]:
        """The form's own keys, each well-typed or None."""

    @abstractmethod
    def own_json(self) -> dict[str, Any]:
        """The form's own keys as JSON keeps them."""

    @abstractmethod
    def ended(self) -> str:
        """What a button of a later step says when its draft is gone, and how to start again."""

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "class_id": self.class_id,
            "term": self.term,
            **self.own_json(),
            "student_id": self.student_id,
            "value": self.value,
        }
        return {k: v for k, v in out.items() if v is not None}

    def need(self, *keys: str) -> None:
        """A button of a later step whose draft is gone (the flow ended, or was cancelled)."""
        if any(getattr(self, key) is None for key in keys):
            raise NotFound(self.ended())


# ---------------------------------------------------------------------------------------------
# The column, and the steps from the class list on


class Listed(Protocol):
    """A student's line of a class list, with the form's own values beside."""

    @property
    def student_id(self) -> int: ...

    @property
    def number(self) -> int: ...

    @property
    def full_name(self) -> str: ...


R = TypeVar("R", bound=Listed)  # a line of the form's class list
V = TypeVar("V")  # a value as the form's rules read it


class ClassColumn(ABC, Generic[R, V]):
    """One column of a class list in one term (a mark column; conduct; days absent), as a
    form's draft names it, loaded and checked by the form. A form subclasses it as a frozen
    dataclass holding what it loaded and the draft."""

    Draft: ClassVar[type[FormDraft]]
    BUTTONS: ClassVar[FormButtons]
    draft: FormDraft

    @classmethod
    @abstractmethod
    async def load(cls, actor: Actor, draft: Any) -> Self:
        """The column the draft names, if the actor may write it (the form's rule)."""

    @property
    @abstractmethod
    def title(self) -> str:
        """ "6A — Ngữ văn, HK I", "Lớp 6A, HK I"."""

    @property
    @abstractmethod
    def what(self) -> str:
        """The column: "TX1", "Rèn luyện"."""

    @property
    @abstractmethod
    def class_name(self) -> str: ...

    @abstractmethod
    def whole(self) -> Touch:
        """Every cell the form writes in the class's term, to refuse a locked scope."""

    @abstractmethod
    async def rows(self, student_id: int | None = None) -> list[R]:
        """The class list (only `student_id`'s line when given) in class-list order. No
        rights check and no audit: for the steps, which load (and check) first."""

    @abstractmethod
    async def read(self, actor: Actor) -> list[R]:
        """The whole class list, the read of personal data audited."""

    @abstractmethod
    def current(self, row: R) -> str:
        """The row's value as shown: "8,0", "(trống)"."""

    @abstractmethod
    def short(self, row: R) -> str:
        """The row's value on its button: "8,0", "CP 2, KP 1", "—"."""

    @abstractmethod
    def expected(self) -> str:
        """What to type."""

    def value_choices(self) -> tuple[Choice, ...]:
        """Buttons for the value, where it can be tapped."""
        return ()

    @abstractmethod
    def parse(self, text: str) -> V:
        """A typed value (or the draft's) as the rules read it; InvalidValue says why not."""

    @abstractmethod
    def stored(self, value: V) -> str:
        """The value as the draft keeps it and `parse` reads it back unchanged."""

    @abstractmethod
    def shown(self, value: V) -> str: ...

    @abstractmethod
    async def write(self, actor: Actor, student_id: int, value: V) -> bool:
        """Write through the gradebook (rights and locks checked there again); whether
        anything changed."""

    @abstractmethod
    def next_label(self) -> str:
        """«➕ Học sinh khác, …»."""

    # -----------------------------------------------------------------------------------------
    # Helpers of the steps

    @classmethod
    def _read_draft(cls, raw: object, *keys: str) -> Any:
        draft = cls.Draft.read(raw)
        draft.need(*cls.Draft.COLUMN, *keys)
        return draft

    async def row(self, student_id: int) -> R:
        """The student's line: only a student of the class list is accepted."""
        found = await self.rows(student_id)
        if not found:
            raise NotFound(
                _("Học sinh này không có trong danh sách lớp {klass}.").format(
                    klass=self.class_name
                )
            )
        return found[0]

    def line(self, row: R) -> StudentLine:
        return StudentLine(row.number, row.full_name, self.current(row))

    def _students(self, rows: list[R], typed: str | None = None, found: int = 0) -> StudentChoices:
        """ "3. Lê Thị Bích · 8,0": the class-list number, the name, the value now."""
        return StudentChoices(
            draft=replace(self.draft, student_id=None, value=None).json(),
            title=self.title,
            what=self.what,
            class_name=self.class_name,
            choices=tuple(
                Choice(
                    f"{r.number}. {r.full_name} · {self.short(r)}",
                    self.BUTTONS.student.data(r.student_id),
                )
                for r in rows
            ),
            typed=typed,
            found=found,
        )

    def _ask(self, row: R, refused: str = "") -> ValueAsked:
        return ValueAsked(
            draft=replace(self.draft, student_id=row.student_id, value=None).json(),
            title=self.title,
            what=self.what,
            student=self.line(row),
            expected=self.expected(),
            choices=self.value_choices(),
            refused=refused,
        )

    # -----------------------------------------------------------------------------------------
    # The steps

    async def class_list(self, actor: Actor) -> StudentChoices:
        """The class list with the column's values: the read of personal data an entry is
        audited for."""
        return self._students(await self.read(actor))

    @classmethod
    async def next_student(cls, actor: Actor, raw_draft: object) -> StudentChoices:
        """«Học sinh khác» after a save: the same class list and column, locks checked again."""
        column = await cls.load(actor, cls._read_draft(raw_draft))
        await ensure_writable(actor, [column.whole()])
        return await column.class_list(actor)

    @classmethod
    async def search_student(
        cls, actor: Actor, raw_draft: object, typed: str
    ) -> StudentChoices | ValueAsked:
        """A typed class-list number or part of a name (accents optional; a long text is
        refused here, with the limit); one match goes straight to the value."""
        draft = cls._read_draft(raw_draft)
        typed = name_part(typed)
        column = await cls.load(actor, draft)
        rows = await column.rows()
        if typed.isdigit():
            found = [r for r in rows if r.number == int(typed)]
        else:
            found = [r for r in rows if fold(typed) in fold(r.full_name)]
        if len(found) == 1:
            return column._ask(found[0])
        return column._students(found[:MAX_MATCHES], typed, len(found))

    @classmethod
    async def choose_student(cls, actor: Actor, raw_draft: object, student_id: int) -> ValueAsked:
        """A student's button: only a student of the class list is accepted."""
        column = await cls.load(actor, cls._read_draft(raw_draft))
        return column._ask(await column.row(student_id))

    @classmethod
    async def type_value(
        cls, actor: Actor, raw_draft: object, text: str
    ) -> ValueAsked | Confirmation:
        """The value, typed or tapped (a value's button gives its code), checked by the rules
        (a text too long for a value first); a refusal asks again and says what is expected."""
        column = await cls.load(actor, cls._read_draft(raw_draft, "student_id"))
        row = await column.row(column.draft.student_id)
        try:
            value = column.parse(text)
        except InvalidValue as refused:
            return column._ask(row, str(refused))
        return Confirmation(
            draft=replace(column.draft, value=column.stored(value)).json(),
            title=column.title,
            what=column.what,
            student=column.line(row),
            new=column.shown(value),
            choices=(Choice(_("✅ Lưu"), cls.BUTTONS.save.data()),),
        )

    @classmethod
    async def save(cls, actor: Actor, raw_draft: object) -> Saved:
        """Write the confirmed value (rights and locks checked again by the write). The new
        draft keeps the class list and column for «another student»."""
        column = await cls.load(actor, cls._read_draft(raw_draft, "student_id", "value"))
        row = await column.row(column.draft.student_id)
        value = column.parse(column.draft.value)
        changed = await column.write(actor, row.student_id, value)
        return Saved(
            draft=replace(column.draft, student_id=None, value=None).json(),
            what=column.what,
            student=column.line(row),
            value=column.shown(value),
            changed=changed,
            choices=(Choice(column.next_label(), cls.BUTTONS.next.data()),),
        )
