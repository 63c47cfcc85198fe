"""Append-only, hash-chained audit log of every write and every read of personal data.

Each event's hash covers its own fields and the previous event's hash. Appends are serialised
(SQLite transactions already are; PostgreSQL takes a transaction-scoped advisory lock), so the
chain never forks, and an event commits or rolls back with the change it describes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, NamedTuple

from tortoise.transactions import in_transaction

from core import clock
from core.bulk import bound, insert_ready
from core.db import connection, dialect
from core.i18n import _
from core.models import AuditEvent

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x48_6F_63_42_61  # "HocBa": any constant shared by every writer


class Event(NamedTuple):
    """What a service wants logged; seq, time and hashes are added when it is appended. (A
    tuple: a year's import makes 180,000 of them, and a frozen dataclass costs thrice as much
    to build.)"""

    actor: str
    action: str
    target: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


_JSON_NATIVE = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """JSON-safe copy (Decimal, dates -> str) so the stored value is exactly the hashed value.

    A flat dict of plain values and Decimals (every gradebook write) is copied directly, with
    the result the JSON round trip gives: it is most of a year's import."""
    if value is None:
        return None
    if type(value) is dict:
        flat = {}
        for key, item in value.items():
            kind = type(item)
            if type(key) is not str:
                break
            if kind in _JSON_NATIVE:
                flat[key] = item
            elif kind is Decimal:
                flat[key] = str(item)  # what json.dumps(default=str) and loads give back
            elif isinstance(item, str) and isinstance(item, Enum):
                flat[key] = str.__str__(item)  # json writes a text enum's text, its value
            else:
                break
        else:
            return flat
    return json.loads(json.dumps(value, default=str))


# The canonical JSON of a hashed event: what `json.dumps(payload, sort_keys=True,
# ensure_ascii=False, separators=(",", ":"))` writes for the payload of seq, at, actor, action,
# target, before, after and prev. Written out field by field (the keys in sorted order), it
# costs a third of the whole dumps, and the before/after texts are the ones stored. It is cut
# before the previous hash: a chain's events repeat a few heads (the same actor, action and
# values), each written once (`Chain`), and only the tail differs from one event to the next.
_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_TEXT = json.encoder.encode_basestring  # how that encoder writes a string
_HEAD = '{"action":%s,"actor":%s,"after":%s,"at":%s,"before":%s,"prev":'
_TAIL = '%s,"seq":%d,"target":%s}'


def _json(value: Any) -> str:
    """The canonical JSON text of a plain before/after value (stored as it is hashed)."""
    return "null" if value is None else _JSON.encode(value)


def _at_text(at: dt.datetime) -> str:
    return _TEXT(at.astimezone(dt.UTC).isoformat(timespec="microseconds"))


def _head(at: str, event: Event, before: str, after: str) -> str:
    """The canonical text up to the previous hash; `at`, `before`, `after` are JSON text."""
    return _HEAD % (_TEXT(event.action), _TEXT(event.actor), after, at, before)


def _sealed(head: str, seq: int, target: str, prev_hash: str) -> str:
    """SHA-256 of the canonical payload: its head, then the previous hash, seq and target."""
    canonical = head + _TAIL % (_TEXT(prev_hash), seq, _TEXT(target))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _digest(seq: int, at: dt.datetime, event: Event, prev_hash: str) -> str:
    """The hash of a stored event (its before/after as read back), as `verify` checks it."""
    head = _head(_at_text(at), event, _json(event.before), _json(event.after))
    return _sealed(head, seq, event.target, prev_hash)


_UNKEYED = object()


def _key(value: Any) -> Any:
    """A key that only values with the same stored text share, for a flat dict of plain values
    (every gradebook write); `_UNKEYED` for anything else. A Decimal is keyed by its text: 7.5
    and 7.50 are equal, and one dict key, but not one text; the type is part of the key, as
    True == 1 == 1.0 are one dict key with three texts (so a name must be a str)."""
    if value is None:
        return None
    if type(value) is not dict:
        return _UNKEYED
    parts = []
    for name, item in value.items():
        kind = type(item)
        if type(name) is not str:
            return _UNKEYED
        if kind is Decimal:
            item = str(item)
        elif kind not in _JSON_NATIVE and not (isinstance(item, str) and isinstance(item, Enum)):
            return _UNKEYED
        parts.append((name, kind, item))
    return tuple(parts)


async def record(*events: Event) -> None:
    """Append events to the chain inside the caller's transaction (or a new one)."""
    await record_many(events)


async def record_many(events: Iterable[Event]) -> None:
    """Append events to the chain inside the caller's transaction (or a new one)."""
    pending = list(events)
    if not pending:
        return
    async with in_transaction():
        chain = await Chain.open()
        await chain.append(pending)


_HEADS = 4096  # the distinct heads a chain keeps: marks repeat a few dozen; names do not repeat
_COLUMNS = ("seq", "at", "actor", "action", "target", "before", "after", "prev_hash", "hash")


class Chain:
    """The chain's head inside the caller's transaction, for appending many events in turn.

    The head is read once, under the transaction (and PostgreSQL's advisory lock, which it
    keeps until the commit), so a writer of 180,000 events in chunks does not read it back per
    chunk; nothing else appends meanwhile.
    """

    def __init__(self, seq: int, prev: str, at: dt.datetime):
        self.seq = seq
        self.prev = prev
        self._at = _at_text(at)
        self._at_db = bound(AuditEvent._meta.db)(
            AuditEvent._meta.fields_map["at"].to_db_value(at, None)
        )
        # (actor, action, before's key, after's key) -> (before text, after text, head)
        self._heads: dict[tuple[Any, ...], tuple[str, str, str]] = {}

    @classmethod
    async def open(cls) -> Chain:
        """The head as it stands in the current transaction (which must be open)."""
        if dialect() == "postgres":
            await connection().execute_query("SELECT pg_advisory_xact_lock($1)", [_PG_AUDIT_LOCK])
        last = await AuditEvent.all().order_by("-seq").first().only("seq", "hash")
        seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
        return cls(seq, prev, clock.now())

    def _texts(self, event: Event) -> tuple[str, str, str]:
        """The event's stored before and after texts and its canonical head, each written once
        per distinct (actor, action, before, after) of the chain."""
        key = (event.actor, event.action, _key(event.before), _key(event.after))
        known = self._heads.get(key) if _UNKEYED not in key else None
        if known is None:
            before, after = _json(_plain(event.before)), _json(_plain(event.after))
            known = (before, after, _head(self._at, event, before, after))
            if _UNKEYED not in key and len(self._heads) < _HEADS:
                self._heads[key] = known
        return known

    async def append(self, events: Iterable[Event]) -> None:
        """Chain `events` after the head (which moves past them) and insert them."""
        rows = []
        seq, prev, at_db, texts = self.seq, self.prev, self._at_db, self._texts
        for event in events:
            seq += 1
            before, after, head = texts(event)
            digest = _sealed(head, seq, event.target, prev)
            rows.append(
                (
                    seq,
                    at_db,
                    event.actor,
                    event.action,
                    event.target,
                    None if event.before is None else before,
                    None if event.after is None else after,
                    prev,
                    digest,
                )
            )
            prev = digest
        await insert_ready(AuditEvent, _COLUMNS, rows)
        self.seq, self.prev = seq, prev


@dataclass
class Verification:
    """The result of `verify`: what is wrong, if anything, and the head to write down."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head_seq: int = 0
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify(batch: int = 5000) -> Verification:
    """Walk the chain in seq order and name every row that was edited, removed or reordered.

    - edited: the row's hash does not match its fields;
    - removed: seq jumps, and the next row's prev_hash is not the previous row's hash;
    - reordered: rows were inserted in seq order, so ids must rise with seq.
    Deleting the newest rows leaves a valid shorter chain: compare the printed head with one
    written down earlier (`hocba audit verify --expect-head`) to catch that.
    """
    result = Verification()
    prev_hash, prev_seq, prev_id = GENESIS, 0, 0
    offset = 0
    while True:
        rows: Sequence[AuditEvent] = (
            await AuditEvent.all().order_by("seq").offset(offset).limit(batch)
        )
        if not rows:
            break
        offset += len(rows)
        for row in rows:
            result.checked += 1
            if row.seq != prev_seq + 1:
                result.problems.append(
                    _("Thiếu sự kiện số {first}–{last} (đã bị xóa).").format(
                        first=prev_seq + 1, last=row.seq - 1
                    )
                )
            elif row.prev_hash != prev_hash:
                result.problems.append(
                    _("Sự kiện số {seq} không nối với sự kiện trước (chuỗi bị cắt).").format(
                        seq=row.seq
                    )
                )
            if row.id < prev_id:
                result.problems.append(
                    _("Sự kiện số {seq} nằm sai thứ tự (đã bị đổi chỗ).").format(seq=row.seq)
                )
            event = Event(row.actor, row.action, row.target, row.before, row.after)
            if _digest(row.seq, row.at, event, row.prev_hash) != row.hash:
                result.problems.append(
                    _("Sự kiện số {seq} đã bị sửa (mã băm không khớp nội dung).").format(
                        seq=row.seq
                    )
                )
            prev_hash, prev_seq, prev_id = row.hash, row.seq, row.id
    result.head_seq, result.head_hash = prev_seq, prev_hash
    return result
