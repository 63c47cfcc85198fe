"""Changing the calendar: one value at a time, checked, audited, and never a lock by surprise.

Why: through a Telegram emulator, `/lich lock.year 30/06/2026 17:00` typed exactly as the help
showed it (a year gone by) locked the whole school year within a minute, and a typo
(`/lich lock.term1 01/01/2020`) locked term I for the whole school. So a change is
- checked first (`limits`): inside the school year, within the regulations' deadlines, in order
  with the related dates; a refusal says what range is allowed;
- held when it would make a calendar lock fall now or within `LOCK_NOTICE` (the lock job runs
  every minute): the caller gets a `Held` saying what would lock, whom it touches, and a
  `stamp`; only `set_deadline(..., confirm=stamp)` applies it, and only while the stamp still
  matches what a fresh check finds (same change, same calendar, same locks, within
  `CONFIRM_WINDOW`): a stale or forged confirmation changes nothing.
A confirmed change applies the locks that have fallen at once, so the person sees them locked.

The admins keep the calendar, on the principal's decisions (003, Điều 3, khoản 3 and Điều 6,
khoản 2), so admins and the principal may change it. A change that moves a lock date is the
principal's decision (000 Điều 3: the principal decides when the book locks and opens; 004 Điều
14.2, 15.1): the principal makes it, an admin only executes it naming the principal
(`decided_by`, core.services.calendar.lock_dates). A lock that has fallen cannot be moved
here: opening the book again is a principal's timed decision (core.services.locks.unlock).

Imported as `core.services.calendar.changes`, not re-exported by the package: it asks the
progress and the locks, which themselves read the calendar.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, clock, confirmation, formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import CorrectionRequest, Lock, Role, SchoolClass, SchoolYear, Staff
from core.models.calendar import DeadlineSetting
from core.models.corrections import FINAL_STATES
from core.services import progress
from core.services.access import Actor
from core.services.calendar.deadlines import Calendar, Entry
from core.services.calendar.keys import KEYS, TIME_LOCKS, ValueKind, keys_for
from core.services.calendar.limits import check
from core.services.calendar.lock_dates import lock_date_decision
from core.services.calendar.stored import ensure_school, load_calendar
from core.services.calendar.values import (
    parse_days,
    parse_moment,
    parse_time,
    parse_weekday,
    show_value,
    stored_text,
)
from core.services.locks.check import describe
from core.services.locks.due import apply_calendar_locks
from core.services.locks.scopes import scope_label
from core.services.schools import current_year

LOCK_NOTICE = dt.timedelta(hours=1)  # a lock falling sooner than this is confirmed first
CONFIRM_WINDOW = dt.timedelta(minutes=15)  # how long a confirmation button stays good


@dataclass(frozen=True)
class Falling:
    """A calendar lock the change makes fall now or within `LOCK_NOTICE`."""

    key: str
    at: dt.datetime
    scope: str  # "sổ điểm học kỳ I (năm học 2025-2026)"
    final: bool
    cutoff: dt.datetime  # the correction cut-off before it, once changed


@dataclass(frozen=True)
class Held:
    """A change not applied: it would lock something now or soon. What would lock, who it
    touches, and the `stamp` a confirmation must carry."""

    year: str
    entry: Entry
    falling: tuple[Falling, ...]
    classes: int
    teachers: int  # teachers with unfinished entries in what locks
    missing: int  # cells they still have to enter there
    unassigned: int  # cells missing in sheets no teacher is assigned to
    requests: int  # correction requests still being handled there
    asked_at: dt.datetime
    stamp: str
    stale: bool = False  # a confirmation came, but for another state of things

    def _when(self, falling: Falling) -> str:
        if falling.at <= self.asked_at:
            return _("ngay khi xác nhận (mốc đã qua)")
        minutes = math.ceil((falling.at - self.asked_at).total_seconds() / 60)
        return _("lúc {at}, khoảng {minutes} phút nữa").format(
            at=formatting.date_time(falling.at), minutes=minutes
        )

    def summary(self) -> str:
        """What would lock and whom it touches, in plain text; the front end adds that nothing
        changed yet and how to confirm (a button, or --yes)."""
        lines = []
        if self.stale:
            lines.append(
                _(
                    "Lịch hoặc thời gian đã thay đổi từ lúc hỏi, nên lần xác nhận vừa rồi chưa "
                    "áp dụng gì. Xem lại:"
                )
            )
        lines.append(
            _("⚠️ Đổi «{label}» thành {value} sẽ khóa sổ ngay hoặc trong vòng một giờ tới.").format(
                label=self.entry.label, value=self.entry.value
            )
        )
        lines.append(_("Sẽ khóa:"))
        for falling in self.falling:
            lines.append(
                _("• {scope}, cả {classes} lớp: {when}.").format(
                    scope=falling.scope[:1].upper() + falling.scope[1:],
                    classes=self.classes,
                    when=self._when(falling),
                )
            )
        lines.append(_("Ảnh hưởng:"))
        if self.missing:
            lines.append(
                _(
                    "• {teachers} giáo viên còn nhập dở ({missing} ô điểm còn thiếu) sẽ không "
                    "nhập tiếp được."
                ).format(teachers=self.teachers, missing=self.missing)
            )
        else:
            lines.append(_("• Mọi giáo viên đã nhập đủ điểm trong phạm vi này."))
        if self.unassigned:
            lines.append(
                _("• {n} ô điểm của các môn chưa phân công giáo viên vẫn còn trống.").format(
                    n=self.unassigned
                )
            )
        lines.append(
            _("• {n} phiếu đề nghị sửa điểm đang xử lý.").format(n=self.requests)
            if self.requests
            else _("• Không có phiếu đề nghị sửa điểm nào đang xử lý.")
        )
        cutoff = min(f.cutoff for f in self.falling)
        lines.append(
            _("• Hạn nhận phiếu đề nghị sửa điểm mới sẽ là {cutoff}{passed}.").format(
                cutoff=formatting.date_time(cutoff),
                passed=_(" (đã qua)") if cutoff <= self.asked_at else "",
            )
        )
        if any(f.final for f in self.falling):
            lines.append(
                _(
                    "‼️ Đây là khóa vĩnh viễn: sau mốc này dữ liệu học bạ đã chốt, không ai mở "
                    "lại hay sửa được nữa (Quy chế học bạ số, Điều 25, khoản 4)."
                )
            )
        else:
            lines.append(
                _("Khóa rồi thì chỉ Hiệu trưởng mở lại được, bằng quyết định có lý do và thời hạn.")
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class Changed:
    """A change applied; `locked` says, as sentences, what it locked at once."""

    year: str
    entry: Entry
    locked: tuple[str, ...] = ()


def _parse(calendar: Calendar, key: str, text: str) -> object:
    kind = KEYS[key].kind
    if kind is ValueKind.MOMENT:
        return parse_moment(text, calendar.deadline_time, calendar.moment(key))
    if kind is ValueKind.WEEKDAY:
        return parse_weekday(text)
    if kind is ValueKind.TIME:
        return parse_time(text)
    return parse_days(text)


def _ensure_may_change(actor: Actor, year: SchoolYear) -> None:
    ensure_school(actor, year)
    if not actor.has(Role.ADMIN, Role.PRINCIPAL):
        raise PermissionDenied(
            _("Chỉ quản trị học bạ số hoặc Hiệu trưởng được sửa lịch hạn của trường.")
        )


def _ensure_not_fallen(calendar: Calendar, key: str, recorded: set[str], now: dt.datetime) -> None:
    """A lock whose time has come (recorded by the job, or about to be) stays where it is."""
    for moved in [key, *sorted(calendar.movers(key) - {key})]:
        if moved in TIME_LOCKS and (moved in recorded or calendar.moment(moved) <= now):
            raise InvalidValue(
                _(
                    "«{label}» đã khóa lúc {at}: không dời được nữa. Muốn mở lại cần quyết định "
                    "của Hiệu trưởng, có lý do và thời hạn (/moso, hocba unlock)."
                ).format(label=KEYS[moved].label, at=formatting.date_time(calendar.moment(moved)))
            )


def _falling(before: Calendar, after: Calendar, recorded: set[str], now: dt.datetime) -> list[str]:
    """The calendar locks the change moves to now or within `LOCK_NOTICE`."""
    return [
        key
        for key in TIME_LOCKS
        if key not in recorded
        and after.moment(key) != before.moment(key)
        and after.moment(key) <= now + LOCK_NOTICE
    ]


def _terms(calendar: Calendar, key: str) -> list[int]:
    """The terms a calendar lock closes: its term, or every term for the year's."""
    term = TIME_LOCKS[key][0]
    return [term] if term else sorted(calendar.terms)


async def _held(
    actor: Actor,
    year: SchoolYear,
    after: Calendar,
    entry: Entry,
    falling: list[str],
    *,
    now: dt.datetime,
    stamp: str,
    stale: bool,
) -> Held:
    """Who a lock of these items touches: the teachers with entries still missing in their
    terms, and the correction requests still being handled there."""
    terms = sorted({n for key in falling for n in _terms(after, key)})
    found = await progress.school_progress(actor, year, now=now, terms=terms)
    behind = [group for group in found.by_teacher if group.key is not None and not group.complete]
    unassigned = [group for group in found.by_teacher if group.key is None]
    requests = (
        await CorrectionRequest.filter(
            school_id=year.school_id, term_id__in=[after.terms[n].id for n in terms]
        )
        .exclude(state__in=FINAL_STATES)
        .count()
    )
    return Held(
        year.name,
        entry,
        tuple(
            Falling(
                key,
                after.moment(key),
                scope_label(year.name, TIME_LOCKS[key][0], None, None),
                TIME_LOCKS[key][1],
                after.correction_cutoff(key),
            )
            for key in falling
        ),
        await SchoolClass.filter(year_id=year.id).count(),
        len(behind),
        sum(group.missing for group in behind),
        sum(group.missing for group in unassigned),
        requests,
        now,
        stamp,
        stale,
    )


async def set_deadline(
    actor: Actor,
    year: SchoolYear,
    key: str,
    text: str,
    *,
    confirm: str | None = None,
    now: dt.datetime | None = None,
    decided_by: Staff | None = None,
) -> Changed | Held:
    """Change one calendar value, checked against the year and the other dates; held (not
    applied) when it would make a lock fall now or within `LOCK_NOTICE`, until called again
    with the `Held.stamp` as `confirm`. A change moving a lock date needs the principal's
    decision (the principal's own, or an admin's naming it: `decided_by`). Audited."""
    _ensure_may_change(actor, year)
    now = now or clock.now()
    before = await load_calendar(year)
    if key not in keys_for(before.level):
        raise NotFound(
            _("Không có mục lịch «{key}». Các mục: {keys}.").format(
                key=key, keys=", ".join(keys_for(before.level))
            )
        )
    value = _parse(before, key, text)
    sources = Lock.filter(year_id=year.id, source__startswith="calendar:")
    recorded = {s.removeprefix("calendar:") for s in await sources.values_list("source", flat=True)}
    _ensure_not_fallen(before, key, recorded, now)
    check(before, key, value)
    after = before.changed_to(key, value)
    falling = _falling(before, after, recorded, now)
    spec = KEYS[key]
    entry = Entry(key, spec.label, show_value(spec.kind, value), True, spec.citation)
    decision = await lock_date_decision(
        actor, (before, after), entry, typed=text, decided_by=decided_by
    )
    if falling or confirm is not None:
        facts = (
            actor.label,
            year.id,
            key,
            stored_text(value),
            tuple(sorted((k, stored_text(before.values[k])) for k in before.changed)),
            tuple(sorted(recorded)),
            tuple((k, after.moment(k).isoformat()) for k in falling),
        )
        if not falling:
            raise InvalidValue(
                _(
                    "Xác nhận này không còn hiệu lực: lịch đã thay đổi từ lúc hỏi. Lịch chưa "
                    "thay đổi thêm; xem /lich rồi gõ lại lệnh nếu vẫn cần."
                )
            )
        if not confirmation.holds(confirm, facts, now, CONFIRM_WINDOW):
            stamp = confirmation.stamp_now(facts, now)
            return await _held(
                actor, year, after, entry, falling, now=now, stamp=stamp, stale=confirm is not None
            )
    async with in_transaction():
        await DeadlineSetting.update_or_create(
            year=year, key=key, defaults={"value": stored_text(value), "updated_by": actor.label}
        )
        after_event: dict[str, object] = {"value": stored_text(value)}
        if falling:
            after_event["confirmed_locks"] = falling
        if decision is not None:
            after_event |= decision.audited()
        await audit.record(
            audit.Event(
                actor.label,
                "calendar.set",
                f"calendar:{year.id}:{key}",
                {"value": stored_text(before.values[key])},
                after_event,
            )
        )
    locked = await apply_calendar_locks(await load_calendar(year), now) if falling else []
    return Changed(year.name, entry, tuple([await describe(lock) for lock in locked]))


async def set_current_deadline(
    actor: Actor, key: str, text: str, *, confirm: str | None = None
) -> Changed | Held:
    """/lich MỤC GIÁ_TRỊ: `set_deadline` in the current year (a lock date: the principal's
    own change; an admin executes one from the console, naming the decision)."""
    year = await current_year(actor.school_id)
    return await set_deadline(actor, year, key, text, confirm=confirm)
