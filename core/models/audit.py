"""The audit log: append-only, each row chained to the previous one by a SHA-256 hash."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEvent(Model):
    """Who did what to which record, with the values before and after.

    `seq` is gap-free and `hash` covers every other column plus the previous row's hash, so an
    edited, removed or reordered row breaks the chain at a place `core.audit.verify` can name.
    Database triggers (core.db) refuse UPDATE and DELETE on this table.
    """

    id = fields.IntField(primary_key=True)
    seq = fields.BigIntField(unique=True)
    at = fields.DatetimeField()
    actor = fields.CharField(max_length=80, index=True)
    action = fields.CharField(max_length=60)
    target = fields.CharField(max_length=160)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    prev_hash = fields.CharField(max_length=64)
    hash = fields.CharField(max_length=64)

    class Meta:
        table = "audit_event"
        ordering = ("seq",)
