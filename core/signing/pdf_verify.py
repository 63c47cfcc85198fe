"""Check every PAdES signature of a record PDF with pyhanko's validator.

pyhanko answers a) and b) (the CMS signature, the byte-range digest, and whether later
revisions only added signatures); the chain and time checks are the same as for XML
(core.signing.trust, core.signing.reports), at the signer-reported time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from core import clock
from core.errors import InvalidValue
from core.i18n import _
from core.signing.keys import subject_name
from core.signing.pades import FIELD_NAMES
from core.signing.reports import SignatureReport, time_problem
from core.signing.trust import chain_problem

MAX_PDF_BYTES = 20 * 1024 * 1024
_ROLES = {name: role for role, name in FIELD_NAMES.items()}


def _unchanged(status) -> bool:
    if not status.intact:
        return False
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    level = status.modification_level
    return (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ModificationLevel.FORM_FILLING
    )


async def verify_pdf(data: bytes, roots: Sequence[x509.Certificate]) -> list[SignatureReport]:
    if len(data) > MAX_PDF_BYTES:
        raise InvalidValue(_("Tệp PDF quá lớn để là một học bạ; không kiểm tra."))
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InvalidValue(
            _("Tệp PDF hỏng hoặc không đọc được: {error}").format(error=exc)
        ) from exc
    trusted = [asn1_x509.Certificate.load(r.public_bytes(Encoding.DER)) for r in roots]
    reports = []
    for embedded in signatures:
        status = await async_validate_pdf_signature(
            embedded, ValidationContext(trust_roots=trusted, allow_fetching=False)
        )
        certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
        others = [x509.load_der_x509_certificate(c.dump()) for c in embedded.other_embedded_certs]
        moment = status.signer_reported_dt
        moment = moment.astimezone(dt.UTC) if moment else None
        reports.append(
            SignatureReport(
                label=embedded.field_name,
                role=_ROLES.get(embedded.field_name),
                signer=subject_name(certificate),
                signature_valid=bool(status.valid),
                content_unchanged=_unchanged(status),
                certificate_problem=chain_problem(
                    certificate, others, roots, moment or clock.now()
                ),
                signing_time=moment,
                # the time sits in the CMS signed attributes: covered when the signature is valid
                time_problem=time_problem(moment, certificate, bool(status.valid)),
            )
        )
    return reports
