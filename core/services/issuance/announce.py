"""Telling each signer, when their step of a class opens, what waits for them.

Signing starts where the signer is: nobody has to guess that a class is ready. When a class's
documents are created, every subject teacher with sheets to sign is told; when the last sheet
is signed, the homeroom teacher; after the homeroom teacher, the principal; after the
principal, the clerk who operates the seal (001 Điều 24.5). Each message carries the button
that starts the batch, and is enqueued in the transaction of the change that opened the step,
keyed by that change, so it is sent once.
"""

from __future__ import annotations

import datetime as dt

from core import buttons
from core.i18n import _
from core.models import (
    IssuedRecord,
    Notification,
    RecordState,
    Role,
    SchoolClass,
    SignatureRole,
    Staff,
    SubjectSheetDoc,
)
from core.services.issuance.busy import taken_records
from core.services.issuance.stand_in import homeroom_signer
from core.services.outbox import Button, describe, notify_staff

WAITING = "signing.waiting"
NEXT = {
    SignatureRole.SUBJECT_TEACHER: SignatureRole.HOMEROOM,
    SignatureRole.HOMEROOM: SignatureRole.PRINCIPAL,
    SignatureRole.PRINCIPAL: SignatureRole.SEAL,
}


async def _signers(school_class: SchoolClass, role: SignatureRole) -> list[Staff]:
    if role is SignatureRole.HOMEROOM:
        signer = await homeroom_signer(school_class)  # stand_in: 001 Điều 18.7
        return [signer] if signer is not None else []
    wanted = Role.PRINCIPAL if role is SignatureRole.PRINCIPAL else Role.CLERK
    school_id = (await school_class.year).school_id
    return await Staff.filter(school_id=school_id, roles__role=wanted, active=True)


async def _waiting_records(school_class: SchoolClass, role: SignatureRole) -> int:
    return (
        await IssuedRecord.filter(
            school_class=school_class, state=RecordState.SIGNING, next_role=role
        )
        .exclude(id__in=await taken_records(school_class))
        .count()
    )


async def _tell(
    staff: Staff, school_class: SchoolClass, role: SignatureRole, count: int, because: str
) -> str:
    def text() -> str:
        waiting = (
            _("{n} bảng điểm môn") if role is SignatureRole.SUBJECT_TEACHER else _("{n} học bạ")
        ).format(n=count)
        return _("✍️ Lớp {klass}: {waiting} chờ thầy/cô ký ({role}).").format(
            klass=school_class.name, waiting=waiting, role=role.label
        )

    def keyboard() -> list[list[Button]]:
        label = _("✍️ Ký lớp {klass} ({n})").format(klass=school_class.name, n=count)
        data = buttons.SIGN_CLASS.data(school_class.id, role.value)
        return [[{"text": label, "callback_data": data}]]

    await notify_staff(
        staff,
        WAITING,
        text,
        dedupe_key=f"waiting:{school_class.id}:{role.value}:{staff.id}:{because}",
        buttons=keyboard,
        topic=f"signing:{school_class.id}:{role.value}",
    )
    return staff.full_name


async def _still_waiting(notification: Notification, _now: dt.datetime) -> bool:
    """For a signer who signs in late: the message applies while something of that class
    still waits for their step (not once the batch is signed)."""
    _prefix, class_id, role = (notification.topic or "::").split(":", 2)
    school_class = await SchoolClass.get_or_none(id=int(class_id)) if class_id.isdigit() else None
    if school_class is None or role not in {r.value for r in SignatureRole}:
        return True
    if SignatureRole(role) is SignatureRole.SUBJECT_TEACHER:
        return await SubjectSheetDoc.exists(
            school_class=school_class,
            signed_at__isnull=True,
            teacher_id=notification.staff_id,  # type: ignore[attr-defined]
        )
    return await _waiting_records(school_class, SignatureRole(role)) > 0


describe(WAITING, lambda: _("thông báo tài liệu chờ ký"), _still_waiting)


async def announce_sheets(school_class: SchoolClass, because: str) -> list[str]:
    """Each subject teacher with sheets of the class to sign; returns who was told."""
    told = []
    counts: dict[int, int] = {}
    for teacher_id in await SubjectSheetDoc.filter(
        school_class=school_class, signed_at__isnull=True, teacher_id__isnull=False
    ).values_list("teacher_id", flat=True):
        counts[teacher_id] = counts.get(teacher_id, 0) + 1
    for teacher in await Staff.filter(id__in=list(counts), active=True):
        told.append(
            await _tell(
                teacher, school_class, SignatureRole.SUBJECT_TEACHER, counts[teacher.id], because
            )
        )
    return told


async def announce_next(school_class: SchoolClass, done: SignatureRole, because: str) -> list[str]:
    """After a step's batch: the next step's signers, if their step has opened (for the
    homeroom teacher, once every sheet is signed); returns who was told."""
    role = NEXT.get(done)
    if role is None:
        return []
    if role is SignatureRole.HOMEROOM and await SubjectSheetDoc.exists(
        school_class=school_class, signed_at__isnull=True
    ):
        return []
    count = await _waiting_records(school_class, role)
    if not count:
        return []
    return [
        await _tell(staff, school_class, role, count, because)
        for staff in await _signers(school_class, role)
    ]
