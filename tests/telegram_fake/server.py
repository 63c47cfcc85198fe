"""A fake Telegram Bot API server (aiohttp) for end-to-end tests of a real PTB Application.

The server speaks the HTTP protocol of https://core.telegram.org/bots/api closely enough that
python-telegram-bot parses every answer unchanged: ``/bot<token>/<method>`` for calls and
``/file/bot<token>/<file_path>`` for downloads, JSON / form-urlencoded / multipart bodies, and
Telegram-shaped errors (status code + ``{"ok": false, "error_code", "description"}``).

Tests act as people through :class:`tests.telegram_fake.user.FakeUser`; the server keeps the
state both sides see (messages, files, callback queries, commands, webhook) and wakes waiters
through a single change event, so tests never need fixed sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import itertools
import json
import re
import secrets
import struct
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from tests.telegram_fake.user import FakeUser

DEFAULT_TOKEN = "123456789:AAFakeTelegramTokenForTests-abcdefghi"

#: Update types Telegram delivers when ``allowed_updates`` is empty / never set.
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

#: Methods that produce chat messages; used by the flood-rate helpers.
MESSAGE_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "sendvideo",
        "sendaudio",
        "sendvoice",
        "sendanimation",
        "sendsticker",
        "sendlocation",
        "sendcontact",
        "sendpoll",
        "senddice",
        "sendvenue",
        "sendvideonote",
        "copymessage",
        "forwardmessage",
    }
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

T = TypeVar("T")


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error answer; raised inside method handlers, turned into the HTTP reply."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def _fault_error(status: int, retry_after: int | None, description: str | None) -> ApiError:
    if status == 429:
        after = retry_after if retry_after is not None else 1
        return ApiError(
            429,
            description or f"Too Many Requests: retry after {after}",
            {"retry_after": after},
        )
    default = {
        400: "Bad Request: injected fault",
        401: "Unauthorized",
        403: "Forbidden: injected fault",
        404: "Not Found",
        409: "Conflict: injected fault",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, "Injected fault")
    return ApiError(status, description or default)


# --------------------------------------------------------------------------------------------
# Formatting: parse_mode → (text, entities) exactly as Telegram returns them
# --------------------------------------------------------------------------------------------


class ParseError(Exception):
    """Markup Telegram would refuse with "can't parse entities"."""


def utf16_len(text: str) -> int:
    """Entity offsets/lengths are in UTF-16 code units (emoji count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


class _Builder:
    """Accumulates plain text and entities while a markup parser walks the source."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        length = self.length - start
        if length > 0:
            self.entities.append({"type": kind, "offset": start, "length": length, **extra})

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ents


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_ATTR_RE = re.compile(r"""([a-zA-Z_:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_HTML_ENTITY_RE = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML style: a fixed tag set, only &lt; &gt; &amp; &quot; and numeric escapes."""
    out = _Builder()
    stack: list[tuple[str, int, dict[str, Any] | None]] = []
    i = 0
    while i < len(src):
        ch = src[i]
        if ch == "<":
            end = src.find(">", i)
            if end == -1:
                raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(src, i)}")
            inner = src[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise ParseError(f"Unexpected end tag at byte offset {_byte_offset(src, i)}")
                tag, start, spec = stack.pop()
                if name and name != tag:
                    raise ParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
                if spec is not None:
                    kind = spec.pop("type")
                    out.entity(kind, start, **spec)
            else:
                match = re.match(r"([a-zA-Z][a-zA-Z0-9-]*)(.*)$", inner, re.S)
                name = match.group(1).lower() if match else inner
                if not match or name not in _HTML_TAGS:
                    raise ParseError(
                        f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, i)}'
                    )
                attrs = {
                    m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR_RE.finditer(match.group(2))
                }
                spec: dict[str, Any] | None = {"type": _HTML_TAGS[name]}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise ParseError('Tag "span" must have class "tg-spoiler"')
                if name == "a":
                    href = attrs.get("href")
                    spec = {"type": "text_link", "url": href} if href else None
                    if href and href.startswith("tg://user?id="):
                        spec = {"type": "text_mention", "user": {"id": int(href[13:])}}
                elif name == "blockquote" and "expandable" in attrs:
                    spec = {"type": "expandable_blockquote"}
                elif name == "tg-emoji":
                    spec = {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
                elif name == "code" and stack and stack[-1][0] == "pre":
                    language = attrs.get("class", "")
                    pre = stack[-1][2]
                    if pre is not None and language.startswith("language-"):
                        pre["language"] = language[len("language-") :]
                        spec = None
                stack.append((name, out.length, spec))
            i = end + 1
        elif ch == "&":
            m = _HTML_ENTITY_RE.match(src, i)
            if m is None:
                out.add("&")
                i += 1
                continue
            name = m.group(1)
            if name.startswith("#x"):
                out.add(chr(int(name[2:], 16)))
            elif name.startswith("#"):
                out.add(chr(int(name[1:])))
            elif name in _HTML_NAMED:
                out.add(_HTML_NAMED[name])
            else:
                out.add(m.group(0))
            i = m.end()
        else:
            out.add(ch)
            i += 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "*": ("bold", "Bold"),
    "_": ("italic", "Italic"),
    "__": ("underline", "Underline"),
    "~": ("strikethrough", "Strikethrough"),
    "||": ("spoiler", "Spoiler"),
}


def parse_markdown_v2(src: str) -> tuple[str, list[dict[str, Any]]]:
    """MarkdownV2: every reserved character outside an entity must be escaped with a backslash."""
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (marker, start, source index)
    quote_start: int | None = None
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        at_line_start = i == 0 or src[i - 1] == "\n"
        if at_line_start and ch == ">" and not stack:
            if quote_start is None:
                quote_start = out.length
            i += 1
            continue
        if at_line_start and quote_start is not None and ch != ">" and i > 0:
            out.entity("blockquote", quote_start)
            # the newline that ended the quote belongs to the quote in Telegram's output
            quote_start = None
        if ch == "\\":
            if i + 1 < n and 0 < ord(src[i + 1]) < 127:
                out.add(src[i + 1])
                i += 2
                continue
            raise ParseError(
                "Character '\\' is reserved and must be escaped with the preceding '\\'"
            )
        if ch == "`":
            if src.startswith("```", i):
                close = src.find("```", i + 3)
                if close == -1:
                    raise ParseError(
                        f"Can't find end of Pre entity at byte offset {_byte_offset(src, i)}"
                    )
                body = src[i + 3 : close]
                language = ""
                if "\n" in body:
                    first, rest = body.split("\n", 1)
                    if first and " " not in first:
                        language, body = first, rest
                start = out.length
                out.add(re.sub(r"\\([\\`])", r"\1", body))
                extra = {"language": language} if language else {}
                out.entity("pre", start, **extra)
                i = close + 3
                continue
            close = i + 1
            while close < n and src[close] != "`":
                close += 2 if src[close] == "\\" else 1
            if close >= n:
                raise ParseError(
                    f"Can't find end of Code entity at byte offset {_byte_offset(src, i)}"
                )
            start = out.length
            out.add(re.sub(r"\\([\\`])", r"\1", src[i + 1 : close]))
            out.entity("code", start)
            i = close + 1
            continue
        marker = None
        if src.startswith("||", i):
            marker = "||"
        elif src.startswith("__", i) and not (stack and stack[-1][0] == "_"):
            marker = "__"
        elif ch in "*_~":
            marker = ch
        if marker is not None:
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                out.entity(_MDV2_NAMES[marker][0], start)
            else:
                stack.append((marker, out.length, i))
            i += len(marker)
            continue
        if ch == "[":
            stack.append(("[", out.length, i))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[" and src.startswith("(", i + 1):
            close = i + 2
            url_chars: list[str] = []
            while close < n and src[close] != ")":
                if src[close] == "\\" and close + 1 < n:
                    close += 1
                url_chars.append(src[close])
                close += 1
            if close >= n:
                raise ParseError(
                    f"Can't find end of a URL at byte offset {_byte_offset(src, i + 1)}"
                )
            _, start, _ = stack.pop()
            url = "".join(url_chars)
            if url.startswith("tg://user?id="):
                out.entity("text_mention", start, user={"id": int(url[13:])})
            else:
                out.entity("text_link", start, url=url)
            i = close + 1
            continue
        if ch in _MDV2_RESERVED:
            raise ParseError(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.add(ch)
        i += 1
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        marker, _, index = stack[-1]
        name = "TextUrl" if marker == "[" else _MDV2_NAMES[marker][1]
        raise ParseError(
            f"Can't find end of {name} entity at byte offset {_byte_offset(src, index)}"
        )
    return out.result()


def parse_markdown(src: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = _Builder()
    kinds = {"*": "bold", "_": "italic"}
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "\\" and i + 1 < n and src[i + 1] in "_*`[":
            out.add(src[i + 1])
            i += 2
            continue
        if ch in "*_`[":
            if src.startswith("```", i):
                close = src.find("```", i + 3)
                token_len = 3
            elif ch == "[":
                close_text = src.find("]", i + 1)
                if close_text != -1 and src.startswith("(", close_text + 1):
                    close_url = src.find(")", close_text + 2)
                    if close_url != -1:
                        start = out.length
                        out.add(src[i + 1 : close_text])
                        out.entity("text_link", start, url=src[close_text + 2 : close_url])
                        i = close_url + 1
                        continue
                raise ParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(src, i)}"
                )
            else:
                close = src.find(ch, i + 1)
                token_len = 1
            if close == -1:
                raise ParseError(
                    f"Can't find end of the entity starting at byte offset {_byte_offset(src, i)}"
                )
            start = out.length
            out.add(src[i + token_len : close])
            kind = "pre" if token_len == 3 else kinds.get(ch, "code")
            out.entity(kind, start)
            i = close + token_len
            continue
        out.add(ch)
        i += 1
    return out.result()


def format_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode like Telegram, then strip surrounding whitespace and shift entities."""
    mode = (parse_mode or "").lower()
    try:
        if mode == "html":
            plain, ents = parse_html(text)
        elif mode == "markdownv2":
            plain, ents = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, ents = parse_markdown(text)
        elif mode:
            raise bad_request(f"unsupported parse_mode {parse_mode}")
        else:
            plain, ents = text, list(entities or [])
    except ParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from None
    stripped = plain.lstrip()
    shift = utf16_len(plain) - utf16_len(stripped)
    stripped = stripped.rstrip()
    total = utf16_len(stripped)
    result = []
    for ent in ents:
        start = max(ent["offset"] - shift, 0)
        end = min(ent["offset"] + ent["length"] - shift, total)
        if end > start:
            result.append({**ent, "offset": start, "length": end - start})
    return stripped, result


# --------------------------------------------------------------------------------------------
# Stored state
# --------------------------------------------------------------------------------------------


@dataclass
class Call:
    """One Bot API request as the server saw it (for assertions and rate measurements)."""

    method: str
    params: dict[str, Any]
    time: float
    chat_id: int | str | None = None
    files: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class StoredFile:
    """A file known to the server: uploaded by the bot or sent by a user, with its bytes."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def api_dict(self) -> dict[str, Any]:
        """The object as it appears inside a Message (Document, PhotoSize, Video, Audio…)."""
        d: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.kind in ("photo", "video", "animation", "sticker"):
            d["width"], d["height"] = self.width, self.height
        if self.kind in ("video", "audio", "voice", "animation", "video_note"):
            d["duration"] = self.duration
        if self.kind != "photo":
            if self.file_name is not None and self.kind not in ("voice", "video_note"):
                d["file_name"] = self.file_name
            if self.mime_type is not None:
                d["mime_type"] = self.mime_type
        return d

    def message_field(self) -> Any:
        """Value for the Message field named by ``kind`` (photos are a PhotoSize list)."""
        return [self.api_dict()] if self.kind == "photo" else self.api_dict()


@dataclass
class Upload:
    """A multipart file part as received from the client."""

    filename: str | None
    data: bytes
    content_type: str | None


@dataclass
class StoredMessage:
    """A chat message: ``data`` is the Bot API Message dict, ``markup`` what the phone shows."""

    data: dict[str, Any]
    from_bot: bool
    markup: dict[str, Any] | None = None
    files: list[StoredFile] = field(default_factory=list)
    deleted: bool = False
    edits: int = 0

    @property
    def chat_id(self) -> int:
        return int(self.data["chat"]["id"])

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])


@dataclass
class CallbackQueryRecord:
    """A button press; ``answer`` holds the bot's answerCallbackQuery parameters once it came."""

    query: dict[str, Any]
    user_id: int
    answer: dict[str, Any] | None = None

    @property
    def answered(self) -> bool:
        return self.answer is not None


@dataclass
class WebhookConfig:
    """State of setWebhook; tests may mutate ``secret_token`` to simulate a stale secret."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class WebhookDelivery:
    """One POST of an update to the bot's webhook."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    time: float


@dataclass
class _Fault:
    method: str
    status: int
    retry_after: int | None
    description: str | None
    remaining: int


class _Params:
    """Typed access to request parameters that may arrive as JSON values or as form strings."""

    def __init__(self, raw: dict[str, Any], files: dict[str, Upload]) -> None:
        self.raw = raw
        self.files = files

    def has(self, name: str) -> bool:
        return self.raw.get(name) not in (None, "") or name in self.files

    def str(self, name: str, required: bool = False) -> str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: str, required: bool = False) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'invalid parameter "{name}": integer expected') from None

    def float(self, name: str) -> float | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'invalid parameter "{name}": number expected') from None

    def bool(self, name: str) -> bool:
        value = self.raw.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        value = self.raw.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self) -> int | str:
        value = self.raw.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, int):
            return value
        text = str(value)
        with contextlib.suppress(ValueError):
            return int(text)
        return text


def _image_size(data: bytes) -> tuple[int, int]:
    """Width/height from PNG, GIF or JPEG headers; a plausible default for opaque test bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return width, height
            (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + seg_len
    return 320, 240


_EXT_BY_MIME = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "video/mp4": ".mp4",
    "audio/mpeg": ".mp3",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
_FOLDERS = {
    "photo": "photos",
    "document": "documents",
    "video": "videos",
    "audio": "music",
    "voice": "voice",
    "animation": "animations",
    "sticker": "stickers",
    "video_note": "video_notes",
}


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

Handler = Callable[[_Params], Awaitable[Any]]


class FakeTelegramServer:
    """In-process Bot API for one bot token; start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "hocba_test_bot",
        bot_first_name: str = "Học bạ",
        webhook_retry_delays: Sequence[float] = (0.05, 0.1, 0.2, 0.4),
    ) -> None:
        self.token = token
        self.host = host
        self._port = port
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []  # pending = not yet confirmed/delivered
        self.sent_updates: list[dict[str, Any]] = []  # every update ever created
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, FakeUser] = {}
        self.blocked: set[int] = set()
        self.not_started: set[int] = set()
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.chat_log: dict[int, list[StoredMessage]] = {}  # bot messages per chat, send order
        self.edit_log: dict[int, list[StoredMessage]] = {}  # bot edits per chat, edit order
        self.chat_actions: dict[int, list[str]] = {}
        self.reply_keyboards: dict[int, dict[str, Any] | None] = {}
        self.files: dict[str, StoredFile] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self.webhook: WebhookConfig | None = None
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.flood_limits: tuple[int | None, int | None] | None = None
        self._faults: list[_Fault] = []
        self._methods: dict[str, Handler] = {}
        self._next_update_id = 100_000_001
        self._next_message_id: dict[int, int] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._poll_generation = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._register_builtin_methods()

    # ---------------------------------------------------------------- lifecycle / addresses

    async def start(self) -> FakeTelegramServer:
        """Bind to ``host:port`` (port 0 = a free one) and serve."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        self._port = sockets[0].getsockname()[1]
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        """Wake every long poll, stop webhook delivery and close the listener."""
        self._closing = True
        self._touch()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegramServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder.base_url``; PTB appends the token."""
        return f"http://{self.host}:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder.base_file_url``; PTB appends the token."""
        return f"http://{self.host}:{self._port}/file/bot"

    # ---------------------------------------------------------------- change notification

    def _touch(self) -> None:
        """Wake everyone waiting for any state change (long polls, tests, webhook worker)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self, predicate: Callable[[], T | None], timeout: float = 5.0, what: str = "condition"
    ) -> T:
        """Return the first truthy ``predicate()`` result, re-checking after every change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    # ---------------------------------------------------------------- test controls

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        phone: str | None = None,
        language_code: str | None = "vi",
        started: bool = True,
    ) -> FakeUser:
        """Create (or return) a person with a private chat with the bot.

        ``started=False`` models someone who never pressed Start: the bot gets
        "Forbidden: bot can't initiate conversation with a user" until they write first.
        """
        from tests.telegram_fake.user import FakeUser

        if user_id in self.users:
            return self.users[user_id]
        user = FakeUser(
            self,
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            phone=phone,
            language_code=language_code,
        )
        self.users[user_id] = user
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        self.chats[user_id] = chat
        self.chat_log[user_id] = []
        self.edit_log[user_id] = []
        if not started:
            self.not_started.add(user_id)
        return user

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int | None = 3,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` ("*" = any) fail with ``status``."""
        self._faults.append(
            _Fault(
                method.lower(), status, retry_after if status == 429 else None, description, count
            )
        )

    def enable_flood_control(
        self, per_chat_per_second: int | None = None, overall_per_second: int | None = 30
    ) -> None:
        """Answer 429 (retry_after=1) when message sends exceed these rates, like Telegram."""
        self.flood_limits = (per_chat_per_second, overall_per_second)

    def register_method(self, name: str, handler: Handler) -> None:
        """Add or override a Bot API method (handler gets typed params, returns the result)."""
        self._methods[name.lower()] = handler

    def calls_to(self, method: str) -> list[Call]:
        """Recorded calls of one method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def max_send_rate(
        self,
        window: float = 1.0,
        chat_id: int | str | None = None,
        methods: Iterable[str] | None = None,
        successful_only: bool = False,
    ) -> int:
        """Highest number of message-sending calls in any ``window``-second span.

        Counts send*/copy/forward calls (not sendChatAction) overall or for one chat, the
        quantities Telegram's flood limits are about (~30/s overall, ~1/s per chat).
        """
        wanted = {m.lower() for m in methods} if methods is not None else MESSAGE_METHODS
        times = sorted(
            c.time
            for c in self.calls
            if c.method.lower() in wanted
            and (chat_id is None or c.chat_id == chat_id)
            and (not successful_only or c.ok)
        )
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def max_send_rate_per_chat(
        self, window: float = 1.0, methods: Iterable[str] | None = None
    ) -> dict[int | str, int]:
        """:meth:`max_send_rate` for every chat that received a send."""
        wanted = {m.lower() for m in methods} if methods is not None else MESSAGE_METHODS
        chats = {
            c.chat_id for c in self.calls if c.method.lower() in wanted and c.chat_id is not None
        }
        return {
            chat: self.max_send_rate(window, chat_id=chat, methods=wanted)
            for chat in chats
            if chat is not None
        }

    def block(self, user_id: int, notify: bool = True) -> None:
        """The user blocks the bot: sends fail with 403; a my_chat_member update is queued."""
        self.blocked.add(user_id)
        if notify:
            self._member_update(user_id, "member", "kicked")
        self._touch()

    def unblock(self, user_id: int, notify: bool = True) -> None:
        self.blocked.discard(user_id)
        if notify:
            self._member_update(user_id, "kicked", "member")
        self._touch()

    def commands_for(self, user_id: int, language_code: str | None = None) -> list[dict[str, Any]]:
        """The command menu a private-chat user sees, resolved in Telegram's scope order."""
        lang = language_code or ""
        scopes = [
            {"type": "chat", "chat_id": user_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
        for scope in scopes:
            for code in [lang, ""] if lang else [""]:
                found = self.commands.get((_scope_key(scope), code))
                if found:
                    return copy.deepcopy(found)
        return []

    # ---------------------------------------------------------------- update queue

    def enqueue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Append an update (``payload`` without update_id); long polls / webhook get it."""
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self.updates.append(update)
        self.sent_updates.append(update)
        self._touch()
        return update

    def _deliverable(self) -> list[dict[str, Any]]:
        """Pending updates of allowed types; others are dropped as Telegram never sends them."""
        keep = []
        for update in self.updates:
            kind = next(k for k in update if k != "update_id")
            if kind in self.allowed_updates:
                keep.append(update)
        self.updates = keep
        return keep

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        else:
            self.updates = self.updates[offset:]

    def _set_allowed(self, allowed: Any) -> None:
        if allowed is None:
            return
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON array")
        self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_ALLOWED_UPDATES

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        user = self.users[user_id]
        bot = dict(self.bot_user)
        new_member: dict[str, Any] = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        self.enqueue_update(
            {
                "my_chat_member": {
                    "chat": dict(self.chats[user_id]),
                    "from": user.as_dict(),
                    "date": int(time.time()),
                    "old_chat_member": old_member,
                    "new_chat_member": new_member,
                }
            }
        )

    # ---------------------------------------------------------------- messages & files

    def next_message_id(self, chat_id: int) -> int:
        """One counter per chat shared by both sides, as in Telegram private chats."""
        value = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = value + 1
        return value

    def store_file(
        self,
        data: bytes,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Register bytes as a Telegram file so getFile and downloads can serve them."""
        n = next(self._ids)
        prefix = {"photo": "AgAC", "document": "BQAC", "video": "BAAC", "audio": "CQAC"}
        file_id = f"{prefix.get(kind, 'AwAC')}AgUAAxk{n:06d}{secrets.token_hex(6)}"
        ext = ".jpg" if kind == "photo" else ""
        if not ext and file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        elif not ext and mime_type:
            ext = _EXT_BY_MIME.get(mime_type, "")
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"AQAD{n:06d}{secrets.token_hex(3)}",
            kind=kind,
            data=data,
            file_path=f"{_FOLDERS.get(kind, 'files')}/file_{n}{ext}",
            file_name=file_name if kind != "photo" else None,
            mime_type=mime_type if kind != "photo" else None,
        )
        if kind in ("photo", "sticker", "animation", "video"):
            stored.width, stored.height = _image_size(data) if kind == "photo" else (640, 360)
        self.files[file_id] = stored
        return stored

    def add_message(
        self,
        chat_id: int,
        sender: dict[str, Any],
        *,
        from_bot: bool,
        markup: dict[str, Any] | None = None,
        files: list[StoredFile] | None = None,
        **fields: Any,
    ) -> StoredMessage:
        """Create and store a message in a chat with the next message_id."""
        data = {
            "message_id": self.next_message_id(chat_id),
            "from": dict(sender),
            "chat": dict(self.chats[chat_id]),
            "date": int(time.time()),
            **{k: v for k, v in fields.items() if v is not None},
        }
        stored = StoredMessage(data=data, from_bot=from_bot, markup=markup, files=files or [])
        self.messages[(chat_id, stored.message_id)] = stored
        if from_bot:
            self.chat_log.setdefault(chat_id, []).append(stored)
            if markup is not None:
                if "keyboard" in markup:
                    self.reply_keyboards[chat_id] = markup
                elif markup.get("remove_keyboard"):
                    self.reply_keyboards[chat_id] = None
        self._touch()
        return stored

    # ---------------------------------------------------------------- HTTP handlers

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, Upload] = {}
        if request.method != "POST" or not request.can_read_body:
            return params, files
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON") from None
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            params.update(body)
        elif ctype.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    data = await part.read(decode=True)
                    files[part.name] = Upload(
                        part.filename, bytes(data), part.headers.get("Content-Type")
                    )
                else:
                    params[part.name] = await part.text()
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params, files

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        if token != self.token:
            # Telegram: 401 for a well-formed but unknown token, 404 for a malformed one.
            error = ApiError(401, "Unauthorized") if ":" in token else ApiError(404, "Not Found")
            return self._reply(error.body(), error.status)
        call = Call(method=method, params={}, time=time.monotonic())
        self.calls.append(call)
        try:
            params, files = await self._read_params(request)
            call.params = params
            call.files = {k: v.filename or "" for k, v in files.items()}
            self._touch()  # the request has arrived: tests may wait for it (e.g. a long poll)
            with contextlib.suppress(ApiError):
                call.chat_id = _Params(params, files).chat_id()
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            self._check_faults(method)
            self._check_flood(method, call)
            result = await handler(_Params(params, files))
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.body()
        call.status, call.response = status, body
        self._touch()
        return self._reply(body, status)

    @staticmethod
    def _reply(body: dict[str, Any], status: int) -> web.Response:
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode(),
            status=status,
            content_type="application/json",
        )

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._reply(ApiError(401, "Unauthorized").body(), 401)
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return self._reply(ApiError(404, "Not Found").body(), 404)

    def _check_faults(self, method: str) -> None:
        for fault in self._faults:
            if fault.method in ("*", method.lower()) and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                raise _fault_error(fault.status, fault.retry_after, fault.description)

    def _check_flood(self, method: str, call: Call) -> None:
        if self.flood_limits is None or method.lower() not in MESSAGE_METHODS:
            return
        per_chat, overall = self.flood_limits
        now = call.time
        recent = [
            c
            for c in self.calls
            if c is not call and c.ok and c.method.lower() in MESSAGE_METHODS and now - c.time < 1.0
        ]
        too_many = overall is not None and len(recent) >= overall
        if per_chat is not None:
            too_many |= sum(c.chat_id == call.chat_id for c in recent) >= per_chat
        if too_many:
            raise _fault_error(429, 1, None)

    # ---------------------------------------------------------------- method registry

    def _register_builtin_methods(self) -> None:
        for name in (
            "getMe",
            "logOut",
            "close",
            "getUpdates",
            "setWebhook",
            "deleteWebhook",
            "getWebhookInfo",
            "sendMessage",
            "editMessageText",
            "editMessageCaption",
            "editMessageReplyMarkup",
            "deleteMessage",
            "answerCallbackQuery",
            "sendPhoto",
            "sendDocument",
            "sendVideo",
            "sendAudio",
            "sendMediaGroup",
            "getFile",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "sendChatAction",
        ):
            self._methods[name.lower()] = getattr(self, f"_m_{_snake(name)}")

    # ---------------------------------------------------------------- shared validation

    def _chat_for_send(self, p: _Params) -> dict[str, Any]:
        chat_id = p.chat_id()
        chat = self._find_chat(chat_id)
        cid = chat["id"]
        if cid in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if cid in self.not_started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _find_chat(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                if chat.get("username", "").lower() == chat_id[1:].lower():
                    return chat
        raise bad_request("chat not found")

    def _markup(self, p: _Params, inline_only: bool = False) -> dict[str, Any] | None:
        markup = p.json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not button.get("text"):
                        raise bad_request(
                            "can't parse inline keyboard button: Text must be non-empty"
                        )
                    actions = [k for k in button if k != "text"]
                    if len(actions) != 1:
                        raise bad_request(
                            "can't parse inline keyboard button: Text buttons are unallowed "
                            "in the inline keyboard"
                        )
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode()) <= 64:
                        raise bad_request("BUTTON_DATA_INVALID")
        elif inline_only:
            raise bad_request("inline keyboard expected")
        elif not any(k in markup for k in ("keyboard", "remove_keyboard", "force_reply")):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup

    def _reply_to(self, p: _Params, chat_id: int) -> dict[str, Any] | None:
        params = p.json("reply_parameters") or {}
        message_id = params.get("message_id") if isinstance(params, dict) else None
        if message_id is None:
            message_id = p.int("reply_to_message_id")
        if message_id is None:
            return None
        target = self.messages.get((chat_id, int(message_id)))
        if target is None or target.deleted:
            allow = params.get("allow_sending_without_reply") or p.bool(
                "allow_sending_without_reply"
            )
            if allow:
                return None
            raise bad_request("message to be replied not found")
        reply = copy.deepcopy(target.data)
        reply.pop("reply_to_message", None)
        return reply

    def _text_and_entities(
        self, p: _Params, text_field: str, entities_field: str, limit: int
    ) -> tuple[str | None, list[dict[str, Any]]]:
        raw = p.str(text_field)
        if raw is None:
            return None, []
        text, entities = format_text(raw, p.str("parse_mode"), p.json(entities_field))
        if utf16_len(text) > limit:
            raise bad_request(
                "message is too long" if text_field == "text" else "message caption is too long"
            )
        return text, entities

    def _resolve_file(self, p: _Params, name: str, kind: str) -> StoredFile:
        """An uploaded part (field or attach://) or a known file_id; URLs are not fetched."""
        upload = p.files.get(name)
        ref = p.str(name)
        if upload is None and ref is not None and ref.startswith("attach://"):
            upload = p.files.get(ref[len("attach://") :])
            if upload is None:
                raise bad_request(f"file for {name} must be uploaded as {ref[9:]!r}")
        if upload is not None:
            if not upload.data:
                raise bad_request("file must be non-empty")
            mime = upload.content_type
            if mime in (None, "application/octet-stream") and upload.filename:
                mime = _guess_mime(upload.filename) or mime
            return self.store_file(upload.data, kind, upload.filename, mime)
        if ref is None:
            raise bad_request(f"there is no {name} in the request")
        stored = self.files.get(ref)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind and not (kind == "document" and stored.kind != "photo"):
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    def _bot_message(
        self,
        chat: dict[str, Any],
        p: _Params,
        *,
        markup: dict[str, Any] | None,
        files: list[StoredFile] | None = None,
        **fields: Any,
    ) -> StoredMessage:
        chat_id = chat["id"]
        reply = self._reply_to(p, chat_id)
        if markup is not None and "inline_keyboard" in markup:
            fields["reply_markup"] = markup
        if p.bool("protect_content"):
            fields["has_protected_content"] = True
        return self.add_message(
            chat_id,
            self.bot_user,
            from_bot=True,
            markup=markup,
            files=files,
            reply_to_message=reply,
            **fields,
        )

    def _own_message(self, p: _Params) -> StoredMessage:
        if p.has("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake server")
        chat = self._find_chat(p.chat_id())
        message_id = p.int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        stored = self.messages.get((chat["id"], message_id))
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return stored

    def _apply_edit(self, stored: StoredMessage, new: dict[str, Any]) -> dict[str, Any]:
        """Replace fields (None removes), refuse no-op edits like Telegram, log the edit."""
        current = {k: stored.data.get(k) for k in new}
        if current == {k: (v if v != [] else None) for k, v in new.items()}:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        for key, value in new.items():
            if value is None or value == []:
                stored.data.pop(key, None)
            else:
                stored.data[key] = value
        if "reply_markup" in new:
            stored.markup = new["reply_markup"]
        stored.data["edit_date"] = int(time.time())
        stored.edits += 1
        self.edit_log.setdefault(stored.chat_id, []).append(stored)
        self._touch()
        return copy.deepcopy(stored.data)

    # ---------------------------------------------------------------- methods: bot / updates

    async def _m_get_me(self, p: _Params) -> dict[str, Any]:
        return dict(self.bot_user)

    async def _m_log_out(self, p: _Params) -> bool:
        return True

    async def _m_close(self, p: _Params) -> bool:
        return True

    async def _m_get_updates(self, p: _Params) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise _webhook_conflict()
        offset = p.int("offset")
        limit = min(max(p.int("limit") or 100, 1), 100)
        timeout = max(p.float("timeout") or 0.0, 0.0)
        self._set_allowed(p.json("allowed_updates"))
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            if self.webhook is not None:
                raise _webhook_conflict()
            ready = self._deliverable()[:limit]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing:
                return copy.deepcopy(ready)
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def _m_set_webhook(self, p: _Params) -> bool:
        url = p.str("url") or ""
        if p.bool("drop_pending_updates"):
            self.updates.clear()
        self._set_allowed(p.json("allowed_updates"))
        if not url:
            self.webhook = None
            self._touch()
            return True
        if not url.startswith(("http://", "https://")):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = p.str("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        self.webhook = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=p.int("max_connections") or 40,
            ip_address=p.str("ip_address"),
        )
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_worker())
        self._touch()
        return True

    async def _m_delete_webhook(self, p: _Params) -> bool:
        if p.bool("drop_pending_updates"):
            self.updates.clear()
        self.webhook = None
        self._touch()
        return True

    async def _m_get_webhook_info(self, p: _Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._deliverable()),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.ip_address:
                info["ip_address"] = self.webhook.ip_address
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
            if self.allowed_updates != DEFAULT_ALLOWED_UPDATES:
                info["allowed_updates"] = sorted(self.allowed_updates)
        return info

    async def _webhook_worker(self) -> None:
        """Deliver pending updates one at a time, retrying failures with a short backoff."""
        failures = 0
        while self.webhook is not None and not self._closing:
            pending = self._deliverable()
            if not pending:
                await self._changed.wait()
                continue
            config, update = self.webhook, pending[0]
            headers = {"Content-Type": "application/json"}
            if config.secret_token:
                headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
            status: int | None = None
            error: str | None = None
            assert self._session is not None
            try:
                async with self._session.post(
                    config.url,
                    data=json.dumps(update).encode(),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as resp:
                    await resp.read()
                    status = resp.status
                    if not 200 <= status < 300:
                        error = f"Wrong response from the webhook: {status} {resp.reason}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            self.webhook_deliveries.append(
                WebhookDelivery(update["update_id"], config.url, status, error, time.monotonic())
            )
            if error is None:
                failures = 0
                self.updates = [u for u in self.updates if u is not update]
            else:
                config.last_error_date = int(time.time())
                config.last_error_message = error
                delays = self.webhook_retry_delays or (0.1,)
                delay = delays[min(failures, len(delays) - 1)]
                failures += 1
                self._touch()
                event = self._changed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), delay)
            self._touch()

    # ---------------------------------------------------------------- methods: messages

    async def _m_send_message(self, p: _Params) -> dict[str, Any]:
        chat = self._chat_for_send(p)
        text, entities = self._text_and_entities(p, "text", "entities", MAX_TEXT_LENGTH)
        if not text:
            raise bad_request("message text is empty")
        markup = self._markup(p)
        stored = self._bot_message(chat, p, markup=markup, text=text, entities=entities or None)
        return copy.deepcopy(stored.data)

    async def _send_media(self, p: _Params, kind: str) -> dict[str, Any]:
        chat = self._chat_for_send(p)
        stored_file = self._resolve_file(p, kind, kind)
        caption, entities = self._text_and_entities(
            p, "caption", "caption_entities", MAX_CAPTION_LENGTH
        )
        markup = self._markup(p)
        extra: dict[str, Any] = {}
        if p.bool("has_spoiler"):
            extra["has_media_spoiler"] = True
        if p.bool("show_caption_above_media"):
            extra["show_caption_above_media"] = True
        stored = self._bot_message(
            chat,
            p,
            markup=markup,
            files=[stored_file],
            caption=caption or None,
            caption_entities=entities or None,
            **{kind: stored_file.message_field()},
            **extra,
        )
        return copy.deepcopy(stored.data)

    async def _m_send_photo(self, p: _Params) -> dict[str, Any]:
        return await self._send_media(p, "photo")

    async def _m_send_document(self, p: _Params) -> dict[str, Any]:
        return await self._send_media(p, "document")

    async def _m_send_video(self, p: _Params) -> dict[str, Any]:
        return await self._send_media(p, "video")

    async def _m_send_audio(self, p: _Params) -> dict[str, Any]:
        return await self._send_media(p, "audio")

    async def _m_send_media_group(self, p: _Params) -> list[dict[str, Any]]:
        chat = self._chat_for_send(p)
        media = p.json("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album: must be 2-10 items")
        kinds = {item.get("type") for item in media if isinstance(item, dict)}
        if not kinds <= {"photo", "video", "document", "audio"}:
            raise bad_request("unsupported media type in the album")
        if len(kinds) > 1 and kinds & {"document", "audio"}:
            raise bad_request(
                f"{sorted(kinds & {'document', 'audio'})[0]} can't be mixed with other media types"
            )
        prepared = []
        for item in media:
            kind = item["type"]
            sub = _Params(
                {
                    kind: item.get("media"),
                    "parse_mode": item.get("parse_mode"),
                    "caption": item.get("caption"),
                    "caption_entities": item.get("caption_entities"),
                },
                p.files,
            )
            stored_file = self._resolve_file(sub, kind, kind)
            caption, entities = self._text_and_entities(
                sub, "caption", "caption_entities", MAX_CAPTION_LENGTH
            )
            prepared.append((kind, stored_file, caption, entities))
        group_id = str(13_000_000_000_000_000 + next(self._ids))
        results = []
        for kind, stored_file, caption, entities in prepared:
            stored = self._bot_message(
                chat,
                p,
                markup=None,
                files=[stored_file],
                media_group_id=group_id,
                caption=caption or None,
                caption_entities=entities or None,
                **{kind: stored_file.message_field()},
            )
            results.append(copy.deepcopy(stored.data))
        return results

    async def _m_edit_message_text(self, p: _Params) -> dict[str, Any]:
        stored = self._own_message(p)
        text, entities = self._text_and_entities(p, "text", "entities", MAX_TEXT_LENGTH)
        if not text:
            raise bad_request("message text is empty")
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        markup = self._markup(p, inline_only=True)
        return self._apply_edit(
            stored, {"text": text, "entities": entities or None, "reply_markup": markup}
        )

    async def _m_edit_message_caption(self, p: _Params) -> dict[str, Any]:
        stored = self._own_message(p)
        if "text" in stored.data:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._text_and_entities(
            p, "caption", "caption_entities", MAX_CAPTION_LENGTH
        )
        markup = self._markup(p, inline_only=True)
        return self._apply_edit(
            stored,
            {
                "caption": caption or None,
                "caption_entities": entities or None,
                "reply_markup": markup,
            },
        )

    async def _m_edit_message_reply_markup(self, p: _Params) -> dict[str, Any]:
        stored = self._own_message(p)
        return self._apply_edit(stored, {"reply_markup": self._markup(p, inline_only=True)})

    async def _m_delete_message(self, p: _Params) -> bool:
        chat = self._find_chat(p.chat_id())
        message_id = p.int("message_id", required=True)
        stored = self.messages.get((chat["id"], message_id))  # type: ignore[arg-type]
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        stored.deleted = True
        self._touch()
        return True

    async def _m_answer_callback_query(self, p: _Params) -> bool:
        query_id = p.str("callback_query_id", required=True)
        record = self.callback_queries.get(query_id or "")
        if record is None or record.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = {
            "text": text,
            "show_alert": p.bool("show_alert"),
            "url": p.str("url"),
            "cache_time": p.int("cache_time") or 0,
        }
        self._touch()
        return True

    async def _m_send_chat_action(self, p: _Params) -> bool:
        chat = self._chat_for_send(p)
        action = p.str("action", required=True)
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.chat_actions.setdefault(chat["id"], []).append(action)  # type: ignore[arg-type]
        return True

    # ---------------------------------------------------------------- methods: files

    async def _m_get_file(self, p: _Params) -> dict[str, Any]:
        file_id = p.str("file_id", required=True)
        stored = self.files.get(file_id or "")
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    # ---------------------------------------------------------------- methods: commands

    def _commands_key(self, p: _Params) -> tuple[str, str]:
        scope = p.json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        lang = p.str("language_code") or ""
        if lang and not re.fullmatch(r"[a-z]{2}", lang):
            raise bad_request("invalid language code specified")
        return _scope_key(scope), lang

    async def _m_set_my_commands(self, p: _Params) -> bool:
        commands = p.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON array")
        for cmd in commands:
            if not isinstance(cmd, dict) or not _COMMAND_RE.match(str(cmd.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise bad_request("command description must be 1-256 characters")
        key = self._commands_key(p)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    async def _m_get_my_commands(self, p: _Params) -> list[dict[str, Any]]:
        return copy.deepcopy(self.commands.get(self._commands_key(p), []))

    async def _m_delete_my_commands(self, p: _Params) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True


def _scope_key(scope: dict[str, Any]) -> str:
    return json.dumps(scope, sort_keys=True)


def _webhook_conflict() -> ApiError:
    return ApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
        "delete the webhook first",
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _guess_mime(filename: str) -> str | None:
    import mimetypes

    return mimetypes.guess_type(filename)[0]
