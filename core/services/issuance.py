"""Issuing records: close a class's year, build its documents, sign them in order, issue.

Order (regulation 001 Điều 24, khoản 5): each subject teacher signs the class × subject sheets
of their subject; then the homeroom teacher, the principal and the clerk with the school's seal
sign each student's record; a record is issued only when all three are on it. Every step checks
in the core who signs (role and assignment), that the previous step is done, and that the
class is closed. A batch signs all of one signer's waiting documents of a class at once and is
stored atomically: it signs everything or nothing.

An issued record never changes. `revise` builds the next version from the gradebook; issuing
it revokes the previous version with the reason given.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import HocbaError, InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    BatchItem,
    BatchState,
    ClassClosure,
    IssuedRecord,
    Mark,
    RecordState,
    Role,
    School,
    SchoolClass,
    SignatureRole,
    SigningBatch,
    Staff,
    Student,
    SubjectSheetDoc,
    TeachingAssignment,
    Term,
)
from core.models.records import RECORD_ORDER
from core.render import xml_record as fmt
from core.rules import secondary as tt22
from core.rules.catalog import Assessment, SchoolLevel
from core.services.access import Actor, ensure_can_read
from core.services.gradebook import mark_column
from core.services.results import SecondaryResult, class_results
from core.signing.chain import (
    PreparedStep,
    finish_step,
    prepare_step,
    remote_signer,
    sign_record_step,
)
from core.signing.csc import Credential, CscClient, RemoteRefused
from core.signing.keys import Signer
from core.signing.xmldsig import c14n

PERIODS = ("1", "2", "CN")
LEVEL_NAMES = {
    SchoolLevel.PRIMARY: "Tiểu học",
    SchoolLevel.LOWER_SECONDARY: "Trung học cơ sở",
    SchoolLevel.UPPER_SECONDARY: "Trung học phổ thông",
}


def _value(value: Decimal | tt22.Verdict | None) -> str:
    if value is None:
        raise InvalidValue(_("Còn thiếu kết quả: chưa thể lập học bạ."))
    return f"{value:.1f}" if isinstance(value, Decimal) else value.value


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_hash(xml: bytes) -> str:
    """SHA-256 of the canonical data element: what every signature of the record covers."""
    return _sha256(c14n(fmt.data_element(fmt.parse_own(xml))))


async def _school_of(school_class: SchoolClass) -> School:
    year = await school_class.year
    return await School.get(id=year.school_id)


def _school_info(school: School) -> fmt.SchoolInfo:
    return fmt.SchoolInfo(
        school.code,
        school.name,
        LEVEL_NAMES[SchoolLevel(school.level)],
        school.province,
        school.district,
    )


async def _principal(school: School) -> Staff | None:
    return await Staff.filter(school=school, roles__role=Role.PRINCIPAL, active=True).first()


async def _teachers(school_class: SchoolClass) -> dict[int, Staff]:
    assignments = await TeachingAssignment.filter(school_class=school_class).prefetch_related(
        "staff"
    )
    return {a.subject_id: a.staff for a in assignments}


async def close_class(actor: Actor, school_class: SchoolClass) -> ClassClosure:
    """Close the class's year (chốt dữ liệu): only complete results may be issued."""
    await ensure_can_read(actor, school_class)
    if not actor.has(Role.PRINCIPAL, Role.ADMIN):
        raise PermissionDenied(_("Chỉ hiệu trưởng hoặc quản trị được chốt dữ liệu năm học."))
    school = await _school_of(school_class)
    if school.level == SchoolLevel.PRIMARY:
        raise HocbaError(_("Học bạ số tiểu học chưa được hỗ trợ phát hành."))
    results = await class_results(actor, school_class)
    missing = [r for r in results.rows if r.missing or r.promotion is None]
    if missing:
        raise InvalidValue(
            _("Lớp {klass} còn {n} học sinh chưa đủ kết quả, chưa chốt được.").format(
                klass=school_class.name, n=len(missing)
            )
        )
    async with in_transaction():
        closure, created = await ClassClosure.get_or_create(
            school_class=school_class, defaults={"closed_by": actor.label}
        )
        if created:
            await audit.record(audit.Event(actor.label, "class.close", f"class:{school_class.id}"))
    return closure


async def _ensure_closed(school_class: SchoolClass) -> None:
    if not await ClassClosure.exists(school_class=school_class):
        raise HocbaError(
            _("Lớp {klass} chưa chốt dữ liệu năm học: chưa ký được.").format(
                klass=school_class.name
            )
        )


async def _marks(school_class: SchoolClass, ids: list[int]) -> dict[tuple, list[tuple[str, str]]]:
    """(student, subject, term number) → the marks as the sheet prints them."""
    terms = {t.id: t.number for t in await Term.filter(year_id=school_class.year_id)}
    cells: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    for m in await Mark.filter(student_id__in=ids).order_by("kind", "index"):
        value = m.score if m.score is not None else m.verdict
        if value is not None and m.term_id in terms:
            cells[(m.student_id, m.subject_id, terms[m.term_id])].append(
                (mark_column(m.kind, m.index), _value(value))
            )
    return cells


def _record_data(
    row: SecondaryResult,
    student: Student,
    school_class: SchoolClass,
    school: School,
    year_name: str,
    version: int,
    names: dict[str, str],
    teachers: dict[int, Staff],
) -> fmt.StudentRecord:
    return fmt.StudentRecord(
        record_code=f"{school.code}.{year_name}.{student.national_id}",
        version=version,
        replaces_version=version - 1 if version > 1 else None,
        created=clock.today(),
        school=_school_info(school),
        national_id=student.national_id,
        full_name=student.full_name,
        born=student.born,
        gender="Nữ" if student.gender == "female" else "Nam",
        ethnicity=student.ethnicity,
        birthplace=student.birthplace,
        year_name=year_name,
        class_name=school_class.name,
        grade=school_class.grade,
        homeroom=names["homeroom"],
        principal=names["principal"],
        subjects=tuple(
            fmt.SubjectLine(
                r.subject.code,
                r.subject.name,
                r.subject.assessment == Assessment.SCORED,
                _value(r.term1),
                _value(r.term2),
                _value(r.year),
                teachers[r.subject.id].full_name if r.subject.id in teachers else "",
            )
            for r in row.subjects
        ),
        learning=tuple(row.learning[k].value for k in ("term1", "term2", "year")),  # type: ignore[union-attr, arg-type]
        conduct=tuple(row.conduct[k].value for k in ("term1", "term2", "year")),  # type: ignore[union-attr, arg-type]
        absent_days=row.absent_days,
        promotion=row.promotion.value,  # type: ignore[union-attr]
        title=row.title.value if row.title else None,
    )


async def _build(
    actor: Actor, school_class: SchoolClass, only_student: int | None = None
) -> tuple[dict[int, fmt.StudentRecord], list[SubjectSheetDoc]]:
    """The record data of the class's students and the unsigned class × subject sheets."""
    school = await _school_of(school_class)
    year = await school_class.year
    results = await class_results(actor, school_class)
    students = {
        s.national_id: s for s in await Student.filter(enrollments__school_class=school_class)
    }
    teachers = await _teachers(school_class)
    homeroom = (
        await Staff.get_or_none(id=school_class.homeroom_id) if school_class.homeroom_id else None
    )
    principal = await _principal(school)
    names = {
        "homeroom": homeroom.full_name if homeroom else "",
        "principal": principal.full_name if principal else "",
    }
    records = {}
    for row in results.rows:
        assert isinstance(row, SecondaryResult)
        student = students[row.national_id]
        if only_student is None or student.id == only_student:
            current = (
                await IssuedRecord.filter(student=student, year=year).order_by("-version").first()
            )
            version = current.version + 1 if current else 1
            records[student.id] = _record_data(
                row, student, school_class, school, year.name, version, names, teachers
            )
    sheets = []
    if only_student is None:
        cells = await _marks(school_class, [s.id for s in students.values()])
        info = _school_info(school)
        for subject in results.subjects:
            teacher = teachers.get(subject.id)
            for period in PERIODS:
                rows = []
                for row in results.rows:
                    assert isinstance(row, SecondaryResult)
                    sid = students[row.national_id].id
                    result = next(r for r in row.subjects if r.subject.id == subject.id)
                    if period == "CN":
                        marks = (("HK1", _value(result.term1)), ("HK2", _value(result.term2)))
                        value = result.year
                    else:
                        marks = tuple(cells[(sid, subject.id, int(period))])
                        value = result.term1 if period == "1" else result.term2
                    rows.append(
                        fmt.SheetRow(
                            row.number, row.national_id, row.full_name, marks, _value(value)
                        )
                    )
                xml = fmt.build_sheet(
                    fmt.SubjectSheet(
                        info,
                        year.name,
                        school_class.name,
                        subject.code,
                        subject.name,
                        period,
                        teacher.full_name if teacher else "",
                        tuple(rows),
                    )
                )
                sheets.append(
                    SubjectSheetDoc(
                        school_class=school_class,
                        subject=subject,
                        period=period,
                        teacher=teacher,
                        xml=xml,
                    )
                )
    return records, sheets


async def prepare_class(actor: Actor, school_class: SchoolClass) -> int:
    """Build the class's sheets and its students' first records (once); returns how many
    documents were created. Registrar, admin or leadership (Điều 24: học vụ khởi tạo)."""
    await ensure_can_read(actor, school_class)
    if not actor.has(Role.ADMIN, Role.REGISTRAR, Role.PRINCIPAL):
        raise PermissionDenied(_("Chỉ học vụ, quản trị hoặc hiệu trưởng được lập học bạ."))
    await _ensure_closed(school_class)
    if await IssuedRecord.exists(school_class=school_class):
        return 0
    records, sheets = await _build(actor, school_class)
    year = await school_class.year
    async with in_transaction():
        await SubjectSheetDoc.bulk_create(sheets)
        rows = []
        for student_id, data in records.items():
            xml = fmt.build_record(data)
            rows.append(
                IssuedRecord(
                    student_id=student_id,
                    year=year,
                    school_class=school_class,
                    code=data.record_code,
                    version=data.version,
                    next_role=SignatureRole.HOMEROOM,
                    data_hash=data_hash(xml),
                    xml=xml,
                )
            )
        await IssuedRecord.bulk_create(rows)
        await audit.record(
            audit.Event(
                actor.label,
                "records.prepare",
                f"class:{school_class.id}",
                after={"records": len(rows), "sheets": len(sheets)},
            )
        )
    return len(rows) + len(sheets)


@dataclass(frozen=True)
class Waiting:
    """What waits for one signer in one class ("Lớp 6A: 40 học bạ chờ ký")."""

    school_class: SchoolClass
    role: SignatureRole
    count: int


async def _may_sign(actor: Actor, school_class: SchoolClass, role: SignatureRole) -> bool:
    if actor.staff_id is None:
        return False
    if role is SignatureRole.SUBJECT_TEACHER:
        return await TeachingAssignment.exists(staff_id=actor.staff_id, school_class=school_class)
    if role is SignatureRole.HOMEROOM:
        return school_class.homeroom_id == actor.staff_id
    if role is SignatureRole.PRINCIPAL:
        return actor.has(Role.PRINCIPAL)
    return actor.has(Role.CLERK)


async def _waiting_documents(
    actor: Actor, school_class: SchoolClass, role: SignatureRole
) -> list[SubjectSheetDoc] | list[IssuedRecord]:
    if role is SignatureRole.SUBJECT_TEACHER:
        return await SubjectSheetDoc.filter(
            school_class=school_class, teacher_id=actor.staff_id, signed_at__isnull=True
        ).order_by("id")
    if role is SignatureRole.HOMEROOM and await SubjectSheetDoc.exists(
        school_class=school_class, signed_at__isnull=True
    ):
        return []  # the subject teachers sign first
    return await IssuedRecord.filter(
        school_class=school_class, state=RecordState.SIGNING, next_role=role
    ).order_by("id")


async def waiting_for(actor: Actor) -> list[Waiting]:
    """Every class with documents waiting for this person, per role, in signing order."""
    found = []
    closed = await SchoolClass.filter(
        closure__id__isnull=False, year__school_id=actor.school_id
    ).order_by("name")
    for school_class in closed:
        for role in SignatureRole:
            if await _may_sign(actor, school_class, role):
                count = len(await _waiting_documents(actor, school_class, role))
                if count:
                    found.append(Waiting(school_class, role, count))
    return found


async def start_batch(
    actor: Actor, school_class: SchoolClass, role: SignatureRole, backend: str
) -> SigningBatch:
    """One batch of everything waiting for this signer in the class, with the checks."""
    await _ensure_closed(school_class)
    if (await school_class.year).school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với lớp này."))
    if not await _may_sign(actor, school_class, role):
        raise PermissionDenied(
            _("Bạn không phải {role} của lớp {klass}, nên không ký được.").format(
                role=role.label, klass=school_class.name
            )
        )
    documents = await _waiting_documents(actor, school_class, role)
    if not documents:
        raise NotFound(
            _("Lớp {klass} không có tài liệu nào chờ {role} ký.").format(
                klass=school_class.name, role=role.label
            )
        )
    async with in_transaction():
        batch = await SigningBatch.create(
            school_class=school_class,
            signer_id=actor.staff_id,
            role=role,
            backend=backend,
            total=len(documents),
        )
        key = "sheet" if role is SignatureRole.SUBJECT_TEACHER else "record"
        await BatchItem.bulk_create([BatchItem(batch=batch, **{key: d}) for d in documents])
        await audit.record(
            audit.Event(
                actor.label,
                "batch.start",
                f"batch:{batch.id}",
                after={"class": school_class.id, "role": role.value, "documents": len(documents)},
            )
        )
    return batch


async def _revoke_previous(record: IssuedRecord, moment: dt.datetime, actor: str) -> None:
    previous = await IssuedRecord.filter(
        student_id=record.student_id,
        year_id=record.year_id,
        state=RecordState.ISSUED,
        version__lt=record.version,
    )
    for old in previous:
        old.state = RecordState.REVOKED
        old.revoked_at = moment
        old.revoked_reason = _("Thay thế bởi phiên bản {v}: {reason}").format(
            v=record.version, reason=record.correction_reason
        )
        await old.save(update_fields=["state", "revoked_at", "revoked_reason"])
        await audit.record(
            audit.Event(
                actor,
                "record.revoke",
                f"record:{old.id}",
                before={"state": RecordState.ISSUED.value},
                after={
                    "state": RecordState.REVOKED.value,
                    "replaced_by": record.id,
                    "reason": record.correction_reason,
                },
            )
        )


def _next(role: SignatureRole) -> SignatureRole | None:
    index = RECORD_ORDER.index(role)
    return RECORD_ORDER[index + 1] if index + 1 < len(RECORD_ORDER) else None


def _document(item: BatchItem) -> SubjectSheetDoc | IssuedRecord:
    return item.sheet if item.sheet_id is not None else item.record


def _check_waiting(document: SubjectSheetDoc | IssuedRecord, role: SignatureRole) -> None:
    """The document still waits for this step (another batch may have signed it since)."""
    if isinstance(document, SubjectSheetDoc):
        waiting = document.signed_at is None
    else:
        waiting = document.state is RecordState.SIGNING and document.next_role == role
    if not waiting:
        code = document.code if isinstance(document, IssuedRecord) else f"#{document.id}"
        raise InvalidValue(_("Tài liệu {code} không chờ bước ký này.").format(code=code))


def _apply(
    document: SubjectSheetDoc | IssuedRecord,
    role: SignatureRole,
    moment: dt.datetime,
    xml: bytes,
    pdf: bytes | None,
) -> None:
    """Put a step's signed bytes on the document and move it along the chain."""
    document.xml = xml
    if isinstance(document, SubjectSheetDoc):
        document.signed_at = moment
        return
    document.pdf = pdf
    document.next_role = _next(role)
    if document.next_role is None:
        document.state = RecordState.ISSUED
        document.issued_at = moment
        document.xml_sha256 = _sha256(document.xml)
        document.pdf_sha256 = _sha256(document.pdf or b"")


async def _store(
    batch: SigningBatch,
    changed: list[SubjectSheetDoc | IssuedRecord],
    moment: dt.datetime,
    signer_name: str,
) -> SigningBatch:
    """Store a whole batch's signed documents in one transaction: all or nothing."""
    role = SignatureRole(batch.role)
    actor = f"staff:{batch.signer_id}"
    async with in_transaction():
        # claim the batch: only one run may store it, and never after a refusal was recorded
        claimed = await SigningBatch.filter(
            id=batch.id, state__in=(BatchState.PREPARED, BatchState.AWAITING)
        ).update(state=BatchState.DONE)
        if not claimed:
            raise InvalidValue(_("Phiên ký này đã kết thúc; không lưu gì thêm."))
        for document in changed:
            await document.save()
            kind = "sheet" if isinstance(document, SubjectSheetDoc) else "record"
            await audit.record(
                audit.Event(
                    actor,
                    f"{kind}.sign",
                    f"{kind}:{document.id}",
                    after={"role": role.value, "signer": signer_name, "batch": batch.id},
                )
            )
            if isinstance(document, IssuedRecord) and document.state is RecordState.ISSUED:
                await audit.record(
                    audit.Event(
                        actor,
                        "record.issue",
                        f"record:{document.id}",
                        after={
                            "code": document.code,
                            "version": document.version,
                            "xml_sha256": document.xml_sha256,
                        },
                    )
                )
                await _revoke_previous(document, moment, actor)
        await BatchItem.filter(batch=batch).update(done=True, prepared={})
        batch.state, batch.done = BatchState.DONE, len(changed)
        batch.finished_at = moment
        batch.remote = {k: v for k, v in batch.remote.items() if k != "sad"}
        await batch.save()
        await audit.record(
            audit.Event(actor, "batch.done", f"batch:{batch.id}", after={"documents": len(changed)})
        )
    return batch


async def _items(batch: SigningBatch) -> list[BatchItem]:
    return await BatchItem.filter(batch=batch).order_by("id").prefetch_related("sheet", "record")


async def run_batch(batch: SigningBatch, signer: Signer) -> SigningBatch:
    """Sign every document of a batch with a signer whose key is at hand (file or token),
    then store all of it in one transaction."""
    if batch.state is not BatchState.PREPARED:
        raise InvalidValue(_("Phiên ký này đã kết thúc ({state}).").format(state=batch.state.label))
    role = SignatureRole(batch.role)
    moment = clock.now()
    changed: list[SubjectSheetDoc | IssuedRecord] = []
    for item in await _items(batch):
        document = _document(item)
        _check_waiting(document, role)
        pdf = document.pdf if isinstance(document, IssuedRecord) else None
        xml, pdf = await sign_record_step(document.xml, pdf, role, signer, moment)
        _apply(document, role, moment, xml, pdf)
        changed.append(document)
    return await _store(batch, changed, moment, signer.name)


async def prepare_remote(batch: SigningBatch, credential: Credential) -> SigningBatch:
    """Remote signing, phase one: prepare every document of the batch with the signer's
    certificate and store each prepared document and its digests, so that the approval, the
    signing and a restart in between all work from the database."""
    if batch.state is not BatchState.PREPARED or batch.remote:
        raise InvalidValue(
            _("Phiên ký này không còn chuẩn bị để ký từ xa được nữa ({state}).").format(
                state=batch.state.label
            )
        )
    role = SignatureRole(batch.role)
    moment = clock.now()
    signer = remote_signer(credential.certificate, credential.chain)
    items = await _items(batch)
    for item in items:
        document = _document(item)
        _check_waiting(document, role)
        pdf = document.pdf if isinstance(document, IssuedRecord) else None
        item.prepared = (await prepare_step(document.xml, pdf, role, signer, moment)).to_json()
    async with in_transaction():
        for item in items:
            await item.save(update_fields=["prepared"])
        batch.remote = {
            "credential": credential.id,
            "chain": [
                base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
                for c in credential.chain
            ],
            "moment": moment.isoformat(),
        }
        await batch.save(update_fields=["remote"])
        await audit.record(
            audit.Event(
                f"staff:{batch.signer_id}",
                "batch.prepare",
                f"batch:{batch.id}",
                after={"credential": credential.id, "documents": len(items)},
            )
        )
    return batch


async def _stop(batch: SigningBatch, state: BatchState, message: str) -> None:
    """End a remote batch without signing anything, saying why (unless it ended already)."""
    batch.state, batch.message = state, message
    batch.finished_at = clock.now()
    batch.remote = {k: v for k, v in batch.remote.items() if k != "sad"}
    async with in_transaction():
        open_states = (BatchState.PREPARED, BatchState.AWAITING)
        if not await SigningBatch.filter(id=batch.id, state__in=open_states).update(
            state=state, message=message, finished_at=batch.finished_at, remote=batch.remote
        ):
            return
        await BatchItem.filter(batch=batch).update(prepared={})
        await audit.record(
            audit.Event(
                f"staff:{batch.signer_id}",
                f"batch.{state.value}",
                f"batch:{batch.id}",
                after={"reason": message},
            )
        )


async def complete_remote(
    batch: SigningBatch,
    client: CscClient,
    wait: float,
    approved: Callable[[], Awaitable[object]] | None = None,
) -> SigningBatch:
    """Remote signing, phase two: one approval for all the batch's digests (waiting up to
    `wait` seconds for the person), the signature values, each checked against the certificate,
    then the batch stored at once. Resumes where a restart left it: a SAD already obtained is
    used, not asked again. A refusal, a timeout or a wrong value signs nothing. `approved` is
    called once the approval is in (a front end shows it)."""
    if batch.state in (BatchState.DONE, BatchState.REFUSED, BatchState.FAILED):
        return batch
    if not batch.remote:
        raise InvalidValue(_("Phiên ký từ xa chưa được chuẩn bị."))
    role = SignatureRole(batch.role)
    moment = dt.datetime.fromisoformat(batch.remote["moment"])
    chain = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in batch.remote["chain"]]
    signer = remote_signer(chain[0], chain)
    items = await _items(batch)
    prepared = [PreparedStep.from_json(item.prepared) for item in items]
    hashes = [h for step in prepared for h in step.hashes]
    credential = batch.remote["credential"]
    try:
        sad = batch.remote.get("sad")
        if not sad:
            batch.state = BatchState.AWAITING
            await batch.save(update_fields=["state"])
            sad = await client.authorize(credential, hashes, wait)
            batch.remote = {**batch.remote, "sad": sad}
            await batch.save(update_fields=["remote"])
        if approved is not None:
            await approved()
        values = await client.sign_hashes(credential, sad, hashes)
    except RemoteRefused as exc:
        await _stop(batch, BatchState.REFUSED, str(exc))
        raise
    changed: list[SubjectSheetDoc | IssuedRecord] = []
    at = 0
    try:
        for item, step in zip(items, prepared, strict=True):
            document = _document(item)
            _check_waiting(document, role)
            count = len(step.hashes)
            xml, pdf = await finish_step(step, role, signer, moment, values[at : at + count])
            at += count
            _apply(document, role, moment, xml, pdf)
            changed.append(document)
    except InvalidValue as exc:
        await _stop(batch, BatchState.FAILED, str(exc))
        raise
    return await _store(batch, changed, moment, signer.name)


async def batch_progress(actor: Actor, batch_id: int) -> SigningBatch:
    batch = await SigningBatch.get_or_none(id=batch_id)
    if batch is None or (batch.signer_id != actor.staff_id and not actor.has(Role.ADMIN)):
        raise NotFound(_("Không có phiên ký này."))
    return batch


async def revise(actor: Actor, record: IssuedRecord, reason: str) -> IssuedRecord:
    """Start the next version of an issued record from the gradebook as it is now (after a
    correction); it goes through the whole signing chain again, and its issue revokes this
    one with `reason`."""
    if not actor.has(Role.PRINCIPAL, Role.ADMIN):
        raise PermissionDenied(_("Chỉ hiệu trưởng hoặc quản trị được lập phiên bản thay thế."))
    if record.state is not RecordState.ISSUED:
        raise InvalidValue(_("Chỉ thay thế được học bạ đang có hiệu lực."))
    if not reason.strip():
        raise InvalidValue(_("Cần ghi lý do thay thế học bạ."))
    school_class = await SchoolClass.get(id=record.school_class_id)
    records, _sheets = await _build(actor, school_class, only_student=record.student_id)
    data = records[record.student_id]
    xml = fmt.build_record(data)
    async with in_transaction():
        new = await IssuedRecord.create(
            student_id=record.student_id,
            year_id=record.year_id,
            school_class=school_class,
            code=data.record_code,
            version=data.version,
            next_role=SignatureRole.HOMEROOM,
            data_hash=data_hash(xml),
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
