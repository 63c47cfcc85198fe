"""The final lock also freezes the year's records: none is made, signed or replaced after it.

Regulation 001 Điều 25: supplementary results until 15/8 (khoản 2), and after it the closed data
has legal value and may not be changed (khoản 4); a record may be revoked or replaced only while
the data is not closed (khoản 3). So from the final lock on (the calendar's `supplementary.end`,
15/8 by default or the date the school set, whether or not the lock job has recorded it; or a
final lock recorded) the gradebook refuses every write (core.services.locks.check), and
`ensure_before_final` refuses preparing a class's records, starting a signing batch and
revising a record: what was issued by then stays as it is. A record found wrong later is
revoked through the Ministry (regulation 004 Điều 7, khoản 6: the school lists the records to
revoke and sends the request to the Bộ GDĐT), which the refusal says.
"""

from __future__ import annotations

import datetime as dt

from core import clock, formatting
from core.i18n import _
from core.services.locks.check import ScopeLocked
from core.services.locks.fallen import binding_locks


async def ensure_before_final(year_id: int, now: dt.datetime | None = None) -> None:
    """Refuse, with ScopeLocked naming the year and the moment, anything done to the year's
    records at or after its final lock. Two queries."""
    now = now or clock.now()
    final = [lk for lk in await binding_locks([year_id], now) if lk.final]
    if not final:
        return
    lock = min(final, key=lambda lk: lk.since)
    year = await lock.year
    raise ScopeLocked(
        _(
            "Năm học {year} đã chốt dữ liệu từ {since} (hạn kết quả bổ sung): từ đó học bạ "
            "của năm học không được lập, ký hay thay thế nữa, dữ liệu đã chốt có giá trị pháp "
            "lý (Quy chế học bạ số, Điều 25, khoản 3–4). Học bạ đã phát hành giữ nguyên; cần "
            "thu hồi một học bạ thì nhà trường gửi yêu cầu thu hồi lên Bộ GDĐT."
        ).format(year=year.name, since=formatting.date_time(lock.since)),
        lock,
    )
