"""Judging what waited for someone, when they arrive: still worth sending, or lapsed.

A message waits when its recipient has not signed in yet, has signed out, or blocks the bot.
When they arrive (sign in, unblock the bot), sending all that piled up would bury the one
invitation that still matters under reminders of deadlines long past and cards of requests
decided meanwhile. So, in the arrival's transaction, each waiting message is judged:

- past its `expires_at` (a reminder at its deadline, a cell's opening at its end): lapsed;
- superseded: a newer waiting message of the same kind about the same `topic` says it again,
  up to date (an invitation sent again, a card of a later round): only the newest goes;
- its kind's own check says it no longer applies (a card to decide a request decided
  meanwhile, an invitation to witness a session the person is no longer named for): lapsed.

What lapsed is not sent one by one: the arrival sums it up in one line, each kind by its name
("3 lời nhắc hạn nhập điểm và 1 lời mời chứng kiến ..."), see `summary`.

Kinds are described by the modules that send them (`describe`, when they are imported), so
the outbox knows nothing of corrections or reminders. A message of a kind nobody described,
or whose check fails, is sent: a message is only held back for a reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from core.i18n import _
from core.models.outbox import Notification

log = logging.getLogger("core.services.outbox")

Applies = Callable[[Notification, dt.datetime], Awaitable[bool]]


@dataclass(frozen=True)
class Kind:
    """How a kind of message is named in the summary (a Vietnamese noun phrase, counted:
    "lời nhắc hạn nhập điểm"), and, if it can stop applying, the check that says whether it
    still does (given the waiting row and the moment of arrival)."""

    noun: Callable[[], str]
    applies: Applies | None = None


_KINDS: dict[str, Kind] = {}


def describe(kind: str, noun: Callable[[], str], applies: Applies | None = None) -> None:
    """Name a kind of message for the summary and, optionally, say when it still applies.
    Called by the module that sends that kind, at import (a second call replaces the first)."""
    _KINDS[kind] = Kind(noun, applies)


def noun(kind: str) -> str:
    """The kind's name in the current language."""
    found = _KINDS.get(kind)
    return found.noun() if found else _("thông báo khác")


async def _applies(notification: Notification, now: dt.datetime) -> bool:
    """A check that fails says nothing against the message: it is sent (and the failure
    logged), rather than keep the person from signing in over a broken check."""
    kind = _KINDS.get(notification.kind)
    if kind is None or kind.applies is None:
        return True
    try:
        return await kind.applies(notification, now)
    except Exception:
        log.exception("%s: could not tell whether it still applies", notification.target)
        return True


async def judge(
    waiting: Sequence[Notification], now: dt.datetime
) -> tuple[list[Notification], list[Notification]]:
    """Split one person's waiting messages into those to send and those that lapsed."""
    newest: dict[tuple[str, str], int] = {}
    for row in waiting:
        if row.topic is not None:
            key = (row.kind, row.topic)
            newest[key] = max(newest.get(key, row.id), row.id)
    send, lapsed = [], []
    for row in sorted(waiting, key=lambda n: n.id):
        expired = row.expires_at is not None and row.expires_at <= now
        superseded = row.topic is not None and newest[(row.kind, row.topic)] != row.id
        if expired or superseded or not await _applies(row, now):
            lapsed.append(row)
        else:
            send.append(row)
    return send, lapsed


def counts(lapsed: Sequence[Notification]) -> tuple[tuple[str, int], ...]:
    """(kind, how many) of the lapsed messages, most first."""
    return tuple(Counter(n.kind for n in lapsed).most_common())


def summary(lapsed: Sequence[tuple[str, int]]) -> str | None:
    """The one line that stands for every lapsed message, in the current language; None when
    nothing lapsed."""
    if not lapsed:
        return None
    items = [_("{n} {noun}").format(n=n, noun=noun(kind)) for kind, n in lapsed]
    listed = (
        items[0]
        if len(items) == 1
        else _("{items} và {last}").format(items=", ".join(items[:-1]), last=items[-1])
    )
    return _(
        "🗂 Trong lúc thầy cô chưa đăng nhập hoặc tạm chặn Trợ lý: {listed} đã hết hạn hoặc "
        "không còn áp dụng, nên không gửi lại."
    ).format(listed=listed)
