"""Opening the record database: SQLite by default, PostgreSQL for larger deployments.

Schema creation is idempotent (Tortoise's safe schema generation), so `hocba init`, the bot's
start-up and the tests all call the same `open_database`. The audit log's append-only rule is
enforced by triggers here, in the database itself, so no code path can edit it silently.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient

MODELS = {"models": ["core.models"]}

_SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
]
_POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
]


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite://") and ":memory:" not in url:
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)


def connection() -> BaseDBAsyncClient:
    return connections.get("default")


def dialect() -> str:
    """ "sqlite" or "postgres": the few places that need engine-specific SQL ask this."""
    return connection().capabilities.dialect


async def open_database(url: str, *, create: bool = True) -> None:
    """Connect Tortoise to `url` and make sure every table and trigger exists."""
    _ensure_sqlite_dir(url)
    await Tortoise.init(db_url=url, modules=MODELS, _enable_global_fallback=True)
    if create:
        await Tortoise.generate_schemas(safe=True)
        conn = connection()
        for statement in _POSTGRES_TRIGGERS if dialect() == "postgres" else _SQLITE_TRIGGERS:
            await conn.execute_script(statement)


async def close_database() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def database(url: str) -> AsyncIterator[None]:
    await open_database(url)
    try:
        yield
    finally:
        await close_database()
