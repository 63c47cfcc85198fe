"""Empty databases for the migration tests, on a SQLite file and on PostgreSQL.

Unlike the suite's `db` fixture these are not opened: each test decides how the schema is made
(the migrations, up to which one, or the models). PostgreSQL databases are schemas of the test
server named after this process, as in tests/conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from core.db import close_database
from tests.conftest import POSTGRES_URL, _postgres

SCHEMA_PREFIX = f"hocba_migrations_{os.getpid()}"

NewDatabase = Callable[[str], Awaitable[str]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def new_database(backend: str, tmp_path: Path) -> AsyncIterator[NewDatabase]:
    """`await new_database(name)`: the URL of a new, empty database on the test's backend."""
    schemas: list[str] = []

    async def make(name: str) -> str:
        if backend == "sqlite":
            return f"sqlite://{tmp_path / name}.sqlite3"
        schema = f"{SCHEMA_PREFIX}_{name}"
        await _postgres(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        schemas.append(schema)
        return f"{POSTGRES_URL}?schema={schema}"

    try:
        yield make
    finally:
        await close_database()
        EXECUTOR_CACHE.clear()  # the other backend may come next under the same connection name
        for schema in schemas:
            await _postgres(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
