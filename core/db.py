"""Opening the record database: SQLite by default, PostgreSQL for larger deployments.

The schema is the migration history in core/migrations (Tortoise's own migrations, app
"models"). `open_database` applies whatever is pending, so `hocba init`, `hocba migrate`, the
bot's start-up and the benchmarks all bring a database, new or made by an older version, to the
current models; with nothing pending that costs a few small queries. The audit log's
append-only rule is enforced by triggers that 0001_initial installs in the database itself, so
no code path can edit it silently.

Tests open a fresh database for each of several hundred tests: they may build the schema
straight from the models instead (`from_models=True`, 10 to 30 times faster than replaying the
history); tests/migrations prove that both give the same schema.
"""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.schema_editor import BaseSchemaEditor, SqliteSchemaEditor

from core.errors import HocbaError
from core.i18n import _
from core.migrations._audit_append_only import create_triggers

APP = "models"
APPS: dict[str, dict[str, Any]] = {
    APP: {
        "models": ["core.models"],
        "migrations": "core.migrations",
        "default_connection": "default",
    }
}
# What Tortoise's own CLI reads (`tortoise -c core.db.TORTOISE_ORM makemigrations`, see the
# Makefile's `migration` target): the autodetector compares the models with the migration files
# and needs no real database.
TORTOISE_ORM: dict[str, Any] = {"connections": {"default": "sqlite://:memory:"}, "apps": APPS}
# The PostgreSQL advisory lock that migrating processes take turns on: one per schema, so the
# databases in other schemas of one server (the tests' per-process schemas) never wait.
MIGRATION_LOCK_KEY = "hashtext('hocba.migrate:' || coalesce(current_schema(), ''))"
# Any table of 0001_initial: present without a migration record, it marks a database made by
# `generate_schemas`, before migrations existed.
_BASELINE_TABLE = "audit_event"


class DatabaseUnavailable(HocbaError):
    """The configured database cannot be opened: where, why, and what to check, in one line
    (the console prints it instead of a traceback)."""


# What a wrong address, a closed port, a refused login or an unusable file raise on connecting.
_CONNECTING = (OSError, sqlite3.Error, OperationalError, DBConnectionError, asyncpg.PostgresError)


def _unavailable(url: str, exc: BaseException) -> str:
    """The one line saying why `url` did not open; never the URL's password."""
    cause = exc.__cause__ if isinstance(exc, DBConnectionError) and exc.__cause__ else exc
    if isinstance(cause, ConnectionRefusedError):
        reason = _("máy chủ từ chối kết nối (sai cổng, hoặc PostgreSQL chưa chạy)")
    elif isinstance(cause, socket.gaierror):
        reason = _("không tìm thấy máy chủ có tên này")
    elif isinstance(cause, OSError) and cause.strerror:
        reason = cause.strerror
    else:
        reason = " ".join(str(cause).split()) or type(cause).__name__
    if url.startswith("sqlite://"):
        return _(
            "Không mở được cơ sở dữ liệu SQLite {path}: {reason}. Kiểm tra [database] url "
            "(HOCBA_DATABASE_URL): cần một tệp trong thư mục mà tài khoản chạy trợ lý ghi được."
        ).format(path=url.removeprefix("sqlite://").partition("?")[0], reason=reason)
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
    return _(
        "Không kết nối được PostgreSQL {where}: {reason}. Kiểm tra máy chủ PostgreSQL đang chạy "
        "và [database] url (HOCBA_DATABASE_URL): địa chỉ, cổng, người dùng, mật khẩu, tên cơ sở "
        "dữ liệu."
    ).format(where=where, reason=reason)


def postgres_dsn(url: str) -> tuple[str, str | None]:
    """libpq's URL of a PostgreSQL database URL (without Tortoise's ?schema=), for a tool or a
    connection of its own, and the schema named there, if any."""
    parts = urlsplit(url)
    schema = parse_qs(parts.query).get("schema", [None])[0]
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", "")), schema


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite://") and ":memory:" not in url:
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)


def connection() -> BaseDBAsyncClient:
    return connections.get("default")


def dialect() -> str:
    """ "sqlite" or "postgres": the few places that need engine-specific SQL ask this."""
    return connection().capabilities.dialect


async def open_database(url: str, *, create: bool = True, from_models: bool = False) -> None:
    """Connect Tortoise to `url` and bring the schema up to date (unless `create` is False);
    DatabaseUnavailable, in one line, when it cannot be reached or opened.

    `from_models=True` is for tests on an empty database: the tables straight from the models,
    the audit triggers, and every migration recorded as applied, so that a later
    `open_database(url)` finds nothing pending.
    """
    try:
        _ensure_sqlite_dir(url)
        await Tortoise.init(
            config={"connections": {"default": url}, "apps": APPS}, _enable_global_fallback=True
        )
        await connection().execute_query("SELECT 1")  # connect now: a wrong address stops here
    except _CONNECTING as exc:
        await Tortoise.close_connections()
        raise DatabaseUnavailable(_unavailable(url, exc)) from exc
    if not create:
        return
    if from_models:
        await Tortoise.generate_schemas(safe=True)
        await create_triggers(connection())
        await (await _executor()).migrate(fake=True)
    else:
        await apply_migrations()


async def pending_migrations() -> list[str]:
    """The migrations `apply_migrations` would run now, in order (nothing is changed)."""
    executor = await _executor()
    steps = await executor.plan()
    if await _made_before_migrations(executor):
        steps = steps[1:]
    return [step.migration.name for step in steps]


async def apply_migrations(upto: str | None = None) -> list[str]:
    """Apply the pending migrations (up to and including `upto`, if given), each in its own
    transaction; the names applied, in order.

    On PostgreSQL an advisory lock makes processes that start together take turns: the second
    waits, then finds nothing left to do. On SQLite one process per database is the rule, and
    foreign keys are off while migrations run (see `_migration_run`).
    """
    applied: list[str] = []

    def record(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    async with _migration_run(connection()):
        executor = await _executor()
        if await _made_before_migrations(executor):
            first = executor.loader.graph.root_nodes(APP)[0]
            await executor.migrate([MigrationTarget(APP, first.name)], fake=True)
        targets = [MigrationTarget(APP, upto)] if upto else None
        await executor.migrate(targets, direction="forward", progress=record)
    if applied:
        # Tortoise caches each table's INSERT statement by table name; a data migration's
        # models of an older schema would leave theirs for today's models to use.
        EXECUTOR_CACHE.clear()
    return applied


async def _executor() -> MigrationExecutor:
    """An executor with the history loaded, for a database this version may migrate."""
    executor = _Executor(connection(), APPS)
    await executor.loader.build_graph()
    loader = executor.loader
    unknown = sorted(
        key.name
        for key in loader.applied_migrations
        if key.app_label == APP and key not in loader.disk_migrations
    )
    if unknown:
        # Its schema is not what these models expect: writing to it could lose data.
        raise HocbaError(
            _(
                "Cơ sở dữ liệu đã được nâng cấp bởi một phiên bản mới hơn của hocba "
                "(có {names}, phiên bản này không biết). Hãy chạy phiên bản mới đó."
            ).format(names=", ".join(unknown))
        )
    return executor


async def _made_before_migrations(executor: MigrationExecutor) -> bool:
    """Tables but no migration record: made by `generate_schemas` (versions before migrations),
    at the schema of the first migration, which is then recorded instead of run."""
    if any(key.app_label == APP for key in executor.loader.applied_migrations):
        return False
    conn = executor.connection
    if conn.capabilities.dialect == "postgres":
        query = f"SELECT to_regclass('{_BASELINE_TABLE}') IS NOT NULL AS found"
    else:
        query = f"SELECT count(*) > 0 AS found FROM sqlite_master WHERE name = '{_BASELINE_TABLE}'"
    _count, rows = await conn.execute_query(query)
    return bool(rows[0]["found"])


@asynccontextmanager
async def _migration_run(conn: BaseDBAsyncClient) -> AsyncIterator[None]:
    """The conditions a migration run needs around it, per engine.

    PostgreSQL: hold the session advisory lock on a pooled connection of its own for the block
    (the migrations run on the others); the lock goes with the connection if the process dies.

    SQLite: foreign keys off. To alter a column Tortoise rebuilds the table (create a new one,
    copy the rows, DROP the old one, rename), and with foreign keys on that DROP deletes, by
    cascade, every row that references the table: a school's students, marks... SQLite allows
    the switch only outside a transaction, so it is made around the whole run, and the check
    after it names any reference a migration left broken.
    """
    if conn.capabilities.dialect == "sqlite":
        await conn.execute_script("PRAGMA foreign_keys = OFF")
        try:
            yield
            _count, broken = await conn.execute_query("PRAGMA foreign_key_check")
        finally:
            await conn.execute_script("PRAGMA foreign_keys = ON")
        if broken:
            tables = sorted({row["table"] for row in broken})
            raise RuntimeError(f"Migrations left rows pointing at nothing in {tables}")
        return
    if conn.capabilities.dialect != "postgres":
        yield
        return
    async with conn.acquire_connection() as holder:
        await holder.execute(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
        try:
            yield
        finally:
            await holder.execute(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")


class _Executor(MigrationExecutor):
    def _schema_editor(self, atomic: bool = True, collect_sql: bool = False) -> BaseSchemaEditor:
        if self.connection.capabilities.dialect == "sqlite":
            return _SqliteSchemaEditor(self.connection, atomic=atomic, collect_sql=collect_sql)
        return super()._schema_editor(atomic, collect_sql)


class _SqliteSchemaEditor(SqliteSchemaEditor):
    """Tortoise 1.1.9 runs SQLite DDL inside a migration's transaction by splitting it at every
    ";", which breaks a table comment that holds one (`CREATE TABLE "bot_state" (...)
    /* One remembered value; ... */`: model docstrings become such comments). This splits
    where SQLite itself says a statement ends."""

    async def _run_sql(self, sql: str) -> None:
        if self.collect_sql or not self.atomic_migration:
            await super()._run_sql(sql)
            return
        for statement in _sqlite_statements(sql):
            await self.client.execute_query(statement)


def _sqlite_statements(script: str) -> list[str]:
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip("; \n"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip("; \n"):
        statements.append(pending.strip())
    return statements


async def close_database() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def database(url: str, *, from_models: bool = False) -> AsyncIterator[None]:
    """The database open for the block (see `open_database` for `from_models`)."""
    await open_database(url, from_models=from_models)
    try:
        yield
    finally:
        await close_database()
