"""A decision shown before it is taken, pending the person's «✅ …» or «✖️ Hủy».

A calendar change that would lock the book now (handlers/calendar.py) and a class's year closed
on its end-of-year lists (handlers/closing.py) are shown first and taken only when the person
confirms; the core takes them only if what was shown still holds (core.confirmation). Until
then, what the confirmation needs (the change or the class, and the core's stamp) waits in the
person's user_data under a random token, and the buttons carry only the token: a forged or
foreign button finds nothing. A button works once (the decision is taken out of the person's
data and the buttons removed), and a person keeps at most KEPT decisions waiting: an older
one's buttons say they have gone, as does a button pressed by someone not signed in.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from core.buttons import Action
from core.i18n import _
from core.services.access import Actor
from handlers.common import current_actor
from handlers.context import BotContext

KEPT = 3  # decisions waiting per person and kind


@dataclass(frozen=True)
class Pending:
    """One kind of pending decision: where it waits in user_data, its two buttons (core.buttons
    actions taking the token), and its words."""

    key: str
    confirm_button: Action
    cancel_button: Action
    confirm_label: Callable[[], str]  # «✅ Xác nhận», «✅ Chốt năm học»
    gone: Callable[[], str]  # the alert of a button that finds nothing, with what to do
    cancelled: Callable[[], str]  # what a cancel left as it was

    def hold(self, context: BotContext, decision: dict[str, Any]) -> InlineKeyboardMarkup:
        """Keep the decision under a new token (the oldest dropped past KEPT); its buttons."""
        kept: dict[str, Any] = context.user_data.setdefault(self.key, {})
        while len(kept) >= KEPT:
            kept.pop(next(iter(kept)))
        token = secrets.token_hex(4)
        kept[token] = decision
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        self.confirm_label(), callback_data=self.confirm_button.data(token)
                    ),
                    InlineKeyboardButton(_("✖️ Hủy"), callback_data=self.cancel_button.data(token)),
                ]
            ]
        )

    async def take(self, update: Update, context: BotContext) -> tuple[Actor, Any] | None:
        """Who pressed «✅», and the decision the button names, taken out of their data; None,
        with an alert, when there is none: already used, too old, forged, or pressed by
        someone not signed in."""
        return await self._take(update, context, self.confirm_button)

    async def cancel(self, update: Update, context: BotContext) -> None:
        """«✖️ Hủy»: the decision is dropped, nothing changes."""
        if await self._take(update, context, self.cancel_button) is not None:
            await update.effective_message.reply_text(self.cancelled())

    async def _take(
        self, update: Update, context: BotContext, button: Action
    ) -> tuple[Actor, Any] | None:
        query = update.callback_query
        (token,) = button.parse(query.data)
        decision = (context.user_data or {}).get(self.key, {}).pop(token, None)
        actor = await current_actor(update)
        if decision is None or actor is None:
            await query.answer(self.gone(), show_alert=True)
            return None
        await query.answer()
        await query.edit_message_reply_markup(None)
        return actor, decision
