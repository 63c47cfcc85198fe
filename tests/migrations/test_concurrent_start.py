"""Two processes that start at once on one PostgreSQL database apply each migration once.

The test holds the migration lock itself while two `hocba migrate` processes start, sees both
wait for it with nothing applied, then lets go: one applies the history, the other finds it
done. Without the lock both would run 0001_initial's CREATE TABLEs and one would fail.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest

import core
from core.db import MIGRATION_LOCK_KEY
from tests.conftest import POSTGRES_URL, _postgres

from .conftest import SCHEMA_PREFIX
from .rows import NAMES

pytestmark = pytest.mark.postgres

WAITING = f"""SELECT count(*) FROM pg_locks
    WHERE locktype = 'advisory' AND NOT granted
    AND ((classid::bigint << 32) | objid::bigint) = ({MIGRATION_LOCK_KEY})::bigint"""


async def _until(condition, seconds: float = 60) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():
            await asyncio.sleep(0.1)


def _applied(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if "✓" in line]


async def test_two_processes_apply_each_migration_once(tmp_path: Path) -> None:
    schema = f"{SCHEMA_PREFIX}_race"
    await _postgres(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HOCBA_")},
        "HOCBA_DATABASE_URL": f"{POSTGRES_URL}?schema={schema}",
        "PYTHONPATH": str(Path(core.__file__).parents[1]),  # this checkout's code and history
    }
    holder = await asyncpg.connect(
        POSTGRES_URL.replace("postgres://", "postgresql://"),
        server_settings={"search_path": schema},
    )
    processes: list[asyncio.subprocess.Process] = []
    try:
        await holder.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        for _ in range(2):
            hocba_migrate = asyncio.create_subprocess_exec(
                *(sys.executable, "-m", "bot.cli", "migrate"),
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            processes.append(await hocba_migrate)

        async def both_wait() -> bool:
            return await holder.fetchval(WAITING) == 2

        await _until(both_wait)
        assert await holder.fetchval("SELECT to_regclass('tortoise_migrations')") is None
        await holder.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
        outputs = [await asyncio.wait_for(p.communicate(), 120) for p in processes]

        assert [p.returncode for p in processes] == [0, 0], outputs
        applied = sorted((_applied(out.decode()) for out, _err in outputs), key=len)
        assert applied == [[], [f"✓ {name}" for name in NAMES]]
        recorded = await holder.fetch("SELECT name FROM tortoise_migrations ORDER BY id")
        assert [row["name"] for row in recorded] == NAMES
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
        await holder.close()
        await _postgres(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
