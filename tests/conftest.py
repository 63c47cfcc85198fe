"""Shared fixtures: a real database per test (a SQLite file, and PostgreSQL when one answers).

Every test that takes `db` runs once per backend. PostgreSQL is the server CI provides on
127.0.0.1:5432 (trust auth, database `test`); where none answers the PostgreSQL run is skipped
with the reason, so a developer's machine without it still runs everything else.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from core.db import close_database, open_database
from core.models import School, SchoolYear
from core.rules.catalog import SchoolLevel
from core.services.access import Actor
from core.services.schools import create_school, ensure_year
from core.workers import WorkerPool

POSTGRES_URL = os.environ.get("HOCBA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
# One schema per test process, so parallel runs on one server never see each other's tables.
POSTGRES_SCHEMA = f"hocba_test_{os.getpid()}"


async def _postgres(statement: str) -> str | None:
    """Run one statement on the test server; None, or why the server could not be reached."""
    import asyncpg

    url = POSTGRES_URL.replace("postgres://", "postgresql://")
    try:
        conn = await asyncio.wait_for(asyncpg.connect(url), 3)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL does not answer at {POSTGRES_URL}: {exc}"
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """An empty record database with the full schema; yields its URL."""
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'hocba.sqlite3'}"
    else:
        reason = await _postgres(
            f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE; CREATE SCHEMA {POSTGRES_SCHEMA};"
        )
        if reason:
            pytest.skip(reason)
        url = f"{POSTGRES_URL}?schema={POSTGRES_SCHEMA}"
    await open_database(url)
    try:
        yield url
    finally:
        await close_database()
        # Tortoise caches INSERT statements per connection name, not per engine: clear it so the
        # next test may open the other backend under the same name.
        EXECUTOR_CACHE.clear()
        if request.param == "postgres":
            await _postgres(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE")


@pytest.fixture
async def secondary(db: str) -> tuple[School, SchoolYear]:
    """A lower-secondary school with the 2025-2026 year and its two terms."""
    school = await create_school("THCS-DA", "Trường THCS Đại An", SchoolLevel.LOWER_SECONDARY)
    return school, await ensure_year(school, "2025-2026")


@pytest.fixture
async def primary(db: str) -> tuple[School, SchoolYear]:
    """A primary school with the 2025-2026 year and its two terms."""
    school = await create_school("TH-AH", "Trường Tiểu học An Hồng", SchoolLevel.PRIMARY)
    return school, await ensure_year(school, "2025-2026")


@pytest.fixture
def admin_of():
    """The command line's admin actor for a school."""
    return lambda school: Actor.command_line(school.id)


@pytest.fixture(scope="session")
def workers() -> Iterator[WorkerPool]:
    """The worker pool that core services hand CPU-heavy work to (one process for the tests)."""
    pool = WorkerPool(1)
    yield pool
    pool.shutdown()
