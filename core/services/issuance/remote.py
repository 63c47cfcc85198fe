"""Remote signing of a batch (CSC): the person approves once in their signing app.

Phase one (`prepare_remote`) prepares every document with the signer's certificate in the
worker pool and stores each prepared document and its digests; phase two (`complete_remote`)
asks ONE approval for all the digests, gets the signature values, puts them in (each checked
against the certificate, in the pool) and onto the documents, chunk by chunk. Every phase keeps
what it obtained in the database (the prepared documents, the SAD, the values), so a restart
anywhere resumes without asking the person again.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Awaitable, Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from tortoise.transactions import in_transaction

from core import audit, clock
from core.errors import InvalidValue
from core.i18n import _, current_language
from core.models import BatchItem, BatchState, SignatureRole, SigningBatch
from core.services.issuance.apply import apply_chunk, approval, document_of
from core.services.issuance.batches import finish, renew, stop
from core.services.issuance.chunks import Progress, pending, run_chunks
from core.services.signature_images import image_for
from core.signing.chain import PreparedStep
from core.signing.csc import Credential, CscClient, RemoteRefused
from core.signing.keys import subject_name
from core.signing.worker import finish_documents, prepare_documents
from core.workers import WorkerPool


def _chain(batch: SigningBatch) -> list[bytes]:
    return [base64.b64decode(c) for c in batch.remote["chain"]]


async def prepare_remote(
    batch: SigningBatch,
    credential: Credential,
    workers: WorkerPool,
    progress: Progress | None = None,
) -> SigningBatch:
    """Phase one: prepare what is not prepared yet; the batch must be claimed (its lease)."""
    if batch.state is not BatchState.PREPARED or batch.remote.get("ready"):
        raise InvalidValue(
            _("Phiên ký này không còn chuẩn bị để ký từ xa được nữa ({state}).").format(
                state=batch.state.label
            )
        )
    role = SignatureRole(batch.role)
    if not batch.remote:
        batch.remote = {
            "credential": credential.id,
            "chain": [
                base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
                for c in credential.chain
            ],
            "moment": clock.now().isoformat(),
        }
        await SigningBatch.filter(id=batch.id).update(remote=batch.remote)
    chain, moment = _chain(batch), dt.datetime.fromisoformat(batch.remote["moment"])
    # 001 Điều 13: the principal's stamp draws the signature image they uploaded (/chuky)
    handwriting = await image_for(batch.signer_id) if role is SignatureRole.PRINCIPAL else None

    async def prepare(items: list[BatchItem]) -> None:
        documents = [document_of(item, role) for item in items]
        steps = await workers.run_batch(
            prepare_documents, chain, role, documents, moment, handwriting
        )
        async with in_transaction():
            for item, step in zip(items, steps, strict=True):
                item.prepared = step.to_json()
                await item.save(update_fields=["prepared"])
        await renew(batch)

    todo = [i.id for i in await BatchItem.filter(batch=batch).order_by("id") if not i.prepared]
    await run_chunks(batch, todo, workers, prepare, progress)
    async with in_transaction():
        batch.remote = {**batch.remote, "ready": True}
        await SigningBatch.filter(id=batch.id).update(remote=batch.remote)
        await audit.record(
            audit.Event(
                f"staff:{batch.signer_id}",
                "batch.prepare",
                f"batch:{batch.id}",
                after={"credential": batch.remote["credential"], "documents": batch.total},
            )
        )
    return batch


async def complete_remote(
    batch: SigningBatch,
    client: CscClient,
    wait: float,
    workers: WorkerPool,
    approved: Callable[[], Awaitable[object]] | None = None,
) -> SigningBatch:
    """Phase two: one approval for all the batch's digests (waiting up to `wait` seconds for
    the person), the signature values, each checked against the certificate, then the batch
    stored at once. A refusal, a timeout or a wrong value signs nothing and ends the batch.
    `approved` is called once the approval is in (a front end shows it)."""
    if batch.state not in (BatchState.PREPARED, BatchState.AWAITING):
        return batch
    if not batch.remote.get("ready"):
        raise InvalidValue(_("Phiên ký từ xa chưa được chuẩn bị."))
    role = SignatureRole(batch.role)
    chain, moment = _chain(batch), dt.datetime.fromisoformat(batch.remote["moment"])
    items = await BatchItem.filter(batch=batch).order_by("id")  # all: the values follow them
    steps = {item.id: PreparedStep.from_json(item.prepared) for item in items}
    hashes = [h for item in items for h in steps[item.id].hashes]
    credential = batch.remote["credential"]
    try:
        values = await _values(batch, client, credential, hashes, wait, approved)
    except RemoteRefused as exc:
        await stop(batch, BatchState.REFUSED, str(exc))
        raise
    by_item, at = {}, 0
    for item in items:
        count = len(steps[item.id].hashes)
        by_item[item.id], at = values[at : at + count], at + count
    language = current_language()
    name = subject_name(x509.load_der_x509_certificate(chain[0]))
    approved = await approval(batch, credential)

    async def put_in(chunk: list[BatchItem]) -> None:
        work = [(steps[item.id], by_item[item.id]) for item in chunk]
        for item in chunk:
            document_of(item, role)  # still waiting for this step
        signed = await workers.run_batch(finish_documents, chain, role, work, moment, language)
        await apply_chunk(batch, chunk, signed, moment, name, approved)

    try:
        await run_chunks(batch, await pending(batch), workers, put_in)
    except InvalidValue as exc:
        await stop(batch, BatchState.FAILED, str(exc))
        raise
    return await finish(batch)


async def _values(
    batch: SigningBatch,
    client: CscClient,
    credential: str,
    hashes: list[bytes],
    wait: float,
    approved: Callable[[], Awaitable[object]] | None,
) -> list[bytes]:
    """The signature values of all `hashes`: kept from an earlier run, or asked now (the SAD
    of an approval already given is used, not asked again)."""
    kept = batch.remote.get("values")
    if kept:
        return [base64.b64decode(v) for v in kept]
    sad = batch.remote.get("sad")
    if not sad:
        await SigningBatch.filter(id=batch.id).update(state=BatchState.AWAITING)
        batch.state = BatchState.AWAITING
        await renew(batch, longer=wait)  # the person has `wait` seconds to approve
        sad = await client.authorize(credential, hashes, wait)
        batch.remote = {**batch.remote, "sad": sad}
        async with in_transaction():
            await SigningBatch.filter(id=batch.id).update(remote=batch.remote)
            await audit.record(  # the person's one approval, in their own app, for all of it
                audit.Event(
                    f"staff:{batch.signer_id}",
                    "batch.approve",
                    f"batch:{batch.id}",
                    after={"credential": credential, "signatures": len(hashes)},
                )
            )
    if approved is not None:
        await approved()
    values = await client.sign_hashes(credential, sad, hashes)
    batch.remote = {
        **{k: v for k, v in batch.remote.items() if k != "sad"},
        "values": [base64.b64encode(v).decode() for v in values],
    }
    await SigningBatch.filter(id=batch.id).update(remote=batch.remote)
    await renew(batch)
    return values
