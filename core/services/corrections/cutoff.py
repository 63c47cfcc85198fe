"""The correction cut-off and the principal's late allowances.

Corrections of a term are asked for until a week before its lock (000 Điều 8), or, where the
school's rule says so (core.services.school_rules: `correction_cutoff` "exam"), a week before
the term's exam of the class × subject (003 Điều 8.3; the day the calendar records, else the
calendar's assumed day: Calendar.exam_day). After that only the principal may let one request
through: a teacher asks (`ask_late`), the principal allows it for LATE_DAYS days
(`grant_late`), and `submit` uses the allowance up.
"""

from __future__ import annotations

import datetime as dt
import html

from tortoise.transactions import in_transaction

from core import audit, buttons, clock, formatting
from core.errors import HocbaError, InvalidValue, NotFound
from core.formatting import roman
from core.i18n import _
from core.models import LateAllowance, Notification, SchoolYear, Staff, Term
from core.services import outbox
from core.services.access import Actor
from core.services.calendar import load_calendar
from core.services.corrections.cells import Cell
from core.services.corrections.routing import deciders, principal_behind
from core.services.outbox import notify_staff
from core.services.school_rules import Rules, school_rules

LATE_DAYS = 3  # how long a principal's late allowance lasts
LATE = "correction.late"  # the ask, to the deciders; the grant, to the teacher


async def _late_applies(notification: Notification, _now: dt.datetime) -> bool:
    """For someone who signs in late: the ask while nobody has allowed it yet, the grant while
    it is unused (its time is the message's `expires_at`)."""
    prefix, _sep, number = (notification.topic or "").partition(":")
    if prefix != "late" or not number.isdigit():
        return True
    asked = await LateAllowance.get_or_none(id=int(number))
    if asked is None:
        return False
    if notification.staff_id == asked.teacher_id:  # type: ignore[attr-defined]
        return asked.used_by_request_id is None
    return asked.granted_at is None


outbox.describe(LATE, lambda: _("đề nghị lập phiếu sửa điểm sau hạn"), _late_applies)


class PastCutoff(HocbaError):
    """A request after the cut-off without the principal's allowance."""


async def cutoff(year: SchoolYear, term: Term, cell: Cell | None = None) -> dt.datetime:
    """The last moment to ask for corrections of a term (of the cell's class × subject, whose
    exam may have its own day): a week before its lock, or before its exam."""
    calendar = await load_calendar(year)
    class_id = cell.school_class.id if cell else None
    subject_id = cell.subject.id if cell and cell.subject else None
    return calendar.correction_cutoff(f"lock.term{term.number}", class_id, subject_id)


def _before_what(rules: Rules) -> str:
    """What the cut-off is a week before, as the refusal says it."""
    if rules.correction_cutoff == "exam":
        return _("một tuần trước ngày kiểm tra cuối học kỳ, 003 Điều 8.3")
    return _("một tuần trước khi khóa sổ, 000 Điều 8")


def _sheet(cell: Cell) -> dict[str, object]:
    """The allowance's sheet: the class × subject (no subject: the homeroom data) × term."""
    subject = {"subject_id": cell.subject.id} if cell.subject else {"subject_id__isnull": True}
    return {"school_class_id": cell.school_class.id, "term_id": cell.term.id, **subject}


async def _allowance(actor: Actor, cell: Cell, now: dt.datetime) -> LateAllowance | None:
    return await LateAllowance.filter(
        teacher_id=actor.staff_id,
        **_sheet(cell),
        granted_at__isnull=False,
        until__gt=now,
        used_by_request_id__isnull=True,
    ).first()


async def ensure_before_cutoff(
    actor: Actor, cell: Cell, now: dt.datetime | None = None
) -> LateAllowance | None:
    """None before the cut-off; after it, the principal's unused allowance, or PastCutoff."""
    now = now or clock.now()
    last = await cutoff(await cell.school_class.year, cell.term, cell)
    if now <= last:
        return None
    allowance = await _allowance(actor, cell, now)
    if allowance is None:
        raise PastCutoff(
            _(
                "Đã quá hạn đề nghị sửa điểm học kỳ {term} ({last}: {before}). "
                "Chỉ Hiệu trưởng cho phép nộp muộn được: thầy cô có thể xin phép."
            ).format(
                term=roman(cell.term.number),
                last=formatting.date_time(last),
                before=_before_what(await school_rules(actor.school_id)),
            )
        )
    return allowance


def _scope(cell: Cell) -> dict[str, int | None]:
    return {
        "class_id": cell.school_class.id,
        "subject_id": cell.subject.id if cell.subject else None,
        "term_id": cell.term.id,
    }


def _what(cell: Cell) -> str:
    """The sheet a late request is about, as the principal reads it."""
    if cell.subject is None:
        return _("lớp {klass}, dữ liệu chủ nhiệm (rèn luyện, ngày nghỉ, phẩm chất), học kỳ {term}")
    return _("lớp {klass}, môn {subject}, học kỳ {term}")


async def ask_late(actor: Actor, cell: Cell, now: dt.datetime | None = None) -> LateAllowance:
    """A teacher asks the principal to allow one late request of the cell's class × subject
    (or homeroom data) × term; every decider gets a button to allow it."""
    now = now or clock.now()
    async with in_transaction():
        asked = await LateAllowance.create(
            school_id=actor.school_id,
            teacher_id=actor.staff_id,
            school_class_id=cell.school_class.id,
            subject_id=cell.subject.id if cell.subject else None,
            term_id=cell.term.id,
            asked_at=now,
        )
        await audit.record(
            audit.Event(actor.label, "correction.late_ask", f"late:{asked.id}", after=_scope(cell))
        )
        teacher = await Staff.get(id=actor.staff_id)
        for person in await deciders(actor.school_id):
            await notify_staff(
                person,
                LATE,
                lambda: _("⏰ {teacher} xin phép lập phiếu sửa điểm sau hạn: {what}.").format(
                    teacher=html.escape(teacher.full_name),
                    what=_what(cell).format(
                        klass=html.escape(cell.school_class.name),
                        subject=html.escape(cell.subject.name if cell.subject else ""),
                        term=roman(cell.term.number),
                    ),
                ),
                dedupe_key=f"corr:late:{asked.id}:{person.id}",
                topic=f"late:{asked.id}",
                buttons=lambda: [
                    [
                        {
                            "text": _("✅ Cho phép nộp muộn"),
                            "callback_data": buttons.REQUEST_GRANT_LATE.data(asked.id),
                        }
                    ]
                ],
                now=now,
            )
    return asked


async def grant_late(
    actor: Actor, allowance_id: int, now: dt.datetime | None = None
) -> LateAllowance:
    """The principal allows one late request, for LATE_DAYS days; a second press says so."""
    now = now or clock.now()
    await principal_behind(actor)
    asked = await LateAllowance.get_or_none(id=allowance_id, school_id=actor.school_id)
    if asked is None:
        raise NotFound(_("Đề nghị nộp muộn này không còn tồn tại."))
    until = now + dt.timedelta(days=LATE_DAYS)
    async with in_transaction():
        granted = await LateAllowance.filter(id=asked.id, granted_at__isnull=True).update(
            granted_by_id=actor.staff_id, granted_at=now, until=until
        )
        if not granted:
            raise InvalidValue(_("Đề nghị nộp muộn này đã được cho phép rồi."))
        await audit.record(
            audit.Event(
                actor.label, "correction.late_grant", f"late:{asked.id}", after={"until": until}
            )
        )
        teacher = await Staff.get(id=asked.teacher_id)
        await notify_staff(
            teacher,
            LATE,
            lambda: _(
                "✅ Hiệu trưởng đã cho phép thầy cô lập một phiếu sửa điểm sau hạn, đến {until}. "
                "Gõ /suadiem để lập phiếu."
            ).format(until=formatting.date_time(until)),
            dedupe_key=f"corr:late-granted:{asked.id}",
            topic=f"late:{asked.id}",
            expires_at=until,
            now=now,
        )
    return await LateAllowance.get(id=asked.id)
