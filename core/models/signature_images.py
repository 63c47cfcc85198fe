"""Each signer's handwritten signature image, as the visible signing stamps draw it.

Regulation 001 Điều 13: a personal signature on the record's PDF shows the person's
handwritten signature in blue on a transparent PNG. The person uploads it once (in the bot,
core.services.signature_images); the signing steps draw it in their PAdES stamp. One current
image per staff member: a new upload replaces the row, and the audit log keeps the hash of
every image there has been, so what a signed record shows can always be traced to an upload.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SignatureImage(Model):
    """A staff member's current signature image: PNG bytes, blue strokes, transparent ground."""

    id = fields.IntField(primary_key=True)
    staff = fields.OneToOneField(
        "models.Staff", related_name="signature_image", on_delete=fields.CASCADE
    )
    png = fields.BinaryField(description="the stored PNG, already checked and recoloured")
    sha256 = fields.CharField(max_length=64, description="SHA-256 of `png`, hex")
    width = fields.IntField(description="pixels")
    height = fields.IntField(description="pixels")
    uploaded_at = fields.DatetimeField()
    uploaded_by = fields.CharField(max_length=64, description="the uploader's audit label")

    class Meta:
        table = "signature_image"
