"""The audit chain: appended in order, refused edits by trigger, and every tampering named."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from core import audit
from core.db import connection, dialect
from core.models import AuditEvent
from core.rules.secondary import Verdict


async def _append(n: int) -> None:
    for i in range(n):
        await audit.record(
            audit.Event("staff:1", "mark.update", f"mark:{i}", {"v": i}, {"v": i + 1})
        )


async def _raw(sql_sqlite: str, sql_postgres: str) -> None:
    """Tamper the way an intruder with database access would: triggers off, then SQL."""
    conn = connection()
    if dialect() == "postgres":
        await conn.execute_script(
            "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change;" + sql_postgres
        )
    else:
        await conn.execute_script(
            "DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete;" + sql_sqlite
        )


async def test_chain_is_valid_and_gap_free(db: str) -> None:
    await _append(5)
    result = await audit.verify()
    assert result.ok and result.checked == 5 and result.head_seq == 5
    seqs = [e.seq for e in await AuditEvent.all().order_by("seq")]
    assert seqs == [1, 2, 3, 4, 5]


async def test_database_refuses_update_and_delete(db: str) -> None:
    await _append(1)
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.filter(seq=1).update(actor="someone-else")
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.filter(seq=1).delete()
    assert (await audit.verify()).ok


async def test_edited_row_is_named(db: str) -> None:
    await _append(4)
    sql = "UPDATE audit_event SET after = '{\"v\": 99}' WHERE seq = 3;"
    await _raw(sql, sql)
    result = await audit.verify()
    assert not result.ok
    assert any("số 3" in p and "bị sửa" in p for p in result.problems)


async def test_removed_row_is_named(db: str) -> None:
    await _append(4)
    sql = "DELETE FROM audit_event WHERE seq = 2;"
    await _raw(sql, sql)
    result = await audit.verify()
    assert any("Thiếu sự kiện số 2–2" in p for p in result.problems)


async def test_reordered_rows_are_named(db: str) -> None:
    await _append(4)
    swap = (
        "UPDATE audit_event SET seq = -1 WHERE seq = 2; "
        "UPDATE audit_event SET seq = 2 WHERE seq = 3; "
        "UPDATE audit_event SET seq = 3 WHERE seq = -1;"
    )
    await _raw(swap, swap)
    result = await audit.verify()
    assert not result.ok
    assert any("sai thứ tự" in p or "bị sửa" in p for p in result.problems)


async def test_truncated_tail_changes_the_head(db: str) -> None:
    await _append(3)
    head = (await audit.verify()).head_hash
    await _raw("DELETE FROM audit_event WHERE seq = 3;", "DELETE FROM audit_event WHERE seq = 3;")
    result = await audit.verify()
    assert result.ok  # a shorter chain is still a chain: the recorded head is what catches it
    assert result.head_hash != head


_AWKWARD = [
    None,
    {},
    {"score": "7.5", "verdict": None},
    {"text": 'Lê "Bé" \\ Thị\n\t\u200b\u202e💡', "n": 10, "x": 1.25, "ok": True, "no": False},
    {"nested": {"b": [1, "2", None], "a": {"z": 1, "ä": 2}}, "list": [], "big": 2**70},
    {"10": 1, "9": 2, "a": -0.0, "e": 1e300},
]


@pytest.mark.parametrize("after", _AWKWARD)
@pytest.mark.parametrize("before", [None, {"v": "ồ"}])
def test_the_hash_is_the_canonical_dump_of_the_payload(before: object, after: object) -> None:
    """Chains written before the hash was assembled field by field must still verify: it is
    byte for byte the sorted, compact, non-ASCII dump of the whole payload."""
    at = dt.datetime(2025, 11, 3, 9, 0, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    event = audit.Event('staff:"1"', "mark.update", "mark:1:2:3:TX1 ✓", before, after)
    payload = {
        "seq": 123456789,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "before": event.before,
        "after": event.after,
        "prev": "ab" * 32,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    expected = hashlib.sha256(canonical.encode()).hexdigest()
    assert audit._digest(123456789, at, event, "ab" * 32) == expected


async def test_events_appended_in_chunks_chain_as_one(db: str) -> None:
    """A writer appends chunk after chunk from one head; the chain it leaves verifies, and
    the values read back are the plain values that were hashed."""
    async with in_transaction():
        chain = await audit.Chain.open()
        for start in (0, 3):
            events = [
                audit.Event("staff:1", "mark.create", f"mark:{i}", None, {"score": Decimal("7.5")})
                for i in range(start, start + 3)
            ]
            await chain.append(events)
    await audit.record(audit.Event("staff:1", "mark.update", "mark:0", {"v": 1}, {"v": 2}))
    result = await audit.verify()
    assert result.ok and result.checked == 7, result.problems
    rows = await AuditEvent.all().order_by("seq")
    assert [r.seq for r in rows] == list(range(1, 8))
    assert rows[0].after == {"score": "7.5"} and rows[0].before is None


async def test_a_chain_writes_each_head_once_and_each_value_as_given(db: str) -> None:
    """A writer's events repeat a few heads (actor, action, values), each written once; values
    that are equal but written apart (7.5 and 7.50; 1, 1.0 and True; a text and the enum of
    that text) keep their own stored text, and every hash is the one `verify` recomputes."""
    values: list[dict[object, object] | None] = [
        {"score": Decimal("7.5"), "verdict": None},
        {"score": Decimal("7.50"), "verdict": None},
        {"score": Decimal("7.5"), "verdict": None},
        {"n": 1},
        {"n": 1.0},
        {"n": True},
        {"v": Verdict.PASS},
        {"v": "Đ"},
        {1: "a"},
        {True: "a"},
        {"nested": {"a": [1]}},
        {"nested": {"a": [1.0]}},
        None,
    ]
    async with in_transaction():
        chain = await audit.Chain.open()
        await chain.append(
            audit.Event("staff:1", "mark.update", f"mark:{i}", {"v": 0}, after)
            for i, after in enumerate(values)
        )
    result = await audit.verify()
    assert result.ok and result.checked == len(values), result.problems
    rows = await AuditEvent.all().order_by("seq")
    assert [r.after for r in rows] == [
        None if v is None else json.loads(json.dumps(v, default=str)) for v in values
    ]
    assert all(r.before == {"v": 0} for r in rows)
