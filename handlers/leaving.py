"""A command or a main-menu button leaves any conversation in progress, then does what it says.

A conversation (a correction request, one mark, an invite, a reason to type...) waits for its
next step's text or button. Someone in the middle of one who types /start, /phieusua or
/moi GV016, or presses «📋 Tiến độ của tôi», means something else now. Left to PTB, the
conversation ignores the command (its steps take plain text only), the command runs, and the
conversation still waits: the person's next words were swallowed as the old step's answer
(an admin who typed /moi, an ambiguous name, then /moi GV016 was told «Trợ lý chưa hiểu»).

So every conversation ends with a `Leave` fallback, and before the flows run (group
LEAVE_GROUP, after the language and the door) `leave_conversations` asks each conversation
whether this update would reach only its `Leave`; those conversations run it: the draft is
forgotten, the person is told in one line what was dropped, and the conversation ends. Then the
update goes through the flows as if no conversation had been open, so the command does what it
says. What a conversation takes itself is left to it: /huy (its cancel), its own entry command
(it starts again). Conversations are asked through PTB's public `check_update` and
`handle_update`, so their state and persistence stay PTB's own.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update
from telegram.ext import (
    Application,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.common import MenuButtons
from handlers.context import BotContext

LEAVE_GROUP = -1  # after the language (-3) and the door (-2), before every flow (0)
LEAVING = filters.COMMAND | MenuButtons()


class Leave(MessageHandler):
    """A conversation's last fallback: a command or a main-menu button ends it.

    `drafts` are the user_data keys the conversation keeps; `notice` says what was dropped
    (shown only when there was a draft: nothing is said about an empty question)."""

    def __init__(self, notice: Callable[[], str] | None = None, *drafts: str) -> None:
        super().__init__(LEAVING, self._leave)
        self.notice = notice
        self.drafts = drafts

    async def _leave(self, update: Update, context: BotContext) -> int:
        dropped = [context.user_data.pop(key, None) for key in self.drafts]
        if self.notice is not None and any(d is not None for d in dropped):
            await update.effective_message.reply_text(self.notice())
        return ConversationHandler.END


async def leave_conversations(update: Update, context: BotContext) -> None:
    """End every conversation that would take this update only to leave."""
    application = context.application
    for handler in application.handlers.get(0, ()):
        if not isinstance(handler, ConversationHandler):
            continue
        check = handler.check_update(update)
        if isinstance(check, tuple) and isinstance(check[2], Leave):
            await handler.handle_update(update, application, check, context)


def register(application: Application) -> None:
    application.add_handler(MessageHandler(LEAVING, leave_conversations), group=LEAVE_GROUP)
