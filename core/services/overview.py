"""What a signed-in person sees first: their own teaching, or the school at a glance."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import PermissionDenied
from core.i18n import _
from core.models import Enrollment, SchoolClass, Staff, TeachingAssignment
from core.services.access import READ_ALL, Actor
from core.services.schools import current_year


@dataclass(frozen=True)
class Teaching:
    year: str | None
    homeroom: list[str]
    subjects: list[tuple[str, str]]  # (class, subject)


@dataclass(frozen=True)
class SchoolOverview:
    year: str | None
    classes: int
    students: int
    staff: int
    staff_linked: int


async def my_teaching(actor: Actor) -> Teaching:
    """The classes and subjects assigned to the actor in the latest year."""
    year = await current_year(actor.school_id)
    if year is None or actor.staff_id is None:
        return Teaching(None, [], [])
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
    )


async def school_overview(actor: Actor) -> SchoolOverview:
    """Counts only (no personal data): for leadership and the office."""
    if not actor.has(*READ_ALL):
        raise PermissionDenied(_("Chỉ Ban giám hiệu và văn phòng xem được tổng quan của trường."))
    year = await current_year(actor.school_id)
    classes = students = 0
    if year is not None:
        classes = await SchoolClass.filter(year=year).count()
        students = await Enrollment.filter(year=year).count()
    staff = Staff.filter(school_id=actor.school_id, active=True)
    return SchoolOverview(
        year.name if year else None,
        classes,
        students,
        await staff.count(),
        await staff.filter(telegram_user_id__isnull=False).count(),
    )
