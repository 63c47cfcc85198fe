"""What a signed-in person sees first: the menu their roles open, their own teaching and
progress, or the school at a glance.

Front ends draw these; what is in them (which menu entries a role has, who counts as late,
whom a one-tap reminder reaches) is decided here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from core import buttons
from core.buttons import Choice
from core.errors import PermissionDenied
from core.i18n import _
from core.models import Enrollment, Role, SchoolClass, Staff, TeachingAssignment
from core.services.access import LEADERSHIP, READ_ALL, Actor
from core.services.homeroom_sheet import homeroom_sheet_choices
from core.services.progress import Group, SchoolProgress, school_progress, teacher_progress
from core.services.schools import current_year

TEACHING = (Role.SUBJECT_TEACHER, Role.HOMEROOM)


class Feature(StrEnum):
    """An entry of the main menu."""

    MY_PROGRESS = "my_progress"
    MY_CLASSES = "my_classes"
    MARK_ENTRY = "mark_entry"
    HOMEROOM_ENTRY = "homeroom_entry"  # one student's conduct or days absent
    SCHOOL_PROGRESS = "school_progress"
    SCHOOL = "school"
    LOCKS = "locks"
    INVITE = "invite"
    CORRECTION_REQUEST = "correction_request"
    CORRECTION_REQUESTS = "correction_requests"
    SIGN_RECORDS = "sign_records"
    FAMILY_REQUESTS = "family_requests"  # families' requests for their records (admins)
    LANGUAGE = "language"
    HELP = "help"
    SIGN_OUT = "sign_out"


def menu(actor: Actor) -> list[list[Feature]]:
    """The main menu's rows for this person, by role: teachers see their classes, leadership
    and the office the school, admins also invites; everyone language, help and sign-out."""
    rows = []
    if actor.has(*TEACHING):
        rows.append([Feature.MY_PROGRESS, Feature.MY_CLASSES])
        rows.append([Feature.MARK_ENTRY])
    if actor.has(Role.HOMEROOM):
        rows.append([Feature.HOMEROOM_ENTRY])
    if actor.has(*READ_ALL):
        rows.append([Feature.SCHOOL_PROGRESS, Feature.SCHOOL])
    if actor.has(Role.ADMIN, *LEADERSHIP):
        rows.append([Feature.LOCKS] + ([Feature.INVITE] if actor.has(Role.ADMIN) else []))
    if actor.has(Role.ADMIN):
        rows.append([Feature.FAMILY_REQUESTS])
    # correction requests: teachers ask, admins and leadership act
    corrections = [Feature.CORRECTION_REQUEST] if actor.has(*TEACHING) else []
    if actor.has(Role.ADMIN, *LEADERSHIP):
        corrections.append(Feature.CORRECTION_REQUESTS)
    if corrections:
        rows.append(corrections)
    # signing: whoever signs a step of the record chain
    if actor.has(Role.SUBJECT_TEACHER, Role.HOMEROOM, Role.PRINCIPAL, Role.CLERK):
        rows.append([Feature.SIGN_RECORDS])
    rows.append([Feature.LANGUAGE, Feature.HELP, Feature.SIGN_OUT])
    return rows


@dataclass(frozen=True)
class Teaching:
    year: str
    homeroom: list[str]
    subjects: list[tuple[str, str]]  # (class, subject)
    sheets: tuple[Choice, ...] = ()  # the homeroom sheet of each class and term begun


@dataclass(frozen=True)
class SchoolOverview:
    year: str
    classes: int
    students: int
    staff: int
    staff_linked: int


async def my_teaching(actor: Actor) -> Teaching:
    """The classes and subjects assigned to the actor in the current year."""
    year = await current_year(actor.school_id)
    if actor.staff_id is None:
        return Teaching(year.name, [], [])
    homeroom = await SchoolClass.filter(year=year, homeroom_id=actor.staff_id).order_by("name")
    assignments = (
        await TeachingAssignment.filter(staff_id=actor.staff_id, school_class__year=year)
        .prefetch_related("school_class", "subject")
        .order_by("school_class__grade", "school_class__name")
    )
    return Teaching(
        year.name,
        [c.name for c in homeroom],
        [(a.school_class.name, a.subject.name) for a in assignments],
        await homeroom_sheet_choices(actor, year),
    )


async def school_overview(actor: Actor) -> SchoolOverview:
    """Counts only (no personal data): for leadership and the office."""
    if not actor.has(*READ_ALL):
        raise PermissionDenied(_("Chỉ Ban giám hiệu và văn phòng xem được tổng quan của trường."))
    year = await current_year(actor.school_id)
    staff = Staff.filter(school_id=actor.school_id, active=True)
    return SchoolOverview(
        year.name,
        await SchoolClass.filter(year=year).count(),
        await Enrollment.filter(year=year).count(),
        await staff.count(),
        await staff.filter(telegram_user_id__isnull=False).count(),
    )


async def my_progress(actor: Actor, *, now: dt.datetime) -> Group:
    """The teacher's own sheets of the term being worked on, late ones first."""
    return await teacher_progress(actor, await current_year(actor.school_id), now=now)


@dataclass(frozen=True)
class TeacherLine:
    name: str
    missing: int  # cells
    late: bool


@dataclass(frozen=True)
class ClassLine:
    name: str
    missing: int


@dataclass(frozen=True)
class HomeroomLine:
    """A class whose homeroom teacher's part of the term is incomplete: who owes it, what is
    missing (column as people read it, students), whether its deadline has passed."""

    klass: str
    teacher: str | None
    missing: tuple[tuple[str, int], ...]
    due: dt.datetime
    late: bool


@dataclass(frozen=True)
class ProgressSummary:
    """The school's progress on one phone screen: the first `top` teachers (late ones first)
    and classes with gaps, the homeroom teachers' part of each class, and a reminder button for
    each late teacher shown, then one for everyone late; what was left out is counted, so the
    screen never looks complete when it is not (`hidden_teachers`, `hidden_classes`,
    `hidden_homerooms`: the lines that say so, or "")."""

    teachers: tuple[TeacherLine, ...]
    classes: tuple[ClassLine, ...]
    choices: tuple[Choice, ...]
    more_teachers: int = 0  # teachers not shown
    more_late: int = 0  # of them, late
    more_classes: int = 0  # classes with gaps not shown
    homerooms: tuple[HomeroomLine, ...] = ()
    more_homerooms: int = 0  # classes whose homeroom part is incomplete, not shown

    def hidden_teachers(self) -> str:
        if not self.more_teachers:
            return ""
        if self.more_late:
            return _("… và {n} giáo viên khác ({late} người trễ hạn).").format(
                n=self.more_teachers, late=self.more_late
            )
        return _("… và {n} giáo viên khác.").format(n=self.more_teachers)

    def hidden_classes(self) -> str:
        if not self.more_classes:
            return ""
        return _("… và {n} lớp khác còn thiếu điểm.").format(n=self.more_classes)

    def hidden_homerooms(self) -> str:
        if not self.more_homerooms:
            return ""
        return _("… và {n} lớp khác chủ nhiệm chưa nhập xong.").format(n=self.more_homerooms)


def _homerooms(progress: SchoolProgress, now: dt.datetime) -> list[HomeroomLine]:
    """The classes whose homeroom part is incomplete, late ones first, then by due date."""
    lines = [
        HomeroomLine(
            sheet.class_name,
            sheet.teacher_name,
            tuple((g.label, g.count) for g in sheet.gaps),
            sheet.due or now,
            sheet.late(now),
        )
        for group in progress.by_class
        for sheet in group.sheets
        if sheet.homeroom and not sheet.complete
    ]
    return sorted(lines, key=lambda line: (not line.late, line.due, line.klass))


async def school_summary(actor: Actor, *, now: dt.datetime, top: int = 12) -> ProgressSummary:
    """For leadership, admins and the office (`school_progress` checks)."""
    progress = await school_progress(actor, await current_year(actor.school_id), now=now)
    teachers = [g for g in progress.by_teacher if g.key is not None and g.sheets]
    late = [g for g in teachers if g.late(now)]
    classes = [g for g in progress.by_class if g.missing]
    homerooms = _homerooms(progress, now)
    choices = [
        Choice(_("Nhắc {name}").format(name=g.name), buttons.PROGRESS_REMIND.data(g.key))
        for g in late[:top]
    ]
    if late:
        choices.append(Choice(_("📣 Nhắc tất cả người trễ"), buttons.PROGRESS_REMIND_ALL.data()))
    return ProgressSummary(
        tuple(TeacherLine(g.name, g.missing, g.late(now)) for g in teachers[:top]),
        tuple(ClassLine(g.name, g.missing) for g in classes[:top]),
        tuple(choices),
        more_teachers=max(len(teachers) - top, 0),
        more_late=sum(g.late(now) for g in teachers[top:]),
        more_classes=max(len(classes) - top, 0),
        homerooms=tuple(homerooms[:top]),
        more_homerooms=max(len(homerooms) - top, 0),
    )
