"""Locks of the gradebook (khóa sổ) and the openings that let writes through for a while.

A lock never goes away: the principal decides when the book is locked (regulation 003, Điều 3,
khoản 3 and Điều 10, khoản 1) and after that only an opening lets a write through, either a
principal's timed decision over a scope or the correction flow's single cell for one teacher.
An opening ends at its `until`, so the book locks again by itself; `closed_at` records that the
relock was applied (audited, teachers told). Enforcement lives in core.services.locks.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core.i18n import _


class LockScope(StrEnum):
    """What a lock covers, widest first: a year, a term, a class, a class × subject."""

    YEAR = "year"
    TERM = "term"
    CLASS = "class"
    SUBJECT = "class_subject"

    @property
    def label(self) -> str:
        return {
            LockScope.YEAR: _("năm học"),
            LockScope.TERM: _("học kỳ"),
            LockScope.CLASS: _("lớp"),
            LockScope.SUBJECT: _("lớp × môn"),
        }[self]


class Lock(Model):
    """One locked scope. `term`, `school_class`, `subject` narrow it (null: every one of them);
    `key` names the scope uniquely, so locking twice, or a job re-running, adds nothing.

    A `final` lock is the one after the supplementary-results deadline: regulation 001, Điều 25,
    khoản 4 says data may not change after it, so no opening is honoured under it.
    """

    id = fields.IntField(primary_key=True)
    year = fields.ForeignKeyField("models.SchoolYear", related_name="locks")
    scope = fields.CharEnumField(LockScope, max_length=16)
    term = fields.ForeignKeyField("models.Term", related_name="locks", null=True)
    school_class = fields.ForeignKeyField(
        "models.SchoolClass", related_name="locks", null=True, on_delete=fields.CASCADE
    )
    subject = fields.ForeignKeyField("models.Subject", related_name="locks", null=True)
    key = fields.CharField(max_length=80, unique=True)
    final = fields.BooleanField(default=False)
    since = fields.DatetimeField()
    source = fields.CharField(max_length=40, description='"decision" or "calendar:<key>"')
    decided_by = fields.CharField(max_length=160, description="who decided, as people read it")
    decided_by_staff = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    executed_by = fields.CharField(max_length=40, description="actor label of who applied it")
    reason = fields.TextField(default="")

    class Meta:
        table = "gradebook_lock"


class Opening(Model):
    """A time-limited way through the locks of a scope.

    A principal's decision opens a scope (`term`, `school_class`, `subject` as for a lock) for
    every writer. The correction flow opens one `cell` (the gradebook's audit target, e.g.
    "mark:12:3:1:TX2") for one `staff` member, tied to its `request_id`.
    """

    id = fields.IntField(primary_key=True)
    year = fields.ForeignKeyField("models.SchoolYear", related_name="openings")
    term = fields.ForeignKeyField("models.Term", related_name="openings", null=True)
    school_class = fields.ForeignKeyField(
        "models.SchoolClass", related_name="openings", null=True, on_delete=fields.CASCADE
    )
    subject = fields.ForeignKeyField("models.Subject", related_name="openings", null=True)
    cell = fields.CharField(max_length=80, null=True)
    staff = fields.ForeignKeyField("models.Staff", related_name="cell_openings", null=True)
    request_id = fields.CharField(max_length=64, null=True, unique=True)
    opened_at = fields.DatetimeField()
    until = fields.DatetimeField()
    reason = fields.TextField()
    decided_by = fields.CharField(max_length=160)
    decided_by_staff = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    executed_by = fields.CharField(max_length=40)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "gradebook_opening"
        indexes = (("year_id", "closed_at"),)
