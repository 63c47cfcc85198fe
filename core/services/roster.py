"""Students with guardians and classes, staff with roles, and teaching assignments.

Keyed by the personal ID (students) and the school's staff code (staff), so a re-import of the
same list changes nothing. Only admins maintain the roster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from core import audit
from core.errors import PermissionDenied
from core.i18n import _
from core.models import (
    Enrollment,
    Guardian,
    Role,
    SchoolClass,
    SchoolYear,
    Staff,
    StaffRole,
    Student,
    TeachingAssignment,
)
from core.services import role_grants
from core.services.access import Actor, ensure_admin
from core.services.upsert import Row, Written, upsert
from core.validation import Gender


@dataclass(frozen=True)
class GuardianEntry:
    full_name: str
    relation: str
    phone: str


@dataclass(frozen=True)
class StudentEntry:
    national_id: str
    full_name: str
    born: dt.date
    gender: Gender
    class_name: str
    grade: int
    number: int = 0
    ethnicity: str = "Kinh"
    birthplace: str = ""
    guardians: tuple[GuardianEntry, ...] = ()


@dataclass(frozen=True)
class StaffEntry:
    code: str
    full_name: str
    roles: frozenset[Role]
    phone: str | None = None
    email: str = ""
    homeroom_class: str | None = None


@dataclass(frozen=True)
class AssignmentEntry:
    staff_code: str
    class_name: str
    subject_id: int


@dataclass
class RosterWritten:
    """What an import changed, per kind of row, for the answer shown to the admin."""

    parts: dict[str, Written] = field(default_factory=dict)

    def add(self, name: str, written: Written) -> None:
        self.parts.setdefault(name, Written())
        self.parts[name] += written

    @property
    def changed(self) -> int:
        return sum(w.changed for w in self.parts.values())


async def _classes(actor: Actor, year: SchoolYear, names: dict[str, int]) -> dict[str, SchoolClass]:
    """The year's classes by name, creating those that `names` (name -> grade) adds."""
    existing = {c.name: c for c in await SchoolClass.filter(year=year)}
    for name, grade in sorted(names.items()):
        if name not in existing:
            existing[name] = await SchoolClass.create(year=year, name=name, grade=grade)
            await audit.record(
                audit.Event(
                    actor.label,
                    "class.create",
                    f"class:{existing[name].id}",
                    after={"name": name, "year": year.name},
                )
            )
    return existing


async def write_students(
    actor: Actor, year: SchoolYear, entries: Sequence[StudentEntry]
) -> RosterWritten:
    ensure_admin(actor)
    ids = [e.national_id for e in entries]
    elsewhere = await Student.filter(national_id__in=ids).exclude(school_id=actor.school_id)
    if elsewhere:
        # A student moves between schools only through the transfer procedure, never by import.
        raise PermissionDenied(
            _("Học sinh {ids} đang thuộc trường khác; cần làm thủ tục chuyển trường.").format(
                ids=", ".join(s.national_id for s in elsewhere)
            )
        )
    result = RosterWritten()
    async with in_transaction():
        classes = await _classes(actor, year, {e.class_name: e.grade for e in entries})
        result.add(
            "students",
            await upsert(
                Student,
                [
                    Row(
                        key={"national_id": e.national_id},
                        values={
                            "school_id": actor.school_id,
                            "full_name": e.full_name,
                            "born": e.born,
                            "gender": e.gender,
                            "ethnicity": e.ethnicity,
                            "birthplace": e.birthplace,
                        },
                        target=f"student:{e.national_id}",
                    )
                    for e in entries
                ],
                scope={"national_id__in": ids},
                actor=actor.label,
                action="student",
            ),
        )
        student_ids = dict(
            await Student.filter(national_id__in=ids).values_list("national_id", "id")
        )
        result.add(
            "enrollments",
            await upsert(
                Enrollment,
                [
                    Row(
                        key={"student_id": student_ids[e.national_id], "year_id": year.id},
                        values={"school_class_id": classes[e.class_name].id, "number": e.number},
                        target=f"enrollment:{student_ids[e.national_id]}:{year.id}",
                    )
                    for e in entries
                ],
                scope={"student_id__in": list(student_ids.values()), "year_id": year.id},
                actor=actor.label,
                action="enrollment",
            ),
        )
        result.add(
            "guardians",
            await upsert(
                Guardian,
                [
                    Row(
                        key={"student_id": student_ids[e.national_id], "phone": g.phone},
                        values={"full_name": g.full_name, "relation": g.relation},
                        target=f"guardian:{student_ids[e.national_id]}:{g.phone}",
                    )
                    for e in entries
                    for g in e.guardians
                ],
                scope={"student_id__in": list(student_ids.values())},
                actor=actor.label,
                action="guardian",
            ),
        )
    return result


async def write_staff(
    actor: Actor,
    year: SchoolYear,
    entries: Sequence[StaffEntry],
    *,
    decided_by: Staff | None = None,
) -> RosterWritten:
    """Staff and their roles; the file's roles replace the stored ones, and a homeroom class
    named in the file gets that teacher. Granting or withdrawing the principal's, vice
    principal's or clerk's role needs the principal's decision (core.services.role_grants)."""
    ensure_admin(actor)
    result = RosterWritten()
    async with in_transaction():
        codes = [e.code for e in entries]
        result.add(
            "staff",
            await upsert(
                Staff,
                [
                    Row(
                        key={"school_id": actor.school_id, "code": e.code},
                        values={"full_name": e.full_name, "phone": e.phone, "email": e.email},
                        target=f"staff:{e.code}",
                    )
                    for e in entries
                ],
                scope={"school_id": actor.school_id, "code__in": codes},
                actor=actor.label,
                action="staff",
            ),
        )
        staff_ids = dict(
            await Staff.filter(school_id=actor.school_id, code__in=codes).values_list("code", "id")
        )
        wanted = {(staff_ids[e.code], role) for e in entries for role in e.roles}
        stored = set(
            await StaffRole.filter(staff_id__in=list(staff_ids.values())).values_list(
                "staff_id", "role"
            )
        )
        roles = Written(unchanged=len(wanted & stored))
        decision = await role_grants.ensure_may_change(actor, stored ^ wanted, decided_by)

        def decided(role: Role) -> dict[str, object]:
            return decision.audited() if decision and role in role_grants.RESERVED else {}

        for staff_id, role in sorted(stored - wanted):
            await StaffRole.filter(staff_id=staff_id, role=role).delete()
            await audit.record(
                audit.Event(
                    actor.label,
                    "staff_role.delete",
                    f"staff:{staff_id}",
                    before={"role": role},
                    after=decided(role) or None,
                )
            )
            roles.updated += 1
        for staff_id, role in sorted(wanted - stored):
            await StaffRole.create(staff_id=staff_id, role=role)
            await audit.record(
                audit.Event(
                    actor.label,
                    "staff_role.create",
                    f"staff:{staff_id}",
                    after={"role": role, **decided(role)},
                )
            )
            roles.created += 1
        result.add("roles", roles)
        homerooms = Written()
        for e in entries:
            if not e.homeroom_class:
                continue
            school_class = await SchoolClass.get(year=year, name=e.homeroom_class)
            if school_class.homeroom_id == staff_ids[e.code]:
                homerooms.unchanged += 1
                continue
            before = school_class.homeroom_id
            school_class.homeroom_id = staff_ids[e.code]
            await school_class.save(update_fields=["homeroom_id"])
            await audit.record(
                audit.Event(
                    actor.label,
                    "class.homeroom",
                    f"class:{school_class.id}",
                    before={"homeroom_id": before},
                    after={"homeroom_id": staff_ids[e.code]},
                )
            )
            homerooms.updated += 1
        result.add("homerooms", homerooms)
    return result


async def write_assignments(
    actor: Actor, year: SchoolYear, entries: Sequence[AssignmentEntry]
) -> RosterWritten:
    ensure_admin(actor)
    result = RosterWritten()
    classes = {c.name: c.id for c in await SchoolClass.filter(year=year)}
    staff_ids = dict(
        await Staff.filter(
            school_id=actor.school_id, code__in=[e.staff_code for e in entries]
        ).values_list("code", "id")
    )
    rows = [
        Row(
            key={
                "staff_id": staff_ids[e.staff_code],
                "school_class_id": classes[e.class_name],
                "subject_id": e.subject_id,
            },
            values={},
            target=f"assignment:{e.staff_code}:{e.class_name}:{e.subject_id}",
        )
        for e in entries
    ]
    result.add(
        "assignments",
        await upsert(
            TeachingAssignment,
            rows,
            scope={"school_class_id__in": sorted(set(classes.values()))},
            actor=actor.label,
            action="assignment",
        ),
    )
    return result
