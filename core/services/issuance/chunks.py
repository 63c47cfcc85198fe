"""Running a batch's documents through the worker pool, a chunk at a time.

Shared by local signing (a key file or token opened in the worker) and by both phases of remote
signing: the documents still to do are split into chunks, a few chunks are in the pool at once
(enough to keep every worker busy, few enough that memory stays small), and each chunk's result
is stored on its batch items, with the lease renewed, as soon as it comes back. A chunk that was
stored is never done again, whatever stops the batch afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from tortoise.transactions import in_transaction

from core.models import BatchItem, SigningBatch
from core.services.issuance.batches import renew
from core.workers import WorkerPool

CHUNK = 10  # documents per task: ~1 s of work, so progress moves and a crash loses little

Work = Callable[[list[BatchItem]], Awaitable[None]]
Progress = Callable[[int, int], Awaitable[None]]  # documents done, in all


async def items_of(batch: SigningBatch, ids: Sequence[int]) -> list[BatchItem]:
    return (
        await BatchItem.filter(batch=batch, id__in=list(ids))
        .order_by("id")
        .prefetch_related("sheet", "record")
    )


async def run_chunks(
    batch: SigningBatch,
    todo: Sequence[int],
    workers: WorkerPool,
    work: Work,
    *,
    done_before: int,
    progress: Progress | None = None,
) -> None:
    """Call `work` on the items `todo` in chunks, `2 × processes` chunks in flight; `work`
    saves its items. After each chunk the lease is renewed with the count done so far. The
    first failure cancels the chunks not yet stored and is raised."""
    done = done_before
    slots = asyncio.Semaphore(max(2, workers.processes * 2))

    async def one(ids: Sequence[int]) -> None:
        nonlocal done
        async with slots:
            items = await items_of(batch, ids)
            await work(items)
            done += len(items)
            await renew(batch, done=done)
        if progress is not None:
            await progress(done, batch.total)

    try:
        async with asyncio.TaskGroup() as group:
            for at in range(0, len(todo), CHUNK):
                group.create_task(one(todo[at : at + CHUNK]))
    except ExceptionGroup as failed:  # the first cause, as a caller expects it
        raise failed.exceptions[0] from None


async def save_items(items: Sequence[BatchItem], fields: Sequence[str]) -> None:
    """Store what a chunk produced on its items, together."""
    async with in_transaction():
        for item in items:
            await item.save(update_fields=list(fields))
