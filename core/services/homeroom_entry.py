"""One student's conduct or days absent, entered in chat by the homeroom teacher (/chunhiem):
one core call per step of the conversation.

Class (among the classes the person is homeroom teacher of; an admin picks any) → term →
conduct or days absent (primary schools have no conduct: straight to the days) → student (the
class list, or a typed class-list number or part of a name) → the value (conduct as buttons
Tốt / Khá / Đạt / Chưa đạt or typed; days as "có phép, không phép") → confirm → saved.

Built like the single-mark form (core.services.markentry), for the same reasons, and with the
same steps from the class list on (core.services.student_form: the draft checked again at every
step and never trusted, the class list's read audited once per entry, the write checked again).
What is this form's own: who may enter (the class's homeroom teacher or an admin,
`ensure_can_write_class`), conduct or days absent and their checks (core.rules.homeroom, the
checks the homeroom teacher's sheet uses too), and the writes through the gradebook, which
audits each changed row. A locked term is refused as soon as it is chosen, before anything is
typed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core import buttons
from core.buttons import Choice
from core.errors import InvalidValue, NotFound
from core.i18n import _
from core.models import Role, SchoolClass
from core.rules.secondary import Level
from core.services import gradebook
from core.services.access import Actor
from core.services.homeroom_rows import (
    ClassTerm,
    Row,
    What,
    absences_shown,
    conduct_shown,
    kinds,
    load_class,
    record_read,
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
    term_choices,
)

BUTTONS = FormButtons(
    term=buttons.HOMEROOM_TERM,
    student=buttons.HOMEROOM_STUDENT,
    save=buttons.HOMEROOM_SAVE,
    next=buttons.HOMEROOM_NEXT,
    cancel=buttons.HOMEROOM_CANCEL,
    value=buttons.HOMEROOM_LEVEL,
)
Value = Level | tuple[int, int]  # conduct, or days absent (with and without permission)


# ---------------------------------------------------------------------------------------------
# What this form's own steps show (the rest: core.services.student_form)


@dataclass(frozen=True, kw_only=True)
class ClassChoices(Step):
    choices: tuple[Choice, ...]


@dataclass(frozen=True, kw_only=True)
class KindChoices(Step):
    title: str  # "Lớp 6A, HK I"
    choices: tuple[Choice, ...]


# ---------------------------------------------------------------------------------------------
# The draft, and the column it names


@dataclass(frozen=True)
class _Draft(FormDraft):
    """The shared draft, and what is entered (conduct or days absent)."""

    COLUMN = ("class_id", "term", "what")

    what: What | None = None

    @classmethod
    def own(cls, raw: dict[str, Any]) -> dict[str, Any]:
        return {"what": next((w for w in What if w.value == raw.get("what")), None)}

    def own_json(self) -> dict[str, Any]:
        return {"what": self.what.value if self.what else None}

    def ended(self) -> str:
        return _("Phiên nhập này đã kết thúc. Gõ /chunhiem để bắt đầu lại.")


async def _draft_class(actor: Actor, draft: _Draft) -> ClassTerm:
    assert draft.class_id is not None
    return await load_class(actor, draft.class_id, draft.term)


@dataclass(frozen=True)
class _Column(ClassColumn[Row, Value]):
    """The class's conduct or days absent of the term: the steps from the class list on."""

    Draft = _Draft
    BUTTONS = BUTTONS
    klass: ClassTerm
    draft: _Draft

    @classmethod
    async def load(cls, actor: Actor, draft: _Draft) -> _Column:
        return cls(await _draft_class(actor, draft), draft)

    @property
    def _what(self) -> What:
        assert self.draft.what is not None
        return self.draft.what

    @property
    def title(self) -> str:
        return self.klass.title

    @property
    def what(self) -> str:
        return self._what.label

    @property
    def class_name(self) -> str:
        return self.klass.school_class.name

    def whole(self) -> Touch:
        return self.klass.whole()

    async def rows(self, student_id: int | None = None) -> list[Row]:
        return await self.klass.rows(student_id)

    async def read(self, actor: Actor) -> list[Row]:
        klass = self.klass
        assert klass.term is not None
        rows = await klass.rows()
        await record_read(actor, klass.school_class, klass.term, len(rows), self._what.value)
        return rows

    def current(self, row: Row) -> str:
        return row.shown(self._what)

    def short(self, row: Row) -> str:
        return row.short(self._what)

    def expected(self) -> str:
        return self.klass.expected(self._what)

    def value_choices(self) -> tuple[Choice, ...]:
        """Conduct's levels as buttons (a level's button gives its code, read like a typed one)."""
        if self._what is not What.CONDUCT:
            return ()
        return tuple(
            Choice(level.label, buttons.HOMEROOM_LEVEL.data(level.value)) for level in Level
        )

    def parse(self, text: str) -> Value:
        return self.klass.parse(self._what, text)

    def stored(self, value: Value) -> str:
        return value.value if isinstance(value, Level) else f"{value[0]}, {value[1]}"

    def shown(self, value: Value) -> str:
        return conduct_shown(value) if isinstance(value, Level) else absences_shown(*value)

    async def write(self, actor: Actor, student_id: int, value: Value) -> bool:
        sc, term = self.klass.school_class, self.klass.term
        assert term is not None
        if isinstance(value, Level):
            entry = gradebook.ConductEntry(student_id, sc, term, value)
            written = await gradebook.write_conducts(actor, [entry])
        else:
            absence = gradebook.AbsenceEntry(student_id, sc, term, *value)
            written = await gradebook.write_absences(actor, [absence])
        return bool(written.changed)

    def next_label(self) -> str:
        return _("➕ Học sinh khác, {what}").format(what=self.what.lower())


# ---------------------------------------------------------------------------------------------
# The steps


async def _term_choices(klass: ClassTerm) -> TermChoices:
    return TermChoices(
        draft=_Draft(class_id=klass.school_class.id).json(),
        title=klass.title,
        choices=await term_choices(klass.school_class.year_id, BUTTONS.term),
    )


async def start(actor: Actor) -> ClassChoices | TermChoices:
    """The classes the person is homeroom teacher of this year (an admin: every class); with
    one class, straight to its terms. A new, empty draft."""
    year = await current_year(actor.school_id)
    classes = SchoolClass.filter(year_id=year.id)
    if not actor.has(Role.ADMIN):
        classes = classes.filter(homeroom_id=actor.staff_id or 0)
    found = await classes.order_by("grade", "name")
    if not found:
        raise NotFound(
            _(
                "Thầy cô không chủ nhiệm lớp nào trong năm học {year}. Nếu phân công chủ nhiệm "
                "sai, hãy báo quản trị học bạ số của trường."
            ).format(year=year.name)
        )
    if len(found) == 1:
        return await _term_choices(await load_class(actor, found[0].id))
    return ClassChoices(
        draft={},
        choices=tuple(Choice(c.name, buttons.HOMEROOM_CLASS.data(c.id)) for c in found),
    )


async def choose_class(actor: Actor, class_id: int) -> TermChoices:
    """A class chosen: its year's terms."""
    return await _term_choices(await load_class(actor, class_id))


async def choose_term(actor: Actor, raw_draft: object, number: int) -> KindChoices | StudentChoices:
    """A term chosen: refused at once if the class's term is locked; else what to enter
    (a primary school goes straight to the days absent)."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id")
    draft = replace(draft, term=number, what=None, student_id=None, value=None)
    klass = await _draft_class(actor, draft)
    await ensure_writable(actor, [klass.whole()])
    offered = kinds(klass.level)
    if len(offered) == 1:
        return await _Column(klass, replace(draft, what=offered[0])).class_list(actor)
    return KindChoices(
        draft=draft.json(),
        title=klass.title,
        choices=tuple(Choice(w.label, buttons.HOMEROOM_KIND.data(w.value)) for w in offered),
    )


async def choose_kind(actor: Actor, raw_draft: object, code: str) -> StudentChoices:
    """Conduct or days absent chosen: the class list with the term's values."""
    draft = _Draft.read(raw_draft)
    draft.need("class_id", "term")
    klass = await _draft_class(actor, draft)
    what = next((w for w in What if w.value == code), None)
    if what is None:
        raise InvalidValue(_("Nút này không còn hiệu lực. Hãy mở lại menu và chọn lại."))
    klass.ensure_kind(what)
    return await _Column(klass, replace(draft, what=what)).class_list(actor)


# The steps from the class list on (core.services.student_form), on conduct or days absent
next_student = _Column.next_student
search_student = _Column.search_student
choose_student = _Column.choose_student
type_value = _Column.type_value
save = _Column.save
