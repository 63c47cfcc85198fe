"""What the open database's schema is, read back from the database, in a comparable form.

Two databases built by different paths (the migrations, Tortoise's generate_schemas) must have
the same tables, columns with their types, nullability and defaults, keys, foreign keys with
their ON DELETE rule, indexes (names included: a later migration drops an index by name) and
triggers. Left out: the order of a table's columns (a column added by a migration comes last),
comments (documentation only, and Tortoise's AddField does not write a column's), and, in
PostgreSQL's definitions, the schema's own name.
"""

from __future__ import annotations

from typing import Any

from core.db import connection, dialect

Schema = dict[str, list[tuple[Any, ...]]]


async def _rows(sql: str) -> list[tuple[Any, ...]]:
    _count, rows = await connection().execute_query(sql)
    return [tuple(row) for row in rows]


async def describe() -> Schema:
    return await (_postgres() if dialect() == "postgres" else _sqlite())


async def _sqlite() -> Schema:
    tables = [
        name
        for (name,) in await _rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    described: Schema = {"tables": [(name,) for name in tables]}
    for table in tables:
        # By name, without the position: ADD COLUMN appends where the model may put it earlier.
        described[f"{table}.columns"] = sorted(
            row[1:] for row in await _rows(f"PRAGMA table_info('{table}')")
        )
        # Without the key's number: SQLite numbers a table's foreign keys in the order its
        # CREATE TABLE declares them, which a rebuild (AlterField) changes. Every key here has
        # one column, so the number groups nothing.
        described[f"{table}.foreign_keys"] = sorted(
            row[1:] for row in await _rows(f"PRAGMA foreign_key_list('{table}')")
        )
        for _seq, name, unique, origin, partial in await _rows(f"PRAGMA index_list('{table}')"):
            # Columns by name: an index on an expression (or a quoted name SQLite took for a
            # string) shows None here instead of a column.
            columns = [row[2] for row in await _rows(f"PRAGMA index_info('{name}')")]
            if name.startswith(("sqlite_autoindex_", "uid_")):
                # A uniqueness constraint, whichever way it was made: declared in CREATE TABLE,
                # SQLite numbers it (sqlite_autoindex_<table>_<n>); added to an existing table
                # (AddField: SQLite cannot add a UNIQUE column), Tortoise creates it as
                # uid_<...>. Both enforce the same, and neither is ever dropped by its name.
                name, origin = "unique", "u"
            described.setdefault(f"{table}.indexes", []).append(
                (name, unique, origin, partial, *columns)
            )
        if f"{table}.indexes" in described:
            described[f"{table}.indexes"].sort(key=repr)
    described["triggers"] = await _rows(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    )
    return described


async def _postgres() -> Schema:
    schema = "current_schema()"
    described: Schema = {
        "tables": await _rows(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = {schema} ORDER BY 1"
        ),
        "columns": await _rows(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "character_maximum_length, numeric_precision, numeric_scale "
            f"FROM information_schema.columns WHERE table_schema = {schema} ORDER BY 1, 2"
        ),
        "constraints": await _rows(
            "SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid) "
            "FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid "
            f"WHERE rel.relnamespace = {schema}::regnamespace ORDER BY 1, 2"
        ),
        "indexes": await _rows(
            "SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '') "
            f"FROM pg_indexes WHERE schemaname = {schema} ORDER BY 1, 2"
        ),
        "triggers": await _rows(
            "SELECT event_object_table, trigger_name, event_manipulation, action_timing, "
            "action_statement FROM information_schema.triggers "
            f"WHERE trigger_schema = {schema} ORDER BY 1, 2, 3"
        ),
    }
    return described
