"""Reminders of the primary school plan's issuance milestones, planned inside a reminder round.

Regulation 002, mục III.3 (Tiến độ thực hiện) follows the end of entry (25/5, row 2) with three
steps, each with its own people: row 3, records created (khởi tạo) at the latest 27/5, by the
principal with the registrar; row 4, the leadership checks and signs them by 29/5; row 5, the
signed records sealed by 31/5. The calendar keeps them as `records`, `signatures`, `seal`
(core.services.calendar.keys, primary schools only: a secondary calendar has none, so nothing
here ever reaches a secondary school). Like the grade-entry deadlines (core.services.rounds),
each has reminders before it and a digest after it:

- before `records`: whoever decides the close (the principal, or the vice principal the
  principal delegated) and the admins and registrars, who execute it on the console, get the
  classes not closed yet and those closed whose records are not made yet, with what to do;
- before `signatures`: every signer with documents waiting for them (subject teachers' sheets,
  homeroom teachers' records, the principal's; `issuance.waiting_for`), one line per class and
  role, and a button per class that starts the signing batch;
- before `seal`: whoever operates the seal (the clerk, or the admin where the school's rule
  `seal_operator` says so; `issuance.prepare.may_sign`), what waits for it;
- after each: the leaders and admins, what is still not done, class by class.

The moments are `LEADS` before each milestone, fewer than the grade-entry ones: the milestones
are two days apart, so a three-day lead would remind of a step before the previous one is due.
Nobody with nothing to do gets a message. Every message is keyed in the outbox by the school,
the year, the reminder (or the passed milestone) and the recipient, so a round run again sends
nothing twice, and next year's milestones, which have the same calendar keys, are new keys.
Quiet hours are the round's (`RoundPlan.deliver_at`). Plans only: everything is read here and
written by `rounds.send_plan`.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core import buttons, formatting
from core.i18n import _
from core.models import (
    ClassClosure,
    IssuedRecord,
    Role,
    School,
    SchoolClass,
    SchoolYear,
    SignatureRole,
    Staff,
    SubjectSheetDoc,
)
from core.services import issuance, outbox
from core.services.access import Actor, staff_with
from core.services.calendar import Calendar, Deadline, DeadlineKind, Lead, Reminder
from core.services.issuance.deciders import decides
from core.services.issuance.outstanding import outstanding
from core.services.reminders import MAX_LINES, Planned, button, job_actor

MILESTONE = "milestone"  # a reminder before a step of issuance
MILESTONE_LATE = "milestone.late"  # the digest after a step's milestone passed
LEADS = (Lead.parse("1d"), Lead.parse("morning"))
MAX_BUTTONS = 8  # one button per class to sign; the menu «✍️ Ký học bạ» lists the rest
# Who hears that a milestone passed with work left: those who answer for the plan (002 mục
# III.1: the leadership) and the admins who run it.
LATE_TO = (Role.PRINCIPAL, Role.VICE_PRINCIPAL, Role.ADMIN)

outbox.describe(MILESTONE, lambda: _("nhắc tiến độ học bạ số"))
outbox.describe(MILESTONE_LATE, lambda: _("báo cáo tiến độ học bạ số quá hạn"))


@dataclass
class Milestones:
    """What a round adds for the milestones: its messages, the reminders covered and the
    milestones reported as passed (for `RoundPlan.reminders` and `.escalated`)."""

    messages: list[Planned] = field(default_factory=list)
    reminders: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Unfinished:
    """A class whose records are not made yet: not closed, or closed without documents (a
    run that failed after the close)."""

    name: str
    closed: bool


def _no_buttons() -> list[list[outbox.Button]]:
    return []


def _head(deadline: Deadline, late: bool, label: str | None = None) -> str:
    """The title: the calendar's label, or `label` where the reader is not the one the
    calendar names (a teacher signs before «Ban giám hiệu ký học bạ số»)."""
    title = _("⚠️ <b>Quá hạn: {label}</b> ({when})") if late else _("📅 <b>{label}: hạn {when}</b>")
    return title.format(label=label or deadline.label, when=formatting.date_time(deadline.at))


def _names(items: Sequence[str]) -> str:
    shown = ", ".join(html.escape(n) for n in items[:MAX_LINES])
    more = len(items) - MAX_LINES
    return shown + (_(" và {n} lớp khác").format(n=more) if more > 0 else "")


async def unfinished(year: SchoolYear) -> list[Unfinished]:
    """The year's classes whose records are not made: what `issuance.classes_to_close` lists
    for the person who decides, read here without one (a school whose principal left still
    has admins to tell), and saying which of the two each class is."""
    closed = set(
        await ClassClosure.filter(school_class__year=year).values_list("school_class_id", flat=True)
    )
    started = set(
        await IssuedRecord.filter(year=year).distinct().values_list("school_class_id", flat=True)
    )
    classes = await SchoolClass.filter(year=year).order_by("grade", "name")
    return [Unfinished(c.name, c.id in closed) for c in classes if c.id not in closed & started]


def _class_lines(classes: Sequence[Unfinished]) -> list[str]:
    lines = []
    open_ = [c.name for c in classes if not c.closed]
    empty = [c.name for c in classes if c.closed]
    if open_:
        lines.append(_("• Chưa chốt năm học: {classes}.").format(classes=_names(open_)))
    if empty:
        lines.append(_("• Đã chốt nhưng chưa lập học bạ: {classes}.").format(classes=_names(empty)))
    return lines


def _records_text(
    deadline: Deadline, classes: Sequence[Unfinished], deciding: bool, late: bool
) -> Callable[[], str]:
    """The `records` step (002 mục III.3, row 3): the classes, then what this reader does:
    the person who decides closes from the phone; an admin or registrar executes the
    principal's decision on the console."""

    def build() -> str:
        lines = [_head(deadline, late), _("Học bạ số của các lớp sau chưa được khởi tạo:")]
        lines += _class_lines(classes)
        lines.append("")
        if deciding:
            lines.append(
                _(
                    "Việc cần làm: chốt năm học từng lớp bằng /chotnam (hoặc bấm tên lớp bên "
                    "dưới), xem danh sách cuối năm rồi bấm «✅ Chốt năm học»: Trợ lý lập học bạ "
                    "và báo người ký ngay. Lớp đã chốt mà chưa có học bạ: mở lại lớp đó và bấm "
                    "«✅ Chốt năm học» để lập."
                )
            )
        else:
            lines.append(
                _(
                    "Việc cần làm: Hiệu trưởng (hoặc Phó hiệu trưởng được ủy quyền) chốt năm học "
                    "từng lớp bằng /chotnam; quản trị thực hiện theo quyết định của Hiệu trưởng "
                    "trên máy chủ: hocba close LỚP --decided-by MÃ_HIỆU_TRƯỞNG (lệnh này cũng "
                    "lập học bạ cho lớp đã chốt mà chưa có)."
                )
            )
        return "\n".join(lines)

    return build


def _close_buttons(
    classes: Sequence[Unfinished], ids: dict[str, int]
) -> Callable[[], list[list[outbox.Button]]]:
    def build() -> list[list[outbox.Button]]:
        return [
            [
                button(
                    _("🔒 Chốt lớp {klass}").format(klass=c.name),
                    buttons.CLOSE_CLASS.data(ids[c.name]),
                )
            ]
            for c in classes[:MAX_BUTTONS]
        ]

    return build


async def _records(
    school: School, year: SchoolYear, reminder: Reminder | None, deadline: Deadline
) -> list[Planned]:
    """Before `records`: deciders, admins and registrars; after: deciders and admins."""
    classes = await unfinished(year)
    if not classes:
        return []
    ids = dict(await SchoolClass.filter(year=year).values_list("name", "id"))
    roles = (*LATE_TO, Role.REGISTRAR) if reminder else LATE_TO
    planned = []
    for staff in await staff_with(school.id, *roles):
        actor = await Actor.of_staff(staff)
        deciding = await decides(actor)
        if reminder and not deciding and not actor.has(Role.ADMIN, Role.REGISTRAR):
            continue  # a vice principal without the delegation closes nothing: the digest only
        keyboard = _close_buttons(classes, ids) if deciding else _no_buttons
        planned.append(
            _planned(
                school,
                year,
                reminder,
                deadline,
                staff,
                _records_text(deadline, classes, deciding, reminder is None),
                keyboard,
            )
        )
    return planned


def _waiting_line(waiting: issuance.Waiting) -> str:
    if waiting.role is SignatureRole.SUBJECT_TEACHER:
        text = _("• Lớp {klass}: {n} bảng điểm môn chờ ký")
    elif waiting.role is SignatureRole.SEAL:
        text = _("• Lớp {klass}: {n} học bạ chờ đóng dấu")
    else:
        text = _("• Lớp {klass}: {n} học bạ chờ ký")
    return text.format(klass=html.escape(waiting.class_name), n=waiting.count) + (
        f" ({waiting.role.label})"
    )


def _signing_text(
    deadline: Deadline, waiting: Sequence[issuance.Waiting], seal: bool
) -> Callable[[], str]:
    """A signer's reminder (002 mục III.3, rows 4 and 5): what waits for them, class by
    class, and how to sign it all with one approval per class."""

    def build() -> str:
        label = None if seal else _("Ký học bạ số")
        lines = [_head(deadline, False, label), _("Đang chờ thầy/cô:")]
        lines += [_waiting_line(w) for w in waiting[:MAX_LINES]]
        if len(waiting) > MAX_LINES:
            lines.append(_("… và {n} mục khác.").format(n=len(waiting) - MAX_LINES))
        lines.append("")
        if seal:
            lines.append(
                _(
                    "Việc cần làm: bấm nút của từng lớp bên dưới (hoặc «✍️ Ký học bạ» trong menu) "
                    "để ký số tổ chức và phát hành học bạ của cả lớp; trên máy chủ: hocba issue "
                    "LỚP."
                )
            )
        else:
            lines.append(
                _(
                    "Việc cần làm: bấm nút của từng lớp bên dưới (hoặc «✍️ Ký học bạ» trong menu): "
                    "một lần xác nhận ký cả lớp."
                )
            )
        return "\n".join(lines)

    return build


def _sign_buttons(waiting: Sequence[issuance.Waiting]) -> Callable[[], list[list[outbox.Button]]]:
    def build() -> list[list[outbox.Button]]:
        return [
            [
                button(
                    _("✍️ Ký lớp {klass} ({n})").format(klass=w.class_name, n=w.count),
                    buttons.SIGN_CLASS.data(w.class_id, w.role.value),
                )
            ]
            for w in waiting[:MAX_BUTTONS]
        ]

    return build


async def _signers(school: School, year: SchoolYear, seal: bool) -> list[Staff]:
    """Who may have documents waiting: for the seal, clerks and admins (`may_sign` keeps the
    admins only where the school's rule makes them operate it); otherwise the principals, the
    homeroom teachers of closed classes and the teachers of unsigned sheets. Asking
    `waiting_for` of these only, not of every teacher, keeps a round short."""
    if seal:
        return await staff_with(school.id, Role.CLERK, Role.ADMIN)
    closed = SchoolClass.filter(year=year, closure__id__isnull=False)
    homerooms = await closed.filter(homeroom_id__isnull=False).values_list("homeroom_id", flat=True)
    teachers = await SubjectSheetDoc.filter(
        school_class__year=year, signed_at__isnull=True, teacher_id__isnull=False
    ).values_list("teacher_id", flat=True)
    principals = await staff_with(school.id, Role.PRINCIPAL)
    ids = {*homerooms, *teachers, *(p.id for p in principals)}
    return await Staff.filter(id__in=list(ids), school_id=school.id, active=True).order_by("id")


async def _signing(
    school: School, year: SchoolYear, reminder: Reminder, deadline: Deadline
) -> list[Planned]:
    """Before `signatures` (row 4): every person's signatures; before `seal` (row 5): the
    seal. Each signer hears only of their own step's documents."""
    seal = deadline.key == "seal"
    planned = []
    for staff in await _signers(school, year, seal):
        actor = await Actor.of_staff(staff)
        waiting = [
            w for w in await issuance.waiting_for(actor) if (w.role is SignatureRole.SEAL) == seal
        ]
        if waiting:
            text = _signing_text(deadline, waiting, seal)
            planned.append(
                _planned(school, year, reminder, deadline, staff, text, _sign_buttons(waiting))
            )
    return planned


async def _late_lines(school: School, year: SchoolYear, seal: bool) -> list[str]:
    """What is still unsigned in each closed class, step by step (`outstanding`), with whom
    a person's step waits for; the seal's only once the seal's milestone has passed."""
    actor = job_actor(school)
    lines = []
    classes = await SchoolClass.filter(year=year, closure__id__isnull=False).order_by(
        "grade", "name"
    )
    for school_class in classes:
        for step in await outstanding(actor, school_class):
            if step.role is SignatureRole.SEAL and not seal:
                continue
            who = await _who(school, school_class, step.role)
            lines.append(
                _("• Lớp {klass} — {step}{who}").format(
                    klass=html.escape(school_class.name),
                    step=step.line(),
                    who=f" ({html.escape(who)})" if who else "",
                )
            )
    return lines


async def _who(school: School, school_class: SchoolClass, role: SignatureRole) -> str:
    """The names of the people a step waits for, so the admin knows whom to ask."""
    if role is SignatureRole.SUBJECT_TEACHER:
        ids = await SubjectSheetDoc.filter(
            school_class=school_class, signed_at__isnull=True, teacher_id__isnull=False
        ).values_list("teacher_id", flat=True)
        people = await Staff.filter(id__in=list(set(ids))).order_by("full_name")
    elif role is SignatureRole.HOMEROOM:
        people = await Staff.filter(id=school_class.homeroom_id or 0)
    elif role is SignatureRole.PRINCIPAL:
        people = await staff_with(school.id, Role.PRINCIPAL)
    else:
        people = await staff_with(school.id, Role.CLERK)
    return ", ".join(p.full_name for p in people)


def _late_text(
    deadline: Deadline, classes: Sequence[Unfinished], steps: Sequence[str]
) -> Callable[[], str]:
    """The digest after `signatures` or `seal`: classes without records, then what waits for
    whom; the leaders remind the people named, or sign their own part."""

    def build() -> str:
        lines = [_head(deadline, True)]
        if classes:
            lines += [_("Học bạ số chưa được khởi tạo:"), *_class_lines(classes)]
        if steps:
            lines += [_("Học bạ số còn chờ ký:"), *steps[:MAX_LINES]]
            if len(steps) > MAX_LINES:
                lines.append(_("… và {n} mục khác.").format(n=len(steps) - MAX_LINES))
        lines.append("")
        if steps:
            lines.append(
                _("Việc cần làm: nhắc những người có tên ký qua «✍️ Ký học bạ» trong Trợ lý.")
            )
        if classes:
            lines.append(_("Lớp chưa có học bạ: Hiệu trưởng chốt năm học bằng /chotnam."))
        return "\n".join(lines)

    return build


async def _late(school: School, year: SchoolYear, deadline: Deadline) -> list[Planned]:
    """After `signatures` or `seal`: to the leaders and admins, if anything is left."""
    classes = await unfinished(year)
    steps = await _late_lines(school, year, seal=deadline.key == "seal")
    if not (classes or steps):
        return []
    text = _late_text(deadline, classes, steps)
    return [
        _planned(school, year, None, deadline, staff, text, _no_buttons)
        for staff in await staff_with(school.id, *LATE_TO)
    ]


def _planned(
    school: School,
    year: SchoolYear,
    reminder: Reminder | None,
    deadline: Deadline,
    staff: Staff,
    text: Callable[[], str],
    keyboard: Callable[[], list[list[outbox.Button]]],
) -> Planned:
    """A reminder (keyed by its moment, gone once the milestone passed) or a digest (keyed by
    the milestone); the year is in the key since the milestones' keys repeat every year."""
    if reminder is not None:
        key = f"milestone:{school.id}:{year.id}:{reminder.dedupe_key}:{staff.id}"
        return Planned(
            staff, MILESTONE, text, key, keyboard, deadline.at, f"milestone:{deadline.key}"
        )
    key = f"milestone-late:{school.id}:{year.id}:{deadline.key}:{staff.id}"
    return Planned(staff, MILESTONE_LATE, text, key, keyboard, None, f"milestone:{deadline.key}")


async def plan_milestones(
    school: School, year: SchoolYear, calendar: Calendar, *, since: dt.datetime, now: dt.datetime
) -> Milestones:
    """The milestone reminders whose moment fell in (since, now] and the milestones that
    passed in it; reads everything, writes nothing. As for grade entry, a round catching up a
    long span does not remind of a milestone already gone: the digest reports it instead."""
    found = Milestones()
    due = [
        r
        for r in calendar.reminders_due(since, now, LEADS)
        if r.deadline.kind is DeadlineKind.MILESTONE and r.deadline.at > now
    ]
    for reminder in due:
        if reminder.deadline.key == "records":
            messages = await _records(school, year, reminder, reminder.deadline)
        else:
            messages = await _signing(school, year, reminder, reminder.deadline)
        found.messages += messages
        found.reminders.append(reminder.dedupe_key)
    for deadline in calendar.passed(since, now):
        if deadline.kind is not DeadlineKind.MILESTONE:
            continue
        if deadline.key == "records":
            messages = await _records(school, year, None, deadline)
        else:
            messages = await _late(school, year, deadline)
        if messages:
            found.messages += messages
            found.escalated.append(deadline.key)
    return found
