"""Correction requests (phiếu đề nghị sửa điểm), their evidence, witnesses and minutes.

Regulation 000 (Điều 8), 001 (Điều 17.3) and 003 (Điều 8): a teacher asks in writing with
evidence, the admin board compiles and reports to the principal, the principal approves, the
cell is unlocked in front of witnesses (leadership, admin board, people's inspection board,
the teacher), the teacher edits, it is locked again at once, and minutes are drawn up. Each of
those facts is a row here, so the minutes can be regenerated from the data at any time; the
state changes themselves are in the audit log.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core.i18n import _
from core.models.grades import MarkKind


class CellKind(StrEnum):
    """What a corrected cell is: a column of a subject's marks (the values of MarkKind, so
    every mark column keeps its name), a primary subject's level or periodic score at an
    assessment point, or the homeroom teacher's data of the term, which 000 Điều 8 lets the
    homeroom teacher ask to correct as a subject teacher asks for a mark. Values fit the
    column's 8 characters."""

    REGULAR = "regular"
    MIDTERM = "midterm"
    FINAL = "final"
    TOPIC = "topic"
    CONDUCT = "conduct"  # kết quả rèn luyện of the term (TT22 Điều 8)
    EXCUSED = "absent_p"  # days absent with permission (có phép, P in the class log)
    UNEXCUSED = "absent_k"  # days absent without permission (không phép, K)
    QUALITY = "quality"  # a quality or competency's level (TT27 Điều 6); `quality` names it
    # A primary subject's cells (TT27 Điều 7, khoản 1), asked for by its teacher like a mark:
    # the level at an assessment point, and the periodic test score where there is a test.
    # `index` is the point's number in TestPoint (1 = giữa học kì I ... 4 = cuối năm học).
    LEVEL = "level"
    SCORE = "score"

    @property
    def mark_kind(self) -> MarkKind | None:
        """The mark column's kind; None for the homeroom teacher's and primary cells."""
        return next((k for k in MarkKind if k.value == self.value), None)

    @property
    def is_primary(self) -> bool:
        """A primary subject's level or periodic score (a subject's cell, not a mark)."""
        return self in (CellKind.LEVEL, CellKind.SCORE)

    @property
    def is_homeroom(self) -> bool:
        """The homeroom teacher's data of the term: a request about it names no subject."""
        return self.mark_kind is None and not self.is_primary


class RequestState(StrEnum):
    """Where a request is. Decided ones (applied, expired, rejected, withdrawn) never move."""

    AT_ADMINS = "at_admins"  # submitted to the admin board
    AT_PRINCIPAL = "at_principal"  # forwarded (or routed directly) to the principal
    NEEDS_INFO = "needs_info"  # the principal asked the teacher for more
    APPROVED = "approved"  # approved; witnesses are confirming
    OPEN = "open"  # witnessed; the cells are open for the teacher
    APPLIED = "applied"  # every value applied, cells relocked, minutes drawn up
    EXPIRED = "expired"  # the opening ran out before every value was applied
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            RequestState.AT_ADMINS: _("chờ Ban quản trị"),
            RequestState.AT_PRINCIPAL: _("chờ Hiệu trưởng duyệt"),
            RequestState.NEEDS_INFO: _("chờ giáo viên bổ sung"),
            RequestState.APPROVED: _("đã duyệt, chờ người chứng kiến xác nhận"),
            RequestState.OPEN: _("đang mở ô điểm để sửa"),
            RequestState.APPLIED: _("đã sửa xong"),
            RequestState.EXPIRED: _("hết thời hạn sửa"),
            RequestState.REJECTED: _("bị từ chối"),
            RequestState.WITHDRAWN: _("đã rút"),
        }[self]


PENDING_STATES = (RequestState.AT_ADMINS, RequestState.AT_PRINCIPAL, RequestState.NEEDS_INFO)
FINAL_STATES = (
    RequestState.APPLIED,
    RequestState.EXPIRED,
    RequestState.REJECTED,
    RequestState.WITHDRAWN,
)


class WitnessRole(StrEnum):
    """The four witnesses of regulation 000, Điều 8, and for corrections of marks the homeroom
    teacher of the student's class, who supervises them with the admins (001 Điều 17.3)."""

    LEADERSHIP = "leadership"
    ADMIN = "admin"
    INSPECTOR = "inspector"
    TEACHER = "teacher"
    HOMEROOM = "homeroom"

    @property
    def label(self) -> str:
        return {
            WitnessRole.LEADERSHIP: _("Đại diện Ban giám hiệu"),
            WitnessRole.ADMIN: _("Đại diện Ban quản trị"),
            WitnessRole.INSPECTOR: _("Đại diện Ban thanh tra nhân dân"),
            WitnessRole.TEACHER: _("Giáo viên đề nghị sửa"),
            WitnessRole.HOMEROOM: _("Giáo viên chủ nhiệm lớp"),
        }[self]


class CorrectionSettings(Model):
    """A school's choices: direct routing to the principal (default: through the admin board,
    as the regulations have it) and how long an approved cell stays open."""

    id = fields.IntField(primary_key=True)
    school = fields.OneToOneField("models.School", related_name="correction_settings")
    direct_to_principal = fields.BooleanField(default=False)
    open_minutes = fields.SmallIntField(default=30)
    updated_by = fields.CharField(max_length=40, default="")

    class Meta:
        table = "correction_settings"


class Delegation(Model):
    """A principal lets a vice principal decide correction requests; `revoked_at` ends it."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="correction_delegations")
    principal = fields.ForeignKeyField("models.Staff", related_name=False)
    delegate = fields.ForeignKeyField("models.Staff", related_name=False)
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "correction_delegation"


class LateAllowance(Model):
    """A teacher asked to file a request after the correction cut-off; the principal's grant
    (until a time) lets exactly one request of that class × subject × term through."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="late_allowances")
    teacher = fields.ForeignKeyField("models.Staff", related_name="late_allowances")
    school_class = fields.ForeignKeyField("models.SchoolClass", related_name=False)
    subject = fields.ForeignKeyField(
        "models.Subject", related_name=False, null=True, description="None: homeroom data"
    )
    term = fields.ForeignKeyField("models.Term", related_name=False)
    asked_at = fields.DatetimeField()
    granted_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    granted_at = fields.DatetimeField(null=True)
    until = fields.DatetimeField(null=True)
    used_by_request_id = fields.IntField(null=True)

    class Meta:
        table = "correction_late_allowance"


class CorrectionRequest(Model):
    """One request: one student, one subject, one term, one or more cells (`items`).

    A request of the homeroom teacher about their data of the term (conduct, days absent,
    qualities and competencies) names no subject."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField("models.School", related_name="correction_requests")
    teacher = fields.ForeignKeyField("models.Staff", related_name="correction_requests")
    student = fields.ForeignKeyField("models.Student", related_name="correction_requests")
    school_class = fields.ForeignKeyField("models.SchoolClass", related_name=False)
    subject = fields.ForeignKeyField(
        "models.Subject", related_name=False, null=True, description="None: homeroom data"
    )
    term = fields.ForeignKeyField("models.Term", related_name=False)
    reason = fields.TextField()
    state = fields.CharEnumField(RequestState, max_length=16, index=True)
    created_at = fields.DatetimeField()
    late_allowance = fields.ForeignKeyField("models.LateAllowance", related_name=False, null=True)
    forwarded_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    forwarded_at = fields.DatetimeField(null=True)
    draft_token = fields.CharField(max_length=32, unique=True, description="one submission")
    question = fields.TextField(default="", description="the principal's ask-for-more")
    answer = fields.TextField(default="", description="the teacher's reply to it")
    rounds = fields.SmallIntField(default=0, description="how many times more was asked")
    decided_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)
    decided_at = fields.DatetimeField(null=True)
    rejection = fields.TextField(default="")
    opened_at = fields.DatetimeField(null=True)
    open_until = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    minutes_sha256 = fields.CharField(max_length=64, null=True)

    items: fields.ReverseRelation[CorrectionItem]
    evidence: fields.ReverseRelation[Evidence]
    witnesses: fields.ReverseRelation[Witness]

    class Meta:
        table = "correction_request"

    @property
    def number(self) -> str:
        """How people cite it: "SĐ-12"."""
        return f"SĐ-{self.id}"


class CorrectionItem(Model):
    """One cell to correct: its column, the value seen when asking, the value asked for, and
    what was applied (value, time) under the opening.

    A mark column is its kind and index (TX2: regular, 2); a primary subject's level or score
    is LEVEL or SCORE with its assessment point's number as `index` (Mức CHK1: level, 2). A
    quality or competency is QUALITY with its code in `quality` and its number in the
    programme's list as `index`, so the request's cells stay unique by (kind, index); the code
    is what the cell is."""

    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField(
        "models.CorrectionRequest", related_name="items", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(CellKind, max_length=8)
    index = fields.SmallIntField(default=1)
    quality = fields.CharField(
        max_length=32, default="", db_default="", description="a quality's code"
    )
    old_value = fields.CharField(max_length=8, null=True, description="as stored, or None")
    new_value = fields.CharField(max_length=8)
    applied_value = fields.CharField(max_length=8, null=True)
    applied_at = fields.DatetimeField(null=True)

    class Meta:
        table = "correction_item"
        unique_together = (("request", "kind", "index"),)


class Evidence(Model):
    """A photo or file backing a request, kept by hash in the file store."""

    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField(
        "models.CorrectionRequest", related_name="evidence", on_delete=fields.CASCADE
    )
    sha256 = fields.CharField(max_length=64)
    media = fields.CharField(max_length=8, description="photo or document")
    mime = fields.CharField(max_length=40)
    name = fields.CharField(max_length=200, default="")
    size = fields.IntField()
    added_at = fields.DatetimeField()
    round = fields.SmallIntField(default=0, description="0 at submission, n after n asks")

    class Meta:
        table = "correction_evidence"


class Witness(Model):
    """A named witness of the opening and whether they confirmed (in the bot)."""

    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField(
        "models.CorrectionRequest", related_name="witnesses", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(WitnessRole, max_length=12)
    staff = fields.ForeignKeyField("models.Staff", related_name=False)
    confirmed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "correction_witness"
        unique_together = (("request", "role"),)
