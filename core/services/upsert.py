"""Write many rows keyed by a natural key, with one audit event per changed row.

Imports and chat entries both end here, so "re-importing the same file changes nothing" and
"every change is audited" hold for every kind of data by construction: a row whose values are
already stored is counted as unchanged and writes nothing, not even an audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from core import audit


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
    model: type[Model], rows: Sequence[Row], *, scope: dict[str, Any], actor: str, action: str
) -> Written:
    """Create or update `rows` of `model`; `scope` is a filter covering every row's key, so the
    existing rows are read in one query. Runs in one transaction with its audit events."""
    result = Written()
    if not rows:
        return result
    key_fields = tuple(rows[0].key)
    value_fields = tuple(rows[0].values)
    stored = await model.filter(**scope).values("id", *key_fields, *value_fields)
    existing = {tuple(r[k] for k in key_fields): r for r in stored}
    creates: list[Model] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    events: list[audit.Event] = []
    for row in rows:
        old = existing.get(tuple(row.key[k] for k in key_fields))
        if old is None:
            creates.append(model(**row.key, **row.values, **row.meta))
            events.append(audit.Event(actor, f"{action}.create", row.target, None, row.values))
            continue
        changed = {k: v for k, v in row.values.items() if old[k] != v}
        if not changed:
            result.unchanged += 1
            continue
        updates.append((old["id"], changed | row.meta))
        before = {k: old[k] for k in changed}
        events.append(audit.Event(actor, f"{action}.update", row.target, before, changed))
    async with in_transaction():
        if creates:
            await model.bulk_create(creates, batch_size=500)
        for row_id, values in updates:
            await model.filter(id=row_id).update(**values)
        await audit.record_many(events)
    result.created, result.updated = len(creates), len(updates)
    return result
