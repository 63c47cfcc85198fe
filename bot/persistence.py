"""PTB persistence on the record database, so a half-finished conversation survives a restart.

`DatabasePersistence` keeps user_data, chat_data, bot_data, callback_data (arbitrary callback
data, when the bot uses it) and the states of persistent ConversationHandlers in the core's
key/value store (`core.services.botstate`, table `bot_state`):

    namespace                 key                        value
    user_data / chat_data     "<id>"                     that user's / chat's dict
    bot_data                  each top-level key         its value
    callback_data             "cache"                    [[keyboard uuid, time, {button: data}]…],
                                                         {callback query id: keyboard uuid}
    conversations:<name>      "[chat_id,user_id]" (JSON) the state (int or str)

Everything stored must be JSON: dicts with str keys, lists, str, int, float, bool and None (see
`core.services.botstate`). A handler that puts anything else in user_data / chat_data / bot_data
gets a TypeError naming the key (reported to the application's error handler) instead of the
value silently vanishing or coming back changed on the next start.

Writes: PTB hands data to the persistence only in `Application.update_persistence()`, which it
runs every `update_interval` seconds and at shutdown, and never right after a conversation
changes state. So a crash would lose every step taken since the last run, however promptly
`update_conversation` writes. `PersistentApplication` closes that gap: it runs
`update_persistence()` after each update it processes, and every `update_*` here writes at once
(only entries whose JSON differs from what was last read or written; an emptied user's or chat's
dict deletes its row), so nothing is buffered and `flush` has nothing left to do. Steps of
handlers running with block=False are stored at the next run (interval or later update).

What the runtime must do, in this order (PTB reads the persistence in `initialize()`, which
`run_polling`/`run_webhook` call BEFORE `post_init`, so the database cannot be opened there):

1. build with `ApplicationBuilder().application_class(PersistentApplication)`
   `.persistence(DatabasePersistence())`;
2. `await core.db.open_database(url)` in the event loop the application will run in;
3. `await application.initialize()` (loads users' data and conversation states), then
   post_init, start, polling or webhook;
4. on the way out: stop, `await application.shutdown()` (a last `update_persistence`, then
   `flush`), and only then `await core.db.close_database()` (post_shutdown is the right place).

With `run_polling()`: create the loop, open the database in it, then let PTB use that loop:
    loop = asyncio.new_event_loop(); asyncio.set_event_loop(loop)
    loop.run_until_complete(open_database(url))
    application.run_polling()   # takes the current loop; post_shutdown closes the database
If the database is not open, `initialize()` fails with a RuntimeError that says so.

One bot process per database: `refresh_*` do not re-read, because nothing else writes there.
"""

from __future__ import annotations

import json
from typing import Any

from telegram.ext import Application, BasePersistence, PersistenceInput

from core.services import botstate

USER_DATA = "user_data"
CHAT_DATA = "chat_data"
BOT_DATA = "bot_data"
CALLBACK_DATA = "callback_data"
CALLBACK_DATA_KEY = "cache"
CONVERSATIONS = "conversations:"

Data = dict[str, Any]
# PTB's shapes (telegram.ext._utils.types is private): a keyboard is (uuid, time, {button: data}).
CallbackData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
ConversationKey = tuple[int | str, ...]

NOT_OPEN = (
    "DatabasePersistence: the record database is not open. PTB loads the persistence in "
    "Application.initialize(), before post_init, so the runtime must `await "
    "core.db.open_database(url)` before initialize()/run_polling() (see bot/persistence.py)."
)


def conversation_key(key: ConversationKey) -> str:
    """A ConversationHandler key (a tuple of chat id, user id, message id…) as a store key."""
    return json.dumps(list(key), separators=(",", ":"))


def _conversation_key_back(text: str) -> ConversationKey:
    return tuple(json.loads(text))


class DatabasePersistence(BasePersistence[Data, Data, Data]):
    """BasePersistence on `core.services.botstate`; opens nothing (see the module docstring)."""

    __slots__ = ("_written",)

    def __init__(
        self, store_data: PersistenceInput | None = None, update_interval: float = 10
    ) -> None:
        """`update_interval`: how often PTB stores data changed outside updates (jobs); with
        `PersistentApplication` changes made while handling an update are stored at once."""
        super().__init__(store_data=store_data, update_interval=update_interval)
        # namespace -> key -> canonical JSON of what the database holds, to skip no-op writes
        self._written: dict[str, dict[str, str]] = {}

    # ------------------------------------------------------------------ reading (initialize)

    async def _load(self, namespace: str) -> dict[str, Any]:
        if not botstate.is_open():
            raise RuntimeError(NOT_OPEN)
        stored = await botstate.entries(namespace)
        self._written[namespace] = {
            key: botstate.dump(value, f"{namespace}[{key!r}]") for key, value in stored.items()
        }
        return stored

    async def get_user_data(self) -> dict[int, Data]:
        return {int(key): value for key, value in (await self._load(USER_DATA)).items()}

    async def get_chat_data(self) -> dict[int, Data]:
        return {int(key): value for key, value in (await self._load(CHAT_DATA)).items()}

    async def get_bot_data(self) -> Data:
        return await self._load(BOT_DATA)

    async def get_callback_data(self) -> CallbackData | None:
        stored = (await self._load(CALLBACK_DATA)).get(CALLBACK_DATA_KEY)
        if stored is None:
            return None
        keyboards, queries = stored
        return [(uuid, time, buttons) for uuid, time, buttons in keyboards], queries

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        stored = await self._load(CONVERSATIONS + name)
        return {_conversation_key_back(key): state for key, state in stored.items()}

    # ------------------------------------------------------------------ writing

    async def _save(self, namespace: str, key: str, value: Any, text: str) -> None:
        """Store `value` (whose canonical JSON is `text`) unless the database already has it."""
        written = self._written.setdefault(namespace, {})
        if written.get(key) == text:
            return
        await botstate.put(namespace, key, value)
        written[key] = text

    async def _forget(self, namespace: str, key: str) -> None:
        written = self._written.setdefault(namespace, {})
        if written.pop(key, None) is not None:
            await botstate.delete(namespace, key)

    async def _save_dict(self, namespace: str, owner: int, data: Data) -> None:
        """One user's or chat's dict: checked, written if changed, its row dropped if empty."""
        key = str(owner)
        text = botstate.dump(data, f"{namespace}[{owner}]")
        if data:
            await self._save(namespace, key, data, text)
        else:
            await self._forget(namespace, key)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        await self._save_dict(USER_DATA, user_id, data)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        await self._save_dict(CHAT_DATA, chat_id, data)

    async def update_bot_data(self, data: Data) -> None:
        """Per top-level key, so a change to one cache in bot_data rewrites only that one.
        Everything is checked before anything is written: a bad value changes nothing."""
        botstate.check_json(data, BOT_DATA)
        texts = {key: botstate.dump(value, f"{BOT_DATA}[{key!r}]") for key, value in data.items()}
        for key, value in data.items():
            await self._save(BOT_DATA, key, value, texts[key])
        for gone in set(self._written.get(BOT_DATA, {})) - set(data):
            await self._forget(BOT_DATA, gone)

    async def update_callback_data(self, data: CallbackData) -> None:
        keyboards, queries = data
        value = [[[uuid, time, buttons] for uuid, time, buttons in keyboards], queries]
        for uuid, _time, buttons in keyboards:
            botstate.check_json(buttons, f"callback data of keyboard {uuid}")
        text = botstate.dump(value, CALLBACK_DATA)
        await self._save(CALLBACK_DATA, CALLBACK_DATA_KEY, value, text)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Written at once; None (the conversation ended) deletes the entry."""
        namespace, store_key = CONVERSATIONS + name, conversation_key(key)
        if new_state is None:
            await self._forget(namespace, store_key)
            return
        text = botstate.dump(new_state, f"conversation {name!r} {key} state")
        await self._save(namespace, store_key, new_state, text)

    async def drop_user_data(self, user_id: int) -> None:
        await self._forget(USER_DATA, str(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._forget(CHAT_DATA, str(chat_id))

    # ------------------------------------------------------------------ no-ops, and why

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Nothing to do: this process is the only writer, memory is never behind the store."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Nothing to do: this process is the only writer, memory is never behind the store."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Nothing to do: this process is the only writer, memory is never behind the store."""

    async def flush(self) -> None:
        """Nothing to do: every update_* above has already written (nothing is buffered)."""


class PersistentApplication(Application[Any, Any, Any, Any, Any, Any]):
    """An Application that stores what handling an update changed as soon as it is handled.

    PTB itself would wait for the next `update_interval` tick; a crash before it would lose the
    conversation step and the answer just given. Build it with
    `ApplicationBuilder().application_class(PersistentApplication)`.
    """

    __slots__ = ()

    async def process_update(self, update: object) -> None:
        await super().process_update(update)
        if self.persistence is not None:
            await self.update_persistence()
