"""Answers that fit Telegram's limits, whatever their length.

Telegram refuses a message over 4,096 characters, a caption over 1,024 and a button alert over
200 (counted in UTF-16 code units: an emoji counts two), and a refusal reaches nobody: a
teacher with six classes once asked for the details of a reminder (about 10,000 characters)
and received nothing. Every answer whose text can grow (a list of classes, students, requests,
problems) therefore goes through `reply`: it is cut into pages at line ends (each line of this
bot's messages is whole HTML, so a page never splits a tag), the first page is sent with
«Xem tiếp (2/3)», and the rest wait in the person's user_data until they press it; the last
page carries the answer's own keyboard. `alert` shows a short refusal as an alert and a longer
one as a message.

What does not go through `reply` (a notification of the outbox, an edited message, a
caption) is still kept within the limits by the bot itself (bot/fitting.py), which cuts with
the same `pages`, without the «Xem tiếp» button since there is no person's data to keep the
rest in.
"""

from __future__ import annotations

import secrets
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.ext import Application, CallbackQueryHandler

from core import buttons
from core.i18n import _
from handlers.context import BotContext

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ALERT_LIMIT = 200
PAGE_ROOM = 3900  # a page's text, leaving room for the page's own line
PAGES = "pages"  # user_data: token → the pages still to show, and the answer's keyboard
KEPT = 3  # long answers kept per person; an older one's «Xem tiếp» says it has gone

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


def size(text: str) -> int:
    """The length Telegram counts: UTF-16 code units. Counted on the HTML as written, which is
    never shorter than the text Telegram shows (tags and entities shrink when parsed)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting(line: str, room: int) -> int:
    """How many characters at the start of `line` fit in `room` code units."""
    n = min(len(line), room)
    while (over := size(line[:n]) - room) > 0:
        n -= (over + 1) // 2  # each character is one or two units
    return n


def pages(text: str, room: int = PAGE_ROOM) -> list[str]:
    """`text` in pages of at most `room` code units, cut at line ends (a line longer than a
    page is cut at its last space before the limit, or hard)."""
    out: list[str] = []
    page = ""
    for line in text.split("\n"):
        while size(line) > room:
            fits = _fitting(line, room)
            cut = line.rfind(" ", 0, fits)
            cut = cut if cut > fits // 2 else fits
            head, line = line[:cut], line[cut:].lstrip()
            if page:
                out.append(page)
                page = ""
            out.append(head)
        candidate = f"{page}\n{line}" if page else line
        if size(candidate) > room:
            out.append(page)
            page = line
        else:
            page = candidate
    out.append(page)
    return [p for p in out if p.strip()] or [""]


def _more(token: str, number: int, total: int) -> InlineKeyboardMarkup:
    label = _("Xem tiếp ({n}/{total})").format(n=number, total=total)
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=buttons.MORE_PAGES.data(token))]]
    )


async def reply(update: Update, context: BotContext, text: str, markup: Markup = None) -> Message:
    """Answer in the update's chat with `text`, in pages when it is long."""
    message = update.effective_message
    parts = pages(text)
    if len(parts) == 1:
        return await message.reply_text(parts[0], reply_markup=markup)
    kept: dict[str, Any] = context.user_data.setdefault(PAGES, {})
    while len(kept) >= KEPT:
        kept.pop(next(iter(kept)))
    token = secrets.token_hex(4)
    kept[token] = {
        "rest": parts[1:],
        "total": len(parts),
        "markup": markup.to_dict() if markup else None,
        "inline": isinstance(markup, InlineKeyboardMarkup),
    }
    return await message.reply_text(parts[0], reply_markup=_more(token, 2, len(parts)))


async def _next_page(update: Update, context: BotContext) -> None:
    query: CallbackQuery = update.callback_query
    token = buttons.MORE_PAGES.parse(query.data)[0]
    kept = context.user_data.get(PAGES, {})
    answer = kept.get(token)
    if answer is None:
        await query.answer(
            _("Phần còn lại của tin nhắn này không còn. Hãy hỏi lại Trợ lý."), show_alert=True
        )
        return
    await query.answer()
    page = answer["rest"].pop(0)
    shown = answer["total"] - len(answer["rest"])
    if answer["rest"]:
        await query.message.reply_text(page, reply_markup=_more(token, shown + 1, answer["total"]))
        return
    del kept[token]
    markup: Markup = None
    if answer["markup"]:
        kind = InlineKeyboardMarkup if answer["inline"] else ReplyKeyboardMarkup
        markup = kind.de_json(answer["markup"], context.bot)
    await query.message.reply_text(page, reply_markup=markup)


def shorten(text: str, room: int) -> str:
    """`text`, or as much of it as fits in `room` followed by "…" (for what cannot be paged,
    such as an alert that went over its limit by mistake: bot/fitting.py)."""
    if size(text) <= room:
        return text
    return text[: _fitting(text, room - 1)] + "…"


async def alert(update: Update, context: BotContext, text: str) -> None:
    """A short answer to a pressed button as an alert; a longer one as a message."""
    query = update.callback_query
    if size(text) <= ALERT_LIMIT:
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    await reply(update, context, text)


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(_next_page, pattern=buttons.MORE_PAGES.pattern))
