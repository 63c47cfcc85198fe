"""Who moves a lock date: the principal decides, an admin executes naming the decision.

Regulation 000 Điều 3 gives the principal the decision of when the record book locks and
opens ("Quyết định thời điểm khóa/mở học bạ số"); the admins lock and open "theo chỉ đạo của
Hiệu trưởng" (000 Điều 6; 004 Điều 14.2: "theo yêu cầu của Hiệu trưởng"), and 004 Điều 15.1
has the principal decide the year's lock. A calendar lock date is exactly when the book locks,
so a change that moves one is the principal's decision: the principal's own (/lich), or an
admin's at the console naming it (`hocba calendar set ... --decided-by`), audited with it. The
other items (entry deadlines, the weekday of regular marks, ...) stay the admins' to keep.

A change moves a lock date when any calendar lock's moment differs after it: the lock's own
key, the year's lock that term II's follows, or the hour day-dates fall at.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import PermissionDenied
from core.i18n import _
from core.models import Role, Staff
from core.services.access import Actor
from core.services.calendar.deadlines import Calendar, Entry
from core.services.calendar.keys import KEYS, TIME_LOCKS
from core.services.locks.decisions import decide


@dataclass(frozen=True)
class LockDateDecision:
    """The principal's decision a lock-date change was made on, and the locks it moved."""

    name: str  # "Hiệu trưởng Đỗ Thị Hiệu"
    staff_id: int | None
    moved: tuple[str, ...]

    def audited(self) -> dict[str, object]:
        """What the change's audit event adds: who decided, and which lock dates moved."""
        return {
            "decided_by": self.name,
            "decided_by_staff": self.staff_id,
            "lock_dates": list(self.moved),
        }


def moved_locks(before: Calendar, after: Calendar) -> list[str]:
    """The calendar locks whose moment the change moves."""
    return [key for key in TIME_LOCKS if after.moment(key) != before.moment(key)]


async def lock_date_decision(
    actor: Actor,
    change: tuple[Calendar, Calendar],
    entry: Entry,
    *,
    typed: str,
    decided_by: Staff | None,
) -> LockDateDecision | None:
    """None when the change (`before`, `after`) moves no lock date; else the principal's
    decision it is made on. Refused, saying who decides and how to proceed, for an admin who
    names no decision; `decided_by` must be the school's principal (locks.decide)."""
    moved = moved_locks(*change)
    if not moved:
        return None
    if decided_by is None and not actor.has(Role.PRINCIPAL):
        raise PermissionDenied(
            _(
                "Ngày khóa sổ do Hiệu trưởng quyết định (Quy chế 000 Điều 3; 004 Điều 15.1): đổi "
                "«{label}» sẽ dời {locks}. Lịch chưa thay đổi. Hãy đề nghị Hiệu trưởng đổi bằng "
                "/lich {key} {value}; khi Hiệu trưởng đã quyết định, quản trị thực hiện trên máy "
                "chủ: hocba calendar set {key} {value} --decided-by MÃ_HIỆU_TRƯỞNG."
            ).format(
                label=entry.label,
                locks=", ".join(f"«{KEYS[key].label}»" for key in moved),
                key=entry.key,
                value=typed,
            )
        )
    decision = await decide(actor, decided_by)
    return LockDateDecision(decision.name, decision.staff_id, tuple(moved))
