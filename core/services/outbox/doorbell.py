"""Waking the jobs as soon as there is work for them, not at their next idle look.

When the outbox is empty the delivery job (jobs.outbox) looks again every couple of seconds,
so a signer waited up to that long for the result of a batch that had ended, and a principal
for a request just submitted: about a second each time, for nothing. A worker process
(`hocba serve --role worker`) likewise looks for the signing batches the bot hands it.

`enqueue` counts what this process adds. Where a change has committed (an update handled, a
batch run ended, a scheduled round, a web request) the process rings its `Doorbell`, which
wakes the outbox job when the count moved since the last ring. Waking from `enqueue` itself
would come too early: it runs inside the caller's transaction, whose rows the job cannot see
yet. A bot handing a batch to the workers rings for it (`ring_for_batch`).

On PostgreSQL a ring also reaches the other processes (NOTIFY on a channel of the deployment's
schema; each process that runs jobs LISTENs on a connection of its own, `listen`): the bot's
messages and batches wake the workers, a non-leading worker's batch result wakes the leader
that sends it. Without the connection (lost, or SQLite) the jobs' own looks remain.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable

import asyncpg

from core.db import connection, postgres_dsn

log = logging.getLogger("hocba.doorbell")
OUTBOX, BATCH = "outbox", "batch"  # what a ring announces
CONNECT_SECONDS = 5.0
_enqueued = 0  # notifications enqueue() added in this process


def count_one() -> None:
    """Called by `enqueue` for each row it adds."""
    global _enqueued
    _enqueued += 1


def channel(schema: str | None) -> str:
    """The deployment's channel: deployments (and test runs) sharing a database through schemas
    of their own do not wake each other."""
    return f"hocba_work_{schema or 'public'}"


class Doorbell:
    """One per runtime; each job registers how it is woken (`answer_with`)."""

    def __init__(self, database_url: str = "sqlite://") -> None:
        self._heard = _enqueued
        self._wakes: dict[str, Callable[[], None]] = {}
        self._postgres = not database_url.startswith("sqlite")
        self._dsn, schema = postgres_dsn(database_url) if self._postgres else ("", None)
        self.channel = channel(schema)
        self._listening: asyncpg.Connection | None = None
        self._token = secrets.token_hex(4)  # tells its own rings from the others'

    def answer_with(self, wake: Callable[[], None], what: str = OUTBOX) -> None:
        self._wakes[what] = wake

    async def ring(self) -> None:
        """Wake the outbox, here and elsewhere, if anything was enqueued since the last ring;
        nothing (not even a query) when nothing was."""
        if _enqueued == self._heard:
            return
        self._heard = _enqueued
        await self._announce(OUTBOX)

    async def ring_for_batch(self) -> None:
        """A batch waits for a worker."""
        await self._announce(BATCH)

    async def _announce(self, what: str) -> None:
        self._wake(what)
        if not self._postgres:
            return
        try:  # on the ORM's pool: no connection of its own to ring
            await connection().execute_query(
                "SELECT pg_notify($1, $2)", [self.channel, f"{what}:{self._token}"]
            )
        except Exception as exc:  # a ring is a courtesy: the jobs' own looks find the work
            log.warning("could not ring the other processes: %s", exc)

    def _wake(self, what: str) -> None:
        wake = self._wakes.get(what)
        if wake is not None:
            wake()

    async def listen(self) -> None:
        """Hear the other processes' rings (PostgreSQL; nothing on SQLite)."""
        if not self._postgres or self._listening is not None:
            return
        try:
            self._listening = await asyncio.wait_for(asyncpg.connect(self._dsn), CONNECT_SECONDS)
            await self._listening.add_listener(self.channel, self._heard_ring)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            log.warning("not listening for the other processes' rings: %s", exc)
            await self.close()

    def _heard_ring(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        what, _, token = payload.partition(":")
        if token != self._token:  # its own ring woke its own jobs already
            self._wake(what)

    async def close(self) -> None:
        if self._listening is not None:
            connection, self._listening = self._listening, None
            try:
                await connection.close(timeout=CONNECT_SECONDS)
            except Exception:  # closing is best effort: the server drops it with the process
                connection.terminate()
