"""Who may do what: the authorisation every entry point goes through.

A handler never decides rights: it builds an `Actor` and calls a service, and the service asks
this module. Refusals name the missing right in words a teacher understands, and never reveal
data of another school.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import PermissionDenied
from core.i18n import _
from core.models import Role, SchoolClass, SchoolYear, Staff, Subject, TeachingAssignment

LEADERSHIP = frozenset({Role.PRINCIPAL, Role.VICE_PRINCIPAL})
# Roles that read the whole school's gradebook: leadership decides, admins run the system,
# registrar and clerk keep and issue the records.
READ_ALL = LEADERSHIP | {Role.ADMIN, Role.REGISTRAR, Role.CLERK}


@dataclass(frozen=True)
class Actor:
    """The person (or the server's own command line) on whose behalf a service runs."""

    school_id: int
    label: str
    staff_id: int | None = None
    roles: frozenset[Role] = frozenset()

    @classmethod
    def command_line(cls, school_id: int) -> Actor:
        """The school's administrator at the server's console: the admin role, logged as 'cli'."""
        return cls(school_id=school_id, label="cli", roles=frozenset({Role.ADMIN}))

    @classmethod
    async def of_staff(cls, staff: Staff) -> Actor:
        roles = frozenset(Role(r.role) for r in await staff.roles.all())
        return cls(
            school_id=staff.school_id, label=f"staff:{staff.id}", staff_id=staff.id, roles=roles
        )

    def has(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)


async def _class_school_id(school_class: SchoolClass) -> int:
    year = await school_class.year
    return year.school_id


async def _ensure_same_school(actor: Actor, school_class: SchoolClass) -> None:
    if await _class_school_id(school_class) != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với lớp này."))


async def _teaches(actor: Actor, school_class: SchoolClass, subject: Subject | None) -> bool:
    if actor.staff_id is None:
        return False
    query = TeachingAssignment.filter(staff_id=actor.staff_id, school_class_id=school_class.id)
    if subject is not None:
        query = query.filter(subject_id=subject.id)
    return await query.exists()


def _is_homeroom(actor: Actor, school_class: SchoolClass) -> bool:
    return actor.staff_id is not None and school_class.homeroom_id == actor.staff_id


def write_refusal(school_class: SchoolClass, subject: Subject | None) -> PermissionDenied:
    """Why someone who is not the sheet's teacher may not write it: a subject's marks are
    its assigned teacher's, the homeroom part (`subject` None) the homeroom teacher's."""
    if subject is None:
        return PermissionDenied(
            _(
                "Chỉ giáo viên chủ nhiệm lớp {klass} (hoặc quản trị) được nhập rèn luyện, "
                "số ngày nghỉ và nhận xét chung của lớp."
            ).format(klass=school_class.name)
        )
    return PermissionDenied(
        _(
            "Bạn không được phân công dạy môn {subject} lớp {klass}, nên không nhập điểm được. "
            "Nếu phân công sai, hãy báo quản trị học bạ số của trường."
        ).format(subject=subject.name, klass=school_class.name)
    )


async def ensure_can_write_subject(
    actor: Actor, school_class: SchoolClass, subject: Subject
) -> None:
    """Marks of a class × subject: its assigned teacher, or an admin (templates, test dates).
    Writing the marks themselves is stricter: an admin only where the school enabled nhập hộ
    (core.services.on_behalf, 001 Điều 17.2)."""
    await _ensure_same_school(actor, school_class)
    if actor.has(Role.ADMIN) or await _teaches(actor, school_class, subject):
        return
    raise write_refusal(school_class, subject)


async def ensure_can_write_class(actor: Actor, school_class: SchoolClass) -> None:
    """Conduct, absences and general comments: the homeroom teacher, or an admin (the sheet's
    template); writing them, an admin only where the school enabled nhập hộ (on_behalf)."""
    await _ensure_same_school(actor, school_class)
    if actor.has(Role.ADMIN) or _is_homeroom(actor, school_class):
        return
    raise write_refusal(school_class, None)


Sheet = tuple[SchoolClass, Subject | None]  # a class's marks of a subject, or its homeroom part


async def own_sheets(actor: Actor, sheets: Sequence[Sheet]) -> set[tuple[int, int | None]]:
    """The (class id, subject id or None) of the sheets that are the actor's own: they teach
    the subject in the class, or are its homeroom teacher. Two queries for any number of
    sheets (a year's import writes 1,300); every class must be of the actor's school."""
    years = {school_class.year_id for school_class, _subject in sheets}
    schools = await SchoolYear.filter(id__in=years).values_list("school_id", flat=True)
    if len(schools) != len(years) or set(schools) != {actor.school_id}:
        raise PermissionDenied(_("Bạn không có quyền với lớp này."))
    if actor.staff_id is None:
        return set()
    taught = set(
        await TeachingAssignment.filter(
            staff_id=actor.staff_id, school_class_id__in={c.id for c, _s in sheets}
        ).values_list("school_class_id", "subject_id")
    )
    return {
        (c.id, s.id if s else None)
        for c, s in sheets
        if ((c.id, s.id) in taught if s else _is_homeroom(actor, c))
    }


async def ensure_can_read(
    actor: Actor, school_class: SchoolClass, subject: Subject | None = None
) -> None:
    """Leadership, admins, registrar and clerk read all; the homeroom teacher reads the class;
    a subject teacher reads the subjects they teach there."""
    await _ensure_same_school(actor, school_class)
    if actor.has(*READ_ALL) or _is_homeroom(actor, school_class):
        return
    if subject is not None and await _teaches(actor, school_class, subject):
        return
    raise PermissionDenied(
        _("Bạn không có quyền xem điểm lớp {klass}{subject}.").format(
            klass=school_class.name, subject=f" — {subject.name}" if subject else ""
        )
    )


async def staff_with(school_id: int, *roles: Role) -> list[Staff]:
    """The school's active staff holding any of `roles`, each once, in a stable order: who a
    notice of the school goes to."""
    return list(
        await Staff.filter(school_id=school_id, active=True, roles__role__in=list(roles))
        .distinct()
        .order_by("id")
    )


def ensure_admin(actor: Actor) -> None:
    if not actor.has(Role.ADMIN):
        raise PermissionDenied(_("Việc này cần quyền quản trị học bạ số của trường."))
