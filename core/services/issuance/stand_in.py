"""Who signs a teacher's step when the teacher has left the school (001 Điều 18.5, 18.7, 27).

A teacher who moved or left before the year ended is succeeded by whoever teaches the subject
or the class at the year's end (18.5, 27.2): the school records that by changing the teaching
assignment or the class's homeroom teacher, and that person signs. When nobody took over and
the teacher named is no longer at the school (their staff record is inactive, 27.1), the
principal signs in their place (18.7: "Hiệu trưởng được quyền ký xác thực thay"). The document
still names the teacher who taught; its signer list names the principal in that role, so a
verifier sees who signed, and the PDF says the principal signed in the teacher's place.
"""

from __future__ import annotations

from core.models import Role, SchoolClass, Staff


async def principal_of(school_id: int) -> Staff | None:
    """The school's principal (active), who signs in place of a teacher who left."""
    return await Staff.filter(school_id=school_id, roles__role=Role.PRINCIPAL, active=True).first()


def acting(teacher: Staff | None, principal: Staff | None) -> Staff | None:
    """Who signs the step of `teacher`: the teacher while at the school, else the principal."""
    return teacher if teacher is not None and teacher.active else principal


async def homeroom_signer(school_class: SchoolClass) -> Staff | None:
    """Who signs the class's homeroom step: its homeroom teacher, or, when that teacher has
    left and no successor was named, the principal (18.7)."""
    homeroom = (
        await Staff.get_or_none(id=school_class.homeroom_id) if school_class.homeroom_id else None
    )
    if homeroom is not None and homeroom.active:
        return homeroom
    year = await school_class.year
    return await principal_of(year.school_id) if homeroom is not None else None
