"""Signing a batch with a key at hand: a token (the seal's, or a person's own, unlocked by them
at the console), or in demo mode a PKCS#12 file, opened in the worker.

Each chunk is signed in the worker pool (core.signing.worker.sign_documents), then put onto its
documents (core.services.issuance.apply). A batch interrupted half-way signs only what is left
when it runs again. One run signs at one moment, its start: the signature's time and the stamp
drawn on the PDF are then the same for the whole run, so the worker builds the stamp once.
"""

from __future__ import annotations

from core import clock
from core.i18n import current_language
from core.models import BatchItem, School, SignatureRole, SigningBatch, Staff
from core.services.issuance.apply import apply_chunk, approval, document_of
from core.services.issuance.batches import finish
from core.services.issuance.chunks import Progress, pending, run_chunks
from core.services.signature_images import image_for
from core.signing.backends import SigningSettings, key_label, signer_code
from core.signing.worker import sign_documents
from core.workers import WorkerPool


async def sign_with_key(
    batch: SigningBatch,
    settings: SigningSettings,
    workers: WorkerPool,
    progress: Progress | None = None,
) -> SigningBatch:
    """Sign what is left of the batch, then end it; the batch must be claimed (its lease)."""
    role = SignatureRole(batch.role)
    staff = await Staff.get(id=batch.signer_id)
    school = await School.get(id=staff.school_id)  # type: ignore[attr-defined]
    code = signer_code(staff.code, role)
    language = current_language()
    moment = clock.now()
    approved = await approval(batch, key_label(settings, code), demo=settings.demo)
    # 001 Điều 13: the principal's stamp draws the signature image they uploaded (/chuky)
    handwriting = await image_for(staff.id) if role is SignatureRole.PRINCIPAL else None

    async def sign(items: list[BatchItem]) -> None:
        documents = [document_of(item, role) for item in items]
        signed, name = await workers.run_batch(
            sign_documents,
            settings,
            school.code,
            code,
            role,
            documents,
            moment,
            language,
            handwriting,
        )
        await apply_chunk(batch, items, signed, moment, name, approved)

    await run_chunks(batch, await pending(batch), workers, sign, progress)
    return await finish(batch)
