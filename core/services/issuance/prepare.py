"""Creating a closed class's documents, and what waits for whom.

Order (regulation 001 Điều 24, khoản 5): each subject teacher signs the class × subject sheets
of their subject; then the homeroom teacher, the principal and the clerk with the school's seal
sign each student's record. Documents are created once per class (001 Điều 24.4: học vụ khởi
tạo), after the class's year is closed (chốt dữ liệu, Điều 25: the principal's decision,
core.services.issuance.closing).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import audit
from core.errors import HocbaError, PermissionDenied
from core.i18n import _
from core.models import (
    ClassClosure,
    IssuedRecord,
    RecordState,
    Role,
    SchoolClass,
    SignatureRole,
    SubjectSheetDoc,
    TeachingAssignment,
)
from core.services.access import LEADERSHIP, Actor, ensure_can_read
from core.services.issuance.announce import announce_next, announce_sheets
from core.services.issuance.build import build_class, render_documents
from core.services.issuance.busy import taken_records, taken_sheets
from core.services.issuance.stand_in import homeroom_signer
from core.services.locks import ensure_before_final
from core.services.lookup_codes import Portal
from core.services.school_rules import school_rules
from core.workers import WorkerPool


async def ensure_closed(school_class: SchoolClass) -> None:
    if not await ClassClosure.exists(school_class=school_class):
        raise HocbaError(
            _(
                "Lớp {klass} chưa chốt năm học: chưa lập và ký học bạ được. Hiệu trưởng chốt "
                "bằng /chotnam (quản trị: hocba close {klass} --decided-by MÃ_CÁN_BỘ)."
            ).format(klass=school_class.name)
        )


@dataclass(frozen=True)
class Prepared:
    """What preparing a class did: documents created (0: they existed), signers told."""

    documents: int
    told: tuple[str, ...]


async def prepare_class(
    actor: Actor, school_class: SchoolClass, workers: WorkerPool, portal: Portal
) -> Prepared:
    """Build the class's sheets and its students' first records (once), each record with its
    own lookup code for `portal` (its QR code), and tell the first signers; when they exist
    already nothing happens (so a re-run is harmless). Registrar, admin or leadership (Điều
    24.4: học vụ khởi tạo), once the year is closed (closing.py)."""
    await ensure_can_read(actor, school_class)
    if not actor.has(Role.ADMIN, Role.REGISTRAR, *LEADERSHIP):
        raise PermissionDenied(_("Chỉ học vụ, quản trị hoặc Ban giám hiệu được lập học bạ."))
    await ensure_closed(school_class)
    await ensure_before_final(school_class.year_id)  # 001 Điều 25.4: frozen after 15/8
    if await IssuedRecord.exists(school_class=school_class):
        return Prepared(0, ())
    built = await build_class(actor, school_class)
    lookups = {student_id: portal.new_lookup() for student_id in built.records}
    data = {sid: replace(record, lookup=lookups[sid]) for sid, record in built.records.items()}
    records, sheets = await workers.run(
        render_documents, list(data.values()), [p.sheet for p in built.sheets]
    )
    year = await school_class.year
    async with in_transaction():
        if await IssuedRecord.exists(school_class=school_class):
            return Prepared(0, ())  # prepared meanwhile by someone else
        await SubjectSheetDoc.bulk_create(
            [
                SubjectSheetDoc(
                    school_class=school_class,
                    subject_id=plan.subject_id,
                    period=plan.period,
                    teacher_id=plan.teacher_id,
                    xml=xml,
                )
                for plan, xml in zip(built.sheets, sheets, strict=True)
            ]
        )
        rows = [
            IssuedRecord(
                student_id=student_id,
                year=year,
                school_class=school_class,
                code=record.record_code,
                version=record.version,
                lookup_code=lookups[student_id].code,
                next_role=SignatureRole.HOMEROOM,
                data_hash=digest,
                xml=xml,
                correction_reason=_("Thêm năm học {year}").format(year=year.name)
                if record.replaces_version
                else "",
            )
            for (student_id, record), (xml, digest) in zip(data.items(), records, strict=True)
        ]
        await IssuedRecord.bulk_create(rows)
        told = await announce_sheets(school_class, "prepare")
        if not told:  # no subject teacher signs here: the homeroom teacher's step is open
            told = await announce_next(school_class, SignatureRole.SUBJECT_TEACHER, "prepare")
        await audit.record(
            audit.Event(
                actor.label,
                "records.prepare",
                f"class:{school_class.id}",
                after={"records": len(rows), "sheets": len(sheets)},
            )
        )
    return Prepared(len(rows) + len(sheets), tuple(told))


@dataclass(frozen=True)
class Waiting:
    """What waits for one signer in one class ("Lớp 6A: 40 học bạ chờ ký")."""

    class_id: int
    class_name: str
    role: SignatureRole
    count: int


async def may_sign(actor: Actor, school_class: SchoolClass, role: SignatureRole) -> bool:
    if actor.staff_id is None:
        return False
    if role is SignatureRole.SUBJECT_TEACHER:  # or the principal in a departed one's place
        return await TeachingAssignment.exists(
            staff_id=actor.staff_id, school_class=school_class
        ) or await SubjectSheetDoc.exists(school_class=school_class, teacher_id=actor.staff_id)
    if role is SignatureRole.HOMEROOM:
        signer = await homeroom_signer(school_class)  # stand_in: 001 Điều 18.5, 18.7
        return signer is not None and signer.id == actor.staff_id
    if role is SignatureRole.PRINCIPAL:
        return actor.has(Role.PRINCIPAL)
    # The seal: the clerk (001 Điều 24.5d), or the admin where the principal assigned it
    # (004 Điều 9.4: the school's rule `seal_operator`).
    if actor.has(Role.CLERK):
        return True
    return actor.has(Role.ADMIN) and (await school_rules(actor.school_id)).seal_operator == "admin"


async def _waiting(
    actor: Actor, school_class: SchoolClass, role: SignatureRole
) -> QuerySet[SubjectSheetDoc] | QuerySet[IssuedRecord] | None:
    """The documents of the class waiting for this signer's step, as a query (None: none).
    A document in an open batch waits for no one: that batch signs it, and what it signed
    reaches the next signer when the whole batch is done."""
    if role is SignatureRole.SUBJECT_TEACHER:
        return SubjectSheetDoc.filter(
            school_class=school_class, teacher_id=actor.staff_id, signed_at__isnull=True
        ).exclude(id__in=await taken_sheets(school_class))
    if role is SignatureRole.HOMEROOM and await SubjectSheetDoc.exists(
        school_class=school_class, signed_at__isnull=True
    ):
        return None  # the subject teachers sign first
    return IssuedRecord.filter(
        school_class=school_class, state=RecordState.SIGNING, next_role=role
    ).exclude(id__in=await taken_records(school_class))


async def waiting_documents(
    actor: Actor, school_class: SchoolClass, role: SignatureRole
) -> list[SubjectSheetDoc] | list[IssuedRecord]:
    query = await _waiting(actor, school_class, role)
    return [] if query is None else await query.order_by("id")


async def waiting_for(actor: Actor) -> list[Waiting]:
    """Every class with documents waiting for this person, per role, in signing order."""
    found = []
    closed = await SchoolClass.filter(
        closure__id__isnull=False, year__school_id=actor.school_id
    ).order_by("name")
    for school_class in closed:
        for role in SignatureRole:
            if await may_sign(actor, school_class, role):
                query = await _waiting(actor, school_class, role)
                count = 0 if query is None else await query.count()
                if count:
                    found.append(Waiting(school_class.id, school_class.name, role, count))
    return found
