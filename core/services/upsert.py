"""Write many rows keyed by a natural key, with one audit event per changed row.

Imports and chat entries both end here, so "re-importing the same file changes nothing" and
"every change is audited" hold for every kind of data by construction: a row whose values are
already stored is counted as unchanged and writes nothing, not even an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from core import audit
from core.bulk import insert_many

CHUNK = 2000  # rows written, with their audit events, at a time


@dataclass(frozen=True)
class Row:
    """One row to store: its natural key, the values to compare and audit, and `meta` values
    (who wrote it) that are stored with a change but are not a change by themselves."""

    key: dict[str, Any]
    values: dict[str, Any]
    target: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: Written) -> Written:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self

    @property
    def changed(self) -> int:
        return self.created + self.updated


async def upsert(
    model: type[Model], rows: Iterable[Row], *, scope: dict[str, Any], actor: str, action: str
) -> Written:
    """Create or update `rows` of `model`; `scope` is a filter covering every row's key, so the
    existing rows are read in one query. Runs in one transaction with its audit events.

    Rows are taken CHUNK at a time (they may come from a generator): a year of marks is
    180,000 rows, and holding each one's insert and its audit event at once would cost
    hundreds of megabytes. New rows go in through `core.bulk.insert_many`.
    """
    result = Written()
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return result
    key_fields = tuple(first.key)
    value_fields = tuple(first.values)
    stored = await model.filter(**scope).values_list("id", *key_fields, *value_fields)
    width = len(key_fields)
    existing = {tuple(r[1 : 1 + width]): r for r in stored}
    del stored
    async with in_transaction():
        pending = chain((first,), iterator)
        while chunk := list(islice(pending, CHUNK)):
            await _write_chunk(
                model, chunk, existing, (key_fields, value_fields), actor, action, result
            )
    return result


async def _write_chunk(
    model: type[Model],
    rows: list[Row],
    existing: dict[tuple[Any, ...], tuple[Any, ...]],
    fields: tuple[tuple[str, ...], tuple[str, ...]],
    actor: str,
    action: str,
    result: Written,
) -> None:
    creates: list[dict[str, Any]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    events: list[audit.Event] = []
    key_fields, value_fields = fields
    offset = 1 + len(key_fields)
    for row in rows:
        old = existing.get(tuple(row.key[k] for k in key_fields))
        if old is None:
            creates.append({**row.key, **row.values, **row.meta})
            events.append(audit.Event(actor, f"{action}.create", row.target, None, row.values))
            continue
        before = dict(zip(value_fields, old[offset:], strict=True))
        changed = {k: v for k, v in row.values.items() if before[k] != v}
        if not changed:
            result.unchanged += 1
            continue
        updates.append((old[0], changed | row.meta))
        events.append(
            audit.Event(
                actor, f"{action}.update", row.target, {k: before[k] for k in changed}, changed
            )
        )
    if creates:
        result.created += await insert_many(model, creates)
    for row_id, values in updates:
        await model.filter(id=row_id).update(**values)
    result.updated += len(updates)
    await audit.record_many(events)
