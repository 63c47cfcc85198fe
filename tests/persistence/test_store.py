"""The core's key/value store of bot state, on SQLite and PostgreSQL."""

from __future__ import annotations

import enum

import pytest

from core.models import BotState
from core.services import botstate


async def test_put_get_entries_delete_round_trip(db: str) -> None:
    value = {"tên": "Nguyễn Thị Lan", "lớp": "6A", "điểm": [8.5, 9, None], "đã_ký": True}
    await botstate.put("user_data", "42", value)
    await botstate.put("user_data", "43", {"tên": "Minh"})
    await botstate.put("chat_data", "42", {"other": "namespace"})

    assert await botstate.get("user_data", "42") == value
    assert await botstate.entries("user_data") == {"42": value, "43": {"tên": "Minh"}}
    assert await botstate.delete("user_data", "43") is True
    assert await botstate.delete("user_data", "43") is False
    assert await botstate.entries("user_data") == {"42": value}
    assert await botstate.entries("chat_data") == {"42": {"other": "namespace"}}
    assert await botstate.entries("nothing") == {}


async def test_str_values_stay_str(db: str) -> None:
    """Tortoise's JSONField takes a str as JSON text; the store must not let "123" become 123."""
    await botstate.put("conversations:demo", "[1,1]", "123")
    assert await botstate.get("conversations:demo", "[1,1]") == "123"
    await botstate.put("conversations:demo", "[1,1]", "ASK_CLASS")
    await botstate.put("conversations:demo", "[2,2]", '{"not": "json to decode"}')
    assert await botstate.entries("conversations:demo") == {
        "[1,1]": "ASK_CLASS",
        "[2,2]": '{"not": "json to decode"}',
    }


async def test_put_replaces_in_place_and_moves_updated_at(db: str) -> None:
    await botstate.put("bot_data", "counter", 1)
    first = await BotState.get(namespace="bot_data", key="counter")
    await botstate.put("bot_data", "counter", 2)
    second = await BotState.get(namespace="bot_data", key="counter")
    assert (second.id, second.value) == (first.id, 2)
    assert second.updated_at >= first.updated_at
    assert await BotState.filter(namespace="bot_data").count() == 1


async def test_get_tells_missing_from_stored_null(db: str) -> None:
    missing = object()
    assert await botstate.get("bot_data", "absent", missing) is missing
    await botstate.put("bot_data", "empty", None)
    assert await botstate.get("bot_data", "empty", missing) is None


async def test_refused_values_write_nothing(db: str) -> None:
    with pytest.raises(TypeError, match=r"user_data\['42'\]\['photo'\] is of type object"):
        await botstate.put("user_data", "42", {"photo": object()})
    with pytest.raises(ValueError, match="at most 255"):
        await botstate.put("user_data", "x" * 256, {})
    with pytest.raises(ValueError, match="namespace"):
        await botstate.put("", "42", {})
    assert await BotState.all().count() == 0


class Step(enum.IntEnum):
    NAME = 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"when": (1, 2)}, r"v\['when'\] is of type tuple"),
        ({5: "five"}, r"v has the key 5 \(int\); JSON keys are str, so it would come back as '5'"),
        ({"a": [{"b": {1, 2}}]}, r"v\['a'\]\[0\]\['b'\] is of type set"),
        ({"x": float("nan")}, r"v\['x'\] is nan"),
        ({"x": b"bytes"}, r"v\['x'\] is of type bytes"),
    ],
)
def test_check_json_names_the_place(value: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        botstate.check_json(value, "v")


def test_dump_is_canonical_and_keeps_int_subclasses_equal() -> None:
    assert botstate.dump({"b": 1, "a": [True, None]}, "v") == '{"a":[true,null],"b":1}'
    assert botstate.dump({"a": [True, None], "b": 1}, "v") == botstate.dump(
        {"b": 1, "a": [True, None]}, "v"
    )
    assert botstate.dump({"step": Step.NAME}, "v") == '{"step":1}'
    assert botstate.dump("Lớp 6A", "v") == '"Lớp 6A"'


async def test_is_open_follows_the_database(db: str) -> None:
    from core.db import close_database, open_database

    assert botstate.is_open()
    await close_database()
    assert not botstate.is_open()
    await open_database(db)
    assert botstate.is_open()
