"""Correction requests: from the teacher's request to the witnessed, relocked, minuted change.

The procedure is the regulations' (000 Điều 8; 001 Điều 17.3; 003 Điều 8):

1. a teacher who teaches the class × subject asks in writing, with evidence (`submit`), before
   the correction cut-off, a week before the lock (`cutoff`), unless the principal allowed a
   late request (`ask_late`, `grant_late`);
2. the admin board compiles and reports to the principal (`forward`, one or several at once),
   or, where the school chose it, the request goes straight to the principal (`set_routing`);
3. the principal, or a vice principal the principal delegated (`delegate`), approves, rejects
   with a reason, or asks the teacher for more (`approve`, `reject`, `ask_more`,
   `supplement`);
4. on approval the witnesses are named (leadership, admin board, people's inspection board,
   the teacher) and confirm (`confirm_witness`); then only the request's cells open, for the
   teacher alone, for a limited time (core.services.locks.open_cell);
5. the teacher sets exactly the approved value (`apply_value`); each cell locks again at once,
   and when the last is done the minutes are drawn up and sent (core.render.minutes); an
   opening that runs out locks again by itself (`expire_sessions`, run by a job).

Every step is checked here, whatever the front end: a second press, a stale button or a
decision on a request that has moved on raises a clear `HocbaError` and changes nothing (state
changes are conditional updates). Every step is audited and its notifications are written to
the outbox in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tortoise.transactions import in_transaction

from core import audit, clock, formatting
from core.errors import HocbaError, InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    AuditEvent,
    CorrectionItem,
    CorrectionRequest,
    CorrectionSettings,
    Delegation,
    Enrollment,
    Evidence,
    LateAllowance,
    Mark,
    MarkKind,
    RequestState,
    Role,
    SchoolClass,
    SchoolYear,
    Staff,
    Student,
    Subject,
    TeachingAssignment,
    Term,
    Witness,
    WitnessRole,
)
from core.models.corrections import PENDING_STATES
from core.rules.catalog import Assessment
from core.rules.secondary import Verdict
from core.services import locks
from core.services.access import LEADERSHIP, Actor, ensure_can_write_subject
from core.services.calendar import load_calendar
from core.services.evidence import MAX_FILES, EvidenceFile
from core.services.gradebook import (
    MarkEntry,
    MarkValue,
    mark_column,
    mark_columns,
    validate_mark,
    write_marks,
)
from core.services.outbox import Attachment, Button, notify_staff
from core.services.schools import current_year
from core.storage import FileStore
from core.text import fold

ACTOR = "corrections"
MAX_REASON = 1000
LATE_DAYS = 3  # how long a principal's late allowance lasts

# Callback data of the buttons the core sends; handlers.corrections parses them (and
# re-checks everything here). "cr<action>:<request id>[:<item id>]".
FORWARD, VIEW, APPROVE, REJECT, ASK, WITNESS, APPLY, SUPPLEMENT, GRANT = "fvarqwxsg"


def callback(action: str, *ids: int) -> str:
    return ":".join([f"cr{action}", *(str(i) for i in ids)])


def _utcnow() -> dt.datetime:
    return clock.now()


# ---------------------------------------------------------------------------------------------
# Values


def canonical(value: MarkValue) -> str:
    """A mark as stored on a request: "8.5", "8", "Đ" (comparable as text)."""
    if isinstance(value, Verdict):
        return value.value
    whole = value == value.to_integral_value()
    return str(value.quantize(Decimal(1) if whole else Decimal("0.1")))


def shown(value: str | None) -> str:
    """A stored value as people read it: 8,5 / Đạt / (trống)."""
    if value is None:
        return _("(trống)")
    if value in (v.value for v in Verdict):
        return Verdict(value).label
    return formatting.score(Decimal(value))


def _stored_value(mark: Mark | None) -> str | None:
    if mark is None:
        return None
    if mark.verdict is not None:
        return Verdict(mark.verdict).value
    return None if mark.score is None else canonical(mark.score)


def column_of(kind: MarkKind | str, index: int) -> str:
    return mark_column(MarkKind(kind), index)


def cell_target(student_id: int, subject_id: int, term_id: int, column: str) -> str:
    """The gradebook's audit target of a cell (what write_marks records and locks open)."""
    return f"mark:{student_id}:{subject_id}:{term_id}:{column}"


# ---------------------------------------------------------------------------------------------
# Who: teachers, deciders, admins, settings


async def settings_of(school_id: int) -> CorrectionSettings:
    found, _created = await CorrectionSettings.get_or_create(school_id=school_id)
    return found


async def set_routing(
    actor: Actor, *, direct: bool, open_minutes: int | None = None
) -> CorrectionSettings:
    """The school's choice: straight to the principal, or through the admin board (default)."""
    if not actor.has(Role.ADMIN, Role.PRINCIPAL):
        raise PermissionDenied(_("Chỉ quản trị hoặc Hiệu trưởng đổi cách chuyển phiếu sửa điểm."))
    if open_minutes is not None and not 5 <= open_minutes <= 240:
        raise InvalidValue(_("Thời gian mở ô điểm phải từ 5 đến 240 phút."))
    async with in_transaction():
        found = await settings_of(actor.school_id)
        before = {"direct": found.direct_to_principal, "minutes": found.open_minutes}
        found.direct_to_principal = direct
        found.open_minutes = open_minutes or found.open_minutes
        found.updated_by = actor.label
        await found.save()
        await audit.record(
            audit.Event(
                actor.label,
                "correction.settings",
                f"school:{actor.school_id}",
                before,
                {"direct": direct, "minutes": found.open_minutes},
            )
        )
    return found


async def _staff_with(school_id: int, *roles: Role) -> list[Staff]:
    return list(
        await Staff.filter(school_id=school_id, active=True, roles__role__in=list(roles))
        .distinct()
        .order_by("id")
    )


async def deciders(school_id: int) -> list[Staff]:
    """Who may decide: the principals and the vice principals they delegated."""
    principals = await _staff_with(school_id, Role.PRINCIPAL)
    delegated = await Delegation.filter(school_id=school_id, revoked_at__isnull=True).values_list(
        "delegate_id", flat=True
    )
    extra = await Staff.filter(id__in=list(delegated), active=True).order_by("id")
    return principals + [s for s in extra if s not in principals]


async def _principal_behind(actor: Actor) -> Staff:
    """The principal on whose authority `actor` decides (themselves, or their delegator)."""
    if actor.staff_id is None:
        raise PermissionDenied(_("Chỉ Hiệu trưởng (hoặc người được ủy quyền) duyệt phiếu."))
    me = await Staff.get(id=actor.staff_id)
    if actor.has(Role.PRINCIPAL):
        return me
    delegation = await Delegation.filter(
        school_id=actor.school_id, delegate_id=actor.staff_id, revoked_at__isnull=True
    ).first()
    if delegation is None or not actor.has(Role.VICE_PRINCIPAL):
        raise PermissionDenied(
            _(
                "Chỉ Hiệu trưởng, hoặc Phó hiệu trưởng được Hiệu trưởng ủy quyền, duyệt phiếu "
                "sửa điểm."
            )
        )
    return await Staff.get(id=delegation.principal_id)


async def ensure_decider(actor: Actor) -> None:
    """Refuse, before asking anything, someone who may not decide requests."""
    await _principal_behind(actor)


async def delegate(actor: Actor, vice_principal: Staff, now: dt.datetime) -> Delegation:
    """The principal lets a vice principal of the school decide correction requests."""
    if not actor.has(Role.PRINCIPAL) or actor.staff_id is None:
        raise PermissionDenied(_("Chỉ Hiệu trưởng ủy quyền duyệt phiếu sửa điểm."))
    is_vp = await vice_principal.roles.filter(role=Role.VICE_PRINCIPAL).exists()
    if vice_principal.school_id != actor.school_id or not is_vp:
        raise PermissionDenied(
            _("{name} không phải Phó hiệu trưởng của trường.").format(name=vice_principal.full_name)
        )
    async with in_transaction():
        created = await Delegation.create(
            school_id=actor.school_id,
            principal_id=actor.staff_id,
            delegate_id=vice_principal.id,
            created_at=now,
        )
        await audit.record(
            audit.Event(
                actor.label,
                "correction.delegate",
                f"staff:{vice_principal.id}",
                after={"delegation": created.id},
            )
        )
    return created


async def revoke_delegation(actor: Actor, vice_principal: Staff, now: dt.datetime) -> int:
    if not actor.has(Role.PRINCIPAL):
        raise PermissionDenied(_("Chỉ Hiệu trưởng ủy quyền duyệt phiếu sửa điểm."))
    async with in_transaction():
        count = await Delegation.filter(
            school_id=actor.school_id, delegate_id=vice_principal.id, revoked_at__isnull=True
        ).update(revoked_at=now)
        await audit.record(
            audit.Event(
                actor.label, "correction.revoke", f"staff:{vice_principal.id}", after={"n": count}
            )
        )
    return count


# ---------------------------------------------------------------------------------------------
# What a teacher may ask about


async def _current_year(school_id: int) -> SchoolYear:
    year = await current_year(school_id)
    if year is None:
        raise NotFound(_("Trường chưa có năm học nào."))
    return year


async def my_classes(actor: Actor) -> list[SchoolClass]:
    """The classes the teacher teaches a subject in (this year)."""
    year = await _current_year(actor.school_id)
    ids = await TeachingAssignment.filter(
        staff_id=actor.staff_id, school_class__year_id=year.id
    ).values_list("school_class_id", flat=True)
    return list(await SchoolClass.filter(id__in=list(ids)).order_by("grade", "name"))


async def my_subjects(actor: Actor, school_class: SchoolClass) -> list[Subject]:
    """The subjects the teacher teaches in the class that have marks (not primary levels)."""
    ids = await TeachingAssignment.filter(
        staff_id=actor.staff_id, school_class_id=school_class.id
    ).values_list("subject_id", flat=True)
    subjects = await Subject.filter(id__in=list(ids)).order_by("name")
    return [s for s in subjects if s.assessment != Assessment.LEVELS]


async def find_students(actor: Actor, school_class: SchoolClass, query: str) -> list[Student]:
    """Students of the class whose name contains `query`, accents and case optional."""
    await _ensure_teaches_class(actor, school_class)
    needle = fold(query)
    enrolled = (
        await Enrollment.filter(school_class=school_class)
        .prefetch_related("student")
        .order_by("number", "id")
    )
    return [e.student for e in enrolled if needle in fold(e.student.full_name)]


async def _ensure_teaches_class(actor: Actor, school_class: SchoolClass) -> None:
    year = await school_class.year
    teaches = await TeachingAssignment.exists(
        staff_id=actor.staff_id, school_class_id=school_class.id
    )
    if year.school_id != actor.school_id or not teaches:
        raise PermissionDenied(
            _("Thầy cô không dạy lớp {klass}, nên không lập phiếu sửa điểm cho lớp này.").format(
                klass=school_class.name
            )
        )


@dataclass(frozen=True)
class Cell:
    """One cell of the gradebook a request is about, loaded and checked."""

    school_class: SchoolClass
    student: Student
    subject: Subject
    term: Term
    kind: MarkKind
    index: int

    @property
    def column(self) -> str:
        return mark_column(self.kind, self.index)

    @property
    def target(self) -> str:
        return cell_target(self.student.id, self.subject.id, self.term.id, self.column)

    def touch(self) -> locks.Touch:
        sc = self.school_class
        return locks.Touch(sc.year_id, self.term.id, sc.id, self.subject.id, self.target)


async def load_cell(
    actor: Actor,
    class_id: int,
    student_id: int,
    subject_id: int,
    term_id: int,
    kind: str = MarkKind.REGULAR,
    index: int = 1,
) -> Cell:
    """The cell, if the actor teaches the subject in the class and the student is in it."""
    school_class = await SchoolClass.get_or_none(id=class_id)
    subject = await Subject.get_or_none(id=subject_id, school_id=actor.school_id)
    if school_class is None or subject is None:
        raise NotFound(_("Không tìm thấy lớp hoặc môn này."))
    await _ensure_teaches_class(actor, school_class)
    await ensure_can_write_subject(actor, school_class, subject)
    student = await Student.get_or_none(id=student_id)
    enrolled = await Enrollment.exists(student_id=student_id, school_class_id=class_id)
    if student is None or not enrolled:
        raise NotFound(_("Học sinh này không thuộc lớp {klass}.").format(klass=school_class.name))
    term = await Term.get_or_none(id=term_id, year_id=school_class.year_id)
    if term is None:
        raise NotFound(_("Không có học kỳ này trong năm học của lớp."))
    kind = MarkKind(kind)
    if (kind, index) not in mark_columns(subject, school_class.grade):
        raise InvalidValue(
            _("Môn {subject} lớp {klass} không có cột {column}.").format(
                subject=subject.name, klass=school_class.name, column=mark_column(kind, index)
            )
        )
    return Cell(school_class, student, subject, term, kind, index)


async def current_value(cell: Cell) -> str | None:
    mark = await Mark.get_or_none(
        student_id=cell.student.id,
        subject_id=cell.subject.id,
        term_id=cell.term.id,
        kind=cell.kind,
        index=cell.index,
    )
    return _stored_value(mark)


async def check_new_value(cell: Cell, raw: str) -> str:
    """The new value, by the same rules as entry, and different from the current one."""
    value = canonical(
        validate_mark(cell.subject, cell.school_class.grade, cell.kind, cell.index, raw)
    )
    if value == await current_value(cell):
        raise InvalidValue(
            _("Giá trị mới {value} trùng giá trị hiện tại: không có gì để sửa.").format(
                value=shown(value)
            )
        )
    return value


# ---------------------------------------------------------------------------------------------
# The cut-off and late requests


async def cutoff(term: Term) -> dt.datetime:
    """The last moment to ask for corrections of a term: a week before its lock (000 Điều 8;
    003 Điều 8.3), as the school's calendar has it."""
    year = await term.year
    calendar = await load_calendar(year)
    return calendar.correction_cutoff(f"lock.term{term.number}")


async def _allowance(actor: Actor, cell: Cell, now: dt.datetime) -> LateAllowance | None:
    return await LateAllowance.filter(
        teacher_id=actor.staff_id,
        school_class_id=cell.school_class.id,
        subject_id=cell.subject.id,
        term_id=cell.term.id,
        granted_at__isnull=False,
        until__gt=now,
        used_by_request_id__isnull=True,
    ).first()


class PastCutoff(HocbaError):
    """A request after the cut-off without the principal's allowance."""


async def ensure_before_cutoff(actor: Actor, cell: Cell, now: dt.datetime) -> LateAllowance | None:
    """None before the cut-off; after it, the principal's unused allowance, or PastCutoff."""
    last = await cutoff(cell.term)
    if now <= last:
        return None
    allowance = await _allowance(actor, cell, now)
    if allowance is None:
        raise PastCutoff(
            _(
                "Đã quá hạn đề nghị sửa điểm học kỳ {term} ({last}: một tuần trước khi khóa sổ). "
                "Chỉ Hiệu trưởng cho phép nộp muộn được: thầy cô có thể xin phép."
            ).format(term=_roman(cell.term.number), last=formatting.date_time(last))
        )
    return allowance


def _roman(number: int) -> str:
    return "I" if number == 1 else "II"


async def ask_late(actor: Actor, cell: Cell, now: dt.datetime) -> LateAllowance:
    """A teacher asks the principal to allow one late request (once per day and scope)."""
    async with in_transaction():
        asked = await LateAllowance.create(
            school_id=actor.school_id,
            teacher_id=actor.staff_id,
            school_class_id=cell.school_class.id,
            subject_id=cell.subject.id,
            term_id=cell.term.id,
            asked_at=now,
        )
        await audit.record(
            audit.Event(actor.label, "correction.late_ask", f"late:{asked.id}", after=_scope(cell))
        )
        teacher = await Staff.get(id=actor.staff_id)
        for person in await deciders(actor.school_id):
            await notify_staff(
                person,
                "correction.late",
                lambda: _(
                    "⏰ {teacher} xin phép lập phiếu sửa điểm sau hạn: lớp {klass}, môn "
                    "{subject}, học kỳ {term}."
                ).format(
                    teacher=html.escape(teacher.full_name),
                    klass=html.escape(cell.school_class.name),
                    subject=html.escape(cell.subject.name),
                    term=_roman(cell.term.number),
                ),
                dedupe_key=f"corr:late:{asked.id}:{person.id}",
                buttons=lambda: [
                    [
                        {
                            "text": _("✅ Cho phép nộp muộn"),
                            "callback_data": callback(GRANT, asked.id),
                        }
                    ]
                ],
                now=now,
            )
    return asked


def _scope(cell: Cell) -> dict[str, int]:
    return {
        "class_id": cell.school_class.id,
        "subject_id": cell.subject.id,
        "term_id": cell.term.id,
    }


async def grant_late(actor: Actor, allowance_id: int, now: dt.datetime) -> LateAllowance:
    """The principal allows one late request, for LATE_DAYS days; a second press says so."""
    await _principal_behind(actor)
    asked = await LateAllowance.get_or_none(id=allowance_id, school_id=actor.school_id)
    if asked is None:
        raise NotFound(_("Không tìm thấy đề nghị nộp muộn này."))
    until = now + dt.timedelta(days=LATE_DAYS)
    async with in_transaction():
        granted = await LateAllowance.filter(id=asked.id, granted_at__isnull=True).update(
            granted_by_id=actor.staff_id, granted_at=now, until=until
        )
        if not granted:
            raise InvalidValue(_("Đề nghị nộp muộn này đã được cho phép rồi."))
        await audit.record(
            audit.Event(
                actor.label, "correction.late_grant", f"late:{asked.id}", after={"until": until}
            )
        )
        teacher = await Staff.get(id=asked.teacher_id)
        await notify_staff(
            teacher,
            "correction.late",
            lambda: _(
                "✅ Hiệu trưởng đã cho phép thầy cô lập một phiếu sửa điểm sau hạn, đến {until}. "
                "Gõ /suadiem để lập phiếu."
            ).format(until=formatting.date_time(until)),
            dedupe_key=f"corr:late-granted:{asked.id}",
            now=now,
        )
    return await LateAllowance.get(id=asked.id)


# ---------------------------------------------------------------------------------------------
# Submitting


@dataclass(frozen=True)
class Change:
    """One cell of a draft: the column and the value asked for (canonical text)."""

    kind: MarkKind
    index: int
    new_value: str


@dataclass(frozen=True)
class Draft:
    """What the teacher filled in, as the bot's flow keeps it until confirmation. `token`
    makes the submission once-only: a repeated or edited submission of it is refused."""

    token: str
    class_id: int
    student_id: int
    subject_id: int
    term_id: int
    changes: tuple[Change, ...]
    reason: str
    evidence: tuple[EvidenceFile, ...]


def new_token() -> str:
    return secrets.token_hex(8)


def _check_evidence(store: FileStore, files: Sequence[EvidenceFile], already: int = 0) -> None:
    if already + len(files) > MAX_FILES:
        raise InvalidValue(_("Mỗi phiếu có tối đa {n} minh chứng.").format(n=MAX_FILES))
    for file in files:
        if not store.exists(file.sha256):
            raise NotFound(
                _("Minh chứng {name} không còn trong kho; hãy gửi lại.").format(
                    name=file.name or file.sha256[:12]
                )
            )


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidValue(_("Hãy ghi lý do sửa điểm."))
    if len(reason) > MAX_REASON:
        raise InvalidValue(_("Lý do dài quá {n} ký tự; hãy viết gọn lại.").format(n=MAX_REASON))
    return reason


async def submit(
    actor: Actor, draft: Draft, store: FileStore, now: dt.datetime | None = None
) -> CorrectionRequest:
    """File the request: everything is checked again (the draft came from a chat), then the
    request, its cells and evidence are stored and sent on, in one transaction."""
    now = now or _utcnow()
    if await CorrectionRequest.exists(draft_token=draft.token):
        raise InvalidValue(
            _("Phiếu này đã được gửi; sau khi gửi không sửa được nữa. Nếu cần, hãy lập phiếu mới.")
        )
    if not draft.changes:
        raise InvalidValue(_("Phiếu chưa có ô điểm nào cần sửa."))
    if not draft.evidence:
        raise InvalidValue(_("Phiếu cần ít nhất một minh chứng (ảnh hoặc tệp)."))
    reason = _check_reason(draft.reason)
    _check_evidence(store, draft.evidence)
    cells = []
    seen = set()
    for change in draft.changes:
        cell = await load_cell(
            actor,
            draft.class_id,
            draft.student_id,
            draft.subject_id,
            draft.term_id,
            change.kind,
            change.index,
        )
        if cell.column in seen:
            raise InvalidValue(_("Cột {column} có hai lần trong phiếu.").format(column=cell.column))
        seen.add(cell.column)
        if await check_new_value(cell, change.new_value) != change.new_value:
            raise InvalidValue(
                _("Giá trị mới của cột {column} không hợp lệ.").format(column=cell.column)
            )
        cells.append((cell, change, await current_value(cell)))
    allowance = await ensure_before_cutoff(actor, cells[0][0], now)
    direct = (await settings_of(actor.school_id)).direct_to_principal
    async with in_transaction():
        request = await CorrectionRequest.create(
            school_id=actor.school_id,
            teacher_id=actor.staff_id,
            student_id=draft.student_id,
            school_class_id=draft.class_id,
            subject_id=draft.subject_id,
            term_id=draft.term_id,
            reason=reason,
            state=RequestState.AT_PRINCIPAL if direct else RequestState.AT_ADMINS,
            created_at=now,
            draft_token=draft.token,
            late_allowance_id=allowance.id if allowance else None,
            forwarded_at=now if direct else None,
        )
        if allowance is not None:
            used = await LateAllowance.filter(
                id=allowance.id, used_by_request_id__isnull=True
            ).update(used_by_request_id=request.id)
            if not used:
                raise InvalidValue(_("Giấy phép nộp muộn này đã được dùng."))
        await CorrectionItem.bulk_create(
            [
                CorrectionItem(
                    request=request,
                    kind=cell.kind,
                    index=cell.index,
                    old_value=old,
                    new_value=change.new_value,
                )
                for cell, change, old in cells
            ]
        )
        await _add_evidence(request, draft.evidence, 0, now)
        view = await load_view(request.id)
        await audit.record(
            audit.Event(
                actor.label, "correction.submit", f"correction:{request.id}", after=view.facts()
            )
        )
        if direct:
            await _send_to_deciders(view, now)
        else:
            await _send_to_admins(view, now)
    return request


async def _add_evidence(
    request: CorrectionRequest, files: Iterable[EvidenceFile], round_: int, now: dt.datetime
) -> None:
    await Evidence.bulk_create(
        [
            Evidence(
                request=request,
                sha256=f.sha256,
                media=f.media,
                mime=f.mime,
                name=f.name,
                size=f.size,
                added_at=now,
                round=round_,
            )
            for f in files
        ]
    )


# ---------------------------------------------------------------------------------------------
# Views: the facts every message and the minutes show


@dataclass(frozen=True)
class ItemView:
    id: int
    kind: MarkKind
    index: int
    column: str
    old: str | None
    new: str
    applied: str | None
    applied_at: dt.datetime | None


@dataclass(frozen=True)
class RequestView:
    """A request with everything a card, a list or the minutes need, loaded once."""

    request: CorrectionRequest
    teacher: Staff
    student: Student
    school_class: SchoolClass
    subject: Subject
    term: Term
    items: list[ItemView]
    evidence: list[Evidence]

    @property
    def id(self) -> int:
        return self.request.id

    @property
    def state(self) -> RequestState:
        return RequestState(self.request.state)

    def facts(self) -> dict[str, object]:
        """The audited description of the request."""
        return {
            "teacher_id": self.teacher.id,
            "student_id": self.student.id,
            "class_id": self.school_class.id,
            "subject_id": self.subject.id,
            "term_id": self.term.id,
            "cells": [{"column": i.column, "old": i.old, "new": i.new} for i in self.items],
            "reason": self.request.reason,
            "evidence": [e.sha256 for e in self.evidence],
            "state": self.request.state,
        }

    def changes_line(self) -> str:
        return "; ".join(f"{i.column}: {shown(i.old)} → {shown(i.new)}" for i in self.items)

    def title(self) -> str:
        return _("Phiếu {number}: {student}, lớp {klass}, môn {subject}, HK{term}").format(
            number=self.request.number,
            student=self.student.full_name,
            klass=self.school_class.name,
            subject=self.subject.name,
            term=_roman(self.term.number),
        )

    def card(self) -> str:
        """The card (HTML): facts, reason, evidence count, and what was asked and answered."""
        lines = [
            _("📝 <b>Phiếu đề nghị sửa điểm {number}</b>").format(number=self.request.number),
            _("Học sinh: <b>{student}</b>, lớp {klass}").format(
                student=html.escape(self.student.full_name),
                klass=html.escape(self.school_class.name),
            ),
            _("Môn: {subject}, học kỳ {term}").format(
                subject=html.escape(self.subject.name), term=_roman(self.term.number)
            ),
        ]
        lines += [
            _("• Cột {column}: {old} → <b>{new}</b>").format(
                column=i.column, old=shown(i.old), new=shown(i.new)
            )
            for i in self.items
        ]
        lines += [
            _("Lý do: {reason}").format(reason=html.escape(self.request.reason)),
            _("Giáo viên: {teacher}").format(teacher=html.escape(self.teacher.full_name)),
            _("Minh chứng: {n} tệp").format(n=len(self.evidence)),
        ]
        if self.request.question:
            lines.append(_("Hiệu trưởng hỏi: {q}").format(q=html.escape(self.request.question)))
        if self.request.answer:
            lines.append(_("Giáo viên trả lời: {a}").format(a=html.escape(self.request.answer)))
        lines.append(_("Trạng thái: {state}").format(state=self.state.label))
        return "\n".join(lines)


async def load_view(request_id: int) -> RequestView:
    request = await CorrectionRequest.get_or_none(id=request_id)
    if request is None:
        raise NotFound(_("Không tìm thấy phiếu sửa điểm này."))
    await request.fetch_related("teacher", "student", "school_class", "subject", "term")
    items = await CorrectionItem.filter(request_id=request.id).order_by("kind", "index")
    order = {MarkKind.REGULAR: 0, MarkKind.MIDTERM: 1, MarkKind.FINAL: 2}
    items = sorted(items, key=lambda i: (order[MarkKind(i.kind)], i.index))
    return RequestView(
        request,
        request.teacher,
        request.student,
        request.school_class,
        request.subject,
        request.term,
        [
            ItemView(
                i.id,
                MarkKind(i.kind),
                i.index,
                column_of(i.kind, i.index),
                i.old_value,
                i.new_value,
                i.applied_value,
                i.applied_at,
            )
            for i in items
        ],
        list(await Evidence.filter(request_id=request.id).order_by("id")),
    )


async def view_for(actor: Actor, request_id: int) -> RequestView:
    """A request as someone involved may see it: its teacher, the admins, the leadership."""
    view = await load_view(request_id)
    if view.request.school_id != actor.school_id:
        raise NotFound(_("Không tìm thấy phiếu sửa điểm này."))
    involved = actor.staff_id == view.teacher.id or actor.has(
        Role.ADMIN, Role.INSPECTOR, *LEADERSHIP
    )
    if not involved:
        raise PermissionDenied(_("Thầy cô không có quyền xem phiếu này."))
    return view


def _decision_buttons(request_id: int, evidence: int) -> list[list[Button]]:
    return [
        [
            {
                "text": _("🖼 Xem minh chứng ({n})").format(n=evidence),
                "callback_data": callback(VIEW, request_id),
            }
        ],
        [
            {"text": _("✅ Duyệt"), "callback_data": callback(APPROVE, request_id)},
            {"text": _("❌ Từ chối"), "callback_data": callback(REJECT, request_id)},
        ],
        [{"text": _("❓ Hỏi thêm"), "callback_data": callback(ASK, request_id)}],
    ]


def decision_buttons(view: RequestView) -> list[list[Button]]:
    return _decision_buttons(view.id, len(view.evidence))


async def _send_to_deciders(view: RequestView, now: dt.datetime) -> None:
    round_ = view.request.rounds
    for person in await deciders(view.request.school_id):
        await notify_staff(
            person,
            "correction.decide",
            view.card,
            dedupe_key=f"corr:{view.id}:decide:{round_}:{person.id}",
            buttons=lambda: decision_buttons(view),
            now=now,
        )


async def _send_to_admins(view: RequestView, now: dt.datetime) -> None:
    for person in await _staff_with(view.request.school_id, Role.ADMIN):
        await notify_staff(
            person,
            "correction.forward",
            lambda: _("📥 Phiếu mới gửi Ban quản trị.") + "\n" + view.card(),
            dedupe_key=f"corr:{view.id}:admins:{person.id}",
            buttons=lambda: [
                [{"text": _("➡️ Chuyển Hiệu trưởng"), "callback_data": callback(FORWARD, view.id)}],
                [
                    {
                        "text": _("🖼 Xem minh chứng ({n})").format(n=len(view.evidence)),
                        "callback_data": callback(VIEW, view.id),
                    }
                ],
            ],
            now=now,
        )


async def _tell(
    staff: Iterable[Staff],
    kind: str,
    key: str,
    text: Callable[[], str],
    now: dt.datetime,
    buttons: Callable[[], list[list[Button]]] | None = None,
    attachment: Attachment | None = None,
) -> None:
    sent: set[int] = set()
    for person in staff:
        if person.id in sent:
            continue
        sent.add(person.id)
        await notify_staff(
            person,
            kind,
            text,
            dedupe_key=f"{key}:{person.id}",
            buttons=buttons,
            attachment=attachment,
            now=now,
        )


# ---------------------------------------------------------------------------------------------
# State changes


async def _move(
    request_id: int,
    school_id: int,
    allowed: Sequence[RequestState],
    **changes: object,
) -> CorrectionRequest:
    """Move a request out of one of `allowed` states, exactly once: a conditional update, so a
    second press, a stale button or a race finds nothing to move and is told why."""
    request = await CorrectionRequest.get_or_none(id=request_id, school_id=school_id)
    if request is None:
        raise NotFound(_("Không tìm thấy phiếu sửa điểm này."))
    moved = await CorrectionRequest.filter(id=request_id, state__in=list(allowed)).update(**changes)
    if not moved:
        state = RequestState(request.state)
        raise InvalidValue(
            _(
                "Phiếu {number} {state}: thao tác này không còn áp dụng, không có gì thay đổi."
            ).format(number=request.number, state=state.label)
        )
    return await CorrectionRequest.get(id=request_id)


async def _event(actor: Actor, action: str, request: CorrectionRequest, **after: object) -> None:
    await audit.record(
        audit.Event(
            actor.label,
            action,
            f"correction:{request.id}",
            after={"state": request.state, **after},
        )
    )


async def forward(
    actor: Actor, request_ids: Sequence[int], now: dt.datetime | None = None
) -> list[CorrectionRequest]:
    """The admin board reports requests to the principal, one or a bundle; requests already
    forwarded or decided are left as they are and named in the error if none moved."""
    now = now or _utcnow()
    if not actor.has(Role.ADMIN):
        raise PermissionDenied(_("Chỉ Ban quản trị chuyển phiếu sửa điểm lên Hiệu trưởng."))
    moved: list[CorrectionRequest] = []
    refusals: list[str] = []
    async with in_transaction():
        for request_id in dict.fromkeys(request_ids):
            try:
                request = await _move(
                    request_id,
                    actor.school_id,
                    (RequestState.AT_ADMINS,),
                    state=RequestState.AT_PRINCIPAL,
                    forwarded_by_id=actor.staff_id,
                    forwarded_at=now,
                )
            except HocbaError as refused:
                refusals.append(str(refused))
                continue
            await _event(actor, "correction.forward", request)
            moved.append(request)
        if not moved:
            raise InvalidValue("\n".join(refusals) or _("Chưa chọn phiếu nào."))
        views = [await load_view(r.id) for r in moved]
        if len(views) > 1:
            await _tell(
                await deciders(actor.school_id),
                "correction.bundle",
                f"corr:bundle:{views[0].id}:{len(views)}:{int(now.timestamp())}",
                lambda: (
                    _("📦 Ban quản trị tổng hợp {n} phiếu đề nghị sửa điểm:").format(n=len(views))
                    + "\n"
                    + "\n".join(f"• {html.escape(v.title())}" for v in views)
                ),
                now,
            )
        for view in views:
            await _send_to_deciders(view, now)
    return moved


async def approve(
    actor: Actor,
    request_id: int,
    now: dt.datetime | None = None,
    witnesses: dict[WitnessRole, Staff] | None = None,
) -> CorrectionRequest:
    """Approve; the witnesses are named (by default: the approver for the leadership, the
    admin who forwarded or the first admin, the first inspection board member, the teacher)
    and asked to confirm in the bot."""
    now = now or _utcnow()
    principal = await _principal_behind(actor)
    request = await CorrectionRequest.get_or_none(id=request_id, school_id=actor.school_id)
    if request is None:
        raise NotFound(_("Không tìm thấy phiếu sửa điểm này."))
    named = await _witnesses(actor, request, witnesses or {})
    async with in_transaction():
        request = await _move(
            request_id,
            actor.school_id,
            (RequestState.AT_PRINCIPAL,),
            state=RequestState.APPROVED,
            decided_by_id=actor.staff_id,
            decided_at=now,
        )
        await Witness.bulk_create(
            [Witness(request=request, role=role, staff=person) for role, person in named.items()]
        )
        await _event(
            actor,
            "correction.approve",
            request,
            principal=principal.id,
            witnesses={role.value: person.id for role, person in named.items()},
        )
        view = await load_view(request.id)
        await _tell(
            named.values(),
            "correction.witness",
            f"corr:{request.id}:witness",
            lambda: _(
                "👁 Phiếu {number} đã được duyệt. Thầy cô được mời chứng kiến việc mở ô điểm "
                "và sửa:\n{card}"
            ).format(number=request.number, card=view.card()),
            now,
            buttons=lambda: [
                [
                    {
                        "text": _("✅ Xác nhận chứng kiến"),
                        "callback_data": callback(WITNESS, request.id),
                    }
                ]
            ],
        )
    return request


async def _witnesses(
    actor: Actor, request: CorrectionRequest, chosen: dict[WitnessRole, Staff]
) -> dict[WitnessRole, Staff]:
    """The four witnesses of 000 Điều 8, each a member of the school in that role; the
    inspection board is left out only where the school has none on record."""
    school_id = actor.school_id
    admins = await _staff_with(school_id, Role.ADMIN)
    inspectors = await _staff_with(school_id, Role.INSPECTOR)
    forwarder = next((a for a in admins if a.id == request.forwarded_by_id), None)
    named: dict[WitnessRole, Staff | None] = {
        WitnessRole.LEADERSHIP: await Staff.get(id=actor.staff_id),
        WitnessRole.ADMIN: forwarder or (admins[0] if admins else None),
        WitnessRole.INSPECTOR: inspectors[0] if inspectors else None,
        WitnessRole.TEACHER: await Staff.get(id=request.teacher_id),
    }
    needs = {
        WitnessRole.LEADERSHIP: LEADERSHIP,
        WitnessRole.ADMIN: {Role.ADMIN},
        WitnessRole.INSPECTOR: {Role.INSPECTOR},
    }
    for role, person in chosen.items():
        if role is WitnessRole.TEACHER:
            raise InvalidValue(_("Người chứng kiến là giáo viên đề nghị sửa: không đổi được."))
        person_roles = {Role(r) for r in await person.roles.all().values_list("role", flat=True)}
        if person.school_id != school_id or not person_roles & needs[role]:
            raise InvalidValue(
                _("{name} không thuộc {role} của trường.").format(
                    name=person.full_name, role=role.label
                )
            )
        named[role] = person
    if named[WitnessRole.ADMIN] is None:
        raise InvalidValue(_("Trường chưa có Ban quản trị học bạ số để chứng kiến việc sửa."))
    return {role: person for role, person in named.items() if person is not None}


async def reject(
    actor: Actor, request_id: int, reason: str, now: dt.datetime | None = None
) -> CorrectionRequest:
    now = now or _utcnow()
    await _principal_behind(actor)
    reason = _check_reason(reason)
    async with in_transaction():
        request = await _move(
            request_id,
            actor.school_id,
            (RequestState.AT_PRINCIPAL, RequestState.NEEDS_INFO),
            state=RequestState.REJECTED,
            decided_by_id=actor.staff_id,
            decided_at=now,
            rejection=reason,
        )
        await _event(actor, "correction.reject", request, reason=reason)
        view = await load_view(request.id)
        await _tell(
            [view.teacher, *await _staff_with(actor.school_id, Role.ADMIN)],
            "correction.rejected",
            f"corr:{request.id}:rejected",
            lambda: _("❌ {title} không được duyệt.\nLý do: {reason}").format(
                title=html.escape(view.title()), reason=html.escape(reason)
            ),
            now,
        )
    return request


async def ask_more(
    actor: Actor, request_id: int, question: str, now: dt.datetime | None = None
) -> CorrectionRequest:
    """The principal asks the teacher for more; the request comes back with the answer."""
    now = now or _utcnow()
    await _principal_behind(actor)
    question = _check_reason(question)
    async with in_transaction():
        current = await CorrectionRequest.get_or_none(id=request_id, school_id=actor.school_id)
        rounds = (current.rounds if current else 0) + 1
        request = await _move(
            request_id,
            actor.school_id,
            (RequestState.AT_PRINCIPAL,),
            state=RequestState.NEEDS_INFO,
            question=question,
            rounds=rounds,
        )
        await _event(actor, "correction.ask", request, question=question)
        view = await load_view(request.id)
        await _tell(
            [view.teacher],
            "correction.ask",
            f"corr:{request.id}:ask:{rounds}",
            lambda: _(
                "❓ Hiệu trưởng cần thêm thông tin về {title}:\n{question}\n\nBấm «Bổ sung» để "
                "trả lời và gửi thêm minh chứng."
            ).format(title=html.escape(view.title()), question=html.escape(question)),
            now,
            buttons=lambda: [
                [{"text": _("📎 Bổ sung"), "callback_data": callback(SUPPLEMENT, request.id)}]
            ],
        )
    return request


async def supplement(
    actor: Actor,
    request_id: int,
    answer: str,
    files: Sequence[EvidenceFile],
    store: FileStore,
    now: dt.datetime | None = None,
) -> CorrectionRequest:
    """The teacher answers (and may add evidence); the request goes back to the principal.
    The cells and values stay as submitted: a request is never edited after submission."""
    now = now or _utcnow()
    request = await CorrectionRequest.get_or_none(id=request_id, school_id=actor.school_id)
    if request is None or request.teacher_id != actor.staff_id:
        raise PermissionDenied(_("Chỉ giáo viên lập phiếu mới bổ sung được."))
    answer = _check_reason(answer)
    _check_evidence(store, files, await Evidence.filter(request_id=request_id).count())
    async with in_transaction():
        request = await _move(
            request_id,
            actor.school_id,
            (RequestState.NEEDS_INFO,),
            state=RequestState.AT_PRINCIPAL,
            answer=answer,
        )
        await _add_evidence(request, files, request.rounds, now)
        await _event(
            actor,
            "correction.supplement",
            request,
            answer=answer,
            evidence=[f.sha256 for f in files],
        )
        await _send_to_deciders(await load_view(request.id), now)
    return request


async def withdraw(
    actor: Actor, request_id: int, now: dt.datetime | None = None
) -> CorrectionRequest:
    """The teacher takes back a request not yet decided."""
    request = await CorrectionRequest.get_or_none(id=request_id, school_id=actor.school_id)
    if request is None or request.teacher_id != actor.staff_id:
        raise PermissionDenied(_("Chỉ giáo viên lập phiếu mới rút được phiếu."))
    async with in_transaction():
        request = await _move(
            request_id, actor.school_id, PENDING_STATES, state=RequestState.WITHDRAWN
        )
        await _event(actor, "correction.withdraw", request)
    return request


# ---------------------------------------------------------------------------------------------
# The witnessed opening and the application


def opening_id(request_id: int, item_id: int) -> str:
    """The lock core's request id of one cell's opening."""
    return f"SĐ-{request_id}/{item_id}"


def _system(school_id: int) -> Actor:
    """The correction flow executing the principal's decision, as the admin board would."""
    return Actor(school_id=school_id, label=ACTOR, roles=frozenset({Role.ADMIN}))


async def _is_locked(school_id: int, cell: Cell, now: dt.datetime) -> bool:
    """Whether a write by nobody in particular would be refused: a lock covers the cell and
    no scope-wide opening lets writes through (a correction opening is per teacher)."""
    try:
        await locks.ensure_writable(_system(school_id), [cell.touch()], now)
    except locks.ScopeLocked:
        return True
    return False


def _cells(view: RequestView) -> list[tuple[ItemView, Cell]]:
    return [
        (
            item,
            Cell(view.school_class, view.student, view.subject, view.term, item.kind, item.index),
        )
        for item in view.items
    ]


async def confirm_witness(
    actor: Actor, request_id: int, store: FileStore, now: dt.datetime | None = None
) -> CorrectionRequest:
    """A witness confirms; when the last one has, the cells open for the teacher alone."""
    now = now or _utcnow()
    request = await CorrectionRequest.get_or_none(id=request_id, school_id=actor.school_id)
    if request is None:
        raise NotFound(_("Không tìm thấy phiếu sửa điểm này."))
    mine = Witness.filter(request_id=request_id, staff_id=actor.staff_id)
    if not await mine.exists():
        raise PermissionDenied(_("Thầy cô không có tên trong danh sách chứng kiến phiếu này."))
    if RequestState(request.state) is not RequestState.APPROVED:
        raise InvalidValue(
            _("Phiếu {number} {state}: không cần xác nhận nữa.").format(
                number=request.number, state=RequestState(request.state).label
            )
        )
    async with in_transaction():
        confirmed = await mine.filter(confirmed_at__isnull=True).update(confirmed_at=now)
        if not confirmed:
            raise InvalidValue(_("Thầy cô đã xác nhận chứng kiến phiếu này rồi."))
        await _event(actor, "correction.witness", request)
        if await Witness.exists(request_id=request_id, confirmed_at__isnull=True):
            return request
        return await _open(request, now)


async def _open(request: CorrectionRequest, now: dt.datetime) -> CorrectionRequest:
    """Every witness confirmed: open each locked cell for the teacher until the time is up."""
    minutes = (await settings_of(request.school_id)).open_minutes
    until = now + dt.timedelta(minutes=minutes)
    request = await _move(
        request.id,
        request.school_id,
        (RequestState.APPROVED,),
        state=RequestState.OPEN,
        opened_at=now,
        open_until=until,
    )
    view = await load_view(request.id)
    decider = await Staff.get(id=request.decided_by_id)
    principal = await _principal_behind(await Actor.of_staff(decider))
    for item, cell in _cells(view):
        if await _is_locked(request.school_id, cell, now):
            await locks.open_cell(
                _system(request.school_id),
                cell.touch(),
                staff=view.teacher,
                request_id=opening_id(request.id, item.id),
                until=until,
                reason=_("Sửa điểm theo phiếu {number} đã được duyệt").format(
                    number=request.number
                ),
                now=now,
                decided_by=principal,
            )
    await _event(_system(request.school_id), "correction.open", request, until=until)
    await _tell(
        [view.teacher],
        "correction.open",
        f"corr:{request.id}:open",
        lambda: _(
            "🔓 Đã đủ người chứng kiến. Ô điểm của phiếu {number} mở cho thầy cô đến {until}. "
            "Bấm từng ô và nhập đúng giá trị đã duyệt."
        ).format(number=request.number, until=formatting.time(until)),
        now,
        buttons=lambda: [
            [
                {
                    "text": _("✏️ Nhập {column} = {new}").format(column=i.column, new=shown(i.new)),
                    "callback_data": callback(APPLY, request.id, i.id),
                }
            ]
            for i in view.items
        ],
    )
    return request


async def apply_value(
    actor: Actor,
    request_id: int,
    item_id: int,
    raw: str,
    store: FileStore,
    now: dt.datetime | None = None,
) -> CorrectionRequest:
    """The teacher writes the approved value into the open cell; any other value is refused.
    The cell locks again at once; after the last one the minutes are drawn up and sent."""
    now = now or _utcnow()
    view = await load_view(request_id)
    request = view.request
    if request.school_id != actor.school_id or actor.staff_id != view.teacher.id:
        raise PermissionDenied(_("Chỉ giáo viên lập phiếu mới sửa được ô điểm này."))
    if RequestState(request.state) is not RequestState.OPEN:
        raise InvalidValue(
            _("Phiếu {number} {state}: ô điểm không mở để sửa.").format(
                number=request.number, state=RequestState(request.state).label
            )
        )
    if request.open_until is None or now >= request.open_until:
        raise InvalidValue(
            _("Đã hết thời gian mở ô điểm của phiếu {number}.").format(number=request.number)
        )
    found = [(i, c) for i, c in _cells(view) if i.id == item_id]
    if not found:
        raise NotFound(_("Ô điểm này không thuộc phiếu {number}.").format(number=request.number))
    item, cell = found[0]
    if item.applied is not None:
        raise InvalidValue(_("Ô {column} đã được sửa rồi.").format(column=item.column))
    value = validate_mark(cell.subject, cell.school_class.grade, cell.kind, cell.index, raw)
    if canonical(value) != item.new:
        raise InvalidValue(
            _("Giá trị được duyệt cho ô {column} là {new}; không ghi giá trị khác.").format(
                column=item.column, new=shown(item.new)
            )
        )
    async with in_transaction():
        applied = await CorrectionItem.filter(id=item.id, applied_at__isnull=True).update(
            applied_value=item.new, applied_at=now
        )
        if not applied:
            raise InvalidValue(_("Ô {column} đã được sửa rồi.").format(column=item.column))
        await write_marks(
            actor,
            [
                MarkEntry(
                    view.student.id,
                    view.school_class,
                    view.subject,
                    view.term,
                    cell.kind,
                    cell.index,
                    value,
                )
            ],
        )
        await audit.record(
            audit.Event(
                actor.label,
                "correction.apply",
                cell.target,
                {"value": item.old},
                {"value": item.new, "request": request.id},
            )
        )
        await locks.close_cell(actor, opening_id(request.id, item.id), now=now)
        if not await CorrectionItem.exists(request_id=request.id, applied_at__isnull=True):
            return await _finish(request, RequestState.APPLIED, store, now, now)
    return await CorrectionRequest.get(id=request.id)


async def _finish(
    request: CorrectionRequest,
    state: RequestState,
    store: FileStore,
    closed_at: dt.datetime,
    now: dt.datetime,
) -> CorrectionRequest:
    """Close the request: relock what is still open, draw up the minutes when something
    changed, and send them to the principal, the admins and the teacher."""
    request = await _move(
        request.id, request.school_id, (RequestState.OPEN,), state=state, closed_at=closed_at
    )
    for item in await CorrectionItem.filter(request_id=request.id, applied_at__isnull=True):
        await locks.close_cell(_system(request.school_id), opening_id(request.id, item.id), now=now)
    view = await load_view(request.id)
    attachment = None
    if any(i.applied for i in view.items):
        digest = await _store_minutes(request.id, store)
        request.minutes_sha256 = digest
        attachment = Attachment(
            _stored_path(store, digest), f"bien-ban-{request.number}.pdf", digest
        )
    await _event(
        _system(request.school_id),
        f"correction.{state.value}",
        request,
        minutes=request.minutes_sha256,
    )
    people = [
        *await deciders(request.school_id),
        *await _staff_with(request.school_id, Role.ADMIN),
        view.teacher,
    ]
    text = (
        (
            lambda: _(
                "🔒 {title}: đã sửa xong, ô điểm đã khóa lại. Biên bản sửa chữa dữ liệu đính kèm."
            ).format(title=html.escape(view.title()))
        )
        if state is RequestState.APPLIED
        else (
            lambda: _(
                "🔒 {title}: hết thời gian mở, ô điểm đã khóa lại. Đã sửa: {done}/{n} ô."
            ).format(
                title=html.escape(view.title()),
                done=sum(1 for i in view.items if i.applied),
                n=len(view.items),
            )
        )
    )
    await _tell(
        people, "correction.minutes", f"corr:{request.id}:done", text, now, attachment=attachment
    )
    return request


def _stored_path(store: FileStore, digest: str) -> Path:
    """Where the store keeps a file (its layout, root/ab/abcd…): the outbox sends from a path
    and checks the hash before sending."""
    return store.root / digest[:2] / digest


async def _store_minutes(request_id: int, store: FileStore) -> str:
    from core.render.minutes import render_minutes

    digest = store.put(render_minutes(await minutes_facts(request_id)))
    await CorrectionRequest.filter(id=request_id).update(minutes_sha256=digest)
    return digest


async def expire_sessions(now: dt.datetime, store: FileStore) -> list[CorrectionRequest]:
    """The job: every opening whose time ran out is locked again and its request closed,
    once (a re-run finds nothing). Minutes are drawn up when a value was applied."""
    expired = []
    for request in await CorrectionRequest.filter(
        state=RequestState.OPEN, open_until__lte=now
    ).order_by("id"):
        try:
            async with in_transaction():
                expired.append(
                    await _finish(request, RequestState.EXPIRED, store, request.open_until, now)
                )
        except InvalidValue:  # another run closed it meanwhile
            continue
    return expired


async def regenerate_minutes(actor: Actor, request_id: int, store: FileStore) -> bytes:
    """The minutes again, from the data (the same facts give the same text)."""
    view = await view_for(actor, request_id)
    if RequestState(view.request.state) not in (RequestState.APPLIED, RequestState.EXPIRED):
        raise InvalidValue(_("Phiếu này chưa có biên bản: việc sửa chưa xong."))
    from core.render.minutes import render_minutes

    return render_minutes(await minutes_facts(request_id))


# ---------------------------------------------------------------------------------------------
# Minutes facts, history, lists


@dataclass(frozen=True)
class WitnessLine:
    role: str
    name: str
    confirmed_at: dt.datetime | None


@dataclass(frozen=True)
class MinutesFacts:
    """Everything the minutes say, read from the data so they can be drawn up again."""

    school_name: str
    province: str
    number: str
    created_at: dt.datetime
    teacher: str
    student: str
    school_class: str
    subject: str
    term: str
    year: str
    reason: str
    items: list[ItemView]
    evidence: list[tuple[str, str, int]]  # name, sha256, size
    approver: str
    approved_at: dt.datetime | None
    opened_at: dt.datetime | None
    closed_at: dt.datetime | None
    witnesses: list[WitnessLine]
    state: RequestState


async def minutes_facts(request_id: int) -> MinutesFacts:
    view = await load_view(request_id)
    request = view.request
    school = await request.school
    year = await view.school_class.year
    approver = await Staff.get_or_none(id=request.decided_by_id) if request.decided_by_id else None
    witnesses = await Witness.filter(request_id=request_id).prefetch_related("staff").order_by("id")
    return MinutesFacts(
        school_name=school.name,
        province=school.province,
        number=request.number,
        created_at=request.created_at,
        teacher=view.teacher.full_name,
        student=view.student.full_name,
        school_class=view.school_class.name,
        subject=view.subject.name,
        term=_roman(view.term.number),
        year=year.name,
        reason=request.reason,
        items=view.items,
        evidence=[(e.name or e.mime, e.sha256, e.size) for e in view.evidence],
        approver=approver.full_name if approver else "",
        approved_at=request.decided_at,
        opened_at=request.opened_at,
        closed_at=request.closed_at,
        witnesses=[
            WitnessLine(WitnessRole(w.role).label, w.staff.full_name, w.confirmed_at)
            for w in witnesses
        ],
        state=RequestState(request.state),
    )


@dataclass(frozen=True)
class HistoryLine:
    """One value a cell had: when, by whom, under which request (None: ordinary entry)."""

    at: dt.datetime
    cell: str
    column: str
    before: str | None
    after: str | None
    by: str
    request: str | None


def _audit_value(values: dict[str, object] | None) -> str | None:
    """A cell's value as the gradebook's audit event recorded it (score or verdict)."""
    if not values:
        return None
    if values.get("verdict") is not None:
        return str(values["verdict"])
    score = values.get("score")
    return None if score is None else canonical(Decimal(str(score)))


async def history(
    actor: Actor, student_id: int, subject_id: int | None = None, column: str | None = None
) -> list[HistoryLine]:
    """Every value the student's cells had (narrowed to a subject, a column), oldest first,
    from the audit log; a change made under a correction request names it."""
    student = await Student.get_or_none(id=student_id, school_id=actor.school_id)
    if student is None:
        raise NotFound(_("Không tìm thấy học sinh này."))
    if not actor.has(Role.ADMIN, Role.INSPECTOR, *LEADERSHIP):
        raise PermissionDenied(_("Lịch sử sửa điểm dành cho Ban giám hiệu và Ban quản trị."))
    prefix = f"mark:{student_id}:" + (f"{subject_id}:" if subject_id else "")
    events = await AuditEvent.filter(
        target__startswith=prefix,
        action__in=["mark.create", "mark.update", "correction.apply"],
    ).order_by("seq")
    names = {f"staff:{s.id}": s.full_name for s in await Staff.filter(school_id=actor.school_id)}
    lines: list[HistoryLine] = []
    for event in events:
        cell_column = event.target.rsplit(":", 1)[1]
        if column and cell_column != column:
            continue
        if event.action == "correction.apply":
            for index in range(len(lines) - 1, -1, -1):
                if lines[index].cell == event.target:
                    number = f"SĐ-{event.after['request']}"
                    lines[index] = HistoryLine(**{**lines[index].__dict__, "request": number})
                    break
            continue
        lines.append(
            HistoryLine(
                event.at,
                event.target,
                cell_column,
                _audit_value(event.before),
                _audit_value(event.after),
                names.get(event.actor, event.actor),
                None,
            )
        )
    await audit.record(
        audit.Event(
            actor.label, "correction.history", f"student:{student_id}", after={"lines": len(lines)}
        )
    )
    return lines


async def requests_by_state(
    actor: Actor, states: Sequence[RequestState] | None = None
) -> dict[RequestState, list[RequestView]]:
    """The school's requests grouped by state, for the admins and the leadership; a teacher
    sees their own."""
    query = CorrectionRequest.filter(school_id=actor.school_id)
    if not actor.has(Role.ADMIN, Role.INSPECTOR, *LEADERSHIP):
        query = query.filter(teacher_id=actor.staff_id)
    if states:
        query = query.filter(state__in=list(states))
    grouped: dict[RequestState, list[RequestView]] = {}
    for request in await query.order_by("id"):
        grouped.setdefault(RequestState(request.state), []).append(await load_view(request.id))
    return grouped


async def pending_for(actor: Actor) -> list[RequestView]:
    """What waits for this person: admins, the requests to forward; deciders, to decide."""
    states: list[RequestState] = []
    if actor.has(Role.ADMIN):
        states.append(RequestState.AT_ADMINS)
    if actor.has(*LEADERSHIP):
        try:
            await _principal_behind(actor)
            states.append(RequestState.AT_PRINCIPAL)
        except PermissionDenied:
            pass
    if not states:
        raise PermissionDenied(_("Danh sách phiếu chờ dành cho Ban quản trị và Hiệu trưởng."))
    grouped = await requests_by_state(actor, states)
    return [v for state in states for v in grouped.get(state, [])]
