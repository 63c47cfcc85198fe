"""Shared fixtures: a real database per test (a SQLite file, and PostgreSQL when one answers).

Every test that takes `db` runs once per backend. PostgreSQL is the server CI provides on
127.0.0.1:5432 (trust auth, database `test`); where none answers the PostgreSQL run is skipped
with the reason, so a developer's machine without it still runs everything else.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from core.db import close_database, open_database
from core.models import School, SchoolYear
from core.rules.catalog import SchoolLevel
from core.services.access import Actor
from core.services.schools import create_school, ensure_year

POSTGRES_URL = os.environ.get("HOCBA_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


async def _postgres_reset(url: str) -> str | None:
    """Empty the test database; None when no server answers (the reason to skip otherwise)."""
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(url.replace("postgres://", "postgresql://")), 3)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL does not answer at {url}: {exc}"
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """An empty record database with the full schema; yields its URL."""
    if request.param == "sqlite":
        url = f"sqlite://{tmp_path / 'hocba.sqlite3'}"
    else:
        url = POSTGRES_URL
        reason = await _postgres_reset(url)
        if reason:
            pytest.skip(reason)
    await open_database(url)
    try:
        yield url
    finally:
        await close_database()


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
