"""The audit log's append-only triggers, as a step of the migration history (0001_initial).

They live in the database so that no code path, ours or a console's, can edit or remove an audit
row silently; `core.audit.verify` then only has to find what an intruder with the triggers
switched off did. The SQL is dialect-specific, which Tortoise's RunSQL cannot express, so the
migration runs `install` (and `remove` when rolled back) through RunPython.

This module is part of the history: a migration already applied somewhere must keep doing what
it did. Change the triggers with a new migration (and new functions), never by editing these.
The statements are idempotent because `core.db` also runs them on a schema built straight from
the models (the tests' fast path).
"""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

_INSTALL = {
    "sqlite": [
        """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event
           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    ],
    "postgres": [
        """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
        """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
           FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    ],
}
_REMOVE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_event_no_update",
        "DROP TRIGGER IF EXISTS audit_event_no_delete",
    ],
    "postgres": [
        "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
        "DROP FUNCTION IF EXISTS audit_event_append_only()",
    ],
}


async def _run(client: BaseDBAsyncClient, statements: dict[str, list[str]]) -> None:
    dialect = client.capabilities.dialect
    if dialect not in statements:
        raise RuntimeError(f"No audit_event triggers are written for {dialect!r}")
    for statement in statements[dialect]:
        # One statement at a time: on SQLite, execute_script would COMMIT the migration's
        # transaction first.
        await client.execute_query(statement)


async def create_triggers(client: BaseDBAsyncClient) -> None:
    """Refuse UPDATE and DELETE on audit_event (idempotent)."""
    await _run(client, _INSTALL)


async def install(apps: Any, schema_editor: Any) -> None:
    """RunPython forward step: the triggers, in the migration's own transaction."""
    await create_triggers(schema_editor.client)


async def remove(apps: Any, schema_editor: Any) -> None:
    """RunPython backward step: drop the triggers, so 0001_initial can be rolled back."""
    await _run(schema_editor.client, _REMOVE)
