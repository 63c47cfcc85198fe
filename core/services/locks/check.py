"""The check every write of the gradebook passes: is any cell it changes in a locked scope?

A cell is writable when no lock covers it, or when every lock over it may be opened (none is
final) and an opening covers it. The refusal names the lock and who can open it. The locks are
those that bind at the moment of the write: the ones recorded, and the calendar's that have
fallen by then even if the lock job has not recorded them yet (core.services.locks.fallen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple, Protocol

from core import clock, formatting
from core.errors import HocbaError
from core.i18n import _
from core.models import Lock, Opening, Role, SchoolClass, Staff, Term
from core.services.access import Actor
from core.services.calendar import KEYS
from core.services.frozen import ensure_not_frozen
from core.services.locks.fallen import binding_locks
from core.services.locks.scopes import scope_label


class _Entry(Protocol):
    @property
    def school_class(self) -> SchoolClass: ...
    @property
    def term(self) -> Term: ...


class _Targeted(Protocol):
    @property
    def target(self) -> str: ...


class Touch(NamedTuple):
    """One cell a write changes: where it is (year, term, class, subject or None for the
    homeroom teacher's data) and `cell`, the gradebook's audit target of that cell. (A tuple:
    a year's import touches 180,000 cells.)"""

    year_id: int
    term_id: int
    class_id: int
    subject_id: int | None
    cell: str

    @classmethod
    def of(cls, entry: _Entry, cell: str) -> Touch:
        """The cell of a gradebook entry (MarkEntry, ConductEntry, ...)."""
        subject = getattr(entry, "subject", None)
        return cls(
            entry.school_class.year_id,
            entry.term.id,
            entry.school_class.id,
            subject.id if subject is not None else None,
            cell,
        )

    @classmethod
    def each(cls, entries: Iterable[_Entry], rows: Iterable[_Targeted]) -> list[Touch]:
        """The cells of a gradebook write: its entries with the rows built from them."""
        return [cls.of(e, r.target) for e, r in zip(entries, rows, strict=True)]


def narrows(row: Lock | Opening, term: int | None, klass: int | None, subject: int | None) -> bool:
    """The lock (or opening) covers everything of (term, class, subject): each of its fields
    is unset (all) or equal."""
    return all(
        mine is None or mine == theirs
        for mine, theirs in (
            (row.term_id, term),
            (row.school_class_id, klass),
            (row.subject_id, subject),
        )
    )


def overlaps(row: Lock | Opening, term: int | None, klass: int | None, subject: int | None) -> bool:
    """The lock and the scope share some cells."""
    return all(
        mine is None or theirs is None or mine == theirs
        for mine, theirs in (
            (row.term_id, term),
            (row.school_class_id, klass),
            (row.subject_id, subject),
        )
    )


class ScopeLocked(HocbaError):
    """A write into a locked scope; the message names the lock and who can open it."""

    def __init__(self, message: str, lock: Lock):
        self.lock = lock
        super().__init__(message)


async def describe(lock: Lock) -> str:
    """The lock as a sentence: what, since when, decided by whom."""
    await lock.fetch_related("year", "term", "school_class", "subject")
    label = scope_label(
        lock.year.name,
        lock.term.number if lock.term else None,
        lock.school_class.name if lock.school_class else None,
        lock.subject.name if lock.subject else None,
    )
    if lock.source.startswith("calendar:"):
        decided = _("theo lịch khóa sổ của trường («{item}»)").format(
            item=KEYS[lock.source.removeprefix("calendar:")].label
        )
    else:
        decided = _("theo quyết định của {who}").format(who=lock.decided_by)
    return _("{scope} đã khóa từ {since}, {decided}").format(
        scope=label[:1].upper() + label[1:],
        since=formatting.date_time(lock.since),
        decided=decided,
    )


async def _principals(school_id: int) -> str:
    names = await Staff.filter(
        school_id=school_id, active=True, roles__role=Role.PRINCIPAL
    ).values_list("full_name", flat=True)
    return ", ".join(sorted(set(names))) or _("(trường chưa khai báo Hiệu trưởng)")


async def _refusal(lock: Lock) -> ScopeLocked:
    description = await describe(lock)
    if lock.final:
        message = _(
            "Không ghi được: {lock}. Sau hạn này dữ liệu học bạ đã chốt và không ai được sửa "
            "nữa (Quy chế học bạ số, Điều 25, khoản 4)."
        ).format(lock=description)
    else:
        message = _(
            "Không ghi được: {lock}. Chỉ Hiệu trưởng ({principal}) mở được: qua phiếu đề nghị "
            "sửa điểm có minh chứng, hoặc quyết định mở có lý do và thời hạn."
        ).format(lock=description, principal=await _principals(lock.year.school_id))
    return ScopeLocked(message, lock)


async def ensure_writable(
    actor: Actor, touched: Iterable[Touch], now: dt.datetime | None = None
) -> None:
    """Refuse, with ScopeLocked, a write that changes any cell of a locked scope at `now`.

    A cell is writable when no lock covers it, or when every lock over it may be opened (none
    is final) and an opening covers it: a principal's opening of a scope containing it, or a
    correction opening of exactly this cell for exactly this actor. The calendar's locks bind
    from their time, whether or not the lock job has recorded them. A class whose year is
    closed for issuance takes only the correction flow's writes (core.services.frozen,
    RecordsFrozen). Four queries when something is locked, three otherwise, whatever the
    number of cells.
    """
    touched = list(touched)
    if not touched:
        return
    now = now or clock.now()
    await ensure_not_frozen(actor, touched, now)  # issued means frozen (001 Điều 24–25)
    years = {t.year_id for t in touched}
    locks = await binding_locks(years, now)
    if not locks:
        return
    openings = await Opening.filter(
        year_id__in=years, closed_at__isnull=True, opened_at__lte=now, until__gt=now
    )
    by_scope: dict[tuple[int, int, int, int | None], list[Touch]] = {}
    for t in touched:
        by_scope.setdefault((t.year_id, t.term_id, t.class_id, t.subject_id), []).append(t)
    for (year_id, term_id, class_id, subject_id), cells in by_scope.items():
        ids = (term_id, class_id, subject_id)
        blocking = [lk for lk in locks if lk.year_id == year_id and narrows(lk, *ids)]
        if not blocking:
            continue
        final = next((lk for lk in blocking if lk.final), None)
        if final is not None:
            raise await _refusal(final)
        scope_open = any(
            o.year_id == year_id and o.cell is None and narrows(o, *ids) for o in openings
        )
        if scope_open:
            continue
        cell_open = {
            o.cell for o in openings if o.cell is not None and o.staff_id == actor.staff_id
        }
        if any(t.cell not in cell_open for t in cells):
            raise await _refusal(min(blocking, key=lambda lk: lk.since))
