"""The deadline calendar's stored part: what a school changed from the defaults, and test dates.

Defaults are computed from the regulations and the year's term dates (core.services.calendar),
so only the school's own decisions are stored: a setting the admin changed, and the date a
periodic (or regular) test was actually given, from which its entry deadline follows.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class DeadlineSetting(Model):
    """One calendar value a school set for a year (`key` from core.services.calendar.KEYS).

    `value` is stored as text in a fixed form (ISO date-time, HH:MM, an integer) so the audit
    trail shows exactly what was set.
    """

    id = fields.IntField(primary_key=True)
    year = fields.ForeignKeyField("models.SchoolYear", related_name="deadline_settings")
    key = fields.CharField(max_length=40)
    value = fields.CharField(max_length=40)
    updated_by = fields.CharField(max_length=40)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "deadline_setting"
        unique_together = (("year", "key"),)


class TestDate(Model):
    """The day a test of a class × subject × term column was given ("GK", "CK", "TX2", or a
    primary assessment point): its marks are due within the periodic delay of that day
    (regulation 003, Điều 7, khoản 1)."""

    __test__ = False  # not a pytest test class, despite the name

    id = fields.IntField(primary_key=True)
    school_class = fields.ForeignKeyField(
        "models.SchoolClass", related_name="test_dates", on_delete=fields.CASCADE
    )
    subject = fields.ForeignKeyField("models.Subject", related_name="test_dates")
    term = fields.ForeignKeyField("models.Term", related_name="test_dates")
    column = fields.CharField(max_length=12)
    day = fields.DateField()
    recorded_by = fields.CharField(max_length=40)

    class Meta:
        table = "test_date"
        unique_together = (("school_class", "subject", "term", "column"),)
