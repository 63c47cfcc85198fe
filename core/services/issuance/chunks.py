"""Running a batch's documents through the worker pool, a chunk at a time.

Shared by local signing (a key file or token opened in the worker) and by both phases of remote
signing: the documents still to do are split into chunks, a few chunks are in the pool at once
(enough to keep every worker busy, few enough that memory stays small), and each chunk's result
is stored as soon as it comes back. A chunk that was stored is never done again, whatever stops
the batch afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from core.models import BatchItem, SigningBatch
from core.workers import WorkerPool

CHUNK = 20  # documents per task: ~0.4 s of work at most, so progress moves and a crash loses little

Work = Callable[[list[BatchItem]], Awaitable[None]]
Progress = Callable[[int, int], Awaitable[None]]  # documents done, in all


async def run_chunks(
    batch: SigningBatch,
    todo: Sequence[int],
    workers: WorkerPool,
    work: Work,
    progress: Progress | None = None,
) -> None:
    """Call `work` on the items `todo` (ids) in chunks, `2 × processes` chunks in flight;
    `work` stores what it did. The first failure cancels the chunks not yet stored and is
    raised."""
    slots = asyncio.Semaphore(max(2, workers.processes * 2))

    async def one(ids: Sequence[int]) -> None:
        async with slots:
            items = await (
                BatchItem.filter(batch=batch, id__in=list(ids))
                .order_by("id")
                .prefetch_related("sheet", "record")
            )
            await work(items)
        if progress is not None:
            await progress(batch.done, batch.total)

    try:
        async with asyncio.TaskGroup() as group:
            for at in range(0, len(todo), CHUNK):
                group.create_task(one(todo[at : at + CHUNK]))
    except ExceptionGroup as failed:  # the first cause, as a caller expects it
        raise failed.exceptions[0] from None


async def pending(batch: SigningBatch, **where: object) -> list[int]:
    """The ids of the batch's items whose documents do not carry the step yet."""
    return await (
        BatchItem.filter(batch=batch, done=False, **where)
        .order_by("id")
        .values_list("id", flat=True)
    )
