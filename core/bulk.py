"""Inserting many rows of one model without a Tortoise model object per row.

`Model.bulk_create` wants model instances, and building one costs about as much as inserting
its row: a year of marks (180,000 rows, as many audit events) spent most of its write time,
and hundreds of megabytes, in `Model.__init__`. An insert here sends the same INSERT statement
Tortoise prepares for the model, with each value converted by the model's own field
(`to_db_value`, as `bulk_create` does), so what is stored is what the ORM would have stored,
on SQLite and PostgreSQL alike, inside the caller's transaction.

Rows are given as tuples in the order of a list of field names: a dict per row costs more
than its insert. Reading many rows back (`columns`) is the same in reverse: a values_list
query's columns are converted by their fields once per distinct value, not once per cell.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.queryset import ValuesListQuery

_MISSING = object()


class _Instance:
    """What a field's `to_db_value` may look at or set (an `auto_now` date) in place of a
    model instance: a new, unsaved row."""

    _saved_in_db = False


def _default(field: Any) -> Any:
    default = field.default
    return default() if callable(default) else default


def _sqlite_bound(value: Any) -> Any:
    """What SQLite's driver binds for a value: the result of its registered adapter (Tortoise
    registers Decimal -> str and datetime -> isoformat), or the value itself."""
    adapt = sqlite3.adapters.get((type(value), sqlite3.PrepareProtocol))
    return value if adapt is None else adapt(value)


def bound(db: BaseDBAsyncClient) -> Callable[[Any], Any]:
    """`_sqlite_bound` on SQLite, else nothing. The driver adapts every value of every row in
    its thread, holding the GIL (a year of marks: 180,000 scores, 360,000 dates); adapted here,
    once per distinct value, the database gets the very same text."""
    if db.capabilities.dialect == "sqlite":
        return _sqlite_bound
    return _same


def _same(value: Any) -> Any:
    return value


def _distinct(values: Sequence[Any]) -> set[Any] | None:
    """The distinct values of a column when it is worth converting each only once: they are of
    one type (the type matters: True == 1 == 1.0 are one key to a dict), hashable, and repeat."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) <= 1 and not kinds & {dict, list, set, bytearray}:
        distinct = set(values)
        if len(distinct) * 2 <= len(values):
            return distinct
    return None


def _convert(field: Any, values: list[Any], adapt: Callable[[Any], Any]) -> list[Any]:
    """One column's values converted for the database. A chunk repeats the same few students,
    subjects, terms, actors and dates on every row, and `to_db_value` (with the field's
    validators) is most of an insert's cost: each distinct value is converted once."""
    to_db, holder = field.to_db_value, _Instance()
    if _MISSING in values:  # a callable default (a uuid) is called for each row
        values = [_default(field) if v is _MISSING else v for v in values]
    distinct = _distinct(values)
    if distinct is not None:
        table = {value: adapt(to_db(value, holder)) for value in distinct}
        return list(map(table.__getitem__, values))
    return [to_db(value, holder) for value in values]


async def insert(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert rows given as values of the fields `names`, in that order, converted by the
    model's fields; every other column takes its default. Returns the row count."""
    if not rows:
        return 0
    columns = _columns(model)
    unknown = set(names) - set(columns)
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    given = dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))
    fields, adapt = model._meta.fields_map, bound(model._meta.db)
    converted = [
        _convert(fields[name], given.get(name) or [_MISSING] * len(rows), adapt) for name in columns
    ]
    return await _send(model, list(zip(*converted, strict=True)))


async def insert_ready(
    model: type[Model], names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> int:
    """Insert rows whose values are already the database's (the audit log writes its own
    JSON text and hashes), one value per column of the model, in the order `names` gives."""
    if list(names) != _columns(model):
        raise ValueError(f"{model.__name__}: columns {names} are not {_columns(model)}")
    return await _send(model, rows)


def _columns(model: type[Model]) -> list[str]:
    if model._meta.db_default_db_columns:  # the database fills those: bulk_create's way
        raise TypeError(f"{model.__name__} has database defaults: use bulk_create")
    db = model._meta.db
    return list(db.executor_class(model=model, db=db).regular_columns)


async def _send(model: type[Model], values: Sequence[Sequence[Any]]) -> int:
    """The model's INSERT, in the current transaction's connection (inside one)."""
    if values:
        db = model._meta.db
        executor = db.executor_class(model=model, db=db)
        await db.execute_many(executor.insert_query, values)
    return len(values)


async def columns(query: ValuesListQuery[Any]) -> list[list[Any]]:
    """The columns of a `values_list` query's rows, each value as awaiting the query gives it,
    converted by its field once per distinct value: awaited, Tortoise converts every cell (a
    year's marks read back to compare with a re-imported file: a million enum and Decimal
    conversions of a few dozen distinct values)."""
    query._choose_db_if_not_chosen()
    query._make_query()
    _count, result = await query._db.execute_query(*query.query.get_parameterized_sql())
    if not result:
        return [[] for _name in query.fields]
    converted: list[Any] = list(zip(*result, strict=True))
    del result  # the driver's rows: as large again as their columns
    for index, name in enumerate(query.fields.values()):
        convert = query.resolve_to_python_value(query.model, name)
        values = converted[index]
        distinct = _distinct(values)
        if distinct is not None:
            convert = {v: convert(v) for v in distinct}.__getitem__
        converted[index] = list(map(convert, values))
    return converted
