"""Inserting many rows of one model without a Tortoise model object per row.

`Model.bulk_create` wants model instances, and building one costs about as much as inserting
its row: a year of marks (180,000 rows, as many audit events) spent most of its write time,
and hundreds of megabytes, in `Model.__init__`. `insert_many` sends the same INSERT statement
Tortoise prepares for the model, with each value converted by the model's own field
(`to_db_value`, as `bulk_create` does), so what is stored is what the ORM would have stored,
on SQLite and PostgreSQL alike, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

from tortoise.models import Model

BATCH = 1000


class _Instance:
    """What a field's `to_db_value` may look at or set (an `auto_now` date) in place of a
    model instance: a new, unsaved row."""

    _saved_in_db = False


def _default(field: Any) -> Any:
    default = field.default
    return default() if callable(default) else default


async def insert_many(
    model: type[Model], rows: Iterable[Mapping[str, Any]], *, batch: int = BATCH
) -> int:
    """Insert `rows` (field name -> value; a missing field takes its default) in batches;
    returns how many rows were inserted."""
    db = model._meta.db  # the current transaction's connection, inside one
    executor = db.executor_class(model=model, db=db)
    if model._meta.db_default_db_columns:  # columns the database fills: Tortoise's own way
        objects = [model(**row) for row in rows]
        await model.bulk_create(objects, batch_size=batch)
        return len(objects)
    columns = [_Column(name, model._meta.fields_map[name]) for name in executor.regular_columns]
    count = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, batch)):
        values = list(zip(*(column.convert(chunk) for column in columns), strict=True))
        await db.execute_many(executor.insert_query, values)
        count += len(chunk)
    return count


class _Column:
    """One column's conversion, remembered per distinct value: a batch repeats the same few
    students, subjects, terms, actors and dates on every row, and `to_db_value` (with the
    field's validators) is most of the cost of an insert. A column whose values do not repeat
    (a sequence number, a hash) stops remembering after its first batch: a memo there costs
    a miss per row and holds every value."""

    _MISSING = object()

    def __init__(self, name: str, field: Any):
        self.name = name
        self.field = field
        self.known: dict[tuple[type, Any], Any] | None = {}
        self.holder = _Instance()

    def convert(self, rows: list[Mapping[str, Any]]) -> list[Any]:
        """This column's value of each row, converted for the database."""
        name, known, to_db, holder = self.name, self.known, self.field.to_db_value, self.holder
        missing = self._MISSING
        values = [row.get(name, missing) for row in rows]
        if missing in values:  # a callable default (a uuid) is called for each row
            values = [_default(self.field) if v is missing else v for v in values]
        if known is None:
            return [to_db(value, holder) for value in values]
        out = []
        for value in values:
            kind = value.__class__
            if kind is dict or kind is list:  # a JSON value: unhashable
                out.append(to_db(value, holder))
                continue
            # the type is part of the key: True == 1 == 1.0 are one key to a dict
            converted = known.get((kind, value), missing)
            if converted is missing:
                converted = known[kind, value] = to_db(value, holder)
            out.append(converted)
        if len(known) > len(rows) // 2:
            self.known = None
        return out
