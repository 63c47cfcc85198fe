"""What families' access to their records leaves in the database: the failed tries counted
against each door key, and the Telegram accounts linked to a student by a guardian's phone."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AccessAttempt(Model):
    """One failed try at a family's door, counted against one key: the Telegram account or web
    client that tried, the personal ID asked for, the phone given (core.services.doors). Kept
    in the database so the count survives a restart and holds across processes; the ID and the
    phone appear only as keyed hashes, so the table names nobody."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=80, db_index=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "access_attempt"


class GuardianLink(Model):
    """A Telegram account a guardian proved their registered phone from (the contact button):
    it receives the student's records as they are issued (001 Điều 30)."""

    id = fields.IntField(primary_key=True)
    telegram_user_id = fields.BigIntField(db_index=True)
    student = fields.ForeignKeyField(
        "models.Student", related_name="guardian_links", on_delete=fields.CASCADE
    )
    phone = fields.CharField(max_length=16)
    linked_at = fields.DatetimeField()

    class Meta:
        table = "guardian_link"
        unique_together = (("telegram_user_id", "student"),)
