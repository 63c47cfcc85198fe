"""Issued records and what it takes to issue them: closures, sheets, versions, signing batches.

Documents are stored as the exact bytes that were signed (XML, PDF): a signature covers bytes,
so nothing here is ever re-serialised. An issued record is never updated in place; a correction
creates the next version, and issuing it revokes the previous one with the reason.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core.i18n import _


class SignatureRole(StrEnum):
    """Who signs, in the order of regulation 001 Điều 24, khoản 5."""

    SUBJECT_TEACHER = "gvbm"  # the class × subject sheet
    HOMEROOM = "gvcn"  # the student records, then:
    PRINCIPAL = "ht"
    SEAL = "dv"  # the school's organisation certificate, operated by the clerk

    @property
    def signature_id(self) -> str:
        """The ds:Signature Id, which also tells a verifier the role (chuky-ht...)."""
        return f"chuky-{self.value}"

    @property
    def label(self) -> str:
        return {
            SignatureRole.SUBJECT_TEACHER: _("Giáo viên bộ môn"),
            SignatureRole.HOMEROOM: _("Giáo viên chủ nhiệm"),
            SignatureRole.PRINCIPAL: _("Hiệu trưởng"),
            SignatureRole.SEAL: _("Nhà trường (ký số tổ chức)"),
        }[self]


RECORD_ORDER = (SignatureRole.HOMEROOM, SignatureRole.PRINCIPAL, SignatureRole.SEAL)


class RecordState(StrEnum):
    SIGNING = "signing"  # built, signatures being added in order
    ISSUED = "issued"  # all signatures present: the current version
    REVOKED = "revoked"  # replaced by a later version, or withdrawn

    @property
    def label(self) -> str:
        return {
            RecordState.SIGNING: _("đang ký"),
            RecordState.ISSUED: _("đã phát hành"),
            RecordState.REVOKED: _("đã thu hồi"),
        }[self]


class ClassClosure(Model):
    """The class's year data is final (chốt dữ liệu, Điều 25): records may be built and signed."""

    id = fields.IntField(primary_key=True)
    school_class = fields.OneToOneField(
        "models.SchoolClass", related_name="closure", on_delete=fields.CASCADE
    )
    closed_at = fields.DatetimeField(auto_now_add=True)
    closed_by = fields.CharField(max_length=64)

    class Meta:
        table = "class_closure"


class SubjectSheetDoc(Model):
    """A class × subject result sheet of a term or the year, signed by the subject teacher."""

    id = fields.IntField(primary_key=True)
    school_class = fields.ForeignKeyField(
        "models.SchoolClass", related_name="sheets", on_delete=fields.CASCADE
    )
    subject = fields.ForeignKeyField("models.Subject", related_name="sheets")
    period = fields.CharField(max_length=2, description="1, 2 or CN (the year)")
    teacher = fields.ForeignKeyField("models.Staff", related_name="sheets", null=True)
    xml = fields.BinaryField()
    signed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "subject_sheet"
        unique_together = (("school_class", "subject", "period"),)


class IssuedRecord(Model):
    """One version of a student's record of a school year, with its signed XML and PDF."""

    id = fields.IntField(primary_key=True)
    student = fields.ForeignKeyField("models.Student", related_name="records")
    year = fields.ForeignKeyField("models.SchoolYear", related_name="records")
    school_class = fields.ForeignKeyField("models.SchoolClass", related_name="records")
    code = fields.CharField(max_length=64, index=True, description="madinhdanhhocba")
    version = fields.SmallIntField(default=1)
    lookup_code = fields.CharField(
        max_length=12,
        null=True,
        unique=True,
        description="matracuu: the portal's key to this version (its QR code); its access code "
        "is in the signed XML. None: issued before records carried one",
    )
    state = fields.CharEnumField(RecordState, max_length=10, default=RecordState.SIGNING)
    next_role = fields.CharEnumField(SignatureRole, max_length=4, null=True)
    data_hash = fields.CharField(max_length=64, description="SHA-256 of the canonical data")
    xml = fields.BinaryField()
    pdf = fields.BinaryField(null=True)
    xml_sha256 = fields.CharField(max_length=64, null=True, description="of the issued file")
    pdf_sha256 = fields.CharField(max_length=64, null=True, description="of the issued file")
    created_at = fields.DatetimeField(auto_now_add=True)
    issued_at = fields.DatetimeField(null=True)
    correction_reason = fields.TextField(default="", description="why this version exists")
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.TextField(default="")

    class Meta:
        table = "issued_record"
        unique_together = (("student", "year", "version"),)


class BatchState(StrEnum):
    PREPARED = "prepared"  # digests computed and stored, nothing sent yet
    AWAITING = "awaiting"  # one approval asked for the whole batch (remote signing)
    DONE = "done"
    REFUSED = "refused"  # the signer refused, or the approval timed out: nothing signed
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            BatchState.PREPARED: _("đã chuẩn bị"),
            BatchState.AWAITING: _("chờ người ký phê duyệt"),
            BatchState.DONE: _("đã ký xong"),
            BatchState.REFUSED: _("bị từ chối hoặc hết hạn, chưa ký gì"),
            BatchState.FAILED: _("lỗi, chưa ký gì"),
        }[self]


BATCH_OPEN = (BatchState.PREPARED, BatchState.AWAITING)  # a batch still at work


class SigningBatch(Model):
    """One signer's signing of N documents of a class with one approval."""

    id = fields.IntField(primary_key=True)
    school_class = fields.ForeignKeyField(
        "models.SchoolClass",
        related_name="batches",
        null=True,
        description="the class signed; None: several classes at once (each item says which)",
    )
    signer = fields.ForeignKeyField("models.Staff", related_name="batches")
    role = fields.CharEnumField(SignatureRole, max_length=4)
    backend = fields.CharField(max_length=10)
    state = fields.CharEnumField(BatchState, max_length=10, default=BatchState.PREPARED)
    total = fields.IntField(default=0)
    done = fields.IntField(default=0)
    message = fields.TextField(default="")
    remote: dict = fields.JSONField(default=dict, description="credential, SAD, deadline")
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)
    # Whoever runs the batch holds the lease; it is renewed as chunks are stored, and one that
    # expires (its runner died) lets the resume job carry the batch on.
    lease_token = fields.CharField(max_length=32, null=True)
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.SmallIntField(default=0, db_default=0, description="runs started")

    class Meta:
        table = "signing_batch"


class BatchItem(Model):
    """One document of a batch; for remote signing, the prepared document and its digest."""

    id = fields.IntField(primary_key=True)
    batch: fields.ForeignKeyRelation[SigningBatch] = fields.ForeignKeyField(
        "models.SigningBatch", related_name="items", on_delete=fields.CASCADE
    )
    sheet = fields.ForeignKeyField("models.SubjectSheetDoc", related_name=False, null=True)
    record = fields.ForeignKeyField("models.IssuedRecord", related_name=False, null=True)
    prepared: dict = fields.JSONField(default=dict, description="remote: digests to sign")
    done = fields.BooleanField(default=False)  # its document carries the step

    class Meta:
        table = "batch_item"


class RecordRevision(Model):
    """A closed class's correction whose student's record is to be issued anew (outbox row).

    Written in the transaction that closes the correction request, so the intent is never
    lost; the revision job (core.services.issuance.reissue) starts the next version and sets
    `done_at`, once, whatever crashes in between."""

    id = fields.IntField(primary_key=True)
    request = fields.OneToOneField(
        "models.CorrectionRequest", related_name="revision", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    record = fields.ForeignKeyField(
        "models.IssuedRecord",
        related_name=False,
        null=True,
        description="the version started; None: the record needed no new version",
    )
    done_at = fields.DatetimeField(null=True, index=True)
    attempts = fields.SmallIntField(default=0)
    last_error = fields.TextField(default="", description="why the last attempt did not finish")

    class Meta:
        table = "record_revision"
