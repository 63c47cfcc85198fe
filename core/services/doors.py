"""Doors that answer strangers (families getting their records back): failed tries are counted
per key in the database, with waits that grow.

A try names its keys: the Telegram account or web client trying, the personal ID asked for, the
phone given. It is refused while any of them waits. The first FREE failures of a key within
WINDOW cost nothing; after that each failure doubles the wait counted from the last one (1
minute, 2, 4, ... at most MAX_WAIT), so 20 guesses in a minute from one account, or from 20
accounts at one personal ID, meet a closed door after the fifth. Counted in the database
(`AccessAttempt`), the waits survive a restart and hold across processes. The personal ID and
the phone are stored as SHA-256 digests, not as written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from core import formatting
from core.errors import HocbaError
from core.i18n import _
from core.models import AccessAttempt

FREE = 5
WINDOW = dt.timedelta(hours=1)
MAX_WAIT = dt.timedelta(hours=24)


class DoorClosed(HocbaError):
    """Too many failed tries: the door opens again at `until`."""

    def __init__(self, until: dt.datetime):
        self.until = until
        super().__init__(
            _(
                "Đã thử sai nhiều lần. Để bảo vệ hồ sơ của học sinh, hãy thử lại sau {when}; nếu "
                "cần gấp, hãy liên hệ văn phòng nhà trường."
            ).format(when=formatting.date_time(until))
        )


def client_key(channel: str, client: str | int) -> str:
    """The key of whoever tries: `tg`, a Telegram user id; `web`, a web client."""
    return f"{channel}:{client}"


def secret_key(kind: str, value: str) -> str:
    """The key of a personal ID (`nid`) or a phone (`phone`): its digest, never the value."""
    return f"{kind}:{hashlib.sha256(f'{kind}:{value}'.encode()).hexdigest()[:64]}"


def wait_after(failures: int) -> dt.timedelta:
    """How long a key waits after its last failure, having failed `failures` times."""
    if failures < FREE:
        return dt.timedelta(0)
    return min(dt.timedelta(minutes=2 ** (failures - FREE)), MAX_WAIT)


async def _recent(keys: Sequence[str], now: dt.datetime) -> dict[str, list[dt.datetime]]:
    """The failures of each key within the window (the waits keep them few)."""
    rows = await AccessAttempt.filter(key__in=list(keys), at__gte=now - WINDOW).values_list(
        "key", "at"
    )
    found: dict[str, list[dt.datetime]] = {}
    for key, at in rows:
        found.setdefault(key, []).append(at)
    return found


async def ensure_open(keys: Sequence[str], now: dt.datetime) -> None:
    """Refuse (DoorClosed) a try while any of `keys` waits after its failures."""
    recent = await _recent(keys, now)
    opens = max((max(ats) + wait_after(len(ats)) for ats in recent.values()), default=now)
    if opens > now:
        raise DoorClosed(opens)


async def failed(keys: Sequence[str], now: dt.datetime) -> list[str]:
    """Count a failed try against each key; the keys this failure made wait for the first
    time in the window (the school is told when a personal ID is being guessed). Failures
    older than the window count for nothing any more and are dropped here, so the table holds
    about an hour of them."""
    await AccessAttempt.filter(at__lt=now - WINDOW).delete()
    await AccessAttempt.bulk_create([AccessAttempt(key=key, at=now) for key in keys])
    recent = await _recent(keys, now)
    return [key for key in keys if len(recent.get(key, ())) == FREE]
