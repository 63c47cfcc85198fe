"""Opening a locked scope is the principal's decision (000 Điều 3: "Quyết định thời điểm
khóa/mở học bạ số"; 000 Điều 6, 004 Điều 14.2: the admins open "theo chỉ đạo của Hiệu
trưởng"): the principal opens, an admin only naming the principal, audited with it; a teacher
never (core.services.locks.decisions). Locking is covered by test_locks."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock
from core.errors import InvalidValue, PermissionDenied
from core.models import AuditEvent, Opening
from core.services import locks
from core.services.locks import parse_scope

HOUR = dt.timedelta(hours=1)


async def test_an_opening_is_the_principals_decision(upcoming) -> None:
    small = upcoming
    now = clock.now()
    scope = await parse_scope(small.year, ["6A", "Ngữ", "văn", "HK1"])
    await locks.lock(await small.actor("HT01"), scope, now=now)
    asked = {"reason": "Nhập bù điểm CK", "until": now + HOUR, "now": now}

    with pytest.raises(PermissionDenied, match="Chỉ Hiệu trưởng quyết định khóa, mở sổ"):
        await locks.unlock(await small.actor("GV02"), scope, **asked)  # the teacher
    with pytest.raises(InvalidValue, match="hãy nêu người quyết định"):
        await locks.unlock(small.admin, scope, **asked)  # the admin alone
    with pytest.raises(PermissionDenied, match="Bùi Thị Văn không phải Hiệu trưởng"):
        await locks.unlock(small.admin, scope, decided_by=small.staff["GV02"], **asked)
    assert not await Opening.exists()

    opening = await locks.unlock(small.admin, scope, decided_by=small.staff["HT01"], **asked)
    assert (opening.decided_by, opening.executed_by) == ("Hiệu trưởng Đỗ Thị Hiệu", "cli")
    assert opening.decided_by_staff_id == small.staff["HT01"].id
    event = await AuditEvent.get(action="lock.open")
    assert event.actor == "cli" and event.after["decided_by"] == "Hiệu trưởng Đỗ Thị Hiệu"

    other = await parse_scope(small.year, ["6B"])
    await locks.lock(await small.actor("HT01"), other, now=now)
    mine = await locks.unlock(await small.actor("HT01"), other, **asked)  # the principal
    assert mine.executed_by == f"staff:{small.staff['HT01'].id}"
