"""Backups made: the overdue check and the admins read these (core.services.backups)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BackupRun(Model):
    """One backup of a school: when, the archive it made, the destinations that took it, and
    why it failed if it did. A run is good only when every destination has the archive."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name=False, on_delete=fields.CASCADE)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    ok = fields.BooleanField(default=False, index=True)
    archive = fields.CharField(max_length=200, default="", description="the archive's file name")
    size = fields.BigIntField(default=0)
    sha256 = fields.CharField(max_length=64, default="")
    destinations: list = fields.JSONField(default=list, description="where it was written")
    error = fields.TextField(default="", description="why it failed, for the admins")

    class Meta:
        table = "backup_run"
