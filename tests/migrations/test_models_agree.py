"""The models and the migration history describe the same schema.

A model field added, changed or removed without a migration would reach a school's database
only through `generate_schemas`, which never alters a table: the bot would then fail on the
first query that names the new column. Tortoise's autodetector compares the models with the
state the migrations build; it must find nothing to write.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise, fields
from tortoise.migrations import operations as ops
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter

from core import migrations
from core.db import APP, APPS, close_database, open_database
from core.models import AuditEvent

from .rows import NAMES


async def _pending_changes(apps_config: dict[str, dict[str, Any]]) -> list[str]:
    """What `make migration` would write for today's models against `apps_config`'s history."""
    await open_database("sqlite://:memory:", create=False)
    try:
        writers = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    finally:
        await close_database()
    return [operation.describe() for writer in writers for operation in writer.operations]


async def test_every_model_change_has_its_migration() -> None:
    assert await _pending_changes(APPS) == [], (
        "The models differ from core/migrations: write the migration with "
        "`make migration NAME=what_changed` and commit it with the model change."
    )


async def test_a_change_without_migration_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same check against a history that lags the models by one added and one changed
    field: a copy of core/migrations, plus a migration (written by Tortoise's writer) that
    takes AuditEvent.target out and shortens AuditEvent.action."""
    stale = tmp_path / "stale_migrations"
    shutil.copytree(Path(migrations.__file__).parent, stale)
    action = AuditEvent._meta.fields_map["action"]
    shorter = fields.CharField(max_length=action.max_length - 1)
    writer = MigrationWriter(
        "9999_lagging",
        APP,
        [
            ops.RemoveField(model_name="AuditEvent", name="target"),
            ops.AlterField(model_name="AuditEvent", name="action", field=shorter),
        ],
        dependencies=[(APP, NAMES[-1])],
    )
    (stale / "9999_lagging.py").write_text(writer.as_string(), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    stale_apps = {APP: {**APPS[APP], "migrations": "stale_migrations"}}
    assert sorted(await _pending_changes(stale_apps)) == [
        "Add field target to AuditEvent",
        "Alter field action on AuditEvent",
    ]
