"""Putting a signed chunk onto its documents: one short transaction per chunk.

A chunk's documents take their new bytes and move one step along the chain together with their
batch items (marked done), their audit events, and, for a record the seal issues, the
revocation of the version it replaces. Short, because on SQLite a transaction holds the one
connection everybody shares: a class signed in one transaction of a few hundred megabytes made
every other teacher wait seconds. A document that moved on stays out of the next signer's list
while its batch is open (core.services.issuance.prepare), so the next step always starts from a
whole batch.

Each signature's audit event names who approved it (regulation 001 Điều 8.3, 32.1: nobody signs
for another): the batch's signer, the person who pressed «Ký», approved in their signing app or
typed their own token's PIN, with the backend and the key it went through (the remote
service's credential, the token, or, in demo mode only, the server's key file). The event's
actor is that person, and nobody else appears in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

from tortoise.transactions import in_transaction

from core import audit
from core.errors import InvalidValue
from core.i18n import _
from core.models import (
    BatchItem,
    IssuedRecord,
    RecordState,
    SignatureRole,
    SigningBatch,
    Staff,
    SubjectSheetDoc,
)
from core.models.records import RECORD_ORDER
from core.services import families
from core.services.issuance.batches import renew
from core.signing.worker import Document


def _next(role: SignatureRole) -> SignatureRole | None:
    index = RECORD_ORDER.index(role)
    return RECORD_ORDER[index + 1] if index + 1 < len(RECORD_ORDER) else None


def not_waiting(code: str) -> InvalidValue:
    return InvalidValue(_("Tài liệu {code} không chờ bước ký này.").format(code=code))


def document_of(item: BatchItem, role: SignatureRole) -> Document:
    """The bytes a step signs, after checking the document still waits for it (another
    batch may have signed it since)."""
    if item.sheet_id is not None:
        if item.sheet.signed_at is not None:
            raise not_waiting(f"#{item.sheet.id}")
        return item.sheet.xml, None
    record = item.record
    if record.state is not RecordState.SIGNING or record.next_role != role:
        raise not_waiting(record.code)
    return record.xml, record.pdf


async def approval(batch: SigningBatch, key: str, *, demo: bool = False) -> dict[str, object]:
    """Who approved the batch's signatures and through what, for their audit events: the
    signer (staff code and name), the backend, the key (`key`: the remote credential's ID, the
    token's label, or the demo's key file), and whether it was a demonstration."""
    signer = await Staff.get(id=batch.signer_id)
    found: dict[str, object] = {
        "approved_by": {"code": signer.code, "name": signer.full_name},
        "backend": batch.backend,
        "key": key,
    }
    if demo:
        found["demo"] = True
    return found


async def apply_chunk(
    batch: SigningBatch,
    items: Sequence[BatchItem],
    signed: Sequence[Document],
    moment: dt.datetime,
    signer_name: str,
    approved: Mapping[str, object],
) -> None:
    """Give each item's document its signed bytes and its next step, all in one transaction
    with the items, the audit events (`signer_name`: as the certificate names the signer;
    `approved`: see `approval`) and the batch's progress (its lease renewed)."""
    role = SignatureRole(batch.role)
    actor = f"staff:{batch.signer_id}"
    signature = {"role": role.value, "signer": signer_name, "batch": batch.id, **approved}
    events: list[audit.Event] = []
    sheets, records = [], []
    for item, (xml, pdf) in zip(items, signed, strict=True):
        document_of(item, role)  # still waiting, now that the chunk is back
        if item.sheet_id is not None:
            item.sheet.xml, item.sheet.signed_at = xml, moment
            sheets.append(item.sheet)
            kind, target = "sheet", f"sheet:{item.sheet.id}"
        else:
            events += _advance(item.record, role, xml, pdf, moment, actor)
            records.append(item.record)
            kind, target = "record", f"record:{item.record.id}"
        events.append(audit.Event(actor, f"{kind}.sign", target, after=signature))
    issued = [record for record in records if record.state is RecordState.ISSUED]
    # a few statements per chunk, not a few per document: on PostgreSQL each is a round trip
    async with in_transaction():
        if sheets:
            await SubjectSheetDoc.bulk_update(sheets, fields=["xml", "signed_at"])
        if records:
            await IssuedRecord.bulk_update(records, fields=_changed(role))
        events += await _revoke_previous(issued, moment, actor)
        await BatchItem.filter(id__in=[i.id for i in items]).update(done=True)
        await audit.record_many(events)
        await families.announce_issued(issued, moment)  # 001 Điều 30: the families hear of it
        await renew(batch, done=await BatchItem.filter(batch=batch, done=True).count())


def _changed(role: SignatureRole) -> list[str]:
    """The record's fields a step changes: the seal's issues it too."""
    fields = ["xml", "pdf", "next_role"]
    if _next(role) is None:
        fields += ["state", "issued_at", "xml_sha256", "pdf_sha256"]
    return fields


def _advance(
    record: IssuedRecord,
    role: SignatureRole,
    xml: bytes,
    pdf: bytes | None,
    moment: dt.datetime,
    actor: str,
) -> list[audit.Event]:
    """One record one step on (stored by the caller); issued after the seal."""
    record.xml, record.pdf, record.next_role = xml, pdf, _next(role)
    if record.next_role is not None:
        return []
    record.state, record.issued_at = RecordState.ISSUED, moment
    record.xml_sha256 = hashlib.sha256(xml).hexdigest()
    record.pdf_sha256 = hashlib.sha256(pdf or b"").hexdigest()
    return [
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
    ]


async def _revoke_previous(
    issued: Sequence[IssuedRecord], moment: dt.datetime, actor: str
) -> list[audit.Event]:
    """The versions the newly issued records replace (the level's record: any earlier year's
    too), revoked with the new version's reason; one query for the chunk."""
    if not issued:
        return []
    newest = {record.code: record for record in issued}
    events = []
    previous = await IssuedRecord.filter(code__in=list(newest), state=RecordState.ISSUED)
    for old in previous:
        record = newest[old.code]
        if old.version >= record.version:
            continue
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
