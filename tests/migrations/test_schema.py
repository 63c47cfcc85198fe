"""The schema the migrations build, and the databases `apply_migrations` must not (or may only
carefully) touch: one made before migrations existed, one from a newer version."""

from __future__ import annotations

import pytest
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.recorder import MigrationRecorder

from core.db import (
    APP,
    APPS,
    apply_migrations,
    close_database,
    connection,
    open_database,
    pending_migrations,
)
from core.errors import HocbaError
from core.models import AuditEvent, School

from .conftest import NewDatabase
from .rows import NAMES, fill, history, models_at
from .schema import describe


async def _recorded() -> list[str]:
    return sorted(key.name for key in await MigrationRecorder(connection()).applied_migrations())


async def test_migrations_build_the_schema_of_the_models(new_database: NewDatabase) -> None:
    """What the tests' fast path (`from_models=True`) builds is what schools get."""
    await open_database(await new_database("migrated"))
    migrated = await describe()
    await close_database()
    await open_database(await new_database("generated"), from_models=True)
    generated = await describe()
    assert len(migrated["triggers"]) >= 1, "0001_initial installs the audit_event triggers"
    assert migrated == generated
    assert await _recorded() == NAMES  # and the fast path's database needs no migration later


async def test_database_made_before_migrations_is_adopted(new_database: NewDatabase) -> None:
    """A database of a version without migrations has 0001_initial's tables and triggers but no
    record: 0001 is recorded instead of run (its CREATE TABLEs would fail), the rest applied."""
    await open_database(await new_database("legacy"), create=False)
    first = (await history())[0]
    await apply_migrations(upto=first.name)
    await connection().execute_script("DROP TABLE tortoise_migrations")
    counts = await fill(await models_at([first]))

    assert await pending_migrations() == NAMES[1:]
    assert await apply_migrations() == NAMES[1:]
    assert await _recorded() == NAMES
    assert await School.all().count() == counts["school"]
    assert await AuditEvent.all().count() == counts["audit_event"]


async def test_database_of_a_newer_version_is_refused(new_database: NewDatabase) -> None:
    url = await new_database("newer")
    await open_database(url, from_models=True)
    await MigrationRecorder(connection()).record_applied(APP, "9999_from_a_newer_version")
    await close_database()
    with pytest.raises(HocbaError, match=r"phiên bản mới hơn.*9999_from_a_newer_version"):
        await open_database(url)
    with pytest.raises(HocbaError, match="9999_from_a_newer_version"):
        await pending_migrations()


async def test_history_rolls_back_to_an_empty_database(new_database: NewDatabase) -> None:
    """Every migration can be undone (`tortoise downgrade`), the audit triggers included: give
    a RunPython its reverse_code."""
    await open_database(await new_database("rollback"))
    await MigrationExecutor(connection(), APPS).migrate([MigrationTarget(APP, "__first__")])
    left = await describe()
    assert not left["triggers"]
    assert await _recorded() == []
    assert left["tables"] == [("tortoise_migrations",)]
