"""Issued means frozen: a class whose year is closed for issuance takes no write but a correction.

Regulation 001 Điều 24.5: once the year ends the records are signed through the whole chain
over the data as it stands; Điều 25.3: a mistake found after that is fixed by replacing the
issued record, and Điều 4.4: every change of the data needs the approval of whoever has the
authority. So from the principal's close of a class's year (core.services.issuance.closing)
its gradebook refuses every write (a teacher's, an admin's, an import's, the bot's) except the
correction flow's: a cell opened for one approved correction request, for its one teacher
(core.services.locks.cells.open_cell). A completed correction then gets the student's record
re-issued as a new version (core.services.issuance.reissue).

`ensure_not_frozen` is called by the check every write passes (core.services.locks.check), so
no write path can forget it. One query when no class touched is closed, three otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.errors import HocbaError
from core.i18n import _, ngettext
from core.models import ClassClosure, IssuedRecord, Opening, RecordState, SchoolClass

if TYPE_CHECKING:
    from core.services.access import Actor
    from core.services.locks.check import Touch

NAMED = 3  # records named one by one in a refusal; the rest are counted


class RecordsFrozen(HocbaError):
    """A write into a class whose year is closed for issuance, outside the correction flow;
    the message names the closed class, its records, and the way to correct (/suadiem)."""


def student_of(cell: str) -> int | None:
    """The student a gradebook cell belongs to: every target is `kind:student:...`
    ("mark:12:3:1:TX2", "conduct:12:1"); None for a whole sheet ("")."""
    parts = cell.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


async def _opened_cells(actor: Actor, class_ids: set[int], now: dt.datetime) -> set[str]:
    """The cells the correction flow has opened for this actor now (never for nobody). The
    moment is compared in UTC: SQLite compares stored moments as text."""
    if actor.staff_id is None:
        return set()
    now = now.astimezone(dt.UTC)
    cells = await Opening.filter(
        school_class_id__in=sorted(class_ids),
        cell__isnull=False,
        staff_id=actor.staff_id,
        closed_at__isnull=True,
        opened_at__lte=now,
        until__gt=now,
    ).values_list("cell", flat=True)
    return set(cells)


def _record_names(records: Sequence[IssuedRecord]) -> str:
    named = [
        _("{name} (mã {code}, phiên bản {version})").format(
            name=r.student.full_name, code=r.code, version=r.version
        )
        for r in records[:NAMED]
    ]
    more = len(records) - NAMED
    if more > 0:
        named.append(ngettext("và {n} học bạ khác", "và {n} học bạ khác", more).format(n=more))
    return ", ".join(named)


async def _refusal(closure: ClassClosure, students: set[int]) -> RecordsFrozen:
    """Names the class and the records the write would contradict: the
    touched students' when known, else the class's."""
    school_class: SchoolClass = closure.school_class
    year = await school_class.year
    records = IssuedRecord.filter(school_class=school_class, state=RecordState.ISSUED)
    if students:
        records = records.filter(student_id__in=sorted(students))
    issued = await records.order_by("code").prefetch_related("student")
    if issued:
        what = _("học bạ đã phát hành: {records}").format(records=_record_names(issued))
    else:
        what = _("học bạ của lớp đang được ký để phát hành")
    return RecordsFrozen(
        _(
            "Không ghi được: lớp {klass} đã chốt năm học {year} để phát hành học bạ ({what}). "
            "Từ đó sổ điểm của lớp chỉ được sửa qua phiếu đề nghị sửa điểm được Hiệu trưởng "
            "duyệt: lập phiếu bằng /suadiem (kèm minh chứng); sửa xong, học bạ được lập phiên "
            "bản mới thay thế (Quy chế học bạ số, Điều 24 khoản 5, Điều 25 khoản 3)."
        ).format(klass=school_class.name, year=year.name, what=what)
    )


async def class_closed(class_id: int | None) -> bool:
    """Whether the class's year is closed for issuance: its gradebook then takes only the
    correction flow's writes, so a correction's cell is opened even where no lock covers it."""
    return class_id is not None and await ClassClosure.exists(school_class_id=class_id)


async def ensure_not_frozen(actor: Actor, touched: Sequence[Touch], now: dt.datetime) -> None:
    """Refuse, with RecordsFrozen, a write that changes any cell of a closed class, unless
    the correction flow opened exactly that cell for exactly this actor."""
    class_ids = {t.class_id for t in touched}
    closures = {
        c.school_class_id: c  # type: ignore[attr-defined]
        for c in await ClassClosure.filter(school_class_id__in=sorted(class_ids))
    }
    if not closures:
        return
    frozen = [t for t in touched if t.class_id in closures]
    opened = await _opened_cells(actor, set(closures), now)
    refused = [t for t in frozen if not t.cell or t.cell not in opened]
    if not refused:
        return
    closure = closures[refused[0].class_id]
    await closure.fetch_related("school_class")
    mine = (t.cell for t in refused if t.class_id == refused[0].class_id)
    students = {s for s in map(student_of, mine) if s is not None}
    raise await _refusal(closure, students)
