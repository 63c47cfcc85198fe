"""What a class's documents still wait for, step by step: the people's signatures before the seal.

`hocba issue` in production only seals and issues what the people have signed (regulation
001 Điều 8.3, 32.1: nobody signs for another): when something still waits for a person, it
says for whom, so the clerk knows whom to ask rather than signing in their place.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.i18n import _
from core.models import IssuedRecord, RecordState, SchoolClass, SignatureRole, SubjectSheetDoc
from core.models.records import RECORD_ORDER
from core.services.access import Actor, ensure_can_read


@dataclass(frozen=True)
class Outstanding:
    """`count` documents of the class wait for the `role` step."""

    role: SignatureRole
    count: int

    def line(self) -> str:
        what = (
            _("{n} bảng điểm môn")
            if self.role is SignatureRole.SUBJECT_TEACHER
            else _("{n} học bạ")
        )
        return f"{self.role.label}: {what.format(n=self.count)}"


async def outstanding(actor: Actor, school_class: SchoolClass) -> list[Outstanding]:
    """The class's unsigned documents by the step they wait for, in signing order."""
    await ensure_can_read(actor, school_class)
    found = []
    sheets = await SubjectSheetDoc.filter(school_class=school_class, signed_at__isnull=True).count()
    if sheets:
        found.append(Outstanding(SignatureRole.SUBJECT_TEACHER, sheets))
    for role in RECORD_ORDER:
        count = await IssuedRecord.filter(
            school_class=school_class, state=RecordState.SIGNING, next_role=role
        ).count()
        if count:
            found.append(Outstanding(role, count))
    return found


async def issued_count(actor: Actor, school_class: SchoolClass) -> int:
    """How many of the class's records are issued (a count: no personal data read)."""
    await ensure_can_read(actor, school_class)
    return await IssuedRecord.filter(school_class=school_class, state=RecordState.ISSUED).count()
