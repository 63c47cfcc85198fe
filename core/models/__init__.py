"""Tortoise models of the record core; `core.db` registers this package as the "models" app."""

from core.models.audit import AuditEvent
from core.models.botstate import BotState
from core.models.calendar import DeadlineSetting, TestDate
from core.models.grades import (
    Absence,
    Comment,
    Conduct,
    Mark,
    MarkKind,
    PrimaryAssessment,
    QualityAssessment,
)
from core.models.locks import Lock, LockScope, Opening
from core.models.outbox import Notification
from core.models.people import (
    Enrollment,
    Guardian,
    Role,
    Staff,
    StaffRole,
    Student,
    TeachingAssignment,
)
from core.models.records import (
    BatchItem,
    BatchState,
    ClassClosure,
    IssuedRecord,
    RecordState,
    SignatureRole,
    SigningBatch,
    SubjectSheetDoc,
)
from core.models.school import School, SchoolClass, SchoolYear, Subject, Term
from core.models.signin import InviteCode

__all__ = [
    "Absence",
    "AuditEvent",
    "BatchItem",
    "BatchState",
    "BotState",
    "ClassClosure",
    "Comment",
    "Conduct",
    "DeadlineSetting",
    "Enrollment",
    "Guardian",
    "InviteCode",
    "IssuedRecord",
    "Lock",
    "LockScope",
    "Mark",
    "MarkKind",
    "Notification",
    "Opening",
    "PrimaryAssessment",
    "QualityAssessment",
    "RecordState",
    "Role",
    "School",
    "SchoolClass",
    "SchoolYear",
    "SignatureRole",
    "SigningBatch",
    "Staff",
    "StaffRole",
    "Student",
    "Subject",
    "SubjectSheetDoc",
    "TeachingAssignment",
    "Term",
    "TestDate",
]
