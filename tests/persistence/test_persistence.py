"""DatabasePersistence against the record database: what PTB stores comes back as PTB gave it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.persistence import NOT_OPEN, DatabasePersistence
from core.db import close_database, open_database
from core.models import BotState
from core.services import botstate


async def loaded() -> DatabasePersistence:
    """A fresh persistence that has read everything, as Application.initialize() makes it do."""
    persistence = DatabasePersistence()
    await persistence.get_user_data()
    await persistence.get_chat_data()
    await persistence.get_bot_data()
    await persistence.get_callback_data()
    await persistence.get_conversations("demo")
    return persistence


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, str]]]:
    """Every put/delete the persistence makes, in order: ("put" | "delete", namespace, key)."""
    seen: list[tuple[str, str, str]] = []
    put, delete = botstate.put, botstate.delete

    async def counting_put(namespace: str, key: str, value: Any) -> None:
        seen.append(("put", namespace, key))
        await put(namespace, key, value)

    async def counting_delete(namespace: str, key: str) -> bool:
        seen.append(("delete", namespace, key))
        return await delete(namespace, key)

    monkeypatch.setattr(botstate, "put", counting_put)
    monkeypatch.setattr(botstate, "delete", counting_delete)
    yield seen


async def test_everything_comes_back_in_a_new_instance(db: str) -> None:
    first = await loaded()
    keyboards = [("kb-1", 1_764_300_000.25, {"btn-1": {"mark": 8.5}, "btn-2": ["6A", 2]})]
    await first.update_user_data(42, {"tên": "Lan", "lớp": ["6A"]})
    await first.update_chat_data(-1001, {"lang": "vi"})
    await first.update_bot_data({"version": 3, "menu": {"vi": "Trình đơn"}})
    await first.update_callback_data((keyboards, {"query-9": "kb-1"}))
    await first.update_conversation("demo", (42, 42), 2)
    await first.update_conversation("demo", (42, 7, "inline-abc"), "ASK_CLASS")
    await first.update_conversation("other", (1, 1), 1)

    second = DatabasePersistence()
    assert await second.get_user_data() == {42: {"tên": "Lan", "lớp": ["6A"]}}
    assert await second.get_chat_data() == {-1001: {"lang": "vi"}}
    assert await second.get_bot_data() == {"version": 3, "menu": {"vi": "Trình đơn"}}
    assert await second.get_callback_data() == (keyboards, {"query-9": "kb-1"})
    assert await second.get_conversations("demo") == {
        (42, 42): 2,
        (42, 7, "inline-abc"): "ASK_CLASS",
    }
    assert await second.get_conversations("other") == {(1, 1): 1}


async def test_an_empty_database_gives_empty_data(db: str) -> None:
    persistence = DatabasePersistence()
    assert await persistence.get_user_data() == {}
    assert await persistence.get_chat_data() == {}
    assert await persistence.get_bot_data() == {}
    assert await persistence.get_callback_data() is None
    assert await persistence.get_conversations("demo") == {}


async def test_an_ended_conversation_is_forgotten(db: str) -> None:
    persistence = await loaded()
    await persistence.update_conversation("demo", (42, 42), 1)
    await persistence.update_conversation("demo", (42, 42), None)
    assert await DatabasePersistence().get_conversations("demo") == {}


async def test_only_what_changed_is_written(db: str, writes: list[tuple[str, str, str]]) -> None:
    persistence = await loaded()
    await persistence.update_user_data(42, {"tên": "Lan"})
    await persistence.update_user_data(7, {})  # a user who never stored anything: no row
    await persistence.update_bot_data({"a": 1, "b": 2})
    await persistence.update_conversation("demo", (42, 42), 1)
    assert writes == [
        ("put", "user_data", "42"),
        ("put", "bot_data", "a"),
        ("put", "bot_data", "b"),
        ("put", "conversations:demo", "[42,42]"),
    ]

    writes.clear()  # PTB hands over the same data again at every run: nothing to write
    await persistence.update_user_data(42, {"tên": "Lan"})
    await persistence.update_bot_data({"b": 2, "a": 1})
    await persistence.update_conversation("demo", (42, 42), 1)
    assert writes == []

    reloaded = await loaded()  # what was read counts as written
    await reloaded.update_user_data(42, {"tên": "Lan"})
    await reloaded.update_bot_data({"a": 1, "b": 2})
    assert writes == []

    await reloaded.update_bot_data({"a": 1, "b": 3, "c": 4})
    await reloaded.update_bot_data({"b": 3, "c": 4})
    await reloaded.update_user_data(42, {})
    assert writes == [
        ("put", "bot_data", "b"),
        ("put", "bot_data", "c"),
        ("delete", "bot_data", "a"),
        ("delete", "user_data", "42"),
    ]
    assert await BotState.filter(namespace="user_data").count() == 0


async def test_data_that_is_not_json_is_refused_by_name(db: str) -> None:
    persistence = await loaded()
    with pytest.raises(TypeError, match=r"user_data\[42\]\['photo'\] is of type object"):
        await persistence.update_user_data(42, {"tên": "Lan", "photo": object()})
    with pytest.raises(TypeError, match=r"chat_data\[-5\]\['when'\] is of type tuple"):
        await persistence.update_chat_data(-5, {"when": (2025, 11, 28)})
    with pytest.raises(TypeError, match=r"bot_data has the key 3 \(int\)"):
        await persistence.update_bot_data({"fine": 1, 3: "three"})
    with pytest.raises(TypeError, match=r"callback data of keyboard kb-1\['b'\] is of type set"):
        await persistence.update_callback_data(([("kb-1", 1.0, {"b": {1}})], {}))
    with pytest.raises(TypeError, match=r"conversation 'demo' \(42, 42\) state is of type tuple"):
        await persistence.update_conversation("demo", (42, 42), ("step", 2))
    assert await BotState.all().count() == 0  # not even the good parts


async def test_dropped_user_and_chat_data_are_deleted(db: str) -> None:
    persistence = await loaded()
    await persistence.update_user_data(42, {"tên": "Lan"})
    await persistence.update_user_data(43, {"tên": "Minh"})
    await persistence.update_chat_data(42, {"lang": "vi"})
    await persistence.drop_user_data(42)
    await persistence.drop_chat_data(42)
    await persistence.drop_chat_data(999)  # never stored: nothing to do
    assert await DatabasePersistence().get_user_data() == {43: {"tên": "Minh"}}
    assert await DatabasePersistence().get_chat_data() == {}


async def test_refresh_and_flush_leave_the_data_alone(db: str) -> None:
    persistence = await loaded()
    await persistence.update_user_data(42, {"tên": "Lan"})
    data = {"tên": "Lan", "unsaved": 1}
    await persistence.refresh_user_data(42, data)
    await persistence.refresh_chat_data(42, data)
    await persistence.refresh_bot_data(data)
    await persistence.flush()
    assert data == {"tên": "Lan", "unsaved": 1}
    assert await DatabasePersistence().get_user_data() == {42: {"tên": "Lan"}}


async def test_reading_before_the_database_is_open_says_what_to_do(db: str) -> None:
    await close_database()
    try:
        with pytest.raises(RuntimeError) as raised:
            await DatabasePersistence().get_user_data()
        assert str(raised.value) == NOT_OPEN
        assert "before initialize()" in NOT_OPEN
    finally:
        await open_database(db)
