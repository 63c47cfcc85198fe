"""Write many rows keyed by a natural key, with one audit event per changed row.

Imports and chat entries both end here, so "re-importing the same file changes nothing" and
"every change is audited" hold for every kind of data by construction: a row whose values are
already stored is counted as unchanged and writes nothing, not even an audit event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain, islice, repeat
from types import MappingProxyType
from typing import Any, NamedTuple

from tortoise.models import Model
from tortoise.transactions import in_transaction

from core import audit
from core.bulk import columns, insert

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


Cells = tuple[tuple[Any, ...], tuple[Any, ...], str, tuple[Any, ...]]
"""A row as `upsert_cells` takes it: its key, values and meta in the order of a `Shape`, and
its target. (Plain tuples: a year's marks are 180,000 rows, and a dict, or even a named tuple,
per row costs more than the row's insert.)"""


class Shape(NamedTuple):
    """The field names of the key, values and meta of every row of one upsert."""

    keys: tuple[str, ...]
    values: tuple[str, ...]
    meta: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: Row) -> Shape:
        return cls(tuple(row.key), tuple(row.values), tuple(row.meta))

    def cells(self, row: Row) -> Cells:
        return (
            tuple(map(row.key.__getitem__, self.keys)),
            tuple(map(row.values.__getitem__, self.values)),
            row.target,
            tuple(map(row.meta.__getitem__, self.meta)),
        )


async def upsert(
    model: type[Model], rows: Iterable[Row], *, scope: dict[str, Any], actor: str, action: str
) -> Written:
    """Create or update `rows` of `model`; `scope` is a filter covering every row's key, so the
    existing rows are read in one query. Runs in one transaction with its audit events. Every
    row has the fields of the first one."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return Written()
    shape = Shape.of(first)
    cells = map(shape.cells, chain((first,), iterator))
    return await upsert_cells(model, shape, cells, scope=scope, actor=actor, action=action)


async def upsert_cells(
    model: type[Model],
    shape: Shape,
    rows: Iterable[Cells],
    *,
    scope: dict[str, Any],
    actor: str,
    action: str,
) -> Written:
    """`upsert` of rows given as tuples in the order of `shape`.

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
    plan = _Plan(model, shape, actor, action)
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
    """What one upsert compares and writes, and the rows already stored, by key (read as
    tuples converted once per distinct value: a re-imported year of marks compares 180,000)."""

    def __init__(self, model: type[Model], shape: Shape, actor: str, action: str):
        self.model = model
        self.shape = shape
        self.columns = (*shape.keys, *shape.values, *shape.meta)
        self.actor, self.action = actor, action
        self.existing: dict[tuple[Any, ...], tuple[int, tuple[Any, ...]]] = {}  # key: id, values

    async def read_existing(self, scope: dict[str, Any]) -> None:
        keys, values = self.shape.keys, self.shape.values
        ids, *stored = await columns(self.model.filter(**scope).values_list("id", *keys, *values))
        width = len(keys)
        keys_of = zip(*stored[:width], strict=True)
        values_of = zip(*stored[width:], strict=True) if self.shape.values else repeat((), len(ids))
        self.existing = dict(zip(keys_of, zip(ids, values_of, strict=True), strict=True))

    def split(
        self, rows: list[Cells], result: Written
    ) -> tuple[list[tuple[Any, ...]], list[tuple[int, dict[str, Any]]], list[audit.Event]]:
        """The chunk's new rows (as values of `columns`), its updates (id, changed values) and
        the audit events of both; unchanged rows are counted and write nothing."""
        creates: list[tuple[Any, ...]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        events: list[audit.Event] = []
        actor, created, updated = self.actor, f"{self.action}.create", f"{self.action}.update"
        names, metas, existing = self.shape.values, self.shape.meta, self.existing
        for key, values, target, meta in rows:
            old = existing.get(key)
            if old is None:
                creates.append(key + values + meta)
                events.append(
                    audit.Event(actor, created, target, None, dict(zip(names, values, strict=True)))
                )
                continue
            row_id, stored = old
            if stored == values:
                result.unchanged += 1
                continue
            differ = [i for i, (v, new) in enumerate(zip(stored, values, strict=True)) if v != new]
            before = {names[i]: stored[i] for i in differ}
            changed = {names[i]: values[i] for i in differ}
            updates.append((row_id, changed | dict(zip(metas, meta, strict=True))))
            events.append(audit.Event(actor, updated, target, before, changed))
        result.created += len(creates)
        result.updated += len(updates)
        return creates, updates, events
