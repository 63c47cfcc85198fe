"""The notification outbox: messages the core decided to send, written with the change itself.

A row is inserted in the same transaction as the state change that causes it (a request to
approve, a lock, a reminder), so the change and its notification commit or roll back together.
A delivery job (jobs.outbox) sends the rows later, with retries; `core.services.outbox` holds
every state transition, so this module only describes the table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from core.models.people import Staff
    from core.models.school import School


class DeliveryState(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a worker until lease_until; then claimable again
    SENT = "sent"
    FAILED = "failed"  # permanent: see `failure`; listed for the admins
    WAITING_LINK = "waiting_link"  # the staff member has no Telegram account linked yet
    LAPSED = "lapsed"  # no longer applied when its recipient arrived: never sent (counted)


class Failure(StrEnum):
    """Why a notification stopped being retried (it stays listed for the admins)."""

    BLOCKED = "blocked"  # 403: blocked the bot or never pressed Start
    REJECTED = "rejected"  # 400: Telegram refused the message itself
    GAVE_UP = "gave_up"  # transient errors every time, up to the configured number of attempts
    FILE_MISSING = "file_missing"  # the attached file is gone or no longer matches its hash


class Notification(Model):
    """One message to one recipient, already rendered in the recipient's language.

    The recipient is a staff member (the chat is their `telegram_user_id` at sending time, so a
    re-linked account gets it) or a raw `chat_id` for people without a staff record (parents).
    `dedupe_key` is unique: re-running a reminder round, or retrying the transaction that
    enqueues, finds the existing row instead of adding a second message. `topic` and
    `expires_at` let a message that waited for its recipient (not signed in, or blocking the
    bot) be judged when they arrive: past `expires_at`, superseded by a newer one of the same
    kind and topic, or no longer applying to its topic, it is not sent but counted
    (core.services.outbox.lapse).
    """

    id = fields.BigIntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="notifications", on_delete=fields.CASCADE
    )
    staff: fields.ForeignKeyNullableRelation[Staff] = fields.ForeignKeyField(
        "models.Staff", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    chat_id = fields.BigIntField(null=True)
    kind = fields.CharField(max_length=60)
    text = fields.TextField(description="HTML (parse_mode HTML), in the recipient's language")
    buttons: list[list[dict[str, str]]] | None = fields.JSONField(
        null=True, description="Inline keyboard: rows of {text, callback_data}"
    )
    file_path = fields.CharField(max_length=500, null=True)
    file_name = fields.CharField(max_length=200, null=True)
    file_sha256 = fields.CharField(max_length=64, null=True)
    dedupe_key = fields.CharField(max_length=200, unique=True)
    topic = fields.CharField(
        max_length=60, null=True, description="what it is about, as the audit names it"
    )
    expires_at = fields.DatetimeField(
        null=True, description="no longer worth sending after this (e.g. the deadline)"
    )
    state = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.PENDING)
    failure = fields.CharEnumField(Failure, max_length=16, null=True)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)
    claim_token = fields.CharField(max_length=32, null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    telegram_message_id = fields.BigIntField(null=True)

    class Meta:
        table = "notification"
        indexes = (("state", "next_attempt_at"),)

    @property
    def target(self) -> str:
        """How the audit log names this row."""
        return f"notification:{self.id}"
