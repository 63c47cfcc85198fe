"""Verifying a record XML (or a subject sheet) against the profile it was signed with.

The file must validate against hocba.xsd; its signatures container must hold exactly the
signatures its signer list asks for (001 Điều 4.1), in the list's order (Điều 24.5), each of
the profile's shape (DESIGN.md section 5, Điều 14: one SignedInfo, one KeyInfo with the
certificate, one Object holding its SigningTime) and referencing exactly what its role signs: the
data, the signatures before it that it countersigns, its own SigningTime. Every reference is
resolved where the profile puts its target (the data beside the container, a signature in the
container, the signature's own property), never by searching the document for an Id, and every
Id of the file must be unique: that is how a wrapped or moved signature is caught. Each
signature then answers the four questions of Điều 15 (core.signing.reports).

xmlsec1 checks one signature at a time and knows nothing of the list: it still says "OK" for a
record whose principal's and seal's signatures were stripped (tests/hostile shows it).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections import Counter

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from core.errors import InvalidValue
from core.i18n import _
from core.models.records import RECORD_ORDER, SignatureRole
from core.render import xml_record as fmt
from core.render.xml_base import DS
from core.signing.chain import countersigned
from core.signing.keys import subject_name
from core.signing.reports import SignatureReport, time_problem
from core.signing.signer_list import (
    SHEET_ORDER,
    Found,
    Registered,
    Registry,
    School,
    Verdict,
    enforce,
    list_problem,
)
from core.signing.trust import Trust, chain_path, revocation
from core.signing.xmldsig import EXC_C14N, SHA256_URI, c14n, time_property_id

_NS = {"ds": DS, "h": fmt.NS}
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
_RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
_TRANSFORMS = ([_ENVELOPED, EXC_C14N.value], [EXC_C14N.value])
_NONE = Registered()
_KINDS = {f"{{{fmt.NS}}}hocba": RECORD_ORDER, f"{{{fmt.NS}}}bangdiemmonhoc": SHEET_ORDER}


def _ds(tag: str) -> str:
    return f"{{{DS}}}{tag}"


def role_of(sig_id: str, suffix: str = "") -> SignatureRole | None:
    """The role a signature's Id claims (chuky-ht, or chuky-ht-2025-2026 over the year section
    whose Id ends in `suffix`): only a claim, held to the signer list."""
    if suffix and not sig_id.endswith(suffix):
        return None
    try:
        return SignatureRole(sig_id.removeprefix("chuky-").removesuffix(suffix))
    except ValueError:
        return None


def _children(element: etree._Element) -> list[str]:
    """The child elements' names (ds:x), anything else (a comment, text) marked as such."""
    names = []
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions sign nothing and mean nothing
        qname = etree.QName(child)
        prefix = {DS: "ds:", fmt.NS: "h:"}.get(qname.namespace or "", "{?}")
        names.append(prefix + qname.localname)
    return names


def _shape_problems(signature: etree._Element, sig_id: str) -> list[str]:
    """What departs from the profile's shape: each level holds exactly what it should."""
    problems = []
    if set(signature.attrib) != {"Id"}:
        problems.append(_("thuộc tính lạ trên ds:Signature"))
    expected = {
        ".": ["ds:SignedInfo", "ds:SignatureValue", "ds:KeyInfo", "ds:Object"],
        "ds:KeyInfo": ["ds:X509Data"],
        "ds:Object": ["ds:SignatureProperties"],
        "ds:Object/ds:SignatureProperties": ["ds:SignatureProperty"],
        "ds:Object/ds:SignatureProperties/ds:SignatureProperty": ["h:SigningTime"],
    }
    for path, names in expected.items():
        found = signature if path == "." else signature.find(path, _NS)
        if found is None or _children(found) != names:
            problems.append(
                _(
                    "cấu trúc chữ ký khác quy định (Điều 14) ở {path}: có phần tử lạ hoặc thiếu"
                ).format(path="ds:Signature" if path == "." else path)
            )
    data = signature.find("ds:KeyInfo/ds:X509Data", _NS)
    if data is not None:
        names = _children(data)
        if names[:1] != ["ds:X509SubjectName"] or set(names[1:]) != {"ds:X509Certificate"}:
            problems.append(_("ds:X509Data phải có X509SubjectName và X509Certificate (Điều 14)"))
    prop = signature.find("ds:Object/ds:SignatureProperties/ds:SignatureProperty", _NS)
    if prop is not None and (
        prop.get("Id") != time_property_id(sig_id) or prop.get("Target") != f"#{sig_id}"
    ):
        problems.append(_("SignatureProperty không thuộc về chữ ký này"))
    signed_info = signature.find("ds:SignedInfo", _NS)
    if signed_info is not None:
        method = signed_info.find("ds:SignatureMethod", _NS)
        c14n_method = signed_info.find("ds:CanonicalizationMethod", _NS)
        if (
            c14n_method is None
            or c14n_method.get("Algorithm") != EXC_C14N.value
            or method is None
            or method.get("Algorithm") != _RSA_SHA256
        ):
            problems.append(_("thuật toán ký khác quy định (RSA-SHA256, exclusive C14N)"))
    return problems


def _certificates(signature: etree._Element) -> list[x509.Certificate]:
    out = []
    for element in signature.iterfind("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS):
        try:
            out.append(x509.load_der_x509_certificate(base64.b64decode(element.text or "")))
        except ValueError:
            continue
    return out


def _value_valid(signature: etree._Element, certificate: x509.Certificate) -> bool:
    signed_info = signature.find("ds:SignedInfo", _NS)
    public_key = certificate.public_key()
    if signed_info is None or not isinstance(public_key, rsa.RSAPublicKey):
        return False
    value = signature.findtext("ds:SignatureValue", default="", namespaces=_NS)
    try:
        public_key.verify(
            base64.b64decode(value), c14n(signed_info), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _digest_ok(ref: etree._Element, target: etree._Element) -> bool:
    method = ref.find("ds:DigestMethod", _NS)
    transforms = [t.get("Algorithm") for t in ref.iterfind("ds:Transforms/ds:Transform", _NS)]
    if method is None or method.get("Algorithm") != SHA256_URI or transforms not in _TRANSFORMS:
        return False
    expected = ref.findtext("ds:DigestValue", default="", namespaces=_NS)
    return base64.b64encode(hashlib.sha256(c14n(target)).digest()).decode() == expected


def _content_problems(
    signature: etree._Element,
    sig_id: str,
    role: SignatureRole | None,
    targets: dict[str, etree._Element],
    data_id: str,
) -> tuple[list[str], bool]:
    """Does the signature reference exactly what its role signs (the data of Id `data_id`, the
    earlier signatures over it), each digest matching? Also whether its SigningTime is among
    what it signed, intact."""
    own = time_property_id(sig_id)
    suffix = data_id.removeprefix(fmt.DATA_ID)
    wanted = [f"#{data_id}"]
    if role is not None:
        wanted += [f"#{earlier}{suffix}" for earlier in countersigned(role)]
    wanted.append(f"#{own}")
    references = signature.findall("ds:SignedInfo/ds:Reference", _NS)
    uris = [r.get("URI", "") for r in references]
    problems = []
    if uris != wanted:
        problems.append(
            _("phần được ký không đúng phần của vai trò: ký {found}, cần {wanted}").format(
                found=", ".join(uris) or _("(không gì)"), wanted=", ".join(wanted)
            )
        )
    time_ok = False
    prop = signature.find("ds:Object/ds:SignatureProperties/ds:SignatureProperty", _NS)
    for ref, uri in zip(references, uris, strict=True):
        target = prop if uri == f"#{own}" else targets.get(uri[1:]) if uri[:1] == "#" else None
        if target is None:
            problems.append(_("tham chiếu {uri} không trỏ tới phần nào hợp lệ").format(uri=uri))
        elif not _digest_ok(ref, target):
            what = {f"#{data_id}": _("dữ liệu học bạ"), f"#{own}": _("thời điểm ký")}
            problems.append(
                _("{what} ĐÃ BỊ THAY ĐỔI sau khi ký").format(
                    what=what.get(uri, _("chữ ký {uri}").format(uri=uri))
                )
            )
        elif uri == f"#{own}":
            time_ok = True
    return problems, time_ok


def _signing_time(signature: etree._Element) -> dt.datetime | None:
    text = signature.findtext(
        "ds:Object/ds:SignatureProperties/ds:SignatureProperty/h:SigningTime", namespaces=_NS
    )
    try:
        moment = dt.datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo is not None else None


def check_signature(
    signature: etree._Element,
    targets: dict[str, etree._Element],
    trust: Trust,
    now: dt.datetime,
    data_id: str = fmt.DATA_ID,
) -> Found:
    """The four questions for one ds:Signature over the data of Id `data_id`, on its own (the
    list is held to it later)."""
    sig_id = signature.get("Id", "")
    role = role_of(sig_id, data_id.removeprefix(fmt.DATA_ID))
    certificates = _certificates(signature)
    certificate = certificates[0] if certificates else None
    report = SignatureReport(
        sig_id or _("(chữ ký không có Id)"),
        role,
        subject_name(certificate) if certificate else _("(không có chứng thư)"),
        signing_time=_signing_time(signature),
    )
    report.signature += _shape_problems(signature, sig_id)
    if certificate is None:
        report.signature.append(_("chữ ký không kèm chứng thư số"))
        report.certificate.append(_("không có chứng thư để kiểm tra"))
        report.time.append(_("không kiểm tra được khi không có chứng thư"))
        return Found(role, report, None)
    if not _value_valid(signature, certificate):
        report.signature.append(_("giá trị chữ ký không khớp chứng thư"))
    content, time_ok = _content_problems(signature, sig_id, role, targets, data_id)
    report.content += content
    moment = report.signing_time
    path, problem = chain_path(certificate, certificates[1:], trust.roots, moment or now)
    if problem is None:
        checked = revocation(path, trust, moment or now)
        problem = checked.problem
        report.notes.append(checked.note)
    if problem is not None:
        report.certificate.append(problem)
    if (late := time_problem(moment, certificate, time_ok, now)) is not None:
        report.time.append(late)
    return Found(role, report, certificate)


def _id_problems(root: etree._Element) -> list[str]:
    counts = Counter(e.get("Id") for e in root.iter() if isinstance(e.tag, str) and e.get("Id"))
    return [
        _("Id «{id}» xuất hiện {n} lần: dấu hiệu chữ ký bị bọc (wrapping)").format(id=i, n=n)
        for i, n in counts.items()
        if n > 1
    ]


def _schema_problem(root: etree._Element) -> str | None:
    try:
        fmt.validate(root)
    except InvalidValue as exc:
        return str(exc)
    return None


def is_record(root: etree._Element) -> bool:
    """A student's record (hocba), rather than a subject sheet."""
    return _KINDS.get(root.tag) is RECORD_ORDER


def verify_xml(root: etree._Element, trust: Trust, registry: Registry, now: dt.datetime) -> Verdict:
    """The verdict on a record or a subject sheet; on a record, on each year it holds."""
    order = _KINDS.get(root.tag)
    if order is None:
        raise InvalidValue(
            _(
                "Tệp XML này không phải học bạ số hay bảng điểm môn học (phần tử gốc «{tag}»)."
            ).format(tag=etree.QName(root).localname)
        )
    verdict = Verdict()
    allowed = ("h:dulieuhocba", "h:danhsachchuky", f"h:{fmt.EARLIER}")
    if order is SHEET_ORDER:
        allowed = ("h:dulieubangdiem", "h:danhsachchuky")
    outside = [name for name in _children(root) if name not in allowed]
    verdict.problems += [
        _("phần tử «{name}» nằm ngoài phần dữ liệu đã ký: không ai ký phần này").format(
            name=name.split(":")[-1].removeprefix("{?}")
        )
        for name in outside
    ]
    if not outside and (problem := _schema_problem(root)) is not None:
        verdict.problems.append(problem)
    verdict.problems += _id_problems(root)
    sections = [root, *(fmt.earlier_years(root) if order is RECORD_ORDER else ())]
    if any(_parts(section) is None for section in sections):
        verdict.problems.append(_("tệp thiếu phần dữ liệu đã ký hoặc phần chữ ký"))
        return verdict
    verdict.problems += _carried_problems(root)
    for section in sections:
        _verify_section(section, order, trust, registry, now, verdict)
    return verdict


def _parts(section: etree._Element) -> tuple[etree._Element, etree._Element] | None:
    """A document's (or a carried year's) signed data and signatures container, where the
    profile puts them: the first two children."""
    children = [c for c in section if isinstance(c.tag, str)]
    if len(children) < 2 or children[0].tag not in fmt.DATA_TAGS or not children[0].get("Id"):
        return None
    if children[1].tag != f"{{{fmt.NS}}}danhsachchuky":
        return None
    return children[0], children[1]


def _carried_problems(root: etree._Element) -> list[str]:
    """Each year section must be of this record and this student, Id'd by its own year, the
    carried ones earlier than this year and in order (001 Điều 24.4: one record per level)."""
    data = fmt.data_element(root)
    problems = []
    code, student = (
        data.findtext(f"h:{tag}", default="", namespaces=_NS)
        for tag in ("madinhdanhhocba", "hocsinh/h:madinhdanhcanhan")
    )
    later = None
    for section in [root, *reversed(fmt.earlier_years(root))]:
        year_data = fmt.data_element(section)
        year = year_data.findtext("h:namhoc", default="", namespaces=_NS)
        if is_record(root) and year_data.get("Id") != fmt.year_data_id(year):
            problems.append(
                _("phần dữ liệu năm học {year} mang Id «{id}», không phải Id của năm đó").format(
                    year=year, id=year_data.get("Id")
                )
            )
        if section is root:
            later = year
            continue
        if (
            year_data.findtext("h:madinhdanhhocba", default="", namespaces=_NS) != code
            or year_data.findtext("h:hocsinh/h:madinhdanhcanhan", default="", namespaces=_NS)
            != student
        ):
            problems.append(
                _(
                    "năm học {year} trong tệp không thuộc học bạ này (mã học bạ hoặc mã định "
                    "danh học sinh khác)"
                ).format(year=year)
            )
        if later is not None and year >= later:
            problems.append(
                _(
                    "năm học {year} đứng sau năm học {later}: các năm học trước phải sớm hơn, "
                    "theo thứ tự"
                ).format(year=year, later=later)
            )
        later = year
    return problems


def _verify_section(
    section: etree._Element,
    order: tuple[SignatureRole, ...],
    trust: Trust,
    registry: Registry,
    now: dt.datetime,
    verdict: Verdict,
) -> None:
    """One year section (or a sheet's data) held to its own signer list and signatures."""
    parts = _parts(section)
    assert parts is not None
    data, container = parts
    if any(name != "ds:Signature" for name in _children(container)):
        verdict.problems.append(
            _("phần chữ ký (danhsachchuky) có phần tử không phải chữ ký: dấu hiệu bị chèn")
        )
    signatures = [s for s in container if s.tag == _ds("Signature")]
    data_id = data.get("Id", "")
    targets = {**{s.get("Id", ""): s for s in signatures if s.get("Id")}, data_id: data}
    found = [check_signature(s, targets, trust, now, data_id) for s in signatures]
    listed = fmt.signers_from_xml(data)
    if (problem := list_problem(listed, order)) is not None:
        verdict.problems.append(problem)
    school = School(
        data.findtext("h:truong/h:matruong", default="", namespaces=_NS)
        or data.findtext("h:matruong", default="", namespaces=_NS),
        data.findtext("h:truong/h:tentruong", default="", namespaces=_NS)
        or data.findtext("h:tentruong", default="", namespaces=_NS),
    )
    suffix = data_id.removeprefix(fmt.DATA_ID)
    labels = {role: role.signature_id + suffix for role in order}
    verdict.signatures += enforce(
        listed, order, found, labels, school, registry.get(school.code, _NONE), trust
    )


def data_digest(root: etree._Element) -> str:
    """SHA-256 of the canonical signed data: what every signature's first reference covers,
    and how a record's status is looked up (core.services.verification)."""
    return hashlib.sha256(c14n(fmt.data_element(root))).hexdigest()
