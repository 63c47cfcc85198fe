"""The teacher's request form (/suadiem): one core call per step of the conversation.

Class → student (typed, accents optional) → subject, or the homeroom teacher's own data →
term → column (its current value shown) → the new value (more cells if needed) → reason →
evidence → the summary → submitted.

Why it is built this way:
- Each step takes the draft the front end kept (JSON) and the button or text of this step,
  checks everything again (the teacher's assignment or homeroom class, the class list, the
  term's year, the sheet's columns, the cut-off, the typed value) and returns what the step
  shows (a `Step`, whose `stage` is where the conversation goes next) together with the new
  draft. Button data and a kept draft are never trusted: a modified client can send any data,
  and a draft kept across a restart may name a class whose assignment changed since. A stale or
  forged id is a NotFound or PermissionDenied that says what to do, and the draft stays as it
  was.
- The draft is rebuilt from known keys at every step (core.services.corrections.draft), so it
  never grows, whatever it held; the album refusals it remembers are the current album's only.
- The column keyboard reads the sheet once (core.services.corrections.cells): a few queries,
  whatever the number of columns.
- A primary subject's teacher corrects its levels and periodic scores (TT27 Điều 7) as a
  secondary teacher corrects marks: the columns are the term's assessment points, labelled as
  the grade sheet heads them (Mức CHK1, Điểm CHK1).
- The homeroom teacher corrects conduct, days absent and (primary) qualities and competencies
  the same way as marks (000 Điều 8: "GVCN hoặc GVBM lập phiếu"): the class's homeroom teacher
  is offered their data beside the subjects they teach; nobody else is.
- Submitting goes through `submit`, which checks it all once more in one transaction.

What each step shows is in core.services.corrections.steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace

from core import buttons
from core.buttons import Choice
from core.errors import InvalidValue, NotFound
from core.formatting import roman
from core.i18n import _
from core.models import RequestState, SchoolClass, Term
from core.rules.catalog import SchoolLevel
from core.services.access import Actor
from core.services.corrections import homeroom
from core.services.corrections.cells import (
    Sheet,
    class_of,
    hint,
    my_classes,
    my_subjects,
    shown,
    student_in,
    students_named,
    subject_of,
    taught_subjects,
)
from core.services.corrections.cutoff import PastCutoff, ensure_before_cutoff
from core.services.corrections.cutoff import ask_late as ask_principal
from core.services.corrections.draft import KIND_CODES, KINDS, FormDraft
from core.services.corrections.files import receive
from core.services.corrections.steps import (
    ChangeLine,
    ClassChoices,
    ColumnChoices,
    EvidenceAsked,
    FileTaken,
    LateAsked,
    ReasonAsked,
    StudentAsked,
    StudentChoices,
    SubjectChoices,
    Submitted,
    Summary,
    TermChoices,
    TooLate,
    ValueAsked,
    ValueTaken,
)
from core.services.corrections.submit import Change, Draft, check_reason, new_token, submit
from core.services.evidence import MAX_FILES
from core.services.student_form import MAX_MATCHES
from core.storage import FileStore
from core.typed import mark, name_part

# ---------------------------------------------------------------------------------------------
# The steps


async def start(actor: Actor) -> ClassChoices:
    """A new draft, and the classes the teacher teaches (or is homeroom teacher of) this year."""
    classes = await my_classes(actor)
    if not classes:
        raise NotFound(_("Thầy cô chưa được phân công dạy lớp nào nên chưa lập phiếu được."))
    return ClassChoices(
        draft=FormDraft(new_token()).json(),
        choices=tuple(Choice(c.name, buttons.FORM_CLASS.data(c.id)) for c in classes),
    )


async def choose_class(actor: Actor, raw: object, class_id: int) -> StudentAsked:
    draft = FormDraft.read(raw)
    school_class = await class_of(actor, class_id)
    await taught_subjects(actor, school_class)
    return StudentAsked(
        draft=FormDraft(draft.token, class_id=school_class.id).json(), klass=school_class.name
    )


async def search_student(actor: Actor, raw: object, typed: str) -> StudentChoices:
    """Part of a name typed (a long text is refused here, with the limit)."""
    typed = name_part(typed)
    draft = FormDraft.read(raw)
    draft.need("class_id")
    assert draft.class_id
    school_class = await class_of(actor, draft.class_id)
    await taught_subjects(actor, school_class)
    found = await students_named(school_class, typed)
    return StudentChoices(
        draft=draft.json(),
        choices=tuple(
            Choice(s.full_name, buttons.FORM_STUDENT.data(s.id)) for s in found[:MAX_MATCHES]
        ),
        found=len(found),
        typed=typed,
    )


def _homeroom_choice(school_class: SchoolClass) -> Choice:
    """The homeroom teacher's own data, offered beside the subjects."""
    if homeroom.school_level(school_class.grade) is SchoolLevel.PRIMARY:
        text = _("📋 Phẩm chất, năng lực, ngày nghỉ (chủ nhiệm)")
    else:
        text = _("📋 Rèn luyện, ngày nghỉ (chủ nhiệm)")
    return Choice(text, buttons.FORM_HOMEROOM.data())


async def choose_student(actor: Actor, raw: object, student_id: int) -> SubjectChoices:
    draft = FormDraft.read(raw)
    draft.need("class_id")
    assert draft.class_id
    school_class = await class_of(actor, draft.class_id)
    subjects = await my_subjects(actor, school_class)
    student = await student_in(school_class, student_id)
    choices = [Choice(s.name, buttons.FORM_SUBJECT.data(s.id)) for s in subjects]
    if homeroom.is_homeroom_of(actor, school_class):
        choices.append(_homeroom_choice(school_class))
    if not choices:
        raise InvalidValue(
            _("Ở lớp {klass} thầy cô không dạy môn nào có điểm số: không có điểm để sửa.").format(
                klass=school_class.name
            )
        )
    return SubjectChoices(
        draft=FormDraft(draft.token, school_class.id, student.id).json(), choices=tuple(choices)
    )


async def _terms(school_class: SchoolClass, draft: FormDraft) -> TermChoices:
    terms = await Term.filter(year_id=school_class.year_id).order_by("number")
    return TermChoices(
        draft=draft.json(),
        choices=tuple(
            Choice(_("Học kỳ {n}").format(n=roman(t.number)), buttons.FORM_TERM.data(t.id))
            for t in terms
        ),
    )


async def choose_subject(actor: Actor, raw: object, subject_id: int) -> TermChoices:
    draft = FormDraft.read(raw)
    draft.need("class_id", "student_id")
    assert draft.class_id and draft.student_id
    school_class = await class_of(actor, draft.class_id)
    subject = await subject_of(actor, school_class, subject_id)
    student = await student_in(school_class, draft.student_id)
    return await _terms(
        school_class, FormDraft(draft.token, school_class.id, student.id, subject.id)
    )


async def choose_homeroom(actor: Actor, raw: object) -> TermChoices:
    """The homeroom teacher's own data of the student (conduct, days absent, qualities);
    anyone but the class's homeroom teacher is refused."""
    draft = FormDraft.read(raw)
    draft.need("class_id", "student_id")
    assert draft.class_id and draft.student_id
    school_class = await class_of(actor, draft.class_id)
    homeroom.ensure_homeroom(actor, school_class)
    student = await student_in(school_class, draft.student_id)
    return await _terms(
        school_class, FormDraft(draft.token, school_class.id, student.id, homeroom=True)
    )


async def _columns(draft: FormDraft, sheet: Sheet) -> ColumnChoices:
    """The columns still free, labelled with their current values (one read of the sheet)."""
    taken = {(c.kind, c.index) for c in draft.changes}
    values = await sheet.values()
    free = [column for column in sheet.columns() if column not in taken]
    if not free:
        raise InvalidValue(_("Mọi cột đã có trong phiếu. Bấm «Tiếp: lý do» để tiếp tục."))
    return ColumnChoices(
        draft=draft.json(),
        choices=tuple(
            Choice(
                f"{sheet.cell(kind, index).column} ({shown(values[(kind, index)], kind)})",
                buttons.FORM_COLUMN.data(KIND_CODES[kind], index),
            )
            for kind, index in free
        ),
    )


async def choose_term(
    actor: Actor, raw: object, term_id: int, now: dt.datetime | None = None
) -> ColumnChoices | TooLate:
    """The columns to choose from; after the cut-off, the way to ask the principal."""
    read = FormDraft.read(raw)
    read.need_sheet()
    draft = replace(FormDraft(read.token), **_sheet_keys(read), term_id=term_id)
    sheet = await draft.sheet(actor)
    try:
        await ensure_before_cutoff(actor, sheet.cell(*sheet.columns()[0]), now)
    except PastCutoff as late:
        return TooLate(
            draft=draft.json(),
            refusal=str(late),
            choices=(Choice(_("🙏 Xin phép nộp muộn"), buttons.FORM_ASK_LATE.data()),),
        )
    return await _columns(draft, sheet)


def _sheet_keys(draft: FormDraft) -> dict[str, object]:
    return {
        "class_id": draft.class_id,
        "student_id": draft.student_id,
        "subject_id": draft.subject_id,
        "homeroom": draft.homeroom,
    }


async def ask_late(actor: Actor, raw: object, now: dt.datetime | None = None) -> LateAsked:
    """Past the cut-off: ask the principal to allow one late request; the form ends."""
    draft = FormDraft.read(raw)
    sheet = await draft.sheet(actor)
    await ask_principal(actor, sheet.cell(*sheet.columns()[0]), now)
    return LateAsked(draft=None)


async def add_cell(actor: Actor, raw: object) -> ColumnChoices:
    """Another cell of the same student, sheet and term."""
    draft = FormDraft.read(raw)
    return await _columns(replace(draft, pending=None), await draft.sheet(actor))


async def choose_column(actor: Actor, raw: object, kind_code: str, index: int) -> ValueAsked:
    draft = FormDraft.read(raw)
    sheet = await draft.sheet(actor)
    kind = KINDS.get(kind_code)
    if kind is None:
        raise NotFound(_("Không có cột này. Bấm một cột trong danh sách."))
    cell = sheet.cell(kind, index)
    if any((c.kind, c.index) == (kind, index) for c in draft.changes):
        raise InvalidValue(_("Cột {column} đã có trong phiếu.").format(column=cell.column))
    current = (await sheet.values())[(kind, index)]
    return ValueAsked(
        draft=replace(draft, pending=(kind, index)).json(),
        column=cell.column,
        current=shown(current, kind),
        hint=hint(kind),
    )


async def enter_value(actor: Actor, raw: object, typed: str) -> ValueTaken:
    """The typed value (a text too long to be a value is refused first), checked by the entry
    rules and against the current one."""
    typed = mark(typed)
    draft = FormDraft.read(raw)
    draft.need("pending")
    assert draft.pending
    sheet = await draft.sheet(actor)
    cell = sheet.cell(*draft.pending)
    value = cell.check(typed, await sheet.values())
    changes = (*draft.changes, Change(cell.kind, cell.index, value))
    return ValueTaken(
        draft=replace(draft, changes=changes, pending=None).json(),
        column=cell.column,
        value=shown(value, cell.kind),
        choices=(
            Choice(_("➕ Thêm ô khác"), buttons.FORM_ADD_CELL.data()),
            Choice(_("➡️ Tiếp: lý do"), buttons.FORM_TO_REASON.data()),
        ),
    )


async def to_reason(actor: Actor, raw: object) -> ReasonAsked:
    draft = FormDraft.read(raw)
    draft.need("changes")
    await draft.sheet(actor)
    return ReasonAsked(draft=replace(draft, pending=None).json())


def done_button() -> tuple[Choice, ...]:
    return (Choice(_("✔️ Xong"), buttons.FORM_FILES_DONE.data()),)


async def enter_reason(actor: Actor, raw: object, typed: str) -> EvidenceAsked:
    draft = FormDraft.read(raw)
    draft.need("changes")
    await draft.sheet(actor)
    return EvidenceAsked(
        draft=replace(draft, reason=check_reason(typed)).json(),
        max_files=MAX_FILES,
        choices=done_button(),
    )


async def add_file(
    actor: Actor,
    raw: object,
    store: FileStore,
    *,
    size: int | None,
    name: str | None,
    album_id: str | None,
    fetch: Callable[[], Awaitable[bytes]],
) -> FileTaken:
    """One photo or document offered as evidence (`fetch` downloads it, once it is known to
    fit)."""
    draft = FormDraft.read(raw)
    draft.need("changes", "reason")
    got = await receive(
        draft.evidence, draft.album, store, size=size, name=name, album_id=album_id, fetch=fetch
    )
    return FileTaken(
        draft=replace(draft, evidence=got.files, album=got.album).json(),
        accepted=got.accepted,
        refusal=got.refusal,
        count=len(got.files),
        max_files=MAX_FILES,
        choices=done_button(),
    )


async def files_done(actor: Actor, raw: object) -> Summary:
    """The whole request, checked again, to confirm."""
    draft = FormDraft.read(raw)
    draft.need("changes", "reason")
    if not draft.evidence:
        raise InvalidValue(_("Phiếu cần ít nhất một minh chứng. Hãy gửi ảnh hoặc tệp PDF."))
    sheet = await draft.sheet(actor)
    values = await sheet.values()
    lines = []
    for change in draft.changes:
        cell = sheet.cell(change.kind, change.index)
        current = values[(cell.kind, cell.index)]
        cell.check(change.new_value, values)
        lines.append(
            ChangeLine(cell.column, shown(current, cell.kind), shown(change.new_value, cell.kind))
        )
    return Summary(
        draft=replace(draft, album=None).json(),
        student=sheet.student.full_name,
        klass=sheet.school_class.name,
        subject=sheet.subject.name if sheet.subject else None,
        term=roman(sheet.term.number),
        changes=tuple(lines),
        reason=draft.reason,
        files=len(draft.evidence),
        choices=(Choice(_("📨 Gửi phiếu"), buttons.FORM_SUBMIT.data()),),
    )


async def send(
    actor: Actor, raw: object, store: FileStore, now: dt.datetime | None = None
) -> Submitted:
    """Submit the draft (core.services.corrections.submit checks it all once more)."""
    draft = FormDraft.read(raw)
    draft.need_sheet()
    draft.need("term_id", "changes", "reason")
    assert draft.class_id and draft.student_id and draft.term_id
    request = await submit(
        actor,
        Draft(
            draft.token,
            draft.class_id,
            draft.student_id,
            draft.subject_id,
            draft.term_id,
            draft.changes,
            draft.reason,
            draft.evidence,
        ),
        store,
        now,
    )
    return Submitted(draft=None, number=request.number, state=RequestState(request.state).label)
