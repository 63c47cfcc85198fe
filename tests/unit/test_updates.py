"""bot.updates: one person's updates in order, different people's at the same time."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import logging

from telegram import Chat, Message, Update, User

from bot.updates import PerUserUpdateProcessor
from core import logs


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


async def test_each_update_is_logged_under_its_own_reference() -> None:
    """core.logs: what two people's concurrent updates log carries each one's reference, and
    a task started while handling one keeps it."""
    processor = PerUserUpdateProcessor(8)
    seen: dict[str, str] = {}

    async def handle(tag: str) -> None:
        await asyncio.sleep(0.01)  # the other person's update runs meanwhile
        seen[tag] = logs.current()
        seen[f"{tag} later"] = await asyncio.create_task(_reference_now())

    await asyncio.gather(
        processor.process_update(_update(41, 7001), handle("principal")),
        processor.process_update(_update(42, 7002), handle("teacher")),
    )
    assert seen == {
        "principal": "u41",
        "principal later": "u41",
        "teacher": "u42",
        "teacher later": "u42",
    }
    assert logs.current() == logs.NONE  # nothing leaks out of the update


async def _reference_now() -> str:
    return logs.current()


def test_json_lines_carry_the_reference_and_the_traceback() -> None:
    stream = io.StringIO()
    handler = logs.handler("json")
    handler.setStream(stream)
    log = logging.getLogger("hocba.test-json")
    log.addHandler(handler)
    log.propagate = False
    try:
        with logs.bound("u77"):
            log.warning("điểm của %s", "An")
            try:
                raise ValueError("hỏng")
            except ValueError:
                log.exception("thất bại")
        log.warning("ngoài")
    finally:
        log.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["reference"], e["level"], e["message"]) for e in lines] == [
        ("u77", "WARNING", "điểm của An"),
        ("u77", "ERROR", "thất bại"),
        ("-", "WARNING", "ngoài"),
    ]
    assert "ValueError: hỏng" in lines[1]["exception"] and "exception" not in lines[0]
    assert lines[0]["logger"] == "hocba.test-json" and lines[0]["time"].endswith("+00:00")
