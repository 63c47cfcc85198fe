"""Updates of different people handled at the same time, each person's in order.

PTB handles one update at a time by default: one teacher's grade sheet (parsed in the worker
pool, then checked against the database) or a principal's "remind everyone late" made every
other user wait behind it. PTB's own concurrent processor goes to the other extreme and may
handle two messages of the same person at once, which a conversation (a correction request
typed step by step) must never see. This processor keeps one queue per person: updates of one
user (or, without a user, one chat) run one after the other in arrival order; different people
run concurrently, up to `max_concurrent_updates` in all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.metrics import Metrics
from core import logs
from core.services.outbox import Doorbell

MAX_CONCURRENT_UPDATES = 256


def _owner(update: object) -> int | None:
    """Whose update it is: the user, else the chat; None for updates of no one."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """One lock per person with updates in hand; locks are dropped when their queue empties.
    After each update the `doorbell` rings: what its handlers enqueued leaves at once."""

    __slots__ = ("_doorbell", "_locks", "_metrics", "_waiting")

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        metrics: Metrics | None = None,
        doorbell: Doorbell | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._metrics = metrics
        self._doorbell = doorbell or Doorbell()

    async def _handle(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Its handlers, logged under the update's reference (core.logs) and timed from the
        update's turn (bot.metrics)."""
        reference = f"u{update.update_id}" if isinstance(update, Update) else logs.NONE
        with logs.bound(reference):
            try:
                if self._metrics is None:
                    await coroutine
                    return
                with self._metrics.timer(update):
                    await coroutine
            finally:
                await self._doorbell.ring()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        owner = _owner(update)
        if owner is None:
            await self._handle(update, coroutine)
            return
        lock = self._locks.setdefault(owner, asyncio.Lock())
        self._waiting[owner] = self._waiting.get(owner, 0) + 1
        try:
            async with lock:  # asyncio locks are fair: this person's updates keep their order
                await self._handle(update, coroutine)
        finally:
            self._waiting[owner] -= 1
            if not self._waiting[owner]:
                del self._waiting[owner], self._locks[owner]

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close: the application waits for the updates in hand itself."""
