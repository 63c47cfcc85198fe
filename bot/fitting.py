"""The bot that never sends Telegram something over its limits: the last guard.

Handlers answer long texts through handlers/replies.py (pages with «Xem tiếp»). But a text can
grow where nobody expected it (a notice of the outbox listing many requests, a board edited in
place, a caption, a refusal quoting what someone typed), and a message Telegram refuses
reaches nobody. So every call leaving this process is checked once more here, on the one bot
object that handlers, jobs and the outbox all share:

- a message over 4,096 code units is sent as several messages, cut at line ends with
  handlers.replies.pages; the keyboard goes with the last one (where the reader ends);
- an edited message over the limit shows the first page (keeping its keyboard, so its buttons
  still work) and the rest follows as new messages;
- a caption over 1,024 keeps its first part on the file and the rest follows as messages;
- an alert over 200 is cut with "…" (handlers/replies.alert shows long alerts as messages, so
  only a bug reaches this).

Each time it steps in, a warning is logged: the answer should go through `replies.reply`. A
message with explicit `entities` is left as it is (cutting would shift their offsets); this
bot writes HTML and never sends any.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from telegram import Message
from telegram.ext import ExtBot

from handlers.replies import ALERT_LIMIT, CAPTION_LIMIT, TEXT_LIMIT, pages, shorten, size

log = logging.getLogger("hocba.bot.fitting")


_signature = functools.cache(inspect.signature)


def _arguments(method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict:
    """The call's arguments by name, as given (defaults left to the method)."""
    bound = _signature(method).bind(None, *args, **kwargs)
    bound.arguments.pop("self")
    return dict(bound.arguments)


def _parse_mode(call: dict[str, Any]) -> dict[str, Any]:
    """The call's parse mode for the messages that follow it (none given: the bot's default)."""
    return {"parse_mode": call["parse_mode"]} if "parse_mode" in call else {}


class FittingBot(ExtBot):
    """ExtBot whose sends are cut to Telegram's limits (see the module's docstring)."""

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        call = _arguments(ExtBot.send_message, args, kwargs)
        text = call["text"]
        if size(text) <= TEXT_LIMIT or call.get("entities"):
            return await super().send_message(**call)
        parts = pages(text)
        log.warning(
            "a %s-unit message to %s sent in %s parts", size(text), call["chat_id"], len(parts)
        )
        markup = call.pop("reply_markup", None)
        for part in parts[:-1]:
            await super().send_message(**{**call, "text": part})
        return await super().send_message(**{**call, "text": parts[-1], "reply_markup": markup})

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Message | bool:
        call = _arguments(ExtBot.edit_message_text, args, kwargs)
        text = call["text"]
        if size(text) <= TEXT_LIMIT or call.get("entities"):
            return await super().edit_message_text(**call)
        first, *rest = pages(text)
        log.warning("an edit of %s units cut into %s parts", size(text), 1 + len(rest))
        edited = await super().edit_message_text(**{**call, "text": first})
        chat = call.get("chat_id")
        for part in rest if chat is not None else ():
            await super().send_message(chat, part, **_parse_mode(call))
        return edited

    async def send_document(self, *args: Any, **kwargs: Any) -> Message:
        return await self._with_caption(ExtBot.send_document, args, kwargs)

    async def send_photo(self, *args: Any, **kwargs: Any) -> Message:
        return await self._with_caption(ExtBot.send_photo, args, kwargs)

    async def _with_caption(
        self, method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Message:
        call = _arguments(method, args, kwargs)
        caption = call.get("caption")
        if not caption or size(caption) <= CAPTION_LIMIT or call.get("caption_entities"):
            return await method(self, **call)
        first, *rest = pages(caption, CAPTION_LIMIT)
        log.warning("a %s-unit caption cut into %s parts", size(caption), 1 + len(rest))
        sent = await method(self, **{**call, "caption": first})
        if rest:
            await self.send_message(call["chat_id"], "\n".join(rest), **_parse_mode(call))
        return sent

    async def answer_callback_query(self, *args: Any, **kwargs: Any) -> bool:
        call = _arguments(ExtBot.answer_callback_query, args, kwargs)
        text = call.get("text")
        if text and size(text) > ALERT_LIMIT:
            log.warning("an alert of %s units cut", size(text))
            call["text"] = shorten(text, ALERT_LIMIT)
        return await super().answer_callback_query(**call)
