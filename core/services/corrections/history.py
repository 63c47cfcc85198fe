"""A student's cell history (/lichsu): every value a cell had, by whom, under which request,
read from the audit log (the gradebook records every write there)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from core import audit
from core.errors import NotFound, PermissionDenied
from core.i18n import _
from core.models import AuditEvent, School, Staff, Student
from core.services.access import Actor
from core.services.corrections.cells import canonical
from core.services.corrections.views import OVERSEERS
from core.services.schools import subjects_by_name
from core.text import fold


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


@dataclass(frozen=True)
class CellHistory:
    """What /lichsu shows: whose cells, and their lines, oldest first."""

    student: str
    lines: list[HistoryLine]


def _audit_value(values: dict[str, object] | None) -> str | None:
    """A cell's value as the gradebook's audit event recorded it (score or verdict)."""
    if not values:
        return None
    if values.get("verdict") is not None:
        return str(values["verdict"])
    score = values.get("score")
    return None if score is None else canonical(Decimal(str(score)))


def _ensure_overseer(actor: Actor) -> None:
    if not actor.has(*OVERSEERS):
        raise PermissionDenied(_("Lịch sử sửa điểm dành cho Ban giám hiệu và Ban quản trị."))


async def history(
    actor: Actor, student_id: int, subject_id: int | None = None, column: str | None = None
) -> list[HistoryLine]:
    """Every value the student's cells had (narrowed to a subject, a column), oldest first,
    from the audit log; a change made under a correction request names it."""
    student = await Student.get_or_none(id=student_id, school_id=actor.school_id)
    if student is None:
        raise NotFound(_("Không tìm thấy học sinh này."))
    _ensure_overseer(actor)
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
                    lines[index] = replace(lines[index], request=f"SĐ-{event.after['request']}")
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


def _split_words(words: list[str]) -> tuple[str, str | None]:
    """/lichsu's words after the ID: a subject name, then optionally a column (GK, CK, TXn)."""
    words = list(words)
    column = None
    if words and (words[-1].upper() in {"GK", "CK"} or words[-1].upper().startswith("TX")):
        column = words.pop().upper()
    return " ".join(words), column


async def history_of(actor: Actor, national_id: str, words: list[str]) -> CellHistory:
    """The history of the student with this personal ID, narrowed by `words` (see
    `_split_words`): what /lichsu asks for, in one call."""
    _ensure_overseer(actor)
    student = await Student.get_or_none(national_id=national_id, school_id=actor.school_id)
    if student is None:
        raise NotFound(_("Không tìm thấy học sinh có mã định danh {id}.").format(id=national_id))
    name, column = _split_words(words)
    subject_id = None
    if name:
        school = await School.get(id=actor.school_id)
        subject = (await subjects_by_name(school)).get(fold(name))
        if subject is None:
            raise NotFound(_("Trường không có môn «{name}».").format(name=name))
        subject_id = subject.id
    return CellHistory(student.full_name, await history(actor, student.id, subject_id, column))
