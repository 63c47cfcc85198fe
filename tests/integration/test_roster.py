"""Roster rules the services enforce whatever the entry point."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import PermissionDenied
from core.models import Student
from core.rules.catalog import SchoolLevel
from core.services import roster
from core.services.access import Actor
from core.services.schools import create_school, ensure_year
from core.validation import Gender

AN = roster.StudentEntry("037214000001", "Nguyễn Văn An", dt.date(2014, 1, 2), Gender.MALE, "6A", 6)


async def test_a_student_of_another_school_is_not_moved_by_import(secondary, admin_of) -> None:
    school, year = secondary
    await roster.write_students(admin_of(school), year, [AN])
    other = await create_school("THCS-B", "Trường THCS B", SchoolLevel.LOWER_SECONDARY)
    other_year = await ensure_year(other, "2025-2026")
    with pytest.raises(PermissionDenied, match="chuyển trường"):
        await roster.write_students(Actor.command_line(other.id), other_year, [AN])
    assert (await Student.get(national_id=AN.national_id)).school_id == school.id


async def test_only_admins_maintain_the_roster(secondary) -> None:
    school, year = secondary
    clerk_like = Actor(school_id=school.id, label="staff:9")
    with pytest.raises(PermissionDenied):
        await roster.write_students(clerk_like, year, [AN])
    assert await Student.all().count() == 0
