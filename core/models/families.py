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


class FamilyCode(Model):
    """A one-time code sent to a guardian's phone for the web (`/lay-lai-hoc-ba`): the page
    holds `token` (stored as its SHA-256), the phone receives the code (stored as its SHA-256,
    with the token as salt). A request whose details matched nobody gets a row too, without a
    student, so its answer and its code's check look the same as a real one's."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    student = fields.ForeignKeyField(
        "models.Student", related_name=False, null=True, on_delete=fields.CASCADE
    )
    phone = fields.CharField(max_length=16)
    code_hash = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    tries_left = fields.SmallIntField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "family_code"


class DownloadLink(Model):
    """A time-limited link to a student's current record files, opened by a redeemed code;
    only the SHA-256 of its token is stored."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    student = fields.ForeignKeyField("models.Student", related_name=False, on_delete=fields.CASCADE)
    guardian_phone = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "download_link"
