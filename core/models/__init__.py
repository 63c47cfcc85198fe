"""Tortoise models of the record core; `core.db` registers this package as the "models" app."""

from core.models.audit import AuditEvent
from core.models.backups import BackupRun
from core.models.botstate import BotState
from core.models.calendar import DeadlineSetting, TestDate
from core.models.certificates import CertificateKind, SigningCertificate
from core.models.corrections import (
    CellKind,
    CorrectionItem,
    CorrectionRequest,
    CorrectionSettings,
    Delegation,
    Evidence,
    LateAllowance,
    RequestState,
    Witness,
    WitnessRole,
)
from core.models.families import AccessAttempt, DownloadLink, FamilyCode, GuardianLink
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
from core.models.photos import StudentPhoto
from core.models.records import (
    BatchItem,
    BatchState,
    ClassClosure,
    IssuedRecord,
    RecordRevision,
    RecordState,
    SignatureRole,
    SigningBatch,
    SubjectSheetDoc,
)
from core.models.rules import SchoolRule
from core.models.school import School, SchoolClass, SchoolYear, Subject, Term
from core.models.signature_images import SignatureImage
from core.models.signin import InviteCode

__all__ = [
    "Absence",
    "AccessAttempt",
    "AuditEvent",
    "BackupRun",
    "BatchItem",
    "BatchState",
    "BotState",
    "CellKind",
    "CertificateKind",
    "ClassClosure",
    "Comment",
    "Conduct",
    "CorrectionItem",
    "CorrectionRequest",
    "CorrectionSettings",
    "DeadlineSetting",
    "Delegation",
    "DownloadLink",
    "Enrollment",
    "Evidence",
    "FamilyCode",
    "Guardian",
    "GuardianLink",
    "InviteCode",
    "IssuedRecord",
    "LateAllowance",
    "Lock",
    "LockScope",
    "Mark",
    "MarkKind",
    "Notification",
    "Opening",
    "PrimaryAssessment",
    "QualityAssessment",
    "RecordRevision",
    "RecordState",
    "RequestState",
    "Role",
    "School",
    "SchoolClass",
    "SchoolRule",
    "SchoolYear",
    "SignatureImage",
    "SignatureRole",
    "SigningBatch",
    "SigningCertificate",
    "Staff",
    "StaffRole",
    "Student",
    "StudentPhoto",
    "Subject",
    "SubjectSheetDoc",
    "TeachingAssignment",
    "Term",
    "TestDate",
    "Witness",
    "WitnessRole",
]
