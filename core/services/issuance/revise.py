"""Replacing an issued record with a new version, and reading a class's issued records.

An issued record never changes (001 Điều 24): a fix after issuance is the next version, built
from the gradebook as it is then, signed through the whole chain again; issuing it revokes the
previous version with the reason (core.services.issuance.apply).
"""

from __future__ import annotations

from dataclasses import replace

from tortoise.transactions import in_transaction

from core import audit
from core.errors import InvalidValue, PermissionDenied
from core.i18n import _
from core.models import IssuedRecord, RecordState, Role, SchoolClass, SignatureRole
from core.services.access import Actor, ensure_can_read
from core.services.issuance.build import build_class, render_documents
from core.services.locks import ensure_before_final
from core.services.lookup_codes import Portal
from core.workers import WorkerPool


async def revise(
    actor: Actor, record: IssuedRecord, reason: str, workers: WorkerPool, portal: Portal
) -> IssuedRecord:
    """Start the next version of an issued record from the gradebook as it is now (after a
    correction), with its own lookup code for `portal`; it goes through the whole signing
    chain again, and its issue revokes this one with `reason`."""
    if not actor.has(Role.PRINCIPAL, Role.ADMIN):
        raise PermissionDenied(_("Chỉ hiệu trưởng hoặc quản trị được lập phiên bản thay thế."))
    if record.state is not RecordState.ISSUED:
        raise InvalidValue(_("Chỉ thay thế được học bạ đang có hiệu lực."))
    if not reason.strip():
        raise InvalidValue(_("Cần ghi lý do thay thế học bạ."))
    await ensure_before_final(record.year_id)  # 001 Điều 25.3–4: no replacing after 15/8
    school_class = await SchoolClass.get(id=record.school_class_id)
    built = await build_class(actor, school_class, only_student=record.student_id)
    lookup = portal.new_lookup()
    data = replace(built.records[record.student_id], lookup=lookup)
    [(xml, digest)], _sheets = await workers.run(render_documents, [data], [])
    async with in_transaction():
        new = await IssuedRecord.create(
            student_id=record.student_id,
            year_id=record.year_id,
            school_class=school_class,
            code=data.record_code,
            version=data.version,
            lookup_code=lookup.code,
            next_role=SignatureRole.HOMEROOM,
            data_hash=digest,
            xml=xml,
            correction_reason=reason.strip(),
        )
        await audit.record(
            audit.Event(
                actor.label,
                "record.revise",
                f"record:{record.id}",
                after={"new_record": new.id, "version": new.version, "reason": reason},
            )
        )
    return new


async def issued_records(actor: Actor, school_class: SchoolClass) -> list[IssuedRecord]:
    """The class's current issued records (for export); reading them is audited."""
    await ensure_can_read(actor, school_class)
    records = (
        await IssuedRecord.filter(school_class=school_class, state=RecordState.ISSUED)
        .order_by("code")
        .prefetch_related("student")
    )
    await audit.record(
        audit.Event(
            actor.label, "records.read", f"class:{school_class.id}", after={"records": len(records)}
        )
    )
    return records
