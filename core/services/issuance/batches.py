"""Signing batches: one signer, one step, every waiting document of a class, one approval.

A batch moves PREPARED → (remote: AWAITING) → DONE, or ends REFUSED / FAILED with a reason.
Signing happens chunk by chunk in the worker pool and each chunk's signed bytes are kept on its
batch item, so a batch interrupted anywhere (a restart, a crash, a lost network) carries on from
the last stored chunk; only `store` applies them to the documents, all in one transaction, so
the documents still change all at once or not at all. Whoever runs a batch holds its lease
(`lease_token`, `lease_until`), renewed as chunks are stored: two runners, in one process or
several, never sign the same batch, and a runner that died leaves a lease that expires.

The end of a batch and the signer's notification of it are committed together (the outbox), and
the notification's key names the batch and its final state, so the signer is told once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue, NotFound, PermissionDenied
from core.i18n import _
from core.models import (
    BatchItem,
    BatchState,
    IssuedRecord,
    RecordState,
    Role,
    SchoolClass,
    SignatureRole,
    SigningBatch,
    Staff,
    SubjectSheetDoc,
)
from core.models.records import RECORD_ORDER
from core.services.access import Actor
from core.services.issuance.build import sha256
from core.services.issuance.prepare import ensure_closed, may_sign, waiting_documents
from core.services.outbox import notify_staff
from core.signing.backends import SigningSettings, backend_of, signer_code

OPEN = (BatchState.PREPARED, BatchState.AWAITING)
LEASE = dt.timedelta(minutes=2)  # longer than any chunk; renewed after each
PAGE = 100  # documents applied per query page in `store`, so memory stays bounded


async def start_batch(
    actor: Actor, school_class: SchoolClass, role: SignatureRole, backend: str
) -> SigningBatch:
    """One batch of everything waiting for this signer in the class, with the checks. Asking
    again while the signer's batch of that step is still open returns that batch, so a double
    press or a re-run of the command never signs twice."""
    await ensure_closed(school_class)
    if (await school_class.year).school_id != actor.school_id:
        raise PermissionDenied(_("Bạn không có quyền với lớp này."))
    if not await may_sign(actor, school_class, role):
        raise PermissionDenied(
            _("Bạn không phải {role} của lớp {klass}, nên không ký được.").format(
                role=role.label, klass=school_class.name
            )
        )
    open_batch = await SigningBatch.filter(
        school_class=school_class, signer_id=actor.staff_id, role=role, state__in=OPEN
    ).first()
    if open_batch is not None:
        return open_batch
    documents = await waiting_documents(actor, school_class, role)
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


@dataclass(frozen=True)
class Started:
    """A batch as its signer's front end shows it."""

    id: int
    class_name: str
    role: SignatureRole
    backend: str
    total: int
    done: int


async def begin(
    actor: Actor, class_id: int, role: SignatureRole, settings: SigningSettings
) -> Started:
    """The signer's press of «Ký lớp …»: the class checked (it exists, at the actor's school),
    the signer's backend chosen, the batch started (or the open one found)."""
    school_class = await SchoolClass.get_or_none(id=class_id, year__school_id=actor.school_id)
    if school_class is None or actor.staff_id is None:
        raise NotFound(_("Lớp này không còn trong năm học: hãy mở lại «Ký học bạ»."))
    staff = await Staff.get(id=actor.staff_id)
    backend = backend_of(settings, signer_code(staff.code, role))
    batch = await start_batch(actor, school_class, role, backend)
    return Started(batch.id, school_class.name, role, batch.backend, batch.total, batch.done)


async def batch_progress(actor: Actor, batch_id: int) -> SigningBatch:
    batch = await SigningBatch.get_or_none(id=batch_id)
    if batch is None or (batch.signer_id != actor.staff_id and not actor.has(Role.ADMIN)):
        raise NotFound(_("Không có phiên ký này."))
    return batch


# --------------------------------------------------------------------------------- the lease


async def claim(batch_id: int, now: dt.datetime | None = None) -> SigningBatch | None:
    """Take the batch to run it: only an open batch whose lease is free or expired; counts
    the attempt. None when it has ended or someone else is running it."""
    now = now or clock.now()
    token = secrets.token_hex(16)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = await SigningBatch.filter(free, id=batch_id, state__in=OPEN).update(
        lease_token=token, lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return await SigningBatch.get(id=batch_id).prefetch_related("school_class", "signer")


class LeaseLost(Exception):
    """Another runner took the batch over (this one stalled past its lease): stop quietly."""


async def renew(batch: SigningBatch, *, done: int | None = None, longer: float = 0) -> None:
    """Keep the lease (and record progress) while running; LeaseLost if it was taken over."""
    changes: dict[str, object] = {"lease_until": clock.now() + LEASE + dt.timedelta(seconds=longer)}
    if done is not None:
        changes["done"] = done
        batch.done = done
    if not await SigningBatch.filter(id=batch.id, lease_token=batch.lease_token).update(**changes):
        raise LeaseLost(batch.id)


async def release(batch: SigningBatch) -> None:
    """Give the lease back (the batch stays open): the next runner may take it at once."""
    await SigningBatch.filter(id=batch.id, lease_token=batch.lease_token).update(
        lease_token=None, lease_until=None
    )


async def abandoned(now: dt.datetime, older_than: dt.timedelta) -> list[int]:
    """Open batches nobody runs: lease free or expired, created more than `older_than` ago
    (a batch just started from the bot is about to be run by its own task)."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return await SigningBatch.filter(
        free, state__in=OPEN, created_at__lt=now - older_than
    ).values_list("id", flat=True)


# --------------------------------------------------------------------------- ending a batch


def _result_text(batch: SigningBatch, state: BatchState, reason: str) -> str:
    klass = batch.school_class.name
    if state is BatchState.DONE:
        text = _("✅ Lớp {klass}: đã ký {n} tài liệu ({role}).").format(
            klass=klass, n=batch.total, role=SignatureRole(batch.role).label
        )
        if batch.role == SignatureRole.SEAL:
            text += "\n" + _("Học bạ đã đủ chữ ký và được phát hành.")
        return text
    return _("❌ Lớp {klass}: {reason}").format(klass=klass, reason=reason)


async def _tell_signer(batch: SigningBatch, state: BatchState, reason: str = "") -> None:
    """The signer's notification of the batch's end (inside the ending transaction)."""
    signer = await Staff.get(id=batch.signer_id)
    await notify_staff(
        signer,
        "signing.result",
        lambda: _result_text(batch, state, reason),
        dedupe_key=f"batch:{batch.id}:{state.value}",
    )


async def stop(batch: SigningBatch, state: BatchState, message: str) -> bool:
    """End a batch without signing anything, saying why, with the signer's notification;
    False when it had ended already."""
    now = clock.now()
    remote = {k: v for k, v in batch.remote.items() if k != "sad"}
    async with in_transaction():
        if not await SigningBatch.filter(id=batch.id, state__in=OPEN).update(
            state=state,
            message=message,
            finished_at=now,
            remote=remote,
            lease_token=None,
            lease_until=None,
        ):
            return False
        await BatchItem.filter(batch=batch).update(
            prepared={}, signed_xml=None, signed_pdf=None, signed_at=None
        )
        await audit.record(
            audit.Event(
                f"staff:{batch.signer_id}",
                f"batch.{state.value}",
                f"batch:{batch.id}",
                after={"reason": message},
            )
        )
        await _tell_signer(batch, state, message)
    batch.state, batch.message, batch.finished_at, batch.remote = state, message, now, remote
    return True


def _next(role: SignatureRole) -> SignatureRole | None:
    index = RECORD_ORDER.index(role)
    return RECORD_ORDER[index + 1] if index + 1 < len(RECORD_ORDER) else None


def not_waiting(code: str) -> InvalidValue:
    return InvalidValue(_("Tài liệu {code} không chờ bước ký này.").format(code=code))


def check_record_waits(record: IssuedRecord, role: SignatureRole) -> None:
    """The record still waits for this step (another batch may have signed it since)."""
    if record.state is not RecordState.SIGNING or record.next_role != role:
        raise not_waiting(record.code)


def check_sheet_waits(sheet: SubjectSheetDoc) -> None:
    if sheet.signed_at is not None:
        raise not_waiting(f"#{sheet.id}")


@dataclass
class _Applied:
    events: list[audit.Event]
    issued: list[IssuedRecord]


async def _apply_page(
    batch: SigningBatch,
    role: SignatureRole,
    items: Iterable[BatchItem],
    signer_name: str,
    applied: _Applied,
) -> None:
    actor = f"staff:{batch.signer_id}"
    for item in items:
        if item.signed_at is None or item.signed_xml is None:
            raise InvalidValue(_("Phiên ký chưa ký xong mọi tài liệu."))
        if item.sheet_id is not None:
            sheet = item.sheet
            check_sheet_waits(sheet)
            sheet.xml, sheet.signed_at = item.signed_xml, item.signed_at
            await sheet.save(update_fields=["xml", "signed_at"])
            kind, target = "sheet", f"sheet:{sheet.id}"
        else:
            record = item.record
            check_record_waits(record, role)
            record.xml, record.pdf = item.signed_xml, item.signed_pdf
            record.next_role = _next(role)
            fields = ["xml", "pdf", "next_role"]
            if record.next_role is None:
                record.state, record.issued_at = RecordState.ISSUED, item.signed_at
                record.xml_sha256 = sha256(record.xml)
                record.pdf_sha256 = sha256(record.pdf or b"")
                fields += ["state", "issued_at", "xml_sha256", "pdf_sha256"]
                applied.issued.append(record)
            await record.save(update_fields=fields)
            kind, target = "record", f"record:{record.id}"
        applied.events.append(
            audit.Event(
                actor,
                f"{kind}.sign",
                target,
                after={"role": role.value, "signer": signer_name, "batch": batch.id},
            )
        )


async def store(batch: SigningBatch, signer_name: str) -> SigningBatch:
    """Apply every item's signed bytes to its document and end the batch, with the audit
    events, the revocation of replaced versions and the signer's notification, all in one
    transaction: the documents move together or not at all."""
    role = SignatureRole(batch.role)
    now = clock.now()
    actor = f"staff:{batch.signer_id}"
    async with in_transaction():
        # the batch is ended by exactly one runner, and never after a refusal was recorded
        if not await SigningBatch.filter(
            id=batch.id, state__in=OPEN, lease_token=batch.lease_token
        ).update(state=BatchState.DONE, finished_at=now, lease_token=None, lease_until=None):
            raise InvalidValue(_("Phiên ký này đã kết thúc; không lưu gì thêm."))
        applied = _Applied([], [])
        ids = await BatchItem.filter(batch=batch).order_by("id").values_list("id", flat=True)
        for at in range(0, len(ids), PAGE):
            page = await BatchItem.filter(id__in=ids[at : at + PAGE]).prefetch_related(
                "sheet", "record"
            )
            await _apply_page(batch, role, page, signer_name, applied)
        for record in applied.issued:
            applied.events.append(
                audit.Event(
                    actor,
                    "record.issue",
                    f"record:{record.id}",
                    after={
                        "code": record.code,
                        "version": record.version,
                        "xml_sha256": record.xml_sha256,
                    },
                )
            )
            applied.events += await _revoke_previous(record, now, actor)
        await BatchItem.filter(batch=batch).update(
            done=True, prepared={}, signed_xml=None, signed_pdf=None
        )
        batch.remote = {k: v for k, v in batch.remote.items() if k != "sad"}
        batch.state, batch.done, batch.finished_at = BatchState.DONE, len(ids), now
        await SigningBatch.filter(id=batch.id).update(done=len(ids), remote=batch.remote)
        applied.events.append(
            audit.Event(actor, "batch.done", f"batch:{batch.id}", after={"documents": len(ids)})
        )
        await audit.record_many(applied.events)
        await _tell_signer(batch, BatchState.DONE)
    return batch


async def _revoke_previous(
    record: IssuedRecord, moment: dt.datetime, actor: str
) -> list[audit.Event]:
    events = []
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
        events.append(
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
    return events
