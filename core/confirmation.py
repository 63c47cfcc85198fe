"""Confirmations that are good only for what the person was shown, and only for a while.

Some decisions are shown before they are taken (a calendar change that would lock the book, a
class's year closed on its end-of-year lists) and taken only when the person confirms. Between
the two, the state may change (a mark corrected, a lock fallen), or the button pressed may be
days old or forged. So what is shown carries a `stamp`: the moment it was shown and a digest of
every fact the person agreed to; the decision is taken only if a fresh look finds the same facts
and the stamp is not older than the caller's window (`holds`). The stamp stays with the person
(kept under a random token in their data, never in the button), and nothing here is secret: it
says "the same thing, recently", not "who".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac


def stamp(issued: int, facts: tuple) -> str:
    """`issued` (epoch seconds) and a digest of the facts shown: what a confirmation carries."""
    digest = hashlib.sha256(repr((issued, facts)).encode()).hexdigest()[:16]
    return f"{issued}.{digest}"


def stamp_now(facts: tuple, now: dt.datetime) -> str:
    return stamp(int(now.timestamp()), facts)


def holds(confirm: str | None, facts: tuple, now: dt.datetime, window: dt.timedelta) -> bool:
    """The confirmation was made for exactly these facts, within `window` before `now`."""
    issued_text, _dot, _digest = (confirm or "").partition(".")
    if not issued_text.isdigit():
        return False
    issued = int(issued_text)
    if not 0 <= now.timestamp() - issued <= window.total_seconds():
        return False
    return hmac.compare_digest((confirm or "").encode(), stamp(issued, facts).encode())
