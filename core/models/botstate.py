"""What the Telegram bot must remember across restarts, as JSON entries of the record database.

The core knows nothing of Telegram: an entry is a namespace ("user_data", "chat_data",
"bot_data", "callback_data", "conversations:<handler name>"), a key inside it and a JSON value.
Keeping it in the record database, not in a pickle file beside it, means a backup or a move to
PostgreSQL carries the bot's half-finished conversations along with the records they are about.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class BotState(Model):
    """One remembered value; (namespace, key) is unique, so a write replaces the previous one."""

    id = fields.IntField(primary_key=True)
    namespace = fields.CharField(max_length=120)
    key = fields.CharField(max_length=255)
    value: Any = fields.JSONField(null=True)  # JSON null is a value like any other
    updated_at = fields.DatetimeField()

    class Meta:
        table = "bot_state"
        unique_together = (("namespace", "key"),)
