"""The next school year of the demo's level, as a school lives it: the new year's class lists
imported with last year's students one grade up, the same teachers assigned, the year's data
entered by them, and the class closed at the year's issuing moment."""

from __future__ import annotations

import datetime as dt
import random

from core import clock
from core.models import Role, School, SchoolClass, Staff, TeachingAssignment
from core.services import issuance, roster
from core.services.access import Actor
from core.services.gradebook import class_students
from core.services.schools import ensure_year, find_class
from demo.school import fill_year
from demo.signing import issuing_moment

NEXT_YEAR = "2026-2027"


async def next_year_class(
    school: School, last: SchoolClass, name: str
) -> tuple[SchoolClass, dt.datetime]:
    """Class `name` of `NEXT_YEAR` holding the students of `last`, closed; and the moment it
    closed, when its records may be issued."""
    actor = Actor.command_line(school.id)
    year = await ensure_year(school, NEXT_YEAR)
    grade = last.grade + 1
    await roster.write_students(
        actor,
        year,
        [
            roster.StudentEntry(
                s.national_id,
                s.full_name,
                s.born,
                s.gender,
                name,
                grade,
                e.number,
                s.ethnicity,
                s.birthplace,
            )
            for e, s in await class_students(last)
        ],
    )
    homeroom = await Staff.get(id=last.homeroom_id).prefetch_related("roles")
    roles = frozenset(Role(r.role) for r in homeroom.roles)
    await roster.write_staff(
        actor,
        year,
        [roster.StaffEntry(homeroom.code, homeroom.full_name, roles, homeroom.phone, "", name)],
    )
    taught = await TeachingAssignment.filter(school_class=last).prefetch_related("staff")
    await roster.write_assignments(
        actor, year, [roster.AssignmentEntry(a.staff.code, name, a.subject_id) for a in taught]
    )
    school_class = await find_class(year, name)
    await fill_year(random.Random(2026), school_class)
    principal = await Staff.get(school=school, roles__role=Role.PRINCIPAL)
    moment = await issuing_moment(year)
    with clock.staged(moment):
        await issuance.close_year(actor, school_class.id, decided_by=principal)
    return school_class, moment
