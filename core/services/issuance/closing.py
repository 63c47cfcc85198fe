"""Closing a class's year for issuance: the principal's decision, taken on the lists it shows.

Regulation 001 Điều 33.6: once the data is complete, the principal organises the review of
promotion and titles; Điều 25: the year's data is closed (chốt dữ liệu) before the records are
made. So closing is a decision, and it is taken on what it decides: the class's end-of-year
lists (core.services.promotion), which the principal sees first, as does the homeroom teacher,
who drew them up (34.3).

Who decides: the principal, or the vice principal the principal delegated (/uyquyen: the same
delegation that lets them decide correction requests, core.services.corrections.routing). An
admin executes a decision from the server's console, naming it (`decided_by`), as for locks;
the audit event keeps the decision, the executor and the lists' counts.

The steps, one core call each:
- `review`: the lists, what is missing by student, whether the class can be closed now, and,
  for the person who decides, a `stamp` to confirm with;
- `close_year`: the decision. Refused while anything is missing or before term II's entry has
  ended (the calendar's `entry.term2`: the term's last day for secondary schools, 25/5 for
  primary ones by their plan, 002 mục 2); from the phone only with the stamp of a review that
  still holds (same lists, within `CONFIRM_WINDOW`): a stale or forged confirmation closes
  nothing and comes back as the new review. The closure, its audit event and the messages to
  the homeroom teacher (and to the principal, when someone else closed on their authority)
  commit together;
- `close_and_prepare`: the decision, then the documents and the signers told (prepare.py);
  the bot's confirmation and `hocba close` both go through it. Closing again changes nothing
  and says so; a closed class whose documents are missing gets them.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import audit, clock, confirmation, formatting
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    ClassClosure,
    IssuedRecord,
    Role,
    School,
    SchoolClass,
    Staff,
    Subject,
    TeachingAssignment,
)
from core.rules.catalog import SchoolLevel
from core.services.access import Actor
from core.services.calendar import load_calendar
from core.services.issuance.deciders import Decision, decides, decision_of, refusal
from core.services.issuance.prepare import prepare_class
from core.services.lookup_codes import Portal
from core.services.outbox import describe, notify_staff
from core.services.promotion import ClassLists, class_lists
from core.services.schools import current_year, find_class
from core.workers import WorkerPool

CONFIRM_WINDOW = dt.timedelta(minutes=30)  # long enough to read a class's lists
CLOSED = "class.closed"  # the message telling the homeroom teacher (and principal) of a close

describe(CLOSED, lambda: _("thông báo chốt năm học"))


@dataclass(frozen=True)
class OpenClass:
    """A class of the current year still to close, or closed without its documents yet."""

    class_id: int
    name: str


@dataclass(frozen=True)
class Review:
    """What the person sees before a close: the lists, whether and why not it can be closed
    now, and (for the person who decides, when it can) the stamp a confirmation carries."""

    lists: ClassLists
    closed: bool  # the year is closed already
    blocked: str | None  # why it cannot be closed now (None: it can, or it is closed)
    stamp: str | None = None
    changed: bool = False  # a confirmation found the lists changed since they were shown

    def notes(self) -> list[str]:
        """The status lines under the lists."""
        notes = [self.lists.after_summer()]
        if self.changed:
            notes.append(
                _(
                    "⚠️ Dữ liệu của lớp đã thay đổi từ khi thầy/cô xem, hoặc đã quá lâu: lớp chưa "
                    "được chốt. Hãy xem lại danh sách dưới đây rồi xác nhận."
                )
            )
        if self.closed:
            notes.append(_("🔒 Lớp {klass} đã chốt năm học.").format(klass=self.lists.class_name))
            if self.stamp:
                notes.append(
                    _(
                        "Học bạ của lớp chưa được lập: bấm «✅ Chốt năm học» để lập học bạ và báo "
                        "người ký."
                    )
                )
        elif self.blocked:
            notes.append(self.blocked)
        elif self.stamp:
            notes.append(
                _(
                    "Dữ liệu đã đủ. Bấm «✅ Chốt năm học» để chốt theo danh sách trên, lập học bạ "
                    "và báo người ký; «✖️ Hủy» để chưa chốt."
                )
            )
        else:
            notes.append(
                _(
                    "Dữ liệu đã đủ; Hiệu trưởng (hoặc Phó hiệu trưởng được ủy quyền) chốt năm "
                    "học của lớp bằng /chotnam."
                )
            )
        return notes


@dataclass(frozen=True)
class Closure:
    """A class's year closed (by this call, or before it)."""

    school_class: SchoolClass
    lists: ClassLists
    now: bool  # closed by this call
    decision: Decision | None  # None when it was closed before
    told: tuple[str, ...]  # who was told of the close (the homeroom teacher, the principal)


@dataclass(frozen=True)
class Closed:
    """What closing a class did, documents included."""

    class_name: str
    lists: ClassLists
    now: bool  # the year was closed by this call
    documents: int  # created now; 0 when they existed
    told: tuple[str, ...]  # the signers told that documents wait for them
    closure_told: tuple[str, ...] = ()  # those told of the close itself

    def summary(self) -> list[str]:
        """What happened, in a few lines (the bot and the console say the same)."""
        klass, n = self.class_name, self.documents
        if self.now:
            head = _("🔒 Đã chốt năm học lớp {klass} và lập {n} tài liệu.")
        elif n:
            head = _("Lớp {klass} đã chốt năm học từ trước; đã lập {n} tài liệu.")
        else:
            head = _("Lớp {klass} đã được chốt và lập học bạ từ trước; không có gì thay đổi.")
        lines = [head.format(klass=klass, n=n)]
        if self.told:
            lines.append(_("Đã báo người ký: {who}.").format(who=_named(self.told)))
        if self.closure_told:
            lines.append(
                _("Đã báo việc chốt năm học: {who}.").format(who=_named(self.closure_told))
            )
        return lines


def _named(names: tuple[str, ...], shown: int = 5) -> str:
    more = len(names) - shown
    text = ", ".join(names[:shown])
    return text + (_(" và {n} người khác").format(n=more) if more > 0 else "")


async def _class_of(actor: Actor, class_id: int) -> SchoolClass:
    school_class = await SchoolClass.get_or_none(id=class_id, year__school_id=actor.school_id)
    if school_class is None:
        raise NotFound(_("Không có lớp này trong năm học. Hãy mở lại danh sách lớp."))
    return school_class


async def _level(school_class: SchoolClass) -> SchoolLevel:
    year = await school_class.year
    return SchoolLevel((await School.get(id=year.school_id)).level)


async def _too_early(school_class: SchoolClass) -> str | None:
    """Why the year cannot be closed yet, when term II's entry has not ended (issue 12: a year
    is not closed for issuance before its last term ends)."""
    year = await school_class.year
    ends = (await load_calendar(year)).entry_deadline(2)
    if clock.now() >= ends:
        return None
    return _(
        "Năm học {year} chưa hết học kỳ II (hạn nhập xong học kỳ II: {at}): chưa chốt năm học "
        "được trước thời điểm đó."
    ).format(year=year.name, at=formatting.date_time(ends))


async def _unsigned(school_class: SchoolClass) -> str | None:
    """Who would sign the class's records and is not named yet (a class's records name the
    homeroom teacher and, in secondary school, every subject's teacher, 001 Điều 24.5):
    closing waits for them, since the documents made right after the close could not be
    built."""
    subjects: list[str] = []
    if await _level(school_class) is not SchoolLevel.PRIMARY:  # primary: the homeroom
        year = await school_class.year  # teacher's where nobody else teaches (build_primary)
        taught = {a.subject_id for a in await TeachingAssignment.filter(school_class=school_class)}
        subjects = [
            s.name
            for s in await Subject.filter(school_id=year.school_id).order_by("id")
            if s.taught_in(school_class.grade) and s.id not in taught
        ]
    gaps = [_("giáo viên chủ nhiệm")] if school_class.homeroom_id is None else []
    if subjects:
        gaps.append(_("giáo viên dạy môn {subjects}").format(subjects=", ".join(subjects)))
    if not gaps:
        return None
    return _(
        "Lớp {klass} chưa được phân công {gaps}: học bạ ghi tên những người ký này. Quản trị "
        "nhập phân công (hocba import staff | assignments TỆP) rồi chốt năm học."
    ).format(klass=school_class.name, gaps="; ".join(gaps))


async def _facts(school_class: SchoolClass, lists: ClassLists) -> tuple:
    return (school_class.id, school_class.homeroom_id, lists.facts())


async def review(actor: Actor, class_id: int) -> Review:
    """The class's lists as they stand, for whoever may read its results; a stamp only for
    the person who decides, and only when the class can be closed now."""
    school_class = await _class_of(actor, class_id)
    lists = await class_lists(actor, school_class)  # checks the right to read the class
    closed = await ClassClosure.exists(school_class=school_class)
    blocked = None
    if not closed:
        blocked = await _too_early(school_class) or await _unsigned(school_class)
        if blocked is None and not lists.complete:
            blocked = _(
                "Chưa chốt được: {n} học sinh còn thiếu dữ liệu (mục «Còn thiếu» ở trên)."
            ).format(n=len(lists.missing))
    # closed already: the button stays only to make documents a failed run did not make
    pending = not closed or not await IssuedRecord.exists(school_class=school_class)
    stamp = None
    if blocked is None and pending and await decides(actor):
        stamp = confirmation.stamp_now(await _facts(school_class, lists), clock.now())
    return Review(lists, closed, blocked, stamp)


async def _review_named(actor: Actor, class_name: str) -> Review:
    """`review` of a class named as people write it ("6a"), in the current year."""
    school_class = await find_class(await current_year(actor.school_id), class_name)
    return await review(actor, school_class.id)


async def to_close(actor: Actor, class_name: str | None = None) -> Review | list[OpenClass]:
    """/chotnam: for the person who decides, the named class's review, or the classes to
    close to choose from."""
    if not await decides(actor):
        raise PermissionDenied(refusal(None))
    if class_name:
        return await _review_named(actor, class_name)
    return await classes_to_close(actor)


async def lists_for(actor: Actor, class_name: str | None = None) -> Review | list[OpenClass]:
    """/danhsach: the named class's lists (for whoever may read its results); without a name,
    those of the class the actor is homeroom teacher of, or their classes to choose from."""
    if class_name:
        return await _review_named(actor, class_name)
    year = await current_year(actor.school_id)
    classes = await SchoolClass.filter(year=year, homeroom_id=actor.staff_id or 0).order_by("name")
    if len(classes) == 1:
        return await review(actor, classes[0].id)
    if not classes:
        raise InvalidValue(
            _(
                "Thầy/cô không chủ nhiệm lớp nào trong năm học {year}. Xem danh sách cuối năm "
                "của một lớp: /danhsach LỚP, ví dụ /danhsach 6A."
            ).format(year=year.name)
        )
    return [OpenClass(c.id, c.name) for c in classes]


def _closed_text(klass: str, year: str, decision: Decision, lists: ClassLists) -> str:
    """The message of a close, rendered in its recipient's language: each list with its
    count, the students outside the first one by name, and where to read them all."""
    lines = [
        _("🔒 Lớp {klass} đã được chốt năm học {year} theo quyết định của {who}.").format(
            klass=klass, year=year, who=decision.label()
        ),
        _("Danh sách cuối năm: {lists}.").format(
            lists=", ".join(section.heading for section in lists.sections())
        ),
        *(f"• {line}" for line in lists.not_promoted()),
        _("Xem đầy đủ: /danhsach {klass}").format(klass=klass),
    ]
    return html.escape("\n".join(lines), quote=False)


async def _tell_closed(
    actor: Actor, school_class: SchoolClass, decision: Decision, lists: ClassLists
) -> tuple[str, ...]:
    """The homeroom teacher, and each principal who did not close it themselves; inside the
    closure's transaction. Returns who was told."""
    year = await school_class.year
    people = await Staff.filter(id=school_class.homeroom_id or 0, active=True)
    people += [
        p
        for p in await Staff.filter(
            school_id=actor.school_id, roles__role=Role.PRINCIPAL, active=True
        ).distinct()
        if p.id != actor.staff_id and p.id not in {q.id for q in people}
    ]
    for person in people:
        await notify_staff(
            person,
            CLOSED,
            lambda: _closed_text(school_class.name, year.name, decision, lists),
            dedupe_key=f"closed:{school_class.id}:{person.id}",
            topic=f"class:{school_class.id}",
        )
    return tuple(p.full_name for p in people)


async def close_year(
    actor: Actor,
    class_id: int,
    *,
    confirm: str | None = None,
    decided_by: Staff | None = None,
) -> Closure | Review:
    """The decision: close the class's year on its lists. Refused (nothing written) unless the
    actor decides or executes a named decision, the data is complete and term II is over; a
    confirmation from the phone (`confirm`) must hold, else the new review comes back."""
    decision = await decision_of(actor, decided_by)
    school_class = await _class_of(actor, class_id)
    lists = await class_lists(actor, school_class)
    if await ClassClosure.exists(school_class=school_class):
        return Closure(school_class, lists, False, None, ())
    if why := await _too_early(school_class):  # first: before then the data is bound to lack
        raise InvalidValue(why)
    if not lists.complete:
        raise InvalidValue(lists.missing_text())
    if why := await _unsigned(school_class):
        raise InvalidValue(why)
    now = clock.now()
    facts = await _facts(school_class, lists)
    if decided_by is None and not confirmation.holds(confirm, facts, now, CONFIRM_WINDOW):
        return Review(lists, False, None, confirmation.stamp_now(facts, now), changed=True)
    async with in_transaction():
        _closure, created = await ClassClosure.get_or_create(
            school_class=school_class, defaults={"closed_by": actor.label}
        )
        if not created:  # closed meanwhile by someone else
            return Closure(school_class, lists, False, None, ())
        await audit.record(
            audit.Event(
                actor.label,
                "class.close",
                f"class:{school_class.id}",
                after={
                    "decided_by": decision.label(),
                    "decided_by_staff": decision.staff_id,
                    "lists": lists.counts(),
                },
            )
        )
        told = await _tell_closed(actor, school_class, decision, lists)
    return Closure(school_class, lists, True, decision, told)


async def close_and_prepare(
    actor: Actor,
    class_id: int,
    workers: WorkerPool,
    portal: Portal,
    *,
    confirm: str | None = None,
    decided_by: Staff | None = None,
) -> Closed | Review:
    """`close_year`, then the class's documents and their first signers told (once; a closed
    class whose documents are missing gets them). A review comes back unchanged."""
    closure = await close_year(actor, class_id, confirm=confirm, decided_by=decided_by)
    if isinstance(closure, Review):
        return closure
    school_class = closure.school_class
    done = (closure.school_class.name, closure.lists, closure.now)
    prepared = await prepare_class(actor, school_class, workers, portal)
    return Closed(*done, prepared.documents, prepared.told, closure.told)


async def classes_to_close(actor: Actor) -> list[OpenClass]:
    """For the person who decides: the current year's classes not closed yet, and classes
    closed whose documents are not made yet, by grade and name."""
    if not await decides(actor):
        raise PermissionDenied(refusal(None))
    year = await current_year(actor.school_id)
    closed = set(
        await ClassClosure.filter(school_class__year=year).values_list("school_class_id", flat=True)
    )
    started = set(
        await IssuedRecord.filter(year=year).distinct().values_list("school_class_id", flat=True)
    )
    done = closed & started
    classes = await SchoolClass.filter(year=year).order_by("grade", "name")
    return [OpenClass(c.id, c.name) for c in classes if c.id not in done]
