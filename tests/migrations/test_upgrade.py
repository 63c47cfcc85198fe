"""Upgrading keeps every row: each migration applied on a database holding data of the one
before it, written through the models of that point of the history (tests/migrations/rows.py).

The first migration has nothing before it: its case builds the database at the LATEST
migration, fills it, and migrates again, which must apply nothing and change nothing.
"""

from __future__ import annotations

import pytest
from tortoise import Tortoise
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.models import Model

from core.db import APP, apply_migrations, open_database
from core.models import AuditEvent

from .conftest import NewDatabase
from .rows import NAMES, fill, history, models_at

# Among the tables `fill` writes to (it writes to every one), those a school cannot do without.
REPRESENTATIVE = {
    "school",
    "school_year",
    "term",
    "school_class",
    "student",
    "staff",
    "staff_role",
    "mark",
    "audit_event",
}


def _kept_columns(old: type[Model], new: type[Model]) -> list[str]:
    """Columns of both versions with the same field type: their values must not change (a
    column whose type a migration changes is that migration's own business)."""
    old_fields, new_fields = old._meta.fields_map, new._meta.fields_map
    return sorted(
        name
        for name in old._meta.fields_db_projection
        if name in new._meta.fields_db_projection
        and type(old_fields[name]).__name__ == type(new_fields[name]).__name__
    )


async def _rows(model: type[Model], columns: list[str]) -> list[dict[str, object]]:
    return await model.all().order_by(model._meta.pk_attr).values(*columns)


@pytest.mark.parametrize("migration", NAMES)
async def test_upgrade_keeps_every_row(new_database: NewDatabase, migration: str) -> None:
    await open_database(await new_database("upgrade"), create=False)
    steps = await history()
    before_it = steps[: NAMES.index(migration)] or steps
    assert await apply_migrations(upto=before_it[-1].name) == [m.name for m in before_it]
    old_models = await models_at(before_it)
    counts = await fill(old_models)
    assert counts.keys() >= REPRESENTATIVE
    today = Tortoise.apps[APP]
    kept = {
        name: _kept_columns(model, today[name])
        for name, model in old_models.items()
        if name in today  # a model a migration deletes takes its rows with it
    }
    before = {name: await _rows(old_models[name], columns) for name, columns in kept.items()}
    EXECUTOR_CACHE.clear()  # the old models' INSERT statements must not serve today's

    assert await apply_migrations() == NAMES[len(before_it) :]

    for name, columns in kept.items():
        model = today[name]
        assert len(await model.all()) == counts[model._meta.db_table], name  # all readable
        assert await _rows(model, columns) == before[name], name
    # The triggers still refuse (SQLite and asyncpg raise different exception types).
    first = await AuditEvent.all().order_by("seq").first()
    assert first is not None
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.filter(id=first.id).update(actor="someone-else")
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.filter(id=first.id).delete()
    assert await AuditEvent.all().count() == counts["audit_event"]
