"""Requests as people see them: the facts every card, list and minutes show, loaded at once.

`load_views` reads any number of requests with their people, cells and evidence in a fixed
number of queries (a list of twenty requests costs what one does); `view_for` is the door for
a person: only someone involved in the request's school may see it.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

from core import buttons
from core.buttons import Choice
from core.errors import NotFound, PermissionDenied
from core.formatting import roman
from core.i18n import _
from core.models import (
    CellKind,
    CorrectionItem,
    CorrectionRequest,
    Evidence,
    RequestState,
    Role,
    SchoolClass,
    Staff,
    Student,
    Subject,
    Term,
)
from core.services.access import LEADERSHIP, Actor
from core.services.corrections import homeroom
from core.services.corrections.cells import column_of, shown
from core.storage import FileStore

# The order of a request's cells: a sheet's columns as it shows them (a primary subject's by
# assessment point, each point's level before its score: `_place`).
_ORDER = {
    kind: n
    for n, kind in enumerate(
        (
            CellKind.REGULAR,
            CellKind.TOPIC,
            CellKind.MIDTERM,
            CellKind.FINAL,
            CellKind.LEVEL,
            CellKind.SCORE,
            CellKind.CONDUCT,
            CellKind.EXCUSED,
            CellKind.UNEXCUSED,
            CellKind.QUALITY,
        )
    )
}
OVERSEERS = (Role.ADMIN, Role.INSPECTOR, *LEADERSHIP)  # who sees every request of the school


def gone() -> NotFound:
    """What a button naming a request that no longer exists (or is another school's) gets."""
    return NotFound(_("Phiếu sửa điểm này không còn tồn tại."))


@dataclass(frozen=True)
class ItemView:
    id: int
    kind: CellKind
    index: int
    column: str
    old: str | None
    new: str
    applied: str | None
    applied_at: dt.datetime | None

    @property
    def is_mark(self) -> bool:
        """A subject's column (a mark, or a primary level or score), named «Cột …»."""
        return not self.kind.is_homeroom

    def line(self) -> str:
        """The cell and its change as a card lists it (HTML)."""
        name = _("Cột {column}") if self.is_mark else "{column}"
        return _("• {name}: {old} → <b>{new}</b>").format(
            name=name.format(column=html.escape(self.column)),
            old=shown(self.old, self.kind),
            new=shown(self.new, self.kind),
        )


@dataclass(frozen=True)
class RequestView:
    """A request with everything a card, a list or the minutes need, loaded once."""

    request: CorrectionRequest
    teacher: Staff
    student: Student
    school_class: SchoolClass
    subject: Subject | None  # None: the homeroom teacher's data of the term
    term: Term
    items: list[ItemView]
    evidence: list[Evidence]

    @property
    def id(self) -> int:
        return self.request.id

    @property
    def number(self) -> str:
        return self.request.number

    @property
    def state(self) -> RequestState:
        return RequestState(self.request.state)

    def facts(self) -> dict[str, object]:
        """The audited description of the request."""
        return {
            "teacher_id": self.teacher.id,
            "student_id": self.student.id,
            "class_id": self.school_class.id,
            "subject_id": self.subject.id if self.subject else None,
            "term_id": self.term.id,
            "cells": [{"column": i.column, "old": i.old, "new": i.new} for i in self.items],
            "reason": self.request.reason,
            "evidence": [e.sha256 for e in self.evidence],
            "state": self.request.state,
        }

    def changes_line(self) -> str:
        return "; ".join(
            f"{i.column}: {shown(i.old, i.kind)} → {shown(i.new, i.kind)}" for i in self.items
        )

    @property
    def sheet_name(self) -> str:
        """What the request is about besides the student: «môn Ngữ văn», «dữ liệu chủ
        nhiệm»."""
        if self.subject is None:
            return _("dữ liệu chủ nhiệm")
        return _("môn {subject}").format(subject=self.subject.name)

    def title(self) -> str:
        return _("Phiếu {number}: {student}, lớp {klass}, {sheet}, HK{term}").format(
            number=self.request.number,
            student=self.student.full_name,
            klass=self.school_class.name,
            sheet=self.sheet_name,
            term=roman(self.term.number),
        )

    def card(self) -> str:
        """The card (HTML): facts, reason, evidence count, and what was asked and answered."""
        lines = [
            _("📝 <b>Phiếu đề nghị sửa điểm {number}</b>").format(number=self.request.number),
            _("Học sinh: <b>{student}</b>, lớp {klass}").format(
                student=html.escape(self.student.full_name),
                klass=html.escape(self.school_class.name),
            ),
            self._sheet_line(),
        ]
        lines += [i.line() for i in self.items]
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

    def _sheet_line(self) -> str:
        if self.subject is None:
            return _("Dữ liệu của giáo viên chủ nhiệm, học kỳ {term}").format(
                term=roman(self.term.number)
            )
        return _("Môn: {subject}, học kỳ {term}").format(
            subject=html.escape(self.subject.name), term=roman(self.term.number)
        )

    def item(self, item_id: int) -> ItemView:
        """One cell of the request; an id of another request's is a NotFound."""
        found = next((i for i in self.items if i.id == item_id), None)
        if found is None:
            raise NotFound(
                _("Ô điểm này không thuộc phiếu {number}.").format(number=self.request.number)
            )
        return found


def _item_view(item: CorrectionItem) -> ItemView:
    kind = CellKind(item.kind)
    # a quality is what its code names (the index only keeps the request's cells apart)
    known = kind is CellKind.QUALITY and item.quality in homeroom.QUALITY_NAMES
    index = homeroom.quality_index(item.quality) if known else item.index
    return ItemView(
        item.id,
        kind,
        index,
        column_of(kind, index),
        item.old_value,
        item.new_value,
        item.applied_value,
        item.applied_at,
    )


def _place(item: ItemView) -> tuple[int, int, int]:
    """Where a cell comes in its request: by `_ORDER` and index; a primary subject's by its
    point, then level before score."""
    if item.kind.is_primary:
        return _ORDER[CellKind.LEVEL], item.index, _ORDER[item.kind]
    return _ORDER[item.kind], item.index, 0


async def load_views(requests: Sequence[CorrectionRequest]) -> list[RequestView]:
    """The views of `requests`, in their order, in the same few queries whatever their
    number (one per relation)."""
    if not requests:
        return []
    ids = [r.id for r in requests]
    loaded = {
        r.id: r
        for r in await CorrectionRequest.filter(id__in=ids).prefetch_related(
            "teacher", "student", "school_class", "subject", "term"
        )
    }
    items: dict[int, list[ItemView]] = {i: [] for i in ids}
    for item in await CorrectionItem.filter(request_id__in=ids):
        items[item.request_id].append(_item_view(item))  # type: ignore[attr-defined]
    evidence: dict[int, list[Evidence]] = {i: [] for i in ids}
    for file in await Evidence.filter(request_id__in=ids).order_by("id"):
        evidence[file.request_id].append(file)  # type: ignore[attr-defined]
    views = []
    for request_id in ids:
        r = loaded[request_id]
        cells = sorted(items[request_id], key=_place)
        views.append(
            RequestView(
                r,
                r.teacher,
                r.student,
                r.school_class,
                r.subject,
                r.term,
                cells,
                evidence[request_id],
            )
        )
    return views


async def load_view(request_id: int, school_id: int | None = None) -> RequestView:
    """One request (of `school_id`, when given); a missing one is a NotFound."""
    query = CorrectionRequest.filter(id=request_id)
    if school_id is not None:
        query = query.filter(school_id=school_id)
    request = await query.first()
    if request is None:
        raise gone()
    return (await load_views([request]))[0]


async def view_for(actor: Actor, request_id: int) -> RequestView:
    """A request as someone involved may see it: its teacher, the admins, the leadership."""
    view = await load_view(request_id, actor.school_id)
    if actor.staff_id != view.teacher.id and not actor.has(*OVERSEERS):
        raise PermissionDenied(_("Thầy cô không có quyền xem phiếu này."))
    return view


def decision_choices(view: RequestView) -> list[list[Choice]]:
    """What a decider can do with a request waiting for them."""
    return [
        [
            Choice(_("✅ Duyệt"), buttons.REQUEST_APPROVE.data(view.id)),
            Choice(_("❌ Từ chối"), buttons.REQUEST_REJECT.data(view.id)),
        ],
        [Choice(_("❓ Hỏi thêm"), buttons.REQUEST_ASK.data(view.id))],
    ]


@dataclass(frozen=True)
class AlbumFile:
    """One evidence file to show: its bytes and the name to show it under."""

    data: bytes
    name: str


@dataclass(frozen=True)
class Album:
    """A request's evidence to look at (photos together, documents together), then its card
    with the decision buttons while it waits for a decision."""

    view: RequestView
    photos: list[AlbumFile]
    documents: list[AlbumFile]
    choices: list[list[Choice]]


async def evidence_album(actor: Actor, request_id: int, store: FileStore) -> Album:
    """The evidence of a request someone involved opened, read back from the store (each file
    checked against its hash)."""
    view = await view_for(actor, request_id)
    photos = [AlbumFile(store.get(e.sha256), e.name) for e in view.evidence if e.media == "photo"]
    documents = [
        AlbumFile(store.get(e.sha256), e.name or f"{e.sha256[:12]}.pdf")
        for e in view.evidence
        if e.media != "photo"
    ]
    waiting = view.state is RequestState.AT_PRINCIPAL
    return Album(view, photos, documents, decision_choices(view) if waiting else [])
