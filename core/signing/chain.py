"""One signing step of the record chain, as a pure function of bytes (no database).

Kept apart from the service so the benchmark and a worker process can run exactly what the
service runs. The order is regulation 001 Điều 24, khoản 5: homeroom teacher, principal
(countersigning the homeroom teacher), then the school's seal (countersigning both). The PDF
is rendered from the XML when the principal signs, so it shows what the homeroom teacher
signed; the principal and the seal sign it as PAdES.
"""

from __future__ import annotations

import datetime as dt

from core.models.records import RECORD_ORDER, SignatureRole
from core.render.pdf_record import render_record_pdf
from core.render.xml_record import parse_own, record_from_xml
from core.signing.keys import Signer
from core.signing.pades import sign_pdf
from core.signing.xmldsig import sign_xml


def countersigned(role: SignatureRole) -> list[str]:
    """The earlier signatures of the record that `role` also covers."""
    earlier = RECORD_ORDER[: RECORD_ORDER.index(role)]
    return [r.signature_id for r in earlier]


async def sign_record_step(
    xml: bytes, pdf: bytes | None, role: SignatureRole, signer: Signer, moment: dt.datetime
) -> tuple[bytes, bytes | None]:
    xml = sign_xml(xml, signer, role.signature_id, moment, countersigned(role))
    if role is SignatureRole.PRINCIPAL:
        pdf = render_record_pdf(record_from_xml(parse_own(xml)))
    if role in (SignatureRole.PRINCIPAL, SignatureRole.SEAL):
        assert pdf is not None
        pdf = await sign_pdf(pdf, signer, role)
    return xml, pdf
