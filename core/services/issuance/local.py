"""Signing a batch with a key at hand: a PKCS#12 file or a PKCS#11 token, opened in the worker.

Each chunk is signed in the worker pool (core.signing.worker.sign_documents) at the moment it
is signed, and its bytes are kept on the batch items; when every item is signed, `store` applies
them all at once. A batch interrupted half-way signs only what is left when it runs again.
"""

from __future__ import annotations

from core import clock
from core.i18n import current_language
from core.models import BatchItem, SchoolClass, SignatureRole, SigningBatch, Staff
from core.services.issuance.batches import check_record_waits, check_sheet_waits, store
from core.services.issuance.build import school_of
from core.services.issuance.chunks import Progress, run_chunks, save_items
from core.signing.backends import SigningSettings, signer_code
from core.signing.worker import Document, sign_documents
from core.workers import WorkerPool


def document_of(item: BatchItem, role: SignatureRole) -> Document:
    """The bytes a step signs, after checking the document still waits for it."""
    if item.sheet_id is not None:
        check_sheet_waits(item.sheet)
        return item.sheet.xml, None
    check_record_waits(item.record, role)
    return item.record.xml, item.record.pdf


async def sign_with_key(
    batch: SigningBatch,
    settings: SigningSettings,
    workers: WorkerPool,
    progress: Progress | None = None,
) -> SigningBatch:
    """Sign what is left of the batch, then store it; the batch must be claimed (its lease)."""
    role = SignatureRole(batch.role)
    staff = await Staff.get(id=batch.signer_id)
    school = await school_of(await SchoolClass.get(id=batch.school_class_id))
    code = signer_code(staff.code, role)
    language = current_language()
    names: set[str] = set()

    async def sign(items: list[BatchItem]) -> None:
        moment = clock.now()
        documents = [document_of(item, role) for item in items]
        signed, name = await workers.run(
            sign_documents, settings, school.code, code, role, documents, moment, language
        )
        names.add(name)
        for item, (xml, pdf) in zip(items, signed, strict=True):
            item.signed_xml, item.signed_pdf, item.signed_at = xml, pdf, moment
        await save_items(items, ["signed_xml", "signed_pdf", "signed_at"])

    todo = await BatchItem.filter(batch=batch, signed_at__isnull=True).order_by("id")
    ids = [item.id for item in todo]
    await run_chunks(
        batch, ids, workers, sign, done_before=batch.total - len(ids), progress=progress
    )
    return await store(batch, ", ".join(sorted(names)) or staff.full_name)
