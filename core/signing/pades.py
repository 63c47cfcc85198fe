"""PAdES signatures on the record PDF with visible stamps, through pyhanko's async API.

Issuing a school signs thousands of PDFs with the same few signers, and pyhanko used naively
redoes per signature work whose result never changes within a batch (DESIGN.md section 5):

- its file-based signer reloads and re-validates the RSA key for each signature and again for
  its size estimate; `HeldKeySigner` signs with the key a backend already loaded;
- it rebuilds the CMS container from Python values through asn1crypto (~25 ms, twice with the
  size estimate). For a PAdES signature without timestamp the container of one signer differs
  between documents only in the 32-byte document digest and the signature value, both of fixed
  length: `CmsTemplate` takes pyhanko's own container once, then fills those two fields;
- it lays out the stamp text and subsets and embeds the stamp font for each signature (~20 ms).
  Within a batch the stamp (image, signer's name, signing time) is the same for every
  document: `PadesSigner` renders it once into a small PDF and copies the finished form
  XObject into each document (core.signing.stamps, which also says what a stamp shows).

`PadesSigner` holds all of that for one signer, role and moment (one batch step); the
benchmark (tests/bench/signing.py) times it against pyhanko's own signer on the same PDFs.
"""

from __future__ import annotations

import datetime as dt
import os
from base64 import b64decode, b64encode
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_cms import Signer as PyhankoSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from core import clock
from core.errors import InvalidValue
from core.i18n import _
from core.models.records import SignatureRole
from core.render.images import handwritten_signature
from core.signing.keys import Signer
from core.signing.stamps import BOXES, FIELD_NAMES, Box, RenderedStampStyle, rendered_stamp
from core.signing.stamps import stamp_style as stamp_style


def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


class CmsTemplate:
    """pyhanko's CMS container for one signer, with the two fields that change per document
    located by value: fill them and the result is byte for byte what pyhanko would build."""

    def __init__(self, der: bytes, digest_marker: bytes, signature_marker: bytes) -> None:
        self.der = der
        self._digest_at = _unique(der, digest_marker)
        self._signature_at = _unique(der, signature_marker)
        self._signature_len = len(signature_marker)
        attrs = cms.ContentInfo.load(der)["content"]["signer_infos"][0]["signed_attrs"].dump()
        # What is signed is the attributes' DER with the SET tag, not the [0] IMPLICIT tag.
        self._attrs = b"\x31" + attrs[1:]
        self._attrs_digest_at = _unique(self._attrs, digest_marker)

    def signed_attributes(self, document_digest: bytes) -> bytes:
        """The bytes the private key signs for a document with this digest."""
        at = self._attrs_digest_at
        return self._attrs[:at] + document_digest + self._attrs[at + len(document_digest) :]

    def fill(self, document_digest: bytes, signature: bytes) -> bytes:
        """The container's DER for this document and signature value."""
        if len(signature) != self._signature_len:
            raise ValueError("signature length differs from the template's")
        data = bytearray(self.der)
        data[self._digest_at : self._digest_at + len(document_digest)] = document_digest
        data[self._signature_at : self._signature_at + len(signature)] = signature
        return bytes(data)


def _unique(data: bytes, marker: bytes) -> int:
    at = data.find(marker)
    if at < 0 or data.find(marker, at + 1) >= 0:
        raise ValueError("template marker not found exactly once")
    return at


class HeldKeySigner(PyhankoSigner):
    """pyhanko's signer over our `Signer`: it builds the CMS container once (`CmsTemplate`);
    the private key itself is used by `PadesSigner`, or by a remote service."""

    def __init__(self, signer: Signer) -> None:
        chain = [asn1_certificate(c) for c in signer.chain]
        super().__init__(
            signing_cert=chain[0],
            cert_registry=SimpleCertificateStore.from_certs(chain),
        )
        self._key = signer.key
        self._placeholder: bytes | None = None
        self.template: CmsTemplate | None = None

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
        if self._placeholder is None:
            raise RuntimeError("pyhanko signs only through PadesSigner's template")
        return self._placeholder

    async def cms_template(self) -> CmsTemplate:
        """Build (once) the template from pyhanko's own PAdES container with marker values."""
        if self.template is None:
            digest_marker = os.urandom(32)
            self._placeholder = os.urandom(self._key.key_size // 8)
            try:
                info = await super().async_sign(
                    digest_marker,
                    "sha256",
                    use_pades=True,
                    signed_attr_settings=PdfCMSSignedAttributes(),
                )
            finally:
                placeholder, self._placeholder = self._placeholder, None
            self.template = CmsTemplate(info.dump(), digest_marker, placeholder)
        return self.template


@dataclass(frozen=True)
class PreparedPdf:
    """A PDF between the two phases of signing; stored as is for remote signing."""

    document: bytes  # with the signature dictionary and an empty, reserved /Contents
    digest: bytes  # SHA-256 of the /ByteRange
    start: int  # the reserved region in `document`
    end: int
    to_sign: bytes  # the CMS signed attributes, what the private key signs

    def to_json(self) -> dict[str, object]:
        return {
            "document": b64encode(self.document).decode(),
            "digest": self.digest.hex(),
            "start": self.start,
            "end": self.end,
            "to_sign": b64encode(self.to_sign).decode(),
        }

    @classmethod
    def from_json(cls, data: dict) -> PreparedPdf:
        return cls(
            b64decode(data["document"]),
            bytes.fromhex(data["digest"]),
            int(data["start"]),
            int(data["end"]),
            b64decode(data["to_sign"]),
        )


class _SignerAt(signers.PdfSigner):
    """pyhanko's PDF signer writing the step's moment as the signing time (/M), not the
    machine's clock: every "now" comes from core.clock, so a staging clock signs at its time
    and the PDF says the same time as the XML and the stamp."""

    def __init__(self, moment: dt.datetime, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._moment = moment

    def init_signing_session(self, pdf_out, existing_fields_only=False):
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._moment
        return session


class PadesSigner:
    """One signer's PAdES step of a batch (role, moment): key, CMS template and stamp made once,
    then `sign` for each document. A document other than a record (the minutes of a
    correction) gives the stamp's `box` on its last page and the signature's `reason`.

    `handwriting` is the principal's signature image their stamp draws (PNG, blue on
    transparent, core.services.signature_images), None for a stamp with the caption alone:
    nothing here invents a person's signature. The stamp is drawn when the first document is
    prepared, so the second phase of remote signing (`finish`) never draws one."""

    def __init__(
        self,
        signer: Signer,
        role: SignatureRole,
        moment: dt.datetime,
        *,
        box: Box | None = None,
        reason: str | None = None,
        handwriting: bytes | None = None,
    ) -> None:
        self.signer = signer
        self.role = role
        self.box = box or BOXES[role]
        self.reason = reason or role.label
        self.cms_signer = HeldKeySigner(signer)
        self.moment = moment
        self.handwriting = handwriting
        self._style: RenderedStampStyle | None = None
        self._bytes_reserved: int | None = None

    def _stamp(self) -> RenderedStampStyle:
        if self._style is None:
            self._style = rendered_stamp(
                self.role, self.signer.name, self.moment, self.handwriting, self.box
            )
        return self._style

    def _pdf_signer(self) -> signers.PdfSigner:
        name = FIELD_NAMES[self.role]
        return _SignerAt(
            self.moment,
            signers.PdfSignatureMetadata(
                field_name=name,
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
                reason=self.reason,
                location=None,
            ),
            signer=self.cms_signer,
            stamp_style=self._stamp(),
            new_field_spec=fields.SigFieldSpec(name, on_page=-1, box=self.box),
        )

    async def _reserved(self) -> int:
        """Room for the container in the PDF (hex, so twice its length), with a margin."""
        if self._bytes_reserved is None:
            size = len((await self.cms_signer.cms_template()).der)
            self._bytes_reserved = 2 * size + 512
        return self._bytes_reserved

    async def prepare(self, pdf: bytes) -> PreparedPdf:
        """Phase one: the document with its signature field, stamp and an empty container, and
        what the key must sign (`to_sign`)."""
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        digest, _tbs, output = await self._pdf_signer().async_digest_doc_for_signing(
            writer, bytes_reserved=await self._reserved()
        )
        template = await self.cms_signer.cms_template()
        return PreparedPdf(
            output.getvalue(),
            digest.document_digest,
            digest.reserved_region_start,
            digest.reserved_region_end,
            template.signed_attributes(digest.document_digest),
        )

    async def finish(self, prepared: PreparedPdf, signature: bytes) -> bytes:
        """Phase two: check the signature value against the certificate (it may come from a
        remote service), then write the container into the reserved space."""
        public_key = self.signer.certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        try:
            public_key.verify(signature, prepared.to_sign, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise InvalidValue(
                _("Chữ ký trả về không khớp chứng thư của người ký; không lưu.")
            ) from exc
        template = await self.cms_signer.cms_template()
        output = BytesIO(prepared.document)
        PreparedByteRangeDigest(prepared.digest, prepared.start, prepared.end).fill_with_cms(
            output, template.fill(prepared.digest, signature)
        )
        return output.getvalue()

    async def sign(self, pdf: bytes) -> bytes:
        """Add the role's PAdES signature (B-B, SHA-256) in its box on the last page, with a key
        at hand (file or token)."""
        prepared = await self.prepare(pdf)
        signature = self.signer.key.sign(prepared.to_sign, padding.PKCS1v15(), hashes.SHA256())
        return await self.finish(prepared, signature)


_held: dict[tuple[int, SignatureRole, dt.datetime, bytes | None], PadesSigner] = {}


def pades_signer(
    signer: Signer,
    role: SignatureRole,
    moment: dt.datetime,
    handwriting: bytes | None = None,
) -> PadesSigner:
    """The `PadesSigner` of this batch step, made on first use: a batch calls this once per
    document with the same signer, moment and signature image."""
    key = (id(signer), role, moment, handwriting)
    found = _held.get(key)
    if found is None or found.signer is not signer:
        if len(_held) >= 16:  # a few batch steps at a time; older ones are done
            _held.clear()
        found = _held[key] = PadesSigner(signer, role, moment, handwriting=handwriting)
    return found


async def sign_pdf(
    pdf: bytes,
    signer: Signer,
    role: SignatureRole,
    moment: dt.datetime | None = None,
    handwriting: bytes | None = None,
) -> bytes:
    """Add the role's PAdES signature to one PDF (see `PadesSigner` for a batch).

    The tests' and the benchmark's one-document call, whose signers are test certificates:
    without `handwriting` the principal's stamp draws the scrawl generated from the
    certificate's name (core.render.images), as the demo's do. The services sign through
    core.signing.chain, which draws only an image its signer uploaded."""
    if handwriting is None and role is SignatureRole.PRINCIPAL:
        handwriting = handwritten_signature(signer.name)
    return await pades_signer(signer, role, moment or clock.now(), handwriting).sign(pdf)
