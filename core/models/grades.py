"""The gradebook: what teachers enter, per Thông tư 22 (secondary) and Thông tư 27 (primary).

Only entered facts are stored. Averages, learning results, promotion and titles are computed
by core.rules from these rows whenever they are needed, so they can never disagree with them.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core.i18n import _
from core.rules.primary import QualityLevel, SubjectLevel, TestPoint
from core.rules.secondary import Level, Verdict


class MarkKind(StrEnum):
    """Thông tư 22, Điều 6–7 and 9: regular (weight 1), mid-term (weight 2), end-of-term
    (weight 3), and the upper-secondary learning-topic result (Điều 6, khoản 3), which counts
    as one more regular assessment (weight 1) but has its own column because only the students
    who take the subject's topic cluster have it."""

    REGULAR = "regular"
    MIDTERM = "midterm"
    FINAL = "final"
    TOPIC = "topic"

    @property
    def label(self) -> str:
        return {
            MarkKind.REGULAR: _("ĐĐGtx"),
            MarkKind.MIDTERM: _("ĐĐGgk"),
            MarkKind.FINAL: _("ĐĐGck"),
            MarkKind.TOPIC: _("ĐĐG cụm chuyên đề học tập"),
        }[self]


class Mark(Model):
    """One cell of the secondary gradebook: a score for scored subjects, a verdict otherwise."""

    id = fields.IntField(primary_key=True)
    student = fields.ForeignKeyField(
        "models.Student", related_name="marks", on_delete=fields.CASCADE
    )
    subject = fields.ForeignKeyField("models.Subject", related_name="marks")
    term = fields.ForeignKeyField("models.Term", related_name="marks")
    kind = fields.CharEnumField(MarkKind, max_length=8)
    index = fields.SmallIntField(default=1, description="1..4 for regular marks, 1 otherwise")
    score = fields.DecimalField(max_digits=3, decimal_places=1, null=True)
    verdict = fields.CharEnumField(Verdict, max_length=2, null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    updated_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)

    class Meta:
        table = "mark"
        unique_together = (("student", "subject", "term", "kind", "index"),)


class Conduct(Model):
    """Kết quả rèn luyện of a term, decided by the homeroom teacher (Thông tư 22, Điều 8)."""

    id = fields.IntField(primary_key=True)
    student = fields.ForeignKeyField(
        "models.Student", related_name="conducts", on_delete=fields.CASCADE
    )
    term = fields.ForeignKeyField("models.Term", related_name="conducts")
    level = fields.CharEnumField(Level, max_length=2)
    updated_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)

    class Meta:
        table = "conduct"
        unique_together = (("student", "term"),)


class Absence(Model):
    """Days absent in a term, with and without permission; promotion counts both."""

    id = fields.IntField(primary_key=True)
    student = fields.ForeignKeyField(
        "models.Student", related_name="absences", on_delete=fields.CASCADE
    )
    term = fields.ForeignKeyField("models.Term", related_name="absences")
    excused = fields.SmallIntField(default=0)
    unexcused = fields.SmallIntField(default=0)

    class Meta:
        table = "absence"
        unique_together = (("student", "term"),)


class Comment(Model):
    """A teacher's written comment on a student for a term: per subject, or general (no subject)."""

    id = fields.IntField(primary_key=True)
    student = fields.ForeignKeyField(
        "models.Student", related_name="comments", on_delete=fields.CASCADE
    )
    term = fields.ForeignKeyField("models.Term", related_name="comments")
    subject = fields.ForeignKeyField("models.Subject", related_name="comments", null=True)
    text = fields.TextField()
    author = fields.ForeignKeyField("models.Staff", related_name=False, null=True)

    class Meta:
        table = "comment"
        unique_together = (("student", "term", "subject"),)


class PrimaryAssessment(Model):
    """Thông tư 27, Điều 6–7: a subject's level at an assessment point and, where the subject
    has a periodic test at that point, its whole-number score."""

    id = fields.IntField(primary_key=True)
    student = fields.ForeignKeyField(
        "models.Student", related_name="primary_assessments", on_delete=fields.CASCADE
    )
    subject = fields.ForeignKeyField("models.Subject", related_name="primary_assessments")
    term = fields.ForeignKeyField("models.Term", related_name="primary_assessments")
    point = fields.CharEnumField(TestPoint, max_length=10)
    level = fields.CharEnumField(SubjectLevel, max_length=2, null=True)
    score = fields.SmallIntField(null=True)
    updated_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)

    class Meta:
        table = "primary_assessment"
        unique_together = (("student", "subject", "point"),)


class QualityAssessment(Model):
    """Thông tư 27, Điều 6: a quality or competency's level at an assessment point."""

    id = fields.IntField(primary_key=True)
    student = fields.ForeignKeyField(
        "models.Student", related_name="quality_assessments", on_delete=fields.CASCADE
    )
    term = fields.ForeignKeyField("models.Term", related_name="quality_assessments")
    point = fields.CharEnumField(TestPoint, max_length=10)
    quality = fields.CharField(max_length=32, description="code from core.rules.primary")
    level = fields.CharEnumField(QualityLevel, max_length=2)
    updated_by = fields.ForeignKeyField("models.Staff", related_name=False, null=True)

    class Meta:
        table = "quality_assessment"
        unique_together = (("student", "point", "quality"),)
