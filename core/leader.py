"""Which process runs the scheduled jobs (issue 16, part 2: jobs fire once across processes).

Every `hocba serve` schedules the same jobs (reminder rounds, locks, backups...). Each job is
idempotent on its own (its marks and outbox keys are in the database), but two processes on one
PostgreSQL database (a second bot started by mistake, a restart overlapping the old process)
would still both run every round. So a job runs only in the leader: the process that holds a
PostgreSQL session advisory lock, on a connection of its own kept for that purpose. PostgreSQL
releases the lock when that connection ends, whatever ended it (the process killed, the
network cut), and the next process that asks takes the lead: nothing is left locked by a dead
process, and nothing runs twice at once.

On SQLite the deployment is one process by design: it always leads.

The lock's key is derived from the schema, so deployments (or test runs) that share a
PostgreSQL database through schemas of their own each have their leader.
"""

from __future__ import annotations

import asyncio
import logging
import zlib

import asyncpg

from core.db import postgres_dsn

log = logging.getLogger("hocba.leader")
CONNECT_SECONDS = 5.0


def lock_key(schema: str | None) -> int:
    """The advisory lock's key for a deployment (a signed 32-bit value, as PostgreSQL takes)."""
    return zlib.crc32(f"hocba-scheduler:{schema or 'public'}".encode()) - (1 << 31)


class Leadership:
    """Whether this process leads; asked before each scheduled job runs."""

    def __init__(self, database_url: str) -> None:
        self._postgres = not database_url.startswith("sqlite")
        self._dsn, schema = postgres_dsn(database_url) if self._postgres else ("", None)
        self.key = lock_key(schema)
        self._connection: asyncpg.Connection | None = None
        self._asking = asyncio.Lock()

    async def leads(self) -> bool:
        """True when this process holds the lead (taking it if nobody does); a lost connection
        is a lost lead, asked for again."""
        if not self._postgres:
            return True
        async with self._asking:
            if self._connection is not None:
                try:
                    await self._connection.fetchval("SELECT 1")
                    return True
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    log.warning("lost the connection holding the scheduler's lead")
                    self._connection.terminate()
                    self._connection = None
            return await self._take()

    async def _take(self) -> bool:
        try:
            connection = await asyncio.wait_for(asyncpg.connect(self._dsn), CONNECT_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            log.warning("cannot ask for the scheduler's lead: %s", exc)
            return False
        if await connection.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
            self._connection = connection
            log.info("this process now runs the scheduled jobs")
            return True
        await connection.close()
        return False

    @property
    def session(self) -> int | None:
        """The PostgreSQL backend holding this process's lead (pg_stat_activity's pid), if any."""
        return self._connection.get_server_pid() if self._connection is not None else None

    async def close(self) -> None:
        """Give the lead up (closing its connection releases the lock)."""
        async with self._asking:
            if self._connection is not None:
                await self._connection.close()
                self._connection = None
