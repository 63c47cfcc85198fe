"""Each student's photo, as the cover of their record book shows it.

The paper học bạ has a 3 × 4 photo on its cover, and the digital record (issue 13: "cover with
the student's data, and photo when given") carries it inside its signed data, so the picture a
reader sees was signed with the rest. One current photo per student: a new one replaces the
row; the audit log keeps the hash of every photo there has been. The photo of a record already
issued stays the one in its file: only the next version built takes the new one.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StudentPhoto(Model):
    """A student's current photo: a 3:4 portrait JPEG, already normalised (no metadata)."""

    id = fields.IntField(primary_key=True)
    student = fields.OneToOneField("models.Student", related_name="photo", on_delete=fields.CASCADE)
    jpeg = fields.BinaryField(description="the stored JPEG, cropped to 3:4 and re-encoded")
    sha256 = fields.CharField(max_length=64, description="SHA-256 of `jpeg`, hex")
    uploaded_at = fields.DatetimeField()
    uploaded_by = fields.CharField(max_length=64, description="the uploader's audit label")

    class Meta:
        table = "student_photo"
