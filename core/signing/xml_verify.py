"""Check every ds:Signature of a record XML on its own (signxml's verifier checks only one).

Each signature is answered separately: its SignatureValue against its certificate, each
Reference's digest (the data, its SigningTime property, countersigned signatures), the chain to
the trust roots at the signing time, and the SigningTime itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from core import clock
from core.i18n import _
from core.models.records import SignatureRole
from core.render.xml_record import DS, NS
from core.signing.keys import subject_name
from core.signing.reports import SignatureReport, time_problem
from core.signing.trust import chain_problem
from core.signing.xmldsig import EXC_C14N, SHA256_URI

_NS = {"ds": DS, "h": NS}
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
_INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"


def _role(sig_id: str) -> SignatureRole | None:
    try:
        return SignatureRole(sig_id.removeprefix("chuky-"))
    except ValueError:
        return None


def _canonical(element: etree._Element, algorithm: str | None) -> bytes | None:
    if algorithm == EXC_C14N.value:
        return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    if algorithm == _INCLUSIVE:
        return etree.tostring(element, method="c14n", exclusive=False, with_comments=False)
    return None


def _by_id(root: etree._Element, ident: str) -> etree._Element | None:
    found = root.xpath("//*[@Id=$id]", id=ident)
    return found[0] if len(found) == 1 else None  # a duplicated Id is a wrapping attack


def _reference_ok(root: etree._Element, signature: etree._Element, ref: etree._Element) -> bool:
    uri = ref.get("URI", "")
    target = _by_id(root, uri[1:]) if uri.startswith("#") else None
    method = ref.find("ds:DigestMethod", _NS)
    if target is None or method is None or method.get("Algorithm") != SHA256_URI:
        return False
    algorithms = [t.get("Algorithm") for t in ref.iterfind("ds:Transforms/ds:Transform", _NS)]
    if _ENVELOPED in algorithms:
        if signature in target.iterancestors() or target is signature:
            return False  # our profile keeps signatures outside what they sign
        algorithms.remove(_ENVELOPED)
    if len(algorithms) > 1:
        return False
    data = _canonical(target, algorithms[0] if algorithms else _INCLUSIVE)
    expected = ref.findtext("ds:DigestValue", default="", namespaces=_NS)
    return data is not None and base64.b64encode(hashlib.sha256(data).digest()).decode() == expected


def _signing_time(
    signature: etree._Element, covered_ids: set[str]
) -> tuple[dt.datetime | None, bool]:
    for prop in signature.iterfind("ds:Object/ds:SignatureProperties/ds:SignatureProperty", _NS):
        text = prop.findtext("h:SigningTime", namespaces=_NS)
        if text:
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                return None, False
            if moment.tzinfo is None:
                return None, False
            return moment.astimezone(dt.UTC), prop.get("Id") in covered_ids
    return None, False


def verify_signature(
    root: etree._Element, signature: etree._Element, roots: Sequence[x509.Certificate]
) -> SignatureReport:
    sig_id = signature.get("Id", "")
    der = signature.findtext("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=_NS)
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(der or ""))
    except ValueError:
        return SignatureReport(
            sig_id,
            _role(sig_id),
            _("(không có chứng thư)"),
            False,
            False,
            _("chữ ký không kèm chứng thư số"),
            None,
            _("không kiểm tra được"),
        )
    signed_info = signature.find("ds:SignedInfo", _NS)
    valid = False
    references: list[etree._Element] = []
    if signed_info is not None:
        method = signed_info.find("ds:SignatureMethod", _NS)
        c14n_method = signed_info.find("ds:CanonicalizationMethod", _NS)
        data = _canonical(
            signed_info, c14n_method.get("Algorithm") if c14n_method is not None else None
        )
        value = signature.findtext("ds:SignatureValue", default="", namespaces=_NS)
        public_key = certificate.public_key()
        if (
            data is not None
            and method is not None
            and method.get("Algorithm") == _RSA_SHA256
            and isinstance(public_key, rsa.RSAPublicKey)
        ):
            try:
                public_key.verify(
                    base64.b64decode(value), data, padding.PKCS1v15(), hashes.SHA256()
                )
                valid = True
            except (InvalidSignature, ValueError):
                valid = False
        references = list(signed_info.iterfind("ds:Reference", _NS))
    covered = {r.get("URI", "")[1:] for r in references}
    unchanged = bool(references) and all(_reference_ok(root, signature, r) for r in references)
    moment, time_covered = _signing_time(signature, covered)
    others = [
        x509.load_der_x509_certificate(base64.b64decode(e.text or ""))
        for e in signature.iterfind("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS)
    ][1:]
    return SignatureReport(
        label=sig_id,
        role=_role(sig_id),
        signer=subject_name(certificate),
        signature_valid=valid,
        content_unchanged=unchanged,
        certificate_problem=chain_problem(certificate, others, roots, moment or clock.now()),
        signing_time=moment,
        time_problem=time_problem(moment, certificate, time_covered and unchanged),
    )


def verify_xml(root: etree._Element, roots: Sequence[x509.Certificate]) -> list[SignatureReport]:
    return [verify_signature(root, s, roots) for s in root.iter(f"{{{DS}}}Signature")]
