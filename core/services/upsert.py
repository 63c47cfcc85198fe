"""Write many rows keyed by a natural key, with one audit event per changed row.

Imports and chat entries both end here, so "re-importing the same file changes nothing" and
"every change is audited" hold for every kind of data by construction: a row whose values are
already stored is counted as unchanged and writes nothing, not even an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain, islice
from types import MappingProxyType
from typing import Any, NamedTuple

from tortoise.models import Model
from tortoise.transactions import in_transaction

from core import audit
from core.bulk import insert

CHUNK = 2000  # rows written, with their audit events, at a time


_NO_META: Mapping[str, Any] = MappingProxyType({})


class Row(NamedTuple):
    """One row to store: its natural key, the values to compare and audit, and `meta` values
    (who wrote it) that are stored with a change but are not a change by themselves. (A tuple:
    a year's import makes 180,000 of them.)"""

    key: dict[str, Any]
    values: dict[str, Any]
    target: str
    meta: Mapping[str, Any] = _NO_META


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
    hundreds of megabytes. New rows go in through `core.bulk`, their audit events through
    one `audit.Chain` (its head read once).
    """
    result = Written()
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return result
    plan = _Plan(model, first, actor, action)
    await plan.read_existing(scope)
    async with in_transaction():
        log = await audit.Chain.open()
        pending = chain((first,), iterator)
        while chunk := list(islice(pending, CHUNK)):
            creates, updates, events = plan.split(chunk, result)
            await insert(model, plan.columns, creates)
            for row_id, values in updates:
                await model.filter(id=row_id).update(**values)
            await log.append(events)
    return result


class _Plan:
    """What one upsert compares and writes: the field names (taken from its first row, as
    every row of one call has the same), and the rows already stored, by key."""

    def __init__(self, model: type[Model], first: Row, actor: str, action: str):
        self.model = model
        self.keys = tuple(first.key)
        self.values = tuple(first.values)
        self.meta = tuple(first.meta)
        self.columns = (*self.keys, *self.values, *self.meta)
        self.actor, self.action = actor, action
        self.existing: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    async def read_existing(self, scope: dict[str, Any]) -> None:
        stored = await self.model.filter(**scope).values_list("id", *self.keys, *self.values)
        width = len(self.keys)
        self.existing = {tuple(r[1 : 1 + width]): r for r in stored}

    def split(
        self, rows: list[Row], result: Written
    ) -> tuple[list[tuple[Any, ...]], list[tuple[int, dict[str, Any]]], list[audit.Event]]:
        """The chunk's new rows (as values of `columns`), its updates (id, changed values) and
        the audit events of both; unchanged rows are counted and write nothing."""
        creates: list[tuple[Any, ...]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        events: list[audit.Event] = []
        actor, created, updated = self.actor, f"{self.action}.create", f"{self.action}.update"
        offset = 1 + len(self.keys)
        for row in rows:
            key = tuple(map(row.key.__getitem__, self.keys))
            old = self.existing.get(key)
            if old is None:
                values = tuple(map(row.values.__getitem__, self.values))
                creates.append((*key, *values, *map(row.meta.__getitem__, self.meta)))
                events.append(audit.Event(actor, created, row.target, None, row.values))
                continue
            before = dict(zip(self.values, old[offset:], strict=True))
            changed = {k: v for k, v in row.values.items() if before[k] != v}
            if not changed:
                result.unchanged += 1
                continue
            updates.append((old[0], changed | row.meta))
            events.append(
                audit.Event(actor, updated, row.target, {k: before[k] for k in changed}, changed)
            )
        result.created += len(creates)
        result.updated += len(updates)
        return creates, updates, events
