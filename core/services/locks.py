"""Locking the gradebook (khóa sổ): who decides, how it falls, and the check every write passes.

- The principal decides when the book locks and opens (regulation 003, Điều 3, khoản 3; 000,
  the principal decides lock/unlock); the admins execute (003, Điều 6, khoản 2). So `lock` and
  `unlock` take an actor who is the principal, or an admin naming the principal who decided.
- The calendar's locks fall by themselves: `apply_due_locks(now)`, run by a job (and scheduled
  at `Calendar.next_change`), records each fallen lock once, whatever the number of runs.
- Unlocking is only ever temporary: a principal's decision with a reason and an end time, or
  the correction flow's single cell for one teacher (`open_cell`). At the end time the scope is
  locked again by the check itself; `apply_due_locks` then records the relock and tells people.
- After the supplementary-results deadline the lock is final: data may not change any more
  (001, Điều 25, khoản 4), so no opening is honoured under it.

`ensure_writable` is called by every write function of core.services.gradebook, so the bot,
the spreadsheet import and the command line are all refused the same way. Every lock, opening
and relock is audited, and the affected teachers are notified through the outbox, in the same
transaction as the change.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from tortoise.transactions import in_transaction

from core import audit, clock, formatting
from core.errors import HocbaError, InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    Lock,
    LockScope,
    Opening,
    Role,
    SchoolClass,
    SchoolYear,
    Staff,
    Subject,
    TeachingAssignment,
    Term,
)
from core.services.access import Actor
from core.services.calendar import KEYS, Calendar, load_calendar
from core.services.outbox import notify_staff
from core.services.schools import find_class, parse_class_name, subjects_by_name
from core.text import fold

CALENDAR_ACTOR = "calendar"
NOTIFY_LOCK = "lock"
NOTIFY_OPEN = "lock.open"
NOTIFY_RELOCK = "lock.relock"


def _utcnow() -> dt.datetime:
    return clock.now()


# ---------------------------------------------------------------------------------------------
# Scopes


@dataclass(frozen=True)
class Scope:
    """What to lock or open: the year, narrowed by a term, a class, a class's subject."""

    year: SchoolYear
    term: Term | None = None
    school_class: SchoolClass | None = None
    subject: Subject | None = None

    def __post_init__(self) -> None:
        if self.subject is not None and self.school_class is None:
            raise InvalidValue(_("Khóa theo môn cần nêu cả lớp, ví dụ: 6A Toán."))

    @property
    def kind(self) -> LockScope:
        if self.subject is not None:
            return LockScope.SUBJECT
        if self.school_class is not None:
            return LockScope.CLASS
        return LockScope.TERM if self.term is not None else LockScope.YEAR

    @property
    def ids(self) -> tuple[int | None, int | None, int | None]:
        """(term, class, subject) ids, None where the scope takes all."""
        return (
            self.term.id if self.term else None,
            self.school_class.id if self.school_class else None,
            self.subject.id if self.subject else None,
        )

    @property
    def key(self) -> str:
        return scope_key(self.year.id, *self.ids)

    @property
    def label(self) -> str:
        return scope_label(
            self.year.name,
            self.term.number if self.term else None,
            self.school_class.name if self.school_class else None,
            self.subject.name if self.subject else None,
        )


def scope_key(
    year_id: int, term: int | None, klass: int | None, subject: int | None, final: bool = False
) -> str:
    """The unique name of a locked scope: one lock per scope (and one final lock per year)."""
    parts = [str(year_id), *("-" if i is None else str(i) for i in (term, klass, subject))]
    return ":".join(parts) + (":final" if final else "")


def scope_label(year: str, term: int | None, school_class: str | None, subject: str | None) -> str:
    """ "sổ điểm lớp 6A, môn Toán, học kỳ I (năm học 2025-2026)" as people say it."""
    parts = []
    if school_class:
        parts.append(_("lớp {name}").format(name=school_class))
    if subject:
        parts.append(_("môn {name}").format(name=subject))
    if term:
        parts.append(_("học kỳ {term}").format(term="I" if term == 1 else "II"))
    where = ", ".join(parts)
    if not where:
        return _("sổ điểm cả năm học {year}").format(year=year)
    return _("sổ điểm {where} (năm học {year})").format(where=where, year=year)


_YEAR_WORDS = frozenset({"nam", "namhoc", "year", "ca", "canam"})
_TERM_WORD = re.compile(r"^(?:hk|hocki|hocky|term|ki|ky)?(1|2|i|ii)$")


async def parse_scope(year: SchoolYear, words: Iterable[str]) -> Scope:
    """A scope as an admin types it: "năm" (or nothing) for the year, "HK1"/"II" for a term,
    a class name, and a subject after the class: "6A Toán HK1", "HK2", "9B".

    Words are matched without accents or case; everything that is neither a term nor the
    class is the subject's name ("6A Tin học").
    """
    term = school_class = None
    subject_words = []
    school = await year.school
    for word in words:
        key = re.sub(r"[^a-z0-9]", "", fold(word))
        term_match = _TERM_WORD.match(key)
        if key in _YEAR_WORDS:
            continue
        if term_match and term is None:
            number = 1 if term_match.group(1) in ("1", "i") else 2
            term = await Term.get(year=year, number=number)
        elif school_class is None and re.match(r"^\d", word):
            parse_class_name(school, word)
            school_class = await find_class(year, word)
        else:
            subject_words.append(word)
    subject = None
    if subject_words:
        name = " ".join(subject_words)
        subject = (await subjects_by_name(school)).get(fold(name))
        if subject is None:
            raise NotFound(_("Trường không có môn «{name}».").format(name=name))
    return Scope(year, term, school_class, subject)


# ---------------------------------------------------------------------------------------------
# The check every write goes through


class _Entry(Protocol):
    @property
    def school_class(self) -> SchoolClass: ...
    @property
    def term(self) -> Term: ...


class _Targeted(Protocol):
    @property
    def target(self) -> str: ...


@dataclass(frozen=True)
class Touch:
    """One cell a write changes: where it is (year, term, class, subject or None for the
    homeroom teacher's data) and `cell`, the gradebook's audit target of that cell."""

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


def _narrows(row: Lock | Opening, term: int | None, klass: int | None, subject: int | None) -> bool:
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


def _overlaps(
    row: Lock | Opening, term: int | None, klass: int | None, subject: int | None
) -> bool:
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


async def _describe(lock: Lock) -> str:
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
    description = await _describe(lock)
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
    correction opening of exactly this cell for exactly this actor. Two queries when something
    is locked, one otherwise, whatever the number of cells.
    """
    touched = list(touched)
    if not touched:
        return
    now = now or _utcnow()
    years = {t.year_id for t in touched}
    locks = await Lock.filter(year_id__in=years)
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
        blocking = [lk for lk in locks if lk.year_id == year_id and _narrows(lk, *ids)]
        if not blocking:
            continue
        final = next((lk for lk in blocking if lk.final), None)
        if final is not None:
            raise await _refusal(final)
        scope_open = any(
            o.year_id == year_id and o.cell is None and _narrows(o, *ids) for o in openings
        )
        if scope_open:
            continue
        cell_open = {
            o.cell for o in openings if o.cell is not None and o.staff_id == actor.staff_id
        }
        if any(t.cell not in cell_open for t in cells):
            raise await _refusal(min(blocking, key=lambda lk: lk.since))


# ---------------------------------------------------------------------------------------------
# Deciding: lock, unlock, the correction's single cell


@dataclass(frozen=True)
class Decision:
    """Who decided, as stored and shown."""

    name: str
    staff_id: int | None


async def _decision(actor: Actor, decided_by: Staff | None) -> Decision:
    """The principal decides; an admin executes on the principal's decision, naming them."""
    if actor.has(Role.PRINCIPAL) and actor.staff_id is not None and decided_by is None:
        me = await Staff.get(id=actor.staff_id)
        return Decision(_("Hiệu trưởng {name}").format(name=me.full_name), me.id)
    if not actor.has(Role.ADMIN, Role.PRINCIPAL):
        raise PermissionDenied(
            _("Chỉ Hiệu trưởng quyết định khóa, mở sổ; quản trị học bạ số thực hiện.")
        )
    if decided_by is None:
        raise InvalidValue(
            _(
                "Quản trị thực hiện khóa, mở sổ theo quyết định của Hiệu trưởng: "
                "hãy nêu người quyết định."
            )
        )
    is_principal = await decided_by.roles.filter(role=Role.PRINCIPAL).exists()
    if decided_by.school_id != actor.school_id or not is_principal:
        raise PermissionDenied(
            _(
                "{name} không phải Hiệu trưởng của trường, không quyết định khóa, mở sổ được."
            ).format(name=decided_by.full_name)
        )
    return Decision(_("Hiệu trưởng {name}").format(name=decided_by.full_name), decided_by.id)


async def _affected(
    year_id: int, term: int | None, klass: int | None, subject: int | None
) -> list[Staff]:
    """Teachers whose writing a scope concerns: the subject teachers assigned in it, and the
    homeroom teachers of its classes unless it is one subject's."""
    assignments = TeachingAssignment.filter(school_class__year_id=year_id)
    classes = SchoolClass.filter(year_id=year_id)
    if klass is not None:
        assignments = assignments.filter(school_class_id=klass)
        classes = classes.filter(id=klass)
    if subject is not None:
        assignments = assignments.filter(subject_id=subject)
    ids = set(await assignments.values_list("staff_id", flat=True))
    if subject is None:
        ids |= {i for i in await classes.values_list("homeroom_id", flat=True) if i}
    return list(await Staff.filter(id__in=sorted(ids), active=True).order_by("id"))


async def _notify(
    staff: Iterable[Staff], kind: str, key: str, text: Callable[[], str], now: dt.datetime
) -> None:
    for person in staff:
        await notify_staff(person, kind, text, dedupe_key=f"{key}:{person.id}", now=now)


def _lock_event(lock: Lock, actor: str, action: str = "lock.apply") -> audit.Event:
    return audit.Event(
        actor,
        action,
        f"lock:{lock.id}",
        after={
            "scope": lock.key,
            "since": lock.since,
            "source": lock.source,
            "decided_by": lock.decided_by,
            "reason": lock.reason,
            "final": lock.final,
        },
    )


async def _announce_lock(lock: Lock, now: dt.datetime) -> None:
    description = await _describe(lock)
    staff = await _affected(lock.year_id, lock.term_id, lock.school_class_id, lock.subject_id)

    def text() -> str:
        return _(
            "🔒 {lock}.\nTừ nay không nhập, sửa điểm trong phạm vi này được nữa. Nếu cần sửa, hãy "
            "lập phiếu đề nghị sửa điểm kèm minh chứng để Hiệu trưởng xem xét."
        ).format(lock=html.escape(description))

    await _notify(staff, NOTIFY_LOCK, f"lock:{lock.id}", text, now)


async def lock(
    actor: Actor,
    scope: Scope,
    *,
    now: dt.datetime,
    decided_by: Staff | None = None,
    reason: str = "",
) -> Lock:
    """Lock a scope from `now` on the principal's decision; audited, teachers told."""
    if scope.year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    decision = await _decision(actor, decided_by)
    async with in_transaction():
        existing = await Lock.get_or_none(key=scope.key)
        if existing is not None:
            raise InvalidValue(_("Đã khóa rồi: {lock}.").format(lock=await _describe(existing)))
        term, klass, subject = scope.ids
        created = await Lock.create(
            year_id=scope.year.id,
            scope=scope.kind,
            term_id=term,
            school_class_id=klass,
            subject_id=subject,
            key=scope.key,
            since=now,
            source="decision",
            decided_by=decision.name,
            decided_by_staff_id=decision.staff_id,
            executed_by=actor.label,
            reason=reason.strip(),
        )
        await audit.record(_lock_event(created, actor.label))
        await _announce_lock(created, now)
    return created


async def _apply_calendar_locks(
    year: SchoolYear, calendar: Calendar, now: dt.datetime
) -> list[Lock]:
    """Record the calendar's fallen locks of a year that are not recorded yet."""
    applied = []
    terms = {n: t.id for n, t in calendar.terms.items()}
    for key, at, term, final in calendar.time_locks(now):
        term_id = terms[term] if term else None
        async with in_transaction():
            created_lock, created = await Lock.get_or_create(
                key=scope_key(year.id, term_id, None, None, final),
                defaults={
                    "year_id": year.id,
                    "scope": LockScope.TERM if term else LockScope.YEAR,
                    "term_id": term_id,
                    "since": at,
                    "source": f"calendar:{key}",
                    "decided_by": "",
                    "executed_by": CALENDAR_ACTOR,
                    "final": final,
                },
            )
            if created:
                await audit.record(_lock_event(created_lock, CALENDAR_ACTOR))
                await _announce_lock(created_lock, now)
                applied.append(created_lock)
    return applied


def _opening_label(opening: Opening) -> str:
    return scope_label(
        opening.year.name,
        opening.term.number if opening.term else None,
        opening.school_class.name if opening.school_class else None,
        opening.subject.name if opening.subject else None,
    )


def _opening_event(opening: Opening, actor: str, action: str) -> audit.Event:
    return audit.Event(
        actor,
        action,
        f"opening:{opening.id}",
        after={
            "term_id": opening.term_id,
            "class_id": opening.school_class_id,
            "subject_id": opening.subject_id,
            "cell": opening.cell,
            "staff_id": opening.staff_id,
            "request_id": opening.request_id,
            "from": opening.opened_at,
            "until": opening.until,
            "reason": opening.reason,
            "decided_by": opening.decided_by,
            "closed_at": opening.closed_at,
        },
    )


async def _ensure_openable(
    year: SchoolYear,
    ids: tuple[int | None, int | None, int | None],
    until: dt.datetime,
    now: dt.datetime,
) -> None:
    """Something under the scope is locked, nothing final is, and the opening ends in time."""
    if until <= now:
        raise InvalidValue(_("Thời hạn mở phải sau thời điểm hiện tại."))
    calendar = await load_calendar(year)
    await _apply_calendar_locks(year, calendar, now)
    locks = [lk for lk in await Lock.filter(year_id=year.id) if _overlaps(lk, *ids)]
    if not locks:
        raise NotFound(_("Phạm vi này đang không bị khóa: không cần mở."))
    final = calendar.moment("supplementary.end")
    if any(lk.final for lk in locks) or until > final:
        raise InvalidValue(
            _(
                "Không mở được sau {final}: từ đó dữ liệu học bạ đã chốt, không được sửa "
                "(Quy chế học bạ số, Điều 25, khoản 4)."
            ).format(final=formatting.date_time(final))
        )


async def unlock(
    actor: Actor,
    scope: Scope,
    *,
    reason: str,
    until: dt.datetime,
    now: dt.datetime,
    decided_by: Staff | None = None,
) -> Opening:
    """Open a locked scope until `until` on the principal's decision, with its reason; the
    scope locks again by itself at `until`. Audited; the affected teachers are told."""
    if scope.year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    if not reason.strip():
        raise InvalidValue(_("Mở sổ cần ghi lý do."))
    decision = await _decision(actor, decided_by)
    await _ensure_openable(scope.year, scope.ids, until, now)
    term, klass, subject = scope.ids
    async with in_transaction():
        opening = await Opening.create(
            year_id=scope.year.id,
            term_id=term,
            school_class_id=klass,
            subject_id=subject,
            opened_at=now,
            until=until,
            reason=reason.strip(),
            decided_by=decision.name,
            decided_by_staff_id=decision.staff_id,
            executed_by=actor.label,
        )
        await audit.record(_opening_event(opening, actor.label, "lock.open"))
        staff = await _affected(scope.year.id, term, klass, subject)
        label = scope.label

        def text() -> str:
            return _(
                "🔓 {scope} được mở đến {until} theo quyết định của {who}.\nLý do: {reason}.\n"
                "Sau thời hạn này sổ tự khóa lại."
            ).format(
                scope=html.escape(label[:1].upper() + label[1:]),
                until=formatting.date_time(until),
                who=html.escape(decision.name),
                reason=html.escape(reason.strip()),
            )

        await _notify(staff, NOTIFY_OPEN, f"open:{opening.id}", text, now)
    return opening


async def open_cell(
    actor: Actor,
    cell: Touch,
    *,
    staff: Staff,
    request_id: str,
    until: dt.datetime,
    reason: str,
    now: dt.datetime,
    decided_by: Staff | None = None,
) -> Opening:
    """The correction flow's primitive: open exactly one cell, for exactly one teacher, until
    `until`, for an approved correction request (003, Điều 8, khoản 2: unlock, the teacher
    edits, the admin relocks at once). Only `staff` may write it meanwhile; `close_cell` locks
    it again as soon as the value is applied. One opening per request id."""
    year = await SchoolYear.get(id=cell.year_id)
    if year.school_id != actor.school_id or staff.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    decision = await _decision(actor, decided_by)
    await _ensure_openable(year, (cell.term_id, cell.class_id, cell.subject_id), until, now)
    async with in_transaction():
        if await Opening.exists(request_id=request_id):
            raise InvalidValue(
                _("Phiếu {request} đã được mở ô điểm một lần rồi.").format(request=request_id)
            )
        opening = await Opening.create(
            year_id=year.id,
            term_id=cell.term_id,
            school_class_id=cell.class_id,
            subject_id=cell.subject_id,
            cell=cell.cell,
            staff_id=staff.id,
            request_id=request_id,
            opened_at=now,
            until=until,
            reason=reason,
            decided_by=decision.name,
            decided_by_staff_id=decision.staff_id,
            executed_by=actor.label,
        )
        await audit.record(_opening_event(opening, actor.label, "lock.cell_open"))
    return opening


async def close_cell(actor: Actor, request_id: str, *, now: dt.datetime) -> bool:
    """Lock a correction's cell again (right after the teacher applied the value); False if
    it was already closed. Audited."""
    async with in_transaction():
        opening = await Opening.get_or_none(request_id=request_id, closed_at__isnull=True)
        if opening is None:
            return False
        await Opening.filter(id=opening.id).update(closed_at=now)
        opening.closed_at = now
        await audit.record(_opening_event(opening, actor.label, "lock.cell_close"))
    return True


async def _relock(opening: Opening, now: dt.datetime) -> bool:
    """Record that an opening ended: once, audited, teachers told (not for a single cell:
    the correction flow writes its own minutes)."""
    async with in_transaction():
        if not await Opening.filter(id=opening.id, closed_at__isnull=True).update(
            closed_at=opening.until
        ):
            return False
        opening.closed_at = opening.until
        action = "lock.cell_close" if opening.cell else "lock.relock"
        await audit.record(_opening_event(opening, CALENDAR_ACTOR, action))
        if opening.cell is None:
            await opening.fetch_related("year", "term", "school_class", "subject")
            label = _opening_label(opening)
            staff = await _affected(
                opening.year_id, opening.term_id, opening.school_class_id, opening.subject_id
            )

            def text() -> str:
                return _("🔒 Hết thời hạn mở: {scope} đã khóa lại từ {until}.").format(
                    scope=html.escape(label[:1].upper() + label[1:]),
                    until=formatting.date_time(opening.until),
                )

            await _notify(staff, NOTIFY_RELOCK, f"relock:{opening.id}", text, now)
    return True


@dataclass
class Applied:
    """What one run of `apply_due_locks` did."""

    locked: list[Lock]
    relocked: list[Opening]


async def apply_due_locks(now: dt.datetime, school_id: int | None = None) -> Applied:
    """The lock job: record every calendar lock that has fallen by `now` and every opening
    that has ended, each exactly once, however often it runs (a re-run, or two workers, find
    them recorded). A calendar lock binds writes from the moment this records it; an opening's
    end binds at once (`ensure_writable` compares it with the clock), and this run makes the
    relock visible: audit events and the teachers' notifications."""
    years = SchoolYear.all() if school_id is None else SchoolYear.filter(school_id=school_id)
    applied = Applied([], [])
    for year in await years.order_by("id"):
        applied.locked += await _apply_calendar_locks(year, await load_calendar(year), now)
    ended = Opening.filter(closed_at__isnull=True, until__lte=now)
    if school_id is not None:
        ended = ended.filter(year__school_id=school_id)
    for opening in await ended.order_by("until", "id"):
        if await _relock(opening, now):
            applied.relocked.append(opening)
    return applied


@dataclass(frozen=True)
class LockState:
    """A lock as views show it, with the openings running under it."""

    lock: Lock
    description: str
    openings: list[Opening]


async def lock_states(actor: Actor, year: SchoolYear, now: dt.datetime) -> list[LockState]:
    """The year's locks and their current openings, oldest first; anyone of the school sees
    them (a teacher needs to know why a write is refused)."""
    if year.school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với trường này."))
    openings = await Opening.filter(
        year_id=year.id, closed_at__isnull=True, opened_at__lte=now, until__gt=now
    )
    states = []
    for row in await Lock.filter(year_id=year.id).order_by("since", "id"):
        ids = (row.term_id, row.school_class_id, row.subject_id)
        running = [o for o in openings if _overlaps(o, *ids)]
        states.append(LockState(row, await _describe(row), running))
    return states
