"""The school's seal on its own documents that are not records: a backup's manifest (and, later,
a repository package's), in the records' XML signature profile (DESIGN.md §5).

Such a document is `<root><{data} Id="dulieu">…</{data}><danhsachchuky/></root>` in the record
namespace, with exactly one signature, `chuky-niemphong`, over the data and its signing time.
There is no signer list: who may seal is decided by whoever checks (`check_sealed` returns the
sealing certificate so the caller can hold it to the seal it expects).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from core.errors import InvalidValue
from core.i18n import _
from core.render.xml_base import DS, NS
from core.render.xml_record import DATA_ID, parse_untrusted
from core.signing.keys import Signer
from core.signing.reports import SignatureReport
from core.signing.trust import Trust
from core.signing.xml_verify import check_signature
from core.signing.xmldsig import add_signature

SEAL_ID = "chuky-niemphong"


def sealed_document(root_tag: str, data_tag: str) -> tuple[etree._Element, etree._Element]:
    """An empty document to fill and seal: its root and its data element."""
    root = etree.Element(f"{{{NS}}}{root_tag}", nsmap={None: NS})
    data = etree.SubElement(root, f"{{{NS}}}{data_tag}", Id=DATA_ID)
    return root, data


def seal(root: etree._Element, signer: Signer, moment: dt.datetime) -> bytes:
    """The document with the seal's signature added, as bytes (signed: never re-serialise)."""
    etree.SubElement(root, f"{{{NS}}}danhsachchuky")
    signed = add_signature(root, signer, SEAL_ID, moment)
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True)
class Sealed:
    """A checked sealed document: its data element, and who sealed it when."""

    data: etree._Element
    certificate: x509.Certificate
    report: SignatureReport


def check_sealed(document: bytes, root_tag: str, trust: Trust, now: dt.datetime) -> Sealed:
    """Parse (as an untrusted file) and check a sealed document: the one seal signature valid,
    over exactly the data and its time, by a certificate that chains to `trust`. InvalidValue
    names what is wrong otherwise."""
    root = parse_untrusted(document)
    if root.tag != f"{{{NS}}}{root_tag}":
        raise InvalidValue(
            _("Tệp không phải tài liệu «{kind}» của học bạ số.").format(kind=root_tag)
        )
    data = root.find(f"*[@Id='{DATA_ID}']")
    signatures = root.findall(f"{{{NS}}}danhsachchuky/{{{DS}}}Signature")
    if data is None or len(signatures) != 1 or len(root) != 2:
        raise InvalidValue(
            _("Tài liệu «{kind}» phải có đúng một phần dữ liệu và một chữ ký niêm phong.").format(
                kind=root_tag
            )
        )
    [signature] = signatures
    if signature.get("Id") != SEAL_ID:
        raise InvalidValue(_("Chữ ký niêm phong phải có Id «{id}».").format(id=SEAL_ID))
    found = check_signature(signature, {DATA_ID: data}, trust, now)
    report = found.report
    problems = report.signature + report.content + report.certificate + report.time
    if problems or found.certificate is None:
        raise InvalidValue(
            _("Niêm phong không hợp lệ: {problems}.").format(problems="; ".join(problems))
        )
    return Sealed(data, found.certificate, found.report)
