"""The person-on-a-phone side of the fake Telegram: send things to the bot, read what it sent.

Every ``send_*`` creates a real Bot API Update on the server (long polling or webhook), and
every reader looks at the server's stored chat, so assertions see exactly what Telegram would
show. Waiting is event-driven (``FakeTelegramServer.wait_until``) with bounded timeouts.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.telegram_fake.server import FakeTelegramServer, StoredFile, StoredMessage

_chat_instances = itertools.count(7_000_000_000_000_000_001)


@dataclass(frozen=True)
class FakeFile:
    """A file as the person receives it: identifiers, name, type and the actual bytes."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def of(cls, stored: StoredFile) -> FakeFile:
        return cls(
            file_id=stored.file_id,
            file_unique_id=stored.file_unique_id,
            data=stored.data,
            file_name=stored.file_name,
            mime_type=stored.mime_type,
            width=stored.width,
            height=stored.height,
        )


@dataclass(frozen=True)
class BotMessage:
    """Snapshot of one message the bot sent, as currently shown in the chat."""

    message_id: int
    chat_id: int
    date: int
    text: str | None
    caption: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    edited: bool
    deleted: bool
    media_group_id: str | None
    document: FakeFile | None
    photo: FakeFile | None
    video: FakeFile | None
    audio: FakeFile | None
    raw: dict[str, Any] = field(repr=False)

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of inline buttons (dicts with text + callback_data/url/…)."""
        return list((self.reply_markup or {}).get("inline_keyboard", []))

    @property
    def inline_buttons(self) -> list[str]:
        """Inline button texts, row by row, flattened."""
        return [b["text"] for row in self.inline_keyboard for b in row]

    @property
    def callback_data(self) -> list[str]:
        return [
            b["callback_data"] for row in self.inline_keyboard for b in row if "callback_data" in b
        ]

    @property
    def reply_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of reply-keyboard buttons normalised to dicts (Telegram allows bare strings)."""
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [[b if isinstance(b, dict) else {"text": b} for b in row] for row in rows]

    @property
    def reply_buttons(self) -> list[str]:
        return [b["text"] for row in self.reply_keyboard for b in row]

    @property
    def removes_keyboard(self) -> bool:
        return bool((self.reply_markup or {}).get("remove_keyboard"))

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ("" if none)."""
        return self.text or self.caption or ""

    @classmethod
    def of(cls, stored: StoredMessage) -> BotMessage:
        data = copy.deepcopy(stored.data)
        by_kind = {f.kind: FakeFile.of(f) for f in stored.files}
        return cls(
            message_id=stored.message_id,
            chat_id=stored.chat_id,
            date=data["date"],
            text=data.get("text"),
            caption=data.get("caption"),
            entities=data.get("entities") or data.get("caption_entities") or [],
            reply_markup=copy.deepcopy(stored.markup),
            edited=stored.edits > 0,
            deleted=stored.deleted,
            media_group_id=data.get("media_group_id"),
            document=by_kind.get("document"),
            photo=by_kind.get("photo"),
            video=by_kind.get("video"),
            audio=by_kind.get("audio"),
            raw=data,
        )


class CallbackPress:
    """A pressed inline button; await :meth:`wait_answer` for the bot's answerCallbackQuery."""

    def __init__(self, server: FakeTelegramServer, query: dict[str, Any]) -> None:
        self._server = server
        self.query = query
        self.id: str = query["id"]

    @property
    def answer(self) -> dict[str, Any] | None:
        return self._server.callback_queries[self.id].answer

    async def wait_answer(self, timeout: float = 5.0) -> dict[str, Any]:
        """The answer's parameters: text, show_alert, url, cache_time."""
        return await self._server.wait_until(
            lambda: self.answer, timeout, f"answerCallbackQuery for query {self.id}"
        )


MediaItem = bytes | tuple[bytes, str, str]


class FakeUser:
    """A Telegram user chatting privately with the bot (create via ``server.user(...)``)."""

    def __init__(
        self,
        server: FakeTelegramServer,
        *,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
        language_code: str | None = "vi",
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.phone = phone or f"+849{user_id % 100_000_000:08d}"
        self.language_code = language_code
        self._read_cursor = 0
        self._edit_cursor = 0

    def as_dict(self) -> dict[str, Any]:
        """The Telegram User object of this person."""
        d: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            d["last_name"] = self.last_name
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        return d

    @property
    def chat_id(self) -> int:
        return self.id

    # ------------------------------------------------------------------ sending

    def _send(self, files: list[StoredFile] | None = None, **fields: Any) -> dict[str, Any]:
        self.server.not_started.discard(self.id)
        stored = self.server.add_message(
            self.id, self.as_dict(), from_bot=False, files=files, **fields
        )
        message = copy.deepcopy(stored.data)
        self.server.enqueue_update({"message": message})
        return message

    async def send_text(
        self, text: str, entities: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Type and send a text message; returns the Message dict the bot receives."""
        return self._send(text=text, entities=entities or None)

    async def send_command(self, command: str, args: str | None = None) -> dict[str, Any]:
        """Send ``/command [args]`` with the bot_command entity clients add."""
        if not command.startswith("/"):
            command = "/" + command
        text = f"{command} {args}" if args else command
        entity = {"type": "bot_command", "offset": 0, "length": len(command)}
        return self._send(text=text, entities=[entity])

    async def share_contact(
        self,
        phone: str | None = None,
        user_id: int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """Share a contact: one's own by default, else someone else's (user_id may be None)."""
        if phone is None and user_id is None:
            contact: dict[str, Any] = {
                "phone_number": self.phone,
                "first_name": self.first_name,
                "user_id": self.id,
            }
            if self.last_name:
                contact["last_name"] = self.last_name
        else:
            contact = {
                "phone_number": phone or f"+849{(user_id or 0) % 100_000_000:08d}",
                "first_name": first_name or "Liên hệ",
            }
            if last_name:
                contact["last_name"] = last_name
            if user_id is not None:
                contact["user_id"] = user_id
        return self._send(contact=contact)

    async def send_photo(self, data: bytes, caption: str | None = None) -> dict[str, Any]:
        """Send a picture; the bot can getFile/download any size with these exact bytes."""
        stored = self.server.store_file(data, "photo")
        return self._send(files=[stored], photo=stored.message_field(), caption=caption)

    async def send_document(
        self,
        data: bytes,
        filename: str,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Send a file as a document."""
        stored = self.server.store_file(data, "document", filename, mime_type)
        return self._send(files=[stored], document=stored.message_field(), caption=caption)

    async def send_media_group(
        self, items: Sequence[MediaItem], caption: str | None = None
    ) -> list[dict[str, Any]]:
        """Send an album: ``bytes`` items are photos, ``(bytes, filename, mime)`` documents.

        Like Telegram, each item arrives as its own update sharing one media_group_id; the
        caption goes on the first item.
        """
        group_id = str(
            13_100_000_000_000_000 + len(self.server.sent_updates) * 1000 + self.id % 1000
        )
        sent = []
        for index, item in enumerate(items):
            text = caption if index == 0 else None
            if isinstance(item, bytes):
                stored = self.server.store_file(item, "photo")
            else:
                data, filename, mime = item
                stored = self.server.store_file(data, "document", filename, mime)
            sent.append(
                self._send(
                    files=[stored],
                    media_group_id=group_id,
                    caption=text,
                    **{stored.kind: stored.message_field()},
                )
            )
        return sent

    def _inline_message(self, message_id: int | None) -> Any:
        """The newest message with an inline keyboard (or the one with `message_id`)."""
        candidates = [
            m
            for m in reversed(self.server.chat_log.get(self.id, []))
            if not m.deleted and (m.data.get("reply_markup") or {}).get("inline_keyboard")
        ]
        if message_id is not None:
            candidates = [m for m in candidates if m.message_id == message_id]
        if not candidates:
            raise LookupError(f"no message with an inline keyboard for user {self.id}")
        return candidates[0]

    async def press(self, button: str, message_id: int | None = None) -> CallbackPress:
        """Tap an inline button (by text, else callback_data) on the newest message having one."""
        target = self._inline_message(message_id)
        buttons = [b for row in target.data["reply_markup"]["inline_keyboard"] for b in row]
        found = next((b for b in buttons if b["text"] == button), None) or next(
            (b for b in buttons if b.get("callback_data") == button), None
        )
        if found is None:
            raise LookupError(f"button {button!r} not in {[b['text'] for b in buttons]}")
        if "callback_data" not in found:
            raise ValueError(f"button {button!r} has no callback_data: {found}")
        return self._callback(target, found["callback_data"])

    async def press_forged(self, data: str, message_id: int | None = None) -> CallbackPress:
        """What a modified client can do: send any callback_data for a message with buttons."""
        return self._callback(self._inline_message(message_id), data)

    def _callback(self, target: Any, data: str) -> CallbackPress:
        from tests.telegram_fake.server import CallbackQueryRecord

        query = {
            "id": str(next(_chat_instances)),
            "from": self.as_dict(),
            "message": copy.deepcopy(target.data),
            "chat_instance": str(-abs(hash((self.id, self.server.bot_id))) % 10**18),
            "data": data,
        }
        self.server.callback_queries[query["id"]] = CallbackQueryRecord(query, self.id)
        self.server.enqueue_update({"callback_query": copy.deepcopy(query)})
        return CallbackPress(self.server, query)

    async def press_reply(self, button: str) -> dict[str, Any]:
        """Tap a button of the reply keyboard currently shown (contact buttons share contact)."""
        markup = self.server.reply_keyboards.get(self.id)
        if not markup:
            raise LookupError(f"no reply keyboard is shown to user {self.id}")
        rows = markup.get("keyboard", [])
        buttons = [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]
        found = next((b for b in buttons if b["text"] == button), None)
        if found is None:
            raise LookupError(f"button {button!r} not in {[b['text'] for b in buttons]}")
        if markup.get("one_time_keyboard"):
            self.server.reply_keyboards[self.id] = None
        if found.get("request_contact"):
            return await self.share_contact()
        return await self.send_text(found["text"])

    def block_bot(self) -> None:
        """Block the bot: its sends to this chat now fail with 403 Forbidden."""
        self.server.block(self.id)

    def unblock_bot(self) -> None:
        self.server.unblock(self.id)

    # ------------------------------------------------------------------ reading

    def messages(self, include_deleted: bool = False) -> list[BotMessage]:
        """Everything the bot sent to this chat, in order, as currently displayed."""
        return [
            BotMessage.of(m)
            for m in self.server.chat_log.get(self.id, [])
            if include_deleted or not m.deleted
        ]

    def last_message(self) -> BotMessage | None:
        shown = self.messages()
        return shown[-1] if shown else None

    @property
    def reply_keyboard(self) -> dict[str, Any] | None:
        """The reply keyboard currently shown under the input field, if any."""
        return self.server.reply_keyboards.get(self.id)

    def chat_actions(self) -> list[str]:
        """sendChatAction actions ("typing", "upload_document"…) received, in order."""
        return list(self.server.chat_actions.get(self.id, []))

    def commands(self) -> list[dict[str, Any]]:
        """The bot's command menu as this user sees it (scope + language resolution)."""
        return self.server.commands_for(self.id, self.language_code)

    async def wait_for_message(
        self, predicate: Callable[[BotMessage], bool] | None = None, timeout: float = 5.0
    ) -> BotMessage:
        """Next not-yet-read bot message (matching ``predicate``); earlier ones are marked read.

        Messages sent before the call count too, so ``send`` then ``wait`` never races.
        """

        def check() -> BotMessage | None:
            log = self.server.chat_log.get(self.id, [])
            while self._read_cursor < len(log):
                message = BotMessage.of(log[self._read_cursor])
                self._read_cursor += 1
                if predicate is None or predicate(message):
                    return message
            return None

        return await self.server.wait_until(check, timeout, f"a bot message to user {self.id}")

    async def wait_for_messages(self, n: int, timeout: float = 5.0) -> list[BotMessage]:
        """The next ``n`` unread bot messages, within one overall timeout."""
        deadline = time.monotonic() + timeout
        result = []
        for _ in range(n):
            result.append(await self.wait_for_message(timeout=max(deadline - time.monotonic(), 0)))
        return result

    async def wait_for_edit(
        self,
        message_id: int | None = None,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5.0,
    ) -> BotMessage:
        """Next unseen edit of a bot message (optionally of ``message_id``), current state."""

        def check() -> BotMessage | None:
            log = self.server.edit_log.get(self.id, [])
            while self._edit_cursor < len(log):
                message = BotMessage.of(log[self._edit_cursor])
                self._edit_cursor += 1
                if (message_id is None or message.message_id == message_id) and (
                    predicate is None or predicate(message)
                ):
                    return message
            return None

        return await self.server.wait_until(check, timeout, f"an edit in chat {self.id}")

    def mark_all_read(self) -> None:
        """Skip everything received so far (next waits only see newer messages / edits)."""
        self._read_cursor = len(self.server.chat_log.get(self.id, []))
        self._edit_cursor = len(self.server.edit_log.get(self.id, []))
