"""The school's register of signing certificates: each staff member's, and the school's seal.

A record states inside its signed data who must sign it and with which certificate (regulation
001 Điều 4.1, the signer list; core.render.xml_record), so the certificates of the people who
will sign must be known when the record is built. Staff register theirs when their key is set
up (from a file, from the configured key, or from the remote signing service); the school's
seal certificate registered here is also what a verifier accepts as "this school's seal" (004
Điều 15.1: the school registers its organisation certificate). A certificate is never deleted:
a renewed one supersedes it (`active` false), and records signed with the old one still verify.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core.i18n import _


class CertificateKind(StrEnum):
    PERSONAL = "personal"  # a staff member's own certificate
    SEAL = "seal"  # the school's organisation certificate, operated by the clerk

    @property
    def label(self) -> str:
        return {
            CertificateKind.PERSONAL: _("cá nhân"),
            CertificateKind.SEAL: _("con dấu của trường"),
        }[self]


class SigningCertificate(Model):
    """One registered certificate (DER kept whole, so a verifier can read it back)."""

    id = fields.IntField(primary_key=True)
    school = fields.ForeignKeyField(
        "models.School", related_name="certificates", on_delete=fields.CASCADE
    )
    staff = fields.ForeignKeyField(
        "models.Staff", related_name="certificates", null=True, description="None: the seal"
    )
    kind = fields.CharEnumField(CertificateKind, max_length=10)
    fingerprint = fields.CharField(max_length=64, description="SHA-256 of the DER, hex")
    subject = fields.CharField(max_length=500)
    der = fields.BinaryField()
    not_before = fields.DatetimeField()
    not_after = fields.DatetimeField()
    source = fields.CharField(max_length=16, description="pem, pkcs12, pkcs11, csc")
    registered_at = fields.DatetimeField()
    registered_by = fields.CharField(max_length=64)
    active = fields.BooleanField(default=True, description="False: superseded by a newer one")

    class Meta:
        table = "signing_certificate"
        unique_together = (("school", "fingerprint"),)
