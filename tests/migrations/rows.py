"""Rows in every table of a schema, written through the models of a point in the migration history.

An upgrade test must put data into a database at an OLD migration, where today's models may not
fit the tables (a column added since, a field renamed). Tortoise rebuilds the models of any
point of the history from the migrations themselves (`State.apps`, as Django's historical
models); `fill` writes rows through those, choosing each value from the field's type, so the
same code fills the schema of 0001, 0002 or any later migration without being edited.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from tortoise.fields.base import Field
from tortoise.fields.relational import (
    BackwardFKRelation,
    ForeignKeyFieldInstance,
    ManyToManyFieldInstance,
)
from tortoise.migrations.executor import MigrationExecutor
from tortoise.migrations.migration import Migration
from tortoise.migrations.schema_generator.state import State
from tortoise.migrations.schema_generator.state_apps import StateApps
from tortoise.models import Model

from core import migrations
from core.db import APP, APPS, connection

# The history on disk, for parametrising at collection (`history` reads it in graph order).
NAMES = sorted(path.stem for path in Path(migrations.__file__).parent.glob("[0-9]*_*.py"))

ROWS = 3
MOMENT = dt.datetime(2025, 9, 5, 7, 30, tzinfo=dt.UTC)


async def history() -> list[Migration]:
    """Every migration of the app, in the order they apply (the database must be open)."""
    executor = MigrationExecutor(connection(), APPS)
    await executor.loader.build_graph()
    graph = executor.loader.graph
    (leaf,) = graph.leaf_nodes(APP)
    return [graph.nodes[key] for key in graph.forwards_plan(leaf)]


async def models_at(history: list[Migration]) -> dict[str, type[Model]]:
    """The "models" app as it was after the last migration of `history` (applied in order)."""
    state = State(models={}, apps=StateApps(default_connections={APP: "default"}))
    for migration in history:
        await migration.apply(state, dry_run=True, schema_editor=None)
    return dict(state.apps.apps[APP])


def _relations(model: type[Model]) -> list[ForeignKeyFieldInstance]:
    """The model's foreign keys and one-to-ones (OneToOneFieldInstance is a ForeignKey)."""
    return [
        field
        for field in model._meta.fields_map.values()
        if isinstance(field, ForeignKeyFieldInstance)
    ]


def _target(field: ForeignKeyFieldInstance) -> str:
    """The related model's name. By name, not class: the state re-renders models as it goes,
    so a relation may point at an earlier rendering of its target."""
    return field.model_name.split(".")[-1]


def _columns(model: type[Model]) -> dict[str, Field]:
    """The fields that hold a value of their own: no relation, no generated key."""
    return {
        name: field
        for name, field in model._meta.fields_map.items()
        if not isinstance(field, ForeignKeyFieldInstance | BackwardFKRelation)
        and not isinstance(field, ManyToManyFieldInstance)
        and getattr(field, "reference", None) is None  # the `<fk>_id` column of a relation
        and not (field.pk and field.generated)
    }


def _value(name: str, field: Field, n: int) -> Any:
    """A valid, distinct value for row `n` (distinct so unique columns stay unique)."""
    kind = type(field).__name__
    if enum := getattr(field, "enum_type", None):
        members = list(enum)
        return members[n % len(members)]
    if kind == "CharField":
        return f"{n}-{name}"[: field.max_length]
    if kind == "TextField":
        return f"{name} của dòng {n}"
    if kind in {"IntField", "SmallIntField", "BigIntField"}:
        return n + 1
    if kind == "BooleanField":
        return n % 2 == 0
    if kind == "DecimalField":
        return Decimal(n + 1) + Decimal("0.5")
    if kind == "FloatField":
        return n + 0.25
    if kind == "DatetimeField":
        return MOMENT + dt.timedelta(hours=n)
    if kind == "DateField":
        return MOMENT.date() + dt.timedelta(days=n)
    if kind == "JSONField":
        return {"row": n, "tên": name}
    if kind == "BinaryField":
        return f"{name}:{n}".encode()
    if kind == "UUIDField":
        return uuid.UUID(int=n + 1)
    raise NotImplementedError(f"tests/migrations/rows.py: teach `_value` the {kind} of {name}")


def _in_dependency_order(models: dict[str, type[Model]]) -> list[type[Model]]:
    """Models after the ones their required foreign keys point to."""
    ordered: list[type[Model]] = []
    waiting = dict(models)
    while waiting:
        done = {model.__name__ for model in ordered}
        ready = [
            model
            for model in waiting.values()
            if all(field.null or _target(field) in done for field in _relations(model))
        ]
        if not ready:
            raise RuntimeError(f"Required foreign keys form a cycle among {sorted(waiting)}")
        for model in ready:
            ordered.append(model)
            del waiting[model.__name__]
    return ordered


async def fill(models: dict[str, type[Model]]) -> dict[str, int]:
    """ROWS rows in every table, each relation set (to row n of the related table, so unique
    combinations stay unique); the number of rows written per table."""
    keys: dict[str, list[Any]] = {}
    counts: dict[str, int] = {}
    for model in _in_dependency_order(models):
        rows = []
        for n in range(ROWS):
            values = {name: _value(name, field, n) for name, field in _columns(model).items()}
            for field in _relations(model):
                if _target(field) in keys:
                    values[field.source_field] = keys[_target(field)][n]
            rows.append(await model.create(**values))
        keys[model.__name__] = [row.pk for row in rows]
        counts[model._meta.db_table] = len(rows)
    return counts
