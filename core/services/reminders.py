"""Reminders to teachers: what one says, how it is enqueued, and the answers a teacher gives it.

A reminder lists the gaps of its recipient, one line per sheet, and carries the buttons the
teacher answers with (details, "done": the system checks, a grade sheet to fill, snooze).
Rounds (core.services.rounds) and leadership's one-tap reminders (core.services.nudges) send
them; all are of one outbox kind and topic, so of the reminders that waited for a teacher to
sign in only the newest, up to date, goes out (core.services.outbox.lapse), and a digest can
tell whether a teacher's reminders reach them (`outbox.deliveries`). Messages due at night are
held until the morning (`QuietHours`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from core import buttons, clock
from core.buttons import Choice
from core.errors import InvalidValue
from core.formatting import roman
from core.i18n import _
from core.models import Notification, Role, School, Staff
from core.services import outbox
from core.services.access import Actor
from core.services.calendar import Deadline, DeadlineKind, load_calendar
from core.services.progress import Group, Sheet, teacher_progress
from core.services.schools import current_year

# Deadlines about entering marks and the homeroom teacher's part; correction cut-offs and
# milestones have their own flows.
GAP_KINDS = frozenset(
    {DeadlineKind.REGULAR, DeadlineKind.PERIODIC, DeadlineKind.ENTRY, DeadlineKind.HOMEROOM}
)
MAX_LINES = 25  # a phone screen or two; "Chi tiết" shows the rest
REMINDER = "reminder"
# What reminders and digests are about, for the outbox: of the ones that waited for someone to
# sign in, only the newest of each kind is sent.
TOPIC = "grade-entry"

outbox.describe(REMINDER, lambda: _("lời nhắc hạn nhập điểm"))


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


@dataclass(frozen=True)
class Planned:
    """One message a round will send: to whom, what (a builder, run in the recipient's
    language), under which outbox key and topic. Kept here, beside the reminders, so that the
    planners a round calls (core.services.milestones) build them without importing rounds."""

    staff: Staff
    kind: str
    text: Callable[[], str]
    key: str
    buttons: Callable[[], list[list[outbox.Button]]]
    expires_at: dt.datetime | None = None
    topic: str = TOPIC


def job_actor(school: School) -> Actor:
    """The scheduled jobs act with the admin's reading rights, logged as "job"."""
    return Actor(school_id=school.id, label="job", roles=frozenset({Role.ADMIN}))


def short_key(parts: Iterable[str]) -> str:
    """A short, order-free digest of `parts`, for outbox keys."""
    return hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()[:16]


def gaps_key(sheets: Sequence[Sheet]) -> str:
    """A digest of exactly what is missing: which sheets, which columns, how many students."""
    return short_key(
        f"{s.class_id}:{s.subject_id}:{s.term}:{g.column}:{g.count}" for s in sheets for g in s.gaps
    )


def concerns(deadline: Deadline, sheet: Sheet) -> bool:
    """Whether a deadline is about this sheet: the homeroom teacher's deadline is about their
    own part of the class, every other one about the subjects."""
    return sheet.homeroom == (deadline.kind is DeadlineKind.HOMEROOM)


def owes(deadline: Deadline, sheets: Sequence[Sheet]) -> list[Sheet]:
    """The sheets with something due by `deadline` that it is about."""
    return [s for s in sheets if concerns(deadline, s) and s.due_by(deadline.at)]


def describe(sheets: Sequence[Sheet], by: dt.datetime | None = None) -> list[str]:
    """One line per sheet with gaps: "6A — Toán, HK I: TX3 (12 HS), GK (40 HS)", and the
    homeroom teacher's "6A — Chủ nhiệm, HK I: Rèn luyện (3 HS), Số ngày nghỉ (40 HS)"."""
    lines = []
    for sheet in sheets:
        gaps = sheet.due_by(by) if by else sheet.gaps
        if gaps:
            columns = ", ".join(
                _("{column} ({n} HS)").format(column=g.label, n=g.count) for g in gaps
            )
            lines.append(
                _("• {klass} — {subject}, HK {term}: {columns}").format(
                    klass=sheet.class_name,
                    subject=sheet.subject_name,
                    term=roman(sheet.term),
                    columns=columns,
                )
            )
    if len(lines) > MAX_LINES:
        rest = len(lines) - MAX_LINES
        lines = [*lines[:MAX_LINES], _("… và {n} mục khác (bấm «Chi tiết»).").format(n=rest)]
    return lines


def button(label: str, data: str) -> outbox.Button:
    return {"text": label, "callback_data": data}


def reminder_buttons() -> list[list[outbox.Button]]:
    """The answers a teacher gives a reminder (callback data handled by handlers.reminders)."""
    return [
        [
            button(_("🔎 Chi tiết"), buttons.REMINDER_DETAILS.data()),
            button(_("✅ Đã nhập xong"), buttons.REMINDER_DONE.data()),
        ],
        [
            button(_("📄 Gửi bảng điểm"), buttons.REMINDER_TEMPLATES.data()),
            button(_("⏰ Nhắc lại sau"), buttons.REMINDER_SNOOZE.data()),
        ],
    ]


async def notify_teacher(
    staff: Staff,
    text: Callable[[], str],
    key: str,
    deliver_at: dt.datetime,
    expires_at: dt.datetime | None = None,
) -> Notification:
    """Enqueue a reminder with the buttons teachers answer it with; inside the caller's
    transaction. `expires_at`: when it is no longer worth sending to someone who signs in late
    (a round's reminder, at its deadline)."""
    return await outbox.notify_staff(
        staff,
        REMINDER,
        text,
        dedupe_key=key,
        buttons=reminder_buttons,
        topic=TOPIC,
        expires_at=expires_at,
        now=deliver_at,
    )


def gaps_text(title: Callable[[], str], sheets: Sequence[Sheet]) -> Callable[[], str]:
    """A reminder body in the recipient's language: the title, then the gaps of now."""
    return lambda: "\n".join([title(), _("Thầy cô còn thiếu:"), *describe(sheets)])


async def _current_gaps(actor: Actor, staff_id: int, now: dt.datetime) -> Group:
    year = await current_year(actor.school_id)
    return await teacher_progress(actor, year, now=now, staff_id=staff_id)


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
    await notify_teacher(
        staff,
        gaps_text(lambda: _("⏰ <b>Nhắc lại: hạn nhập điểm</b>"), group.sheets),
        f"snooze:{actor.staff_id}:{until.isoformat()}",
        until,
    )


async def outstanding(actor: Actor, *, now: dt.datetime) -> list[Sheet]:
    """What the teacher still has to enter for the next deadline of each sheet (or already
    late): the answer to "Đã nhập xong" and "Chi tiết". A subject's next deadline may be a
    week's regular marks while the homeroom teacher's own comes later: each sheet is held to
    the next deadline that concerns it."""
    year = await current_year(actor.school_id)
    calendar = await load_calendar(year)
    upcoming = [
        d for d in calendar.deadlines(now, now + dt.timedelta(days=8)) if d.kind in GAP_KINDS
    ]
    group = await teacher_progress(actor, year, now=now)

    def horizon(sheet: Sheet) -> dt.datetime:
        return next((d.at for d in upcoming if concerns(d, sheet)), now)

    return [s for s in group.sheets if s.due_by(horizon(s))]


async def template_choices(actor: Actor, *, now: dt.datetime) -> tuple[Choice, ...]:
    """«📄 Gửi bảng điểm»: one button per class × subject × term of the teacher's this term
    (gaps or not: a teacher may want to check a complete sheet)."""
    group = await _current_gaps(actor, actor.staff_id, now)
    return tuple(
        Choice(
            _("{klass} — {subject}, HK {term}").format(
                klass=s.class_name, subject=s.subject_name, term=roman(s.term)
            ),
            buttons.REMINDER_TEMPLATE.data(s.class_id, s.subject_id, s.term),
        )
        for s in group.sheets
        if s.subject_id is not None
    )
