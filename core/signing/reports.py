"""The answer for one signature to the four questions of regulation 001, Điều 15.

a) is the signature valid, b) is the signed content unchanged, c) is the certificate valid
(chain to a configured trust root, valid at the signing time), d) is the signing time valid.
XML (core.signing.xml_verify) and PDF (core.signing.pdf_verify) fill the same report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509

from core import clock
from core.formatting import date_time
from core.i18n import _
from core.models.records import SignatureRole

CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass
class SignatureReport:
    label: str  # the signature's Id (XML) or field name (PDF)
    role: SignatureRole | None
    signer: str
    signature_valid: bool
    content_unchanged: bool
    certificate_problem: str | None
    signing_time: dt.datetime | None
    time_problem: str | None

    @property
    def ok(self) -> bool:
        return (
            self.signature_valid
            and self.content_unchanged
            and self.certificate_problem is None
            and self.time_problem is None
        )

    def lines(self) -> list[str]:
        """The report in Vietnamese, one line per question."""
        yes, no = _("hợp lệ"), _("KHÔNG hợp lệ")
        role = self.role.label if self.role else _("không rõ vai trò")
        when = date_time(self.signing_time) if self.signing_time else _("không có")
        return [
            _("Chữ ký {label} — {signer} ({role})").format(
                label=self.label, signer=self.signer, role=role
            ),
            _("  a) Chữ ký: {verdict}").format(verdict=yes if self.signature_valid else no),
            _("  b) Nội dung đã ký: {verdict}").format(
                verdict=_("không bị thay đổi") if self.content_unchanged else _("ĐÃ BỊ THAY ĐỔI")
            ),
            _("  c) Chứng thư số: {verdict}").format(
                verdict=yes
                if self.certificate_problem is None
                else f"{no} — {self.certificate_problem}"
            ),
            _("  d) Thời điểm ký: {when}: {verdict}").format(
                when=when,
                verdict=yes if self.time_problem is None else f"{no} — {self.time_problem}",
            ),
        ]


def time_problem(
    moment: dt.datetime | None, certificate: x509.Certificate, covered: bool
) -> str | None:
    """Why a signing time cannot be trusted, or None."""
    if moment is None:
        return _("chữ ký không ghi thời điểm ký")
    if not covered:
        return _("thời điểm ký không nằm trong phần được ký")
    if moment > clock.now() + CLOCK_SKEW:
        return _("thời điểm ký ở tương lai")
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        return _("ngoài thời hạn hiệu lực của chứng thư")
    return None
