"""bot.updates: one person's updates in order, different people's at the same time."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import Chat, Message, Update, User

from bot.updates import PerUserUpdateProcessor


def _update(update_id: int, user_id: int) -> Update:
    chat = Chat(user_id, Chat.PRIVATE)
    user = User(user_id, "Người dùng", False)
    return Update(update_id, message=Message(update_id, dt.datetime.now(dt.UTC), chat, user))


async def test_one_person_waits_for_their_own_update_and_nobody_else_does() -> None:
    processor = PerUserUpdateProcessor(8)
    events: list[str] = []
    gate = asyncio.Event()

    async def slow(tag: str) -> None:
        events.append(f"start {tag}")
        await gate.wait()
        events.append(f"end {tag}")

    async def quick(tag: str) -> None:
        events.append(tag)

    tasks = [
        asyncio.create_task(processor.process_update(_update(1, 7001), slow("principal"))),
        asyncio.create_task(processor.process_update(_update(2, 7001), quick("principal again"))),
        asyncio.create_task(processor.process_update(_update(3, 7002), quick("teacher"))),
    ]
    await asyncio.sleep(0.05)
    # the teacher is answered while the principal's first update is still running; the
    # principal's second update waits for their first
    assert events == ["start principal", "teacher"]

    gate.set()
    await asyncio.gather(*tasks)
    assert events == ["start principal", "teacher", "end principal", "principal again"]


async def test_updates_of_no_one_are_not_held() -> None:
    processor = PerUserUpdateProcessor(8)
    done = asyncio.Event()

    async def mark() -> None:
        done.set()

    await processor.process_update(Update(9), mark())
    assert done.is_set()
