"""One-time invite codes that link a Telegram account to a staff record."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class InviteCode(Model):
    """An invite an admin gave to one staff member.

    Only the SHA-256 of the code is stored: someone who reads the database cannot sign in with
    it. A code works once, before `expires_at`, and only for its own school.
    """

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name=False)
    staff = fields.ForeignKeyField("models.Staff", related_name=False, on_delete=fields.CASCADE)
    code_hash = fields.CharField(max_length=64, unique=True)
    created_by = fields.CharField(max_length=80)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by = fields.BigIntField(null=True, description="Telegram user id that redeemed it")

    class Meta:
        table = "invite_code"
