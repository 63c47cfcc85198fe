"""Reminder rounds and the digests of late teachers, planned, then enqueued.

A round looks at the deadlines whose reminder moment fell since the previous round, and sends
each teacher with something missing ONE message listing all their gaps; complete teachers get
nothing. Everything goes through the outbox with keys derived from the round's reminders, so a
round that is re-run (after a crash, or twice by mistake) sends nothing twice. Messages due at
night are held until the morning. A primary school's round also carries the reminders of the
issuance steps that follow entry (records, signatures, seal: core.services.milestones).

A round is planned first (`plan_round`: every read, who gets what) and then enqueued in one
short transaction (`send_plan`): on SQLite a transaction holds the only connection, so reading
inside it made every other user wait; and `hocba reminders run --dry-run` prints the plan and
enqueues nothing. The end of the last round is kept in the database (`run_due`), so the job and
the command line cover each span once, and a restart covers exactly the span that was missed.

The digest sent to admins and leaders after a deadline tells, for each late teacher, whether
their reminders reached them, wait for them to sign in, or are refused because they blocked the
bot (`outbox.deliveries`): each asks the admin for something different. (It used to list
everyone with any undelivered message ever as "unreachable", so a teacher who had once blocked
the bot and come back was named there for good.)
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from core import buttons, formatting
from core.i18n import _
from core.models import Notification, Role, School, Staff
from core.services import botstate, outbox
from core.services.calendar import Deadline, DeadlineKind, Reminder, load_calendar
from core.services.milestones import plan_milestones
from core.services.outbox import Delivery, Reach
from core.services.progress import Group, Sheet, school_progress
from core.services.reminders import (
    GAP_KINDS,
    MAX_LINES,
    REMINDER,
    TOPIC,
    Planned,
    QuietHours,
    button,
    describe,
    job_actor,
    owes,
    reminder_buttons,
    short_key,
)
from core.services.schools import current_year_if_any

ESCALATION = "escalation"
STATE_NAMESPACE = "jobs"  # where the end of the last round is kept (botstate)
FIRST_SPAN = dt.timedelta(minutes=15)  # a first round looks back this far, not to the epoch
LOOK_AHEAD = dt.timedelta(days=40)  # how far a plan looks for the next reminder moment

outbox.describe(ESCALATION, lambda: _("báo cáo giáo viên trễ hạn"))


@dataclass
class RoundPlan:
    """What a round over (since, now] sends, and when (`deliver_at`, after quiet hours)."""

    since: dt.datetime
    now: dt.datetime
    deliver_at: dt.datetime
    messages: list[Planned] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)  # the calendar reminders it covers
    escalated: list[str] = field(default_factory=list)  # the deadlines it reports as passed
    upcoming: Reminder | None = None  # the next reminder moment after `now`


@dataclass
class RoundResult:
    """What a round did, for the job's log, the command line and the tests: the calendar
    reminders covered, the teachers reminded, the deadlines escalated, and how many messages
    were new in the outbox (a re-run finds them all there already)."""

    reminders: list[str] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    added: int = 0


def _remind_all_buttons() -> list[list[outbox.Button]]:
    return [[button(_("📣 Nhắc tất cả người trễ"), buttons.PROGRESS_REMIND_ALL.data())]]


def _reminder_text(
    deadlines: Sequence[Deadline], sheets: Sequence[Sheet], by: dt.datetime
) -> Callable[[], str]:
    def build() -> str:
        head = [_("⏰ <b>Nhắc hạn nhập điểm</b>")]
        head += [
            _("• {label}: {when}").format(label=d.label, when=formatting.date_time(d.at))
            for d in deadlines
        ]
        return "\n".join([*head, "", _("Thầy cô còn thiếu:"), *describe(sheets, by)])

    return build


async def plan_round(
    school: School, *, since: dt.datetime, now: dt.datetime, quiet: QuietHours
) -> RoundPlan:
    """Whom a round over (since, now] reminds, and which passed deadlines it reports to the
    admins and leaders; reads everything, writes nothing."""
    plan = RoundPlan(since, now, quiet.defer(now))
    year = await current_year_if_any(school.id)
    if year is None:  # nothing is due in a school without a year
        return plan
    calendar = await load_calendar(year)
    ahead = calendar.reminders_due(now, now + LOOK_AHEAD)
    plan.upcoming = next((r for r in ahead if r.deadline.kind in GAP_KINDS), None)
    # the primary plan's issuance steps after entry (002 mục III.3): core.services.milestones
    steps = await plan_milestones(school, year, calendar, since=since, now=now)
    plan.messages += steps.messages
    plan.reminders += steps.reminders
    plan.escalated += steps.escalated
    # A round that catches up a long span (the bot was down, a staging clock moved on) does
    # not remind of a deadline already gone: the digest below reports it instead.
    due = [
        r
        for r in calendar.reminders_due(since, now)
        if r.deadline.kind in GAP_KINDS and r.deadline.at > now
    ]
    passed = [d for d in calendar.passed(since, now) if d.kind in GAP_KINDS]
    if not (due or passed):
        return plan
    progress = await school_progress(job_actor(school), year, now=now)
    teachers = {g.key: g for g in progress.by_teacher if g.key is not None}
    staff = {s.id: s for s in await Staff.filter(id__in=list(teachers))}
    if due:
        deadlines = sorted({r.deadline for r in due}, key=lambda d: d.at)
        # the deadline's moment in the key: a deadline's name (entry.term1@3d) comes back every
        # year, and next year's reminder must not pass for this year's, already sent
        round_key = short_key(f"{r.dedupe_key}:{r.deadline.at.isoformat()}" for r in due)
        plan.reminders += [r.dedupe_key for r in due]
        for staff_id, group in teachers.items():
            # each teacher hears of the deadlines they owe something for: a subject teacher
            # not of the homeroom teacher's, the homeroom teacher of theirs
            mine = [d for d in deadlines if owes(d, group.sheets)]
            if mine:
                horizon = max(d.at for d in mine)
                plan.messages.append(
                    Planned(
                        staff[staff_id],
                        REMINDER,
                        _reminder_text(mine, group.sheets, horizon),
                        f"reminder:{school.id}:{staff_id}:{round_key}",
                        reminder_buttons,
                        expires_at=horizon,
                    )
                )
    for deadline in passed:
        late = [g for g in teachers.values() if owes(deadline, g.sheets)]
        if late:
            plan.messages += await _escalation(school, deadline, late, staff)
            plan.escalated.append(deadline.key)
    return plan


async def already_enqueued(plan: RoundPlan) -> set[str]:
    """The outbox keys of the plan's messages that are there already (sent or not): running
    the plan adds nothing for them."""
    keys = [m.key for m in plan.messages]
    return set(await Notification.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))


async def send_plan(plan: RoundPlan) -> RoundResult:
    """Enqueue a planned round in one transaction (a key already enqueued adds nothing)."""
    there = await already_enqueued(plan)
    async with in_transaction():
        for message in plan.messages:
            await outbox.notify_staff(
                message.staff,
                message.kind,
                message.text,
                dedupe_key=message.key,
                buttons=message.buttons,
                topic=message.topic,
                expires_at=message.expires_at,
                now=plan.deliver_at,
            )
    reminded = [m.staff.id for m in plan.messages if m.kind == REMINDER]
    added = sum(m.key not in there for m in plan.messages)
    return RoundResult(list(plan.reminders), reminded, list(plan.escalated), added)


async def run_round(
    school: School, *, since: dt.datetime, now: dt.datetime, quiet: QuietHours
) -> RoundResult:
    """Remind every teacher with gaps for the deadlines whose reminder fell in (since, now],
    and escalate the deadlines that passed in that span."""
    return await send_plan(await plan_round(school, since=since, now=now, quiet=quiet))


def _state_key(school: School) -> str:
    return f"reminders:{school.id}"


async def last_round(school: School) -> dt.datetime | None:
    """When the school's last round ended (its `now`), if one ran."""
    stored = await botstate.get(STATE_NAMESPACE, _state_key(school))
    return dt.datetime.fromisoformat(stored) if stored else None


async def plan_due(school: School, *, now: dt.datetime, quiet: QuietHours) -> RoundPlan | None:
    """The round that is due at `now`: over the span since the last one (a first one looks
    back FIRST_SPAN); None when the last round already reached `now` (a clock set back)."""
    since = await last_round(school) or now - FIRST_SPAN
    if since >= now:
        return None
    return await plan_round(school, since=since, now=now, quiet=quiet)


async def complete(school: School, plan: RoundPlan) -> RoundResult:
    """Enqueue a planned round and record its span as covered."""
    result = await send_plan(plan)
    await botstate.put(STATE_NAMESPACE, _state_key(school), plan.now.isoformat())
    return result


async def run_due(school: School, *, now: dt.datetime, quiet: QuietHours) -> RoundResult | None:
    """The round due at `now`, enqueued and recorded as done; None when nothing is due."""
    plan = await plan_due(school, now=now, quiet=quiet)
    return None if plan is None else await complete(school, plan)


_REACH_MARKS: dict[Reach, Callable[[], str]] = {
    Reach.RECEIVED: lambda: _("đã nhận nhắc nhở"),
    Reach.ON_ITS_WAY: lambda: _("nhắc nhở đang được gửi"),
    Reach.NOT_SIGNED_IN: lambda: _("chưa đăng nhập Trợ lý"),
    Reach.BLOCKED: lambda: _("đã chặn Trợ lý"),
    Reach.FAILED: lambda: _("không gửi được"),
    Reach.NOT_SENT: lambda: _("chưa được nhắc"),
}


def _reach_summary(counts: Mapping[Reach, int]) -> str:
    """One sentence counting the late teachers by whether the reminders reach them, each
    count with what the admin can do about it."""
    parts = {
        Reach.RECEIVED: _("{n} đã nhận"),
        Reach.ON_ITS_WAY: _("{n} đang được gửi"),
        Reach.NOT_SIGNED_IN: _(
            "{n} chưa đăng nhập Trợ lý (tin chờ đến khi họ đăng nhập: gửi họ mã mời, /moi)"
        ),
        Reach.BLOCKED: _(
            "{n} đã chặn Trợ lý hoặc chưa bấm «Bắt đầu» (hãy báo trực tiếp và nhờ họ mở lại Trợ lý)"
        ),
        Reach.FAILED: _("{n} không gửi được (quản trị đã được báo lý do)"),
        Reach.NOT_SENT: _("{n} chưa được nhắc lần nào"),
    }
    listed = [text.format(n=counts[reach]) for reach, text in parts.items() if counts.get(reach)]
    return _("Nhắc nhở tới những giáo viên này: {parts}.").format(parts="; ".join(listed))


def _missing(deadline: Deadline, group: Group) -> str:
    """What a late teacher still owes for a passed deadline: cells of marks, or the homeroom
    teacher's columns by name ("6A: Rèn luyện 2 HS, Số ngày nghỉ 40 HS")."""
    sheets = owes(deadline, group.sheets)
    if deadline.kind is not DeadlineKind.HOMEROOM:
        n = sum(g.count for s in sheets for g in s.due_by(deadline.at))
        return _("thiếu {n} ô điểm").format(n=n)
    return "; ".join(
        _("lớp {klass} thiếu {columns}").format(
            klass=html.escape(s.class_name),
            columns=", ".join(
                _("{column} {n} HS").format(column=g.label, n=g.count)
                for g in s.due_by(deadline.at)
            ),
        )
        for s in sheets
    )


def _digest(
    deadline: Deadline, late: Sequence[Group], reach: Mapping[int, Delivery]
) -> Callable[[], str]:
    """The late teachers of a passed deadline, each with whether the reminders reach them."""

    def build() -> str:
        lines = [
            _("⚠️ <b>Quá hạn: {label}</b> ({when})").format(
                label=deadline.label, when=formatting.date_time(deadline.at)
            ),
            _("{n} giáo viên chưa nhập xong:").format(n=len(late)),
        ]
        for group in late[:MAX_LINES]:
            lines.append(
                _("• {name}: {missing} — {reach}").format(
                    name=html.escape(group.name),
                    missing=_missing(deadline, group),
                    reach=_REACH_MARKS[reach[group.key].reach](),
                )
            )
        if len(late) > MAX_LINES:
            lines.append(_("… và {n} giáo viên khác.").format(n=len(late) - MAX_LINES))
        counts = Counter(reach[g.key].reach for g in late)
        return "\n".join([*lines, "", _reach_summary(counts)])

    return build


async def _escalation(
    school: School, deadline: Deadline, late: Sequence[Group], staff: Mapping[int, Staff]
) -> list[Planned]:
    """The digest of a passed deadline, one message to each admin and leader."""
    reach = await outbox.deliveries(REMINDER, TOPIC, [staff[g.key] for g in late])
    recipients = await Staff.filter(
        school_id=school.id,
        active=True,
        roles__role__in=[Role.ADMIN, Role.PRINCIPAL, Role.VICE_PRINCIPAL],
    ).distinct()
    build = _digest(deadline, late, reach)
    return [
        Planned(
            recipient,
            ESCALATION,
            build,
            f"escalation:{school.id}:{deadline.key}:{deadline.at.date()}:{recipient.id}",
            _remind_all_buttons,
        )
        for recipient in recipients
    ]
