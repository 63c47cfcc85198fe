"""Reminder rounds, escalation digests, manual reminders, snoozes and the "done" check.

A round looks at the deadlines whose reminder moment fell since the previous round, and sends
each teacher with something missing ONE message listing all their gaps; complete teachers get
nothing. Everything goes through the outbox with keys derived from the round's reminders, so a
round that is re-run (after a crash, or twice by mistake) sends nothing twice. Messages due at
night are held until the morning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from core import buttons, clock, formatting
from core.buttons import Choice
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import Role, School, Staff
from core.services import outbox
from core.services.access import LEADERSHIP, Actor
from core.services.calendar import Deadline, DeadlineKind, load_calendar
from core.services.progress import Group, Sheet, school_progress, teacher_progress
from core.services.schools import current_year, current_year_if_any

# Deadlines about entering marks; correction cut-offs and milestones have their own flows.
GAP_KINDS = frozenset({DeadlineKind.REGULAR, DeadlineKind.PERIODIC, DeadlineKind.ENTRY})
MAX_LINES = 25  # a phone screen or two; "Chi tiết" shows the rest


@dataclass(frozen=True)
class QuietHours:
    """No message to teachers at night (school time): what falls inside waits for `end`."""

    start: dt.time
    end: dt.time

    def defer(self, at: dt.datetime) -> dt.datetime:
        local = clock.local(at)
        wall = local.timetz().replace(tzinfo=None)
        overnight = self.start > self.end
        inside = (
            (wall >= self.start or wall < self.end)
            if overnight
            else (self.start <= wall < self.end)
        )
        if not inside:
            return at
        day = local.date() + dt.timedelta(days=1 if overnight and wall >= self.start else 0)
        return dt.datetime.combine(day, self.end, local.tzinfo).astimezone(dt.UTC)


@dataclass
class RoundResult:
    """What a round did, for the job's log and the tests."""

    reminders: list[str] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)


def job_actor(school: School) -> Actor:
    """The scheduled jobs act with the admin's reading rights, logged as "job"."""
    return Actor(school_id=school.id, label="job", roles=frozenset({Role.ADMIN}))


def _short_key(parts: Iterable[str]) -> str:
    return hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()[:16]


def describe(sheets: Sequence[Sheet], by: dt.datetime | None = None) -> list[str]:
    """One line per sheet with gaps: "6A — Toán, HK I: TX3 (12 HS), GK (40 HS)"."""
    lines = []
    for sheet in sheets:
        gaps = sheet.due_by(by) if by else sheet.gaps
        if gaps:
            columns = ", ".join(
                _("{column} ({n} HS)").format(column=g.column, n=g.count) for g in gaps
            )
            lines.append(
                _("• {klass} — {subject}, HK {term}: {columns}").format(
                    klass=sheet.class_name,
                    subject=sheet.subject_name,
                    term="I" * sheet.term,
                    columns=columns,
                )
            )
    if len(lines) > MAX_LINES:
        rest = len(lines) - MAX_LINES
        lines = [*lines[:MAX_LINES], _("… và {n} mục khác (bấm «Chi tiết»).").format(n=rest)]
    return lines


def _button(label: str, data: str) -> outbox.Button:
    return {"text": label, "callback_data": data}


def reminder_buttons() -> list[list[outbox.Button]]:
    """The answers a teacher gives a reminder (callback data handled by handlers.reminders)."""
    return [
        [
            _button(_("🔎 Chi tiết"), buttons.REMINDER_DETAILS.data()),
            _button(_("✅ Đã nhập xong"), buttons.REMINDER_DONE.data()),
        ],
        [
            _button(_("📄 Gửi bảng điểm"), buttons.REMINDER_TEMPLATES.data()),
            _button(_("⏰ Nhắc lại sau"), buttons.REMINDER_SNOOZE.data()),
        ],
    ]


def _remind_all_buttons() -> list[list[outbox.Button]]:
    return [[_button(_("📣 Nhắc tất cả người trễ"), buttons.PROGRESS_REMIND_ALL.data())]]


def _reminder_text(deadlines: Sequence[Deadline], sheets: Sequence[Sheet], by: dt.datetime):
    def build() -> str:
        head = [_("⏰ <b>Nhắc hạn nhập điểm</b>")]
        head += [
            _("• {label}: {when}").format(label=d.label, when=formatting.date_time(d.at))
            for d in deadlines
        ]
        return "\n".join([*head, "", _("Thầy cô còn thiếu:"), *describe(sheets, by)])

    return build


async def _notify_teacher(staff: Staff, text, key: str, deliver_at: dt.datetime) -> None:
    await outbox.notify_staff(
        staff, "reminder", text, dedupe_key=key, buttons=reminder_buttons, now=deliver_at
    )


async def run_round(
    school: School, *, since: dt.datetime, now: dt.datetime, quiet: QuietHours
) -> RoundResult:
    """Remind every teacher with gaps for the deadlines whose reminder fell in (since, now],
    and escalate the deadlines that passed in that span."""
    result = RoundResult()
    year = await current_year_if_any(school.id)
    if year is None:  # nothing is due in a school without a year
        return result
    calendar = await load_calendar(year)
    due = [r for r in calendar.reminders_due(since, now) if r.deadline.kind in GAP_KINDS]
    passed = [d for d in calendar.passed(since, now) if d.kind in GAP_KINDS]
    if not (due or passed):
        return result
    progress = await school_progress(job_actor(school), year, now=now)
    teachers = {g.key: g for g in progress.by_teacher if g.key is not None}
    staff = {s.id: s for s in await Staff.filter(id__in=list(teachers))}
    deliver_at = quiet.defer(now)
    async with in_transaction():
        if due:
            deadlines = sorted({r.deadline for r in due}, key=lambda d: d.at)
            horizon = max(d.at for d in deadlines)
            round_key = _short_key(r.dedupe_key for r in due)
            result.reminders = [r.dedupe_key for r in due]
            for staff_id, group in teachers.items():
                if any(s.due_by(horizon) for s in group.sheets):
                    await _notify_teacher(
                        staff[staff_id],
                        _reminder_text(deadlines, group.sheets, horizon),
                        f"reminder:{school.id}:{staff_id}:{round_key}",
                        deliver_at,
                    )
                    result.reminded.append(staff_id)
        for deadline in passed:
            late = [g for g in teachers.values() if any(s.due_by(deadline.at) for s in g.sheets)]
            if late:
                await _escalate(school, deadline, late, deliver_at)
                result.escalated.append(deadline.key)
    return result


async def _escalate(
    school: School, deadline: Deadline, late: Sequence[Group], deliver_at: dt.datetime
) -> None:
    """A digest of late teachers, and of whom the bot could not reach, to admins and leaders."""
    unreachable = sorted(
        {n.staff_id for n in await outbox.undeliverable(school.id) if n.staff_id is not None}
    )
    names = dict(await Staff.filter(id__in=unreachable).values_list("id", "full_name"))
    recipients = await Staff.filter(
        school_id=school.id,
        active=True,
        roles__role__in=[Role.ADMIN, Role.PRINCIPAL, Role.VICE_PRINCIPAL],
    ).distinct()

    def build() -> str:
        lines = [
            _("⚠️ <b>Quá hạn: {label}</b> ({when})").format(
                label=deadline.label, when=formatting.date_time(deadline.at)
            ),
            _("{n} giáo viên chưa nhập xong:").format(n=len(late)),
        ]
        for group in late[:MAX_LINES]:
            missing = sum(len(g.students) for s in group.sheets for g in s.due_by(deadline.at))
            lines.append(_("• {name}: thiếu {n} ô điểm").format(name=group.name, n=missing))
        if unreachable:
            lines += [
                "",
                _("Trợ lý không gửi được tin cho: {names}.").format(
                    names=", ".join(names[i] for i in unreachable)
                ),
            ]
        return "\n".join(lines)

    for recipient in recipients:
        await outbox.notify_staff(
            recipient,
            "escalation",
            build,
            dedupe_key=f"escalation:{school.id}:{deadline.key}:{recipient.id}",
            buttons=_remind_all_buttons,
            now=deliver_at,
        )


async def _current_gaps(actor: Actor, staff_id: int, now: dt.datetime) -> Group:
    year = await current_year(actor.school_id)
    return await teacher_progress(actor, year, now=now, staff_id=staff_id)


async def remind(
    actor: Actor, staff_ids: Sequence[int], *, now: dt.datetime, quiet: QuietHours
) -> list[int]:
    """An admin's or leader's one-tap reminder to some teachers; returns who had gaps."""
    if not actor.has(Role.ADMIN, *LEADERSHIP):
        raise PermissionDenied(_("Chỉ Ban giám hiệu và quản trị học bạ số được nhắc giáo viên."))
    sent = []
    deliver_at = quiet.defer(now)
    async with in_transaction():
        for staff_id in staff_ids:
            staff = await Staff.get_or_none(id=staff_id, school_id=actor.school_id, active=True)
            if staff is None:  # a stale or forged button
                raise NotFound(
                    _("Giáo viên này không còn trong danh sách của trường. Hãy mở lại tiến độ.")
                )
            group = await _current_gaps(actor, staff_id, now)
            if not any(s.gaps for s in group.sheets):
                continue
            await _notify_teacher(
                staff,
                _gaps_text(lambda: _("📣 <b>Ban giám hiệu nhắc nhập điểm</b>"), group.sheets),
                f"manual:{staff_id}:{now.strftime('%Y%m%d%H%M')}",
                deliver_at,
            )
            sent.append(staff_id)
    return sent


def _gaps_text(title: Callable[[], str], sheets: Sequence[Sheet]) -> Callable[[], str]:
    """A reminder body in the recipient's language: the title, then the gaps of now."""
    return lambda: "\n".join([title(), _("Thầy cô còn thiếu:"), *describe(sheets)])


async def late_teachers(actor: Actor, *, now: dt.datetime) -> list[int]:
    """Teachers with a gap already due: whom "remind all late ones" reaches."""
    year = await current_year(actor.school_id)
    progress = await school_progress(actor, year, now=now)
    return [
        g.key
        for g in progress.by_teacher
        if g.key is not None and any(s.late(now) for s in g.sheets)
    ]


async def remind_late(actor: Actor, *, now: dt.datetime, quiet: QuietHours) -> list[int]:
    """«Remind everyone late»: `remind` for `late_teachers`."""
    return await remind(actor, await late_teachers(actor, now=now), now=now, quiet=quiet)


SNOOZE_TWO_HOURS = "2h"
SNOOZE_TOMORROW = "tm"


def snooze_choices() -> tuple[Choice, ...]:
    """When a teacher may ask to be reminded again."""
    return (
        Choice(_("Sau 2 giờ"), buttons.REMINDER_SNOOZE_FOR.data(SNOOZE_TWO_HOURS)),
        Choice(_("Sáng mai"), buttons.REMINDER_SNOOZE_FOR.data(SNOOZE_TOMORROW)),
    )


async def snooze_for(
    actor: Actor, choice: str, *, now: dt.datetime, quiet: QuietHours
) -> dt.datetime:
    """A snooze button: in two hours (out of the quiet hours), or tomorrow when the quiet
    hours end; returns when the reminder comes back."""
    if choice == SNOOZE_TWO_HOURS:
        until = quiet.defer(now + dt.timedelta(hours=2))
    elif choice == SNOOZE_TOMORROW:
        tomorrow = clock.local(now).date() + dt.timedelta(days=1)
        until = clock.at_school(tomorrow, quiet.end).astimezone(dt.UTC)
    else:
        raise InvalidValue(_("Nút này không còn hiệu lực. Hãy mở lại menu và chọn lại."))
    await snooze(actor, until, now=now)
    return until


async def snooze(actor: Actor, until: dt.datetime, *, now: dt.datetime) -> None:
    """The teacher asked to be reminded later: the same reminder, with the gaps of now."""
    group = await _current_gaps(actor, actor.staff_id, now)
    staff = await Staff.get(id=actor.staff_id)
    await _notify_teacher(
        staff,
        _gaps_text(lambda: _("⏰ <b>Nhắc lại: hạn nhập điểm</b>"), group.sheets),
        f"snooze:{actor.staff_id}:{until.isoformat()}",
        until,
    )


async def outstanding(actor: Actor, *, now: dt.datetime) -> list[Sheet]:
    """What the teacher still has to enter for the next deadline (or already late): the
    answer to "Đã nhập xong"."""
    year = await current_year(actor.school_id)
    calendar = await load_calendar(year)
    upcoming = [
        d for d in calendar.deadlines(now, now + dt.timedelta(days=8)) if d.kind in GAP_KINDS
    ]
    horizon = upcoming[0].at if upcoming else now
    group = await teacher_progress(actor, year, now=now)
    return [s for s in group.sheets if s.due_by(horizon)]


async def template_choices(actor: Actor, *, now: dt.datetime) -> tuple[Choice, ...]:
    """«📄 Gửi bảng điểm»: one button per class × subject × term of the teacher's this term
    (gaps or not: a teacher may want to check a complete sheet)."""
    group = await _current_gaps(actor, actor.staff_id, now)
    return tuple(
        Choice(
            _("{klass} — {subject}, HK {term}").format(
                klass=s.class_name, subject=s.subject_name, term="I" * s.term
            ),
            buttons.REMINDER_TEMPLATE.data(s.class_id, s.subject_id, s.term),
        )
        for s in group.sheets
        if s.subject_id is not None
    )
