"""Running signing batches, wherever they were started: the bot (in the background, while the
message shows progress), the command line (awaited), and the resume job (batches nobody runs
any more: left by a restart, a crash, or a network failure after the approval).

A run claims the batch's lease first, so the same batch never runs twice at once, in one
process or several. How a run ends:
- signed: DONE, the signer told (core.services.issuance.batches.finish);
- an expected refusal (a key that will not open, a refused or late approval, a document signed
  meanwhile by someone else): REFUSED or FAILED with the reason, the signer told;
- an unexpected error: the lease is given back and the resume job tries again, up to
  MAX_ATTEMPTS runs; then FAILED, the signer told. Chunks already signed are kept throughout.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from core import clock
from core.errors import HocbaError
from core.i18n import _
from core.models import BatchState, School, SignatureRole, SigningBatch, Staff
from core.services.issuance.batches import (
    LeaseLost,
    abandoned,
    batch_classes,
    claim,
    release,
    stop,
)
from core.services.issuance.chunks import Progress
from core.services.issuance.local import sign_with_key
from core.services.issuance.remote import complete_remote, prepare_remote
from core.services.locks import ensure_before_final
from core.services.outbox import Doorbell
from core.signing.backends import SigningSettings, signer_code
from core.signing.csc import APPROVAL_WAIT, CscClient, RemoteRefused
from core.workers import WorkerPool

log = logging.getLogger("hocba.signing")
MAX_ATTEMPTS = 3
RESUME_AFTER = dt.timedelta(seconds=30)  # a batch younger than this is its starter's to run


@dataclass
class BatchRunner:
    """Runs batches with the configured keys and the worker pool; keeps a reference to each
    background run (asyncio keeps only weak ones). Rings the `doorbell` when a run ends, so
    the signer's result leaves at once. `hands_off`: batches started here are left to the
    worker processes (`hocba serve --role bot`), which take them at once (`resume(fresh=True)`).
    """

    settings: SigningSettings
    workers: WorkerPool
    approval_wait: float = APPROVAL_WAIT
    doorbell: Doorbell = field(default_factory=Doorbell)
    hands_off: bool = False
    _tasks: dict[int, asyncio.Task[SigningBatch | None]] = field(default_factory=dict)

    async def start(
        self,
        batch_id: int,
        progress: Progress | None = None,
        approved: Callable[[], Awaitable[object]] | None = None,
    ) -> asyncio.Task[SigningBatch | None] | None:
        """Run the batch in the background (unless this process already does, or hands its
        batches off: then None, and a worker runs it, the signer told of its end)."""
        if self.hands_off:
            await self.doorbell.ring_for_batch()
            return None
        if batch_id not in self._tasks:
            task = asyncio.create_task(self._background(batch_id, progress, approved))
            self._tasks[batch_id] = task
            task.add_done_callback(lambda _task: self._tasks.pop(batch_id, None))
        return self._tasks[batch_id]

    async def _background(
        self,
        batch_id: int,
        progress: Progress | None,
        approved: Callable[[], Awaitable[object]] | None,
    ) -> SigningBatch | None:
        try:
            return await self.run(batch_id, progress, approved)
        except Exception:  # logged by run(); the resume job takes the batch up again
            return None

    async def run(
        self,
        batch_id: int,
        progress: Progress | None = None,
        approved: Callable[[], Awaitable[object]] | None = None,
    ) -> SigningBatch | None:
        """Claim and run one batch to its end; None when another runner has it or it ended."""
        try:
            return await self._run(batch_id, progress, approved)
        finally:
            await self.doorbell.ring()

    async def _run(
        self,
        batch_id: int,
        progress: Progress | None,
        approved: Callable[[], Awaitable[object]] | None,
    ) -> SigningBatch | None:
        batch = await claim(batch_id)
        if batch is None:
            return None
        try:
            # 001 Điều 25.4: a batch started before the final lock signs nothing after it
            for school_class in await batch_classes(batch):
                await ensure_before_final(school_class.year_id)
            if batch.backend == "csc":
                return await self._remote(batch, progress, approved)
            return await sign_with_key(batch, self.settings, self.workers, progress)
        except LeaseLost:
            log.warning("signing batch %s was taken over by another runner", batch_id)
            return None
        except RemoteRefused:
            return batch  # ended as REFUSED by complete_remote, the signer told
        except HocbaError as refused:
            await stop(batch, BatchState.FAILED, str(refused))
            return batch
        except asyncio.CancelledError:
            await asyncio.shield(release(batch))  # shutting down: resumed at the next start
            raise
        except Exception:
            log.exception("signing batch %s failed (attempt %d)", batch_id, batch.attempts)
            if batch.attempts >= MAX_ATTEMPTS:
                await stop(
                    batch,
                    BatchState.FAILED,
                    _(
                        "Trợ lý không ký được sau {n} lần thử. Hãy báo quản trị học bạ số của "
                        "trường."
                    ).format(n=batch.attempts),
                )
            else:
                await release(batch)
            raise

    async def _remote(
        self,
        batch: SigningBatch,
        progress: Progress | None,
        approved: Callable[[], Awaitable[object]] | None,
    ) -> SigningBatch:
        settings = self.settings
        async with aiohttp.ClientSession() as session:
            client = CscClient(
                session, settings.csc_url, settings.csc_client_id, settings.csc_client_secret
            )
            if not batch.remote.get("ready"):
                staff = await Staff.get(id=batch.signer_id)
                school = await School.get(id=staff.school_id)  # type: ignore[attr-defined]
                code = signer_code(staff.code, SignatureRole(batch.role))
                credential = await client.credential(school.code, code)
                batch = await prepare_remote(batch, credential, self.workers)
            return await complete_remote(batch, client, self.approval_wait, self.workers, approved)

    async def resume(self, *, fresh: bool = False) -> list[int]:
        """Start every open batch nobody runs; returns their ids. `fresh`: a worker's, also the
        batches just handed off (otherwise a batch younger than RESUME_AFTER is its starter's)."""
        started = []
        older_than = dt.timedelta(0) if fresh else RESUME_AFTER
        for batch_id in await abandoned(clock.now(), older_than):
            if batch_id not in self._tasks:
                await self.start(batch_id)
                started.append(batch_id)
        return started

    async def wait(self) -> None:
        """Until every background run of this process has ended (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
