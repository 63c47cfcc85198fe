"""XML-DSig on records, per the profile of DESIGN.md section 5 and regulation 001 Điều 14.

Each signature is enveloped, RSA-SHA256 with SHA-256 digests and exclusive C14N, carries its own
Id, and sits in the document's signatures container (`danhsachchuky`), outside the signed data,
so a later signer never breaks an earlier one. SignedInfo references the data (`#dulieu`, or a
record's year section `#dulieu-2025-2026`, whose signatures' Ids carry the year too), the
signature's own `Object/SignatureProperties/SignatureProperty` holding `SigningTime`, and
optionally earlier signatures (countersigning). KeyInfo carries X509SubjectName and
X509Certificate.

A signature is added only by the certificate the document's signer list names for its role, and
only in the list's order (001 Điều 4.1, 24.5): a key other than the registered one, or a step
out of turn, is refused before anything is signed, rather than producing a record no verifier
accepts.

signxml builds the signature; its `signature_annotators` hook adds the SigningTime Object and
its Reference before SignedInfo is canonicalised (signxml's own `signature_properties=` is
ignored in enveloped mode).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConstructionMethod,
    SignatureMethod,
    XMLSigner,
)

from core.errors import InvalidValue
from core.i18n import _
from core.render.xml_base import DS, NS
from core.render.xml_record import data_element, id_suffix, parse_own, signers_from_xml
from core.signing.keys import Signer, subject_name
from core.signing.trust import fingerprint

EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
SHA256_URI = DigestAlgorithm.SHA256.value
_DS = {"ds": DS, "h": NS}


def _ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def time_property_id(sig_id: str) -> str:
    return f"{sig_id}-thoigian"


def format_signing_time(moment: dt.datetime) -> str:
    """xs:dateTime with the offset, to the second: 2025-06-28T14:30:05+07:00."""
    return moment.replace(microsecond=0).isoformat()


def c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def _time_annotator(sig_id: str, signing_time: dt.datetime):
    """Give the signature its Id, add the SigningTime Object, and reference it in SignedInfo."""

    def annotate(sig_root: etree._Element, signing_settings: object) -> None:
        sig_root.set("Id", sig_id)
        obj = etree.SubElement(sig_root, _ds("Object"))
        properties = etree.SubElement(obj, _ds("SignatureProperties"))
        prop_id = time_property_id(sig_id)
        prop = etree.SubElement(
            properties, _ds("SignatureProperty"), Id=prop_id, Target=f"#{sig_id}"
        )
        # An explicit namespace: under the record's default namespace an unqualified element
        # would silently change meaning between documents.
        etree.SubElement(prop, f"{{{NS}}}SigningTime").text = format_signing_time(signing_time)
        signed_info = sig_root.find("ds:SignedInfo", _DS)
        reference = etree.SubElement(signed_info, _ds("Reference"), URI=f"#{prop_id}")
        transforms = etree.SubElement(reference, _ds("Transforms"))
        etree.SubElement(transforms, _ds("Transform"), Algorithm=EXC_C14N.value)
        etree.SubElement(reference, _ds("DigestMethod"), Algorithm=SHA256_URI)
        digest = hashlib.sha256(c14n(prop)).digest()
        etree.SubElement(reference, _ds("DigestValue")).text = base64.b64encode(digest).decode()

    return annotate


def _key_info(certificate: x509.Certificate) -> etree._Element:
    key_info = etree.Element(_ds("KeyInfo"), nsmap={"ds": DS})
    data = etree.SubElement(key_info, _ds("X509Data"))
    etree.SubElement(data, _ds("X509SubjectName")).text = certificate.subject.rfc4514_string(
        {NameOID.TITLE: "T"}
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    etree.SubElement(data, _ds("X509Certificate")).text = base64.b64encode(der).decode()
    return key_info


def _container(root: etree._Element) -> etree._Element:
    container = root.find("h:danhsachchuky", _DS)
    if container is None:
        raise InvalidValue(_("Tài liệu không có phần chữ ký (danhsachchuky)."))
    return container


def signature_ids(root: etree._Element) -> list[str]:
    return [s.get("Id", "") for s in _container(root).iterfind("ds:Signature", _DS)]


def scoped(root: etree._Element, sig_id: str) -> str:
    """A role's signature Id (chuky-gvcn) as this document's signed data names it: with the
    year of a record's section (chuky-gvcn-2025-2026), as it is on a sheet."""
    return sig_id + id_suffix(data_element(root))


def _check_listed(root: etree._Element, sig_id: str, certificate: x509.Certificate) -> None:
    """The signer list names this certificate for this role, and every signer before it on the
    list has signed, in order. `sig_id` is scoped (`scoped`)."""
    listed = signers_from_xml(data_element(root))
    roles = [scoped(root, f"chuky-{entry.role}") for entry in listed]
    if sig_id not in roles:
        raise InvalidValue(
            _("Danh sách ký của tài liệu không có chữ ký «{id}»: không ký.").format(id=sig_id)
        )
    entry = listed[roles.index(sig_id)]
    if entry.fingerprint != fingerprint(certificate):
        raise InvalidValue(
            _(
                "Chứng thư «{got}» không phải chứng thư đã đăng ký mà tài liệu ghi cho {name}: "
                "không ký. Hãy ký bằng đúng khóa đã đăng ký, hoặc đăng ký chứng thư mới "
                "(hocba certs register) rồi lập lại tài liệu."
            ).format(got=subject_name(certificate), name=entry.name)
        )
    before = roles[: roles.index(sig_id)]
    if signature_ids(root) != before:
        raise InvalidValue(
            _("Chưa đến lượt chữ ký «{id}»: cần đủ các chữ ký trước theo thứ tự {order}.").format(
                id=sig_id, order=", ".join(before) or "—"
            )
        )


def sign_xml(
    document: bytes,
    signer: Signer,
    sig_id: str,
    signing_time: dt.datetime,
    countersign: Sequence[str] = (),
) -> bytes:
    """Add one signature (the role's Id `sig_id`, scoped to the document's data) to the
    container; `countersign` lists earlier signatures (role Ids) this signer also covers."""
    root = parse_own(document)
    sig_id = scoped(root, sig_id)
    countersign = [scoped(root, s) for s in countersign]
    existing = signature_ids(root)
    if sig_id in existing:
        raise InvalidValue(_("Tài liệu đã có chữ ký «{id}».").format(id=sig_id))
    _check_listed(root, sig_id, signer.certificate)
    missing = [s for s in countersign if s not in existing]
    if missing:
        raise InvalidValue(_("Thiếu chữ ký trước: {ids}.").format(ids=", ".join(missing)))
    signed = add_signature(root, signer, sig_id, signing_time, countersign)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def add_signature(
    root: etree._Element,
    signer: Signer,
    sig_id: str,
    signing_time: dt.datetime,
    countersign: Sequence[str] = (),
) -> etree._Element:
    """The XML-DSig step itself, without the signer list's checks (what any holder of a key
    can do, so the forgery tests use it), with the Ids as given; returns the signed root."""
    etree.SubElement(_container(root), _ds("Signature"), Id="placeholder", nsmap={"ds": DS})
    xml_signer = XMLSigner(
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    )
    xml_signer.namespaces = {"ds": DS}
    xml_signer.signature_annotators.append(_time_annotator(sig_id, signing_time))
    return xml_signer.sign(
        root,
        key=signer.key,  # type: ignore[arg-type]  # any object with RSA-style sign()
        cert=list(signer.chain),
        key_info=_key_info(signer.certificate),
        reference_uri=[f"#{data_element(root).get('Id')}", *(f"#{s}" for s in countersign)],
    )


def _signature(root: etree._Element, sig_id: str) -> etree._Element:
    """The signature of role Id `sig_id` in this document's container."""
    sig_id = scoped(root, sig_id)
    for candidate in _container(root).iterfind("ds:Signature", _DS):
        if candidate.get("Id") == sig_id:
            return candidate
    raise InvalidValue(_("Không có chữ ký «{id}».").format(id=sig_id))


def signed_info_bytes(document: bytes, sig_id: str) -> bytes:
    """What the private key signs for signature `sig_id` (its canonical SignedInfo)."""
    signature = _signature(parse_own(document), sig_id)
    return c14n(signature.find("ds:SignedInfo", _DS))


def insert_signature_value(
    document: bytes, sig_id: str, value: bytes, certificate: x509.Certificate
) -> bytes:
    """Put a value signed elsewhere (a remote service) into a prepared signature, after checking
    it against the certificate: a wrong value is refused, never stored."""
    root = parse_own(document)
    signature = _signature(root, sig_id)
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    try:
        public_key.verify(
            value, c14n(signature.find("ds:SignedInfo", _DS)), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature as exc:
        raise InvalidValue(
            _("Chữ ký trả về không khớp chứng thư của người ký; không lưu.")
        ) from exc
    signature.find("ds:SignatureValue", _DS).text = base64.b64encode(value).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
