"""The school's own choices where the regulations differ (core.services.school_rules).

One row per school and rule key, kept when set back to the default: it records who decided (the
principal, 000 Điều 9; 003 Điều 3.3) and who executed the decision (the principal, or an admin
naming them). Each change is also in the audit log with its before and after.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SchoolRule(Model):
    """A rule the school set: `key` of core.services.school_rules.RULES, one of its values."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="rules", on_delete=fields.CASCADE)
    key = fields.CharField(max_length=32)
    value = fields.CharField(max_length=16)
    decided_by = fields.CharField(max_length=160, description="who decided, as people read it")
    decided_by_staff = fields.ForeignKeyField("models.Staff", related_name=False)
    executed_by = fields.CharField(max_length=40, description="actor label of who applied it")
    updated_at = fields.DatetimeField()

    class Meta:
        table = "school_rule"
        unique_together = (("school", "key"),)
