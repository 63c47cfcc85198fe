"""Telegram's limits and the ways out of a conversation, checked without a server:

- pages are measured as Telegram measures (UTF-16 code units: an emoji counts two), so a page
  of emoji never goes over; `shorten` cuts what cannot be paged;
- a typed name or mark too long for its step is refused with the limit, not quoted back;
- every conversation the bot registers can be left by a command or a menu button (its last
  fallback is a `Leave`), and none of its steps takes a command or a menu button as text.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import Application, ConversationHandler, MessageHandler

from core import typed
from core.errors import InvalidValue
from handlers import register_all
from handlers.common import TYPED
from handlers.leaving import Leave
from handlers.replies import ALERT_LIMIT, pages, shorten, size

WIDE = st.text(alphabet=st.sampled_from("a đ😀📚\u1ea1 "), min_size=0, max_size=400)


@given(st.lists(WIDE, max_size=40), st.integers(min_value=20, max_value=4096))
def test_pages_count_emoji_as_telegram_does(lines: list[str], room: int) -> None:
    text = "\n".join(lines)
    shown = pages(text, room)
    assert all(size(page) <= room for page in shown)
    assert "".join("".join(shown).split()) == "".join(text.split())


def test_size_is_utf16() -> None:
    assert size("Lớp 6A") == 6 and size("📚") == 2


def test_shorten_keeps_short_texts_and_cuts_long_ones_within_the_limit() -> None:
    assert shorten("Đã lưu.", ALERT_LIMIT) == "Đã lưu."
    cut = shorten("😀" * 300, ALERT_LIMIT)
    assert size(cut) <= ALERT_LIMIT and cut.endswith("…")


def test_typed_texts_too_long_for_their_step_are_refused_with_the_limit() -> None:
    assert typed.name_part("  binh ") == "binh"
    assert typed.mark(" 7,5 ") == "7,5"
    with pytest.raises(InvalidValue, match="tối đa 50 ký tự") as refused:
        typed.name_part("b" * 4000)
    assert "bbbb" not in str(refused.value)
    with pytest.raises(InvalidValue, match="dài quá 20 ký tự"):
        typed.mark("9" * 4000)


def _conversations() -> list[ConversationHandler]:
    application = Application.builder().token("123:test").build()
    register_all(application)
    return [h for h in application.handlers[0] if isinstance(h, ConversationHandler)]


def test_every_conversation_can_be_left_by_a_command_or_a_menu_button() -> None:
    conversations = _conversations()
    assert {c.name for c in conversations} >= {
        "invite",
        "mark_entry",
        "correction_request",
        "correction_decision",
        "correction_supplement",
        "correction_apply",
    }
    for conversation in conversations:
        assert isinstance(conversation.fallbacks[-1], Leave), conversation.name


def _message(text: str, command: bool = False) -> Update:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text)}] if command else []
    message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": text}
    return Update.de_json({"update_id": 1, "message": {**message, "entities": entities}}, None)


def test_no_step_takes_a_command_or_a_menu_button_as_its_text() -> None:
    assert TYPED.check_update(_message("binh"))  # what a step does take
    for message in (_message("/start", command=True), _message("📋 Tiến độ của tôi")):
        assert not TYPED.check_update(message)
        for conversation in _conversations():
            for handlers in conversation.states.values():
                for handler in handlers:
                    if isinstance(handler, MessageHandler):
                        assert not handler.filters.check_update(message), conversation.name
