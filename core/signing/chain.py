"""One signing step of the record chain, as a pure function of bytes (no database).

Kept apart from the service so the benchmark and a worker process can run exactly what the
service runs. The order is regulation 001 Điều 24, khoản 5: homeroom teacher, principal
(countersigning the homeroom teacher), then the school's seal (countersigning both). The PDF
is rendered from the XML when the principal signs, so it shows what the homeroom teacher
signed; the principal and the seal sign it as PAdES.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from base64 import b64decode, b64encode
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
from cryptography.hazmat.primitives.asymmetric import rsa

from core.models.records import RECORD_ORDER, SignatureRole
from core.render.pdf_record import render_from_xml
from core.signing.keys import Signer
from core.signing.pades import PreparedPdf, pades_signer
from core.signing.xmldsig import insert_signature_value, sign_xml


def countersigned(role: SignatureRole) -> list[str]:
    """The earlier signatures of the record that `role` also covers (none on a sheet)."""
    if role not in RECORD_ORDER:
        return []
    earlier = RECORD_ORDER[: RECORD_ORDER.index(role)]
    return [r.signature_id for r in earlier]


async def sign_record_step(
    xml: bytes,
    pdf: bytes | None,
    role: SignatureRole,
    signer: Signer,
    moment: dt.datetime,
    timings: Counter[str] | None = None,
    *,
    handwriting: bytes | None = None,
) -> tuple[bytes, bytes | None]:
    """Add `role`'s signatures to one record. `timings`, when given, accumulates the seconds
    spent in "xml", "render" and "pdf", so the benchmark measures this very code.
    `handwriting` is the signature image the principal's stamp draws (None: none)."""
    clock = time.perf_counter()

    def lap(part: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        if timings is not None:
            timings[part] += now - clock
        clock = now

    xml = sign_xml(xml, signer, role.signature_id, moment, countersigned(role))
    lap("xml")
    if role is SignatureRole.PRINCIPAL:
        pdf = render_from_xml(xml)
        lap("render")
    if role in (SignatureRole.PRINCIPAL, SignatureRole.SEAL):
        assert pdf is not None
        pdf = await pades_signer(signer, role, moment, handwriting).sign(pdf)
        lap("pdf")
    return xml, pdf


class RemoteKey:
    """Stands for a key held by a remote service while a step is prepared: it records what
    signxml asks it to sign and returns a placeholder of the right length, to be replaced by
    the service's value (checked against the certificate) when it comes."""

    def __init__(self, certificate: x509.Certificate) -> None:
        public_key = certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        self.key_size = public_key.key_size
        self.asked: list[bytes] = []

    def sign(
        self,
        data: bytes,
        padding: rsa_padding.AsymmetricPadding,
        algorithm: hashes.HashAlgorithm,
    ) -> bytes:
        self.asked.append(data)
        return bytes(self.key_size // 8)


def remote_signer(certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> Signer:
    return Signer(RemoteKey(certificate), certificate, tuple(chain))


@dataclass(frozen=True)
class PreparedStep:
    """One document's step waiting for remote signature values, stored in the batch item: the
    XML with an empty SignatureValue and what it needs signed, and the prepared PDF if any."""

    xml: bytes
    xml_to_sign: bytes
    pdf: PreparedPdf | None

    @property
    def hashes(self) -> list[bytes]:
        """The SHA-256 digests the remote service signs, XML first."""
        parts = [self.xml_to_sign] + ([self.pdf.to_sign] if self.pdf else [])
        return [hashlib.sha256(p).digest() for p in parts]

    def to_json(self) -> dict[str, object]:
        return {
            "xml": b64encode(self.xml).decode(),
            "xml_to_sign": b64encode(self.xml_to_sign).decode(),
            "pdf": self.pdf.to_json() if self.pdf else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> PreparedStep:
        return cls(
            b64decode(data["xml"]),
            b64decode(data["xml_to_sign"]),
            PreparedPdf.from_json(data["pdf"]) if data.get("pdf") else None,
        )


async def prepare_step(
    xml: bytes,
    pdf: bytes | None,
    role: SignatureRole,
    signer: Signer,
    moment: dt.datetime,
    handwriting: bytes | None = None,
) -> PreparedStep:
    """Phase one of a remote step (a record's or a sheet's): everything but the values, the
    principal's stamp drawing `handwriting` (their signature image; None: none)."""
    key = signer.key
    assert isinstance(key, RemoteKey)
    xml = sign_xml(xml, signer, role.signature_id, moment, countersigned(role))
    xml_to_sign = key.asked.pop()
    prepared_pdf = None
    if role is SignatureRole.PRINCIPAL:
        pdf = render_from_xml(xml)
    if role in (SignatureRole.PRINCIPAL, SignatureRole.SEAL):
        assert pdf is not None
        prepared_pdf = await pades_signer(signer, role, moment, handwriting).prepare(pdf)
    return PreparedStep(xml, xml_to_sign, prepared_pdf)


async def finish_step(
    prepared: PreparedStep,
    role: SignatureRole,
    signer: Signer,
    moment: dt.datetime,
    values: Sequence[bytes],
) -> tuple[bytes, bytes | None]:
    """Phase two: put the remote values in, each checked against the certificate first."""
    xml = insert_signature_value(prepared.xml, role.signature_id, values[0], signer.certificate)
    pdf = None
    if prepared.pdf is not None:
        pdf = await pades_signer(signer, role, moment).finish(prepared.pdf, values[1])
    return xml, pdf
