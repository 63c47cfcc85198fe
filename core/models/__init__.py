"""Tortoise models of the record core; `core.db` registers this package as the "models" app."""

from core.models.audit import AuditEvent
from core.models.botstate import BotState
from core.models.grades import (
    Absence,
    Comment,
    Conduct,
    Mark,
    MarkKind,
    PrimaryAssessment,
    QualityAssessment,
)
from core.models.people import (
    Enrollment,
    Guardian,
    Role,
    Staff,
    StaffRole,
    Student,
    TeachingAssignment,
)
from core.models.school import School, SchoolClass, SchoolYear, Subject, Term
from core.models.signin import InviteCode

__all__ = [
    "Absence",
    "AuditEvent",
    "BotState",
    "Comment",
    "Conduct",
    "Enrollment",
    "Guardian",
    "InviteCode",
    "Mark",
    "MarkKind",
    "PrimaryAssessment",
    "QualityAssessment",
    "Role",
    "School",
    "SchoolClass",
    "SchoolYear",
    "Staff",
    "StaffRole",
    "Student",
    "Subject",
    "TeachingAssignment",
    "Term",
]
