"""The record format: build a student's year record and a class × subject sheet as XML.

Both documents are built from plain data (no database here), validated against hocba.xsd on
every build, and read back by `record_from_xml` so the PDF prints exactly what the XML holds
(the signed XML is the source; the PDF is its rendering). Parsing untrusted files goes through
`parse_untrusted`, which refuses DTDs, entities, network access and oversized input.

Each document's signed data ends with its signer list (danhsachky, regulation 001 Điều 4.1:
"danh sách thông tin ký"): who must sign it, in which role and in which order (Điều 24.5), with
the SHA-256 fingerprint of the certificate each must sign with. Every signature covers the list,
the school's seal last, so a verifier outside the school knows what a complete record is and
whose certificates make it (core.signing.xml_verify).
"""

from __future__ import annotations

import datetime as dt
import re
from base64 import b64decode, b64encode
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from core.errors import InvalidValue
from core.i18n import _
from core.render.xml_base import DS, NS, add, q, text
from core.render.xml_primary import PrimaryYear, add_primary, primary_from_xml

XSD = Path(__file__).with_name("hocba.xsd")
DATA_ID = "dulieu"  # the Id of a sheet's signed data; a record's year section adds its year
EARLIER = "cacnamtruoc"  # a record's earlier years of the level, carried as they were signed
EARLIER_YEAR = "namhoctruoc"  # one of them: its year section and its signatures container
PDF_SIGNERS_FILE = "danhsachky.xml"  # the signer list a record's PDF carries, attached
MAX_XML_BYTES = 5 * 1024 * 1024  # a record is ~20 KB; anything this big is not one of ours


@dataclass(frozen=True)
class SchoolInfo:
    code: str
    name: str
    level: str  # as printed: "Trung học cơ sở"
    province: str
    district: str


@dataclass(frozen=True)
class ListedSigner:
    """One entry of a document's signer list: the role ("gvbm", "gvcn", "ht", "dv": the values of
    core.models.records.SignatureRole), the name, the certificate's SHA-256 fingerprint (hex)."""

    role: str
    name: str
    fingerprint: str


@dataclass(frozen=True)
class Lookup:
    """How a record is looked up on the school's portal (001 Điều 22.1, mã số tra cứu): its
    code, the access code printed beside the PDF's QR code, and the page's address."""

    code: str
    access: str
    url: str


@dataclass(frozen=True)
class SubjectLine:
    """One subject of a student's year: term and year results as the record prints them."""

    code: str
    name: str
    scored: bool
    term1: str
    term2: str
    year: str
    teacher: str
    comment: str = ""  # the subject teacher's comment of the year (TT22 Điều 4: nhận xét)


@dataclass(frozen=True)
class StudentRecord:
    """Everything a student's record of one school year holds: the secondary results (Thông
    tư 22, mẫu học bạ) or, in primary school, `primary` (Thông tư 27, core.render.xml_primary)
    and none of the secondary fields."""

    record_code: str
    version: int
    replaces_version: int | None
    created: dt.date
    school: SchoolInfo
    national_id: str
    full_name: str
    born: dt.date
    gender: str  # "Nam" | "Nữ"
    ethnicity: str
    birthplace: str
    year_name: str
    class_name: str
    grade: int
    homeroom: str
    principal: str
    subjects: tuple[SubjectLine, ...] = ()
    learning: tuple[str, str, str] = ("", "", "")  # term I, term II, year
    conduct: tuple[str, str, str] = ("", "", "")
    absent_days: int = 0
    promotion: str = ""
    title: str | None = None
    homeroom_comment: str = ""
    signers: tuple[ListedSigner, ...] = ()  # homeroom teacher, principal, seal (Điều 24.5)
    lookup: Lookup | None = None  # None: a record issued before records carried one
    primary: PrimaryYear | None = None  # a primary school's year, instead of the fields above
    # The level's record as last issued (its XML), whose year sections this version carries
    # unchanged, signatures included (001 Điều 24.4: one record per level, extended yearly).
    previous: bytes = b""
    photo: bytes = b""  # the cover's 3 × 4 photo, a JPEG (core.services.student_photos); b"": none


def _school(parent: etree._Element, school: SchoolInfo) -> None:
    element = add(parent, "truong")
    for tag, value in (
        ("matruong", school.code),
        ("tentruong", school.name),
        ("caphoc", school.level),
        ("tinhthanh", school.province),
        ("quanhuyen", school.district),
    ):
        add(element, tag, value)


def _three(parent: etree._Element, tag: str, values: tuple[str, str, str]) -> None:
    element = add(parent, tag)
    for key, value in zip(("hk1", "hk2", "cannam"), values, strict=True):
        add(element, key, value)


def add_signer_list(parent: etree._Element, signers: tuple[ListedSigner, ...]) -> None:
    """The document's signer list (001 Điều 4.1), inside its signed data."""
    element = add(parent, "danhsachky")
    for signer in signers:
        entry = add(element, "nguoiky")
        add(entry, "vaitro", signer.role)
        add(entry, "hoten", signer.name)
        add(entry, "vantaychungthu", signer.fingerprint)


def new_document(
    root_tag: str, data_tag: str, data_id: str = DATA_ID
) -> tuple[etree._Element, etree._Element]:
    """A document's root and its signed data element (`data_id`), in our namespace."""
    root = etree.Element(q(root_tag), nsmap={None: NS})
    data = add(root, data_tag)
    data.set("Id", data_id)
    return root, data


def year_data_id(year_name: str) -> str:
    """The Id of a record's year section ("dulieu-2025-2026"). Each year's Ids are its own, so
    the sections of several years, each with its signatures, sit in one file: a signature
    names what it covers by Id, and an Id may occur once in a file."""
    return f"{DATA_ID}-{year_name}"


def id_suffix(data: etree._Element) -> str:
    """What the data's Id adds to the base Id ("-2025-2026"; "" on a sheet): the signatures
    over that data carry it too (chuky-gvcn-2025-2026)."""
    return (data.get("Id") or "").removeprefix(DATA_ID)


def build_record(record: StudentRecord) -> bytes:
    """The student's record, unsigned: this year's section, its empty signatures container,
    and the earlier years of `record.previous`, carried as they were signed."""
    root, data = new_document("hocba", "dulieuhocba", year_data_id(record.year_name))
    add(data, "madinhdanhhocba", record.record_code)
    add(data, "phienban", record.version)
    if record.replaces_version is not None:
        add(data, "thaythephienban", record.replaces_version)
    add(data, "ngaylap", record.created.isoformat())
    if record.lookup is not None:
        lookup = add(data, "tracuu")
        add(lookup, "matracuu", record.lookup.code)
        add(lookup, "mabaomat", record.lookup.access)
        add(lookup, "diachi", record.lookup.url)
    _school(data, record.school)
    student = add(data, "hocsinh")
    for tag, value in (
        ("madinhdanhcanhan", record.national_id),
        ("hovaten", record.full_name),
        ("ngaysinh", record.born.isoformat()),
        ("gioitinh", record.gender),
        ("dantoc", record.ethnicity),
        ("noisinh", record.birthplace),
    ):
        add(student, tag, value)
    if record.photo:  # signed with the rest: the picture a reader sees is the school's
        add(student, "anh", b64encode(record.photo).decode())
    for tag, value in (
        ("namhoc", record.year_name),
        ("lop", record.class_name),
        ("khoi", record.grade),
        ("giaovienchunhiem", record.homeroom),
        ("hieutruong", record.principal),
    ):
        add(data, tag, value)
    if record.primary is not None:
        add_primary(data, record.primary)
    else:
        _secondary(data, record)
    if record.homeroom_comment:
        add(data, "nhanxetgvcn", record.homeroom_comment)
    add_signer_list(data, record.signers)
    add(root, "danhsachchuky")
    if record.previous:
        _carry(root, parse_own(record.previous), record.year_name)
    return serialise(root)


def _carry(root: etree._Element, previous: etree._Element, year_name: str) -> None:
    """Append the previous version's years before `year_name`: those it carried, then its own
    section when it is of an earlier year (a version of the same year is replaced, not
    carried). The elements move as they are: exclusive C14N makes their signatures
    independent of where they sit."""
    kept = [y for y in earlier_years(previous) if text(data_element(y), "h:namhoc") < year_name]
    if text(data_element(previous), "h:namhoc") < year_name:
        own = etree.Element(q(EARLIER_YEAR))  # its own year, wrapped with its signatures
        own.extend([data_element(previous), previous.find("h:danhsachchuky", _H)])
        kept.append(own)
    if kept:
        add(root, EARLIER).extend(kept)


def earlier_years(root: etree._Element) -> list[etree._Element]:
    """A record's carried years, oldest first as the file orders them: each holds a year
    section and its signatures container, as a record's root does (so `data_element` and
    `signing_times` read either)."""
    return root.findall(f"h:{EARLIER}/h:{EARLIER_YEAR}", _H)


def _secondary(data: etree._Element, record: StudentRecord) -> None:
    results = add(data, "ketqua")
    for line in record.subjects:
        subject = add(results, "monhoc")
        for tag, value in (
            ("mamonhoc", line.code),
            ("tenmonhoc", line.name),
            ("hinhthucdanhgia", "diem" if line.scored else "nhanxet"),
            ("hk1", line.term1),
            ("hk2", line.term2),
            ("cannam", line.year),
            ("giaovien", line.teacher),
        ):
            add(subject, tag, value)
        if line.comment:
            add(subject, "nhanxet", line.comment)
    _three(results, "ketquahoctap", record.learning)
    _three(results, "ketquarenluyen", record.conduct)
    add(results, "songaynghi", record.absent_days)
    add(results, "lenlop", record.promotion)
    if record.title:
        add(results, "danhhieu", record.title)


def build_pdf_signers(record: StudentRecord) -> bytes:
    """What the record's PDF states inside its signed content: which record it renders, the
    school, and the signer list (hocba.xsd, thongtinkypdf)."""
    root = etree.Element(q("thongtinkypdf"), nsmap={None: NS})
    add(root, "madinhdanhhocba", record.record_code)
    add(root, "phienban", record.version)
    add(root, "matruong", record.school.code)
    add(root, "tentruong", record.school.name)
    add_signer_list(root, record.signers)
    return serialise(root)


_H = {"h": NS}


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


_ELEMENT = r"Element '(?:\{[^}]*\})?([^']+)'"
_SCHEMA_PATTERNS = {
    "unexpected": re.compile(_ELEMENT + r": This element is not expected"),
    "missing": re.compile(_ELEMENT + r": Missing child element"),
    "value": re.compile(_ELEMENT + r": (?:\[facet '[^']+'\] The value '([^']*)'|'([^']*)' is not)"),
    "attribute": re.compile(
        _ELEMENT + r", attribute '([^']+)': The attribute '[^']+' is not allowed"
    ),
    "root": re.compile(_ELEMENT + r": No matching global declaration"),
    "text": re.compile(_ELEMENT + r": Character content other than whitespace"),
}


def _schema_message(message: str) -> str:
    """libxml2's English, said in Vietnamese for the usual cases (the rest kept as it is)."""
    for kind, pattern in _SCHEMA_PATTERNS.items():
        if (found := pattern.match(message)) is None:
            continue
        name, *rest = (g for g in found.groups() if g is not None)
        return {
            "unexpected": lambda: _("phần tử «{name}» không được phép ở đây"),
            "missing": lambda: _("phần tử «{name}» thiếu phần tử bắt buộc"),
            "value": lambda: _("phần tử «{name}»: giá trị «{value}» không hợp lệ"),
            "attribute": lambda: _("phần tử «{name}» có thuộc tính lạ «{value}»"),
            "root": lambda: _("«{name}» không phải học bạ số"),
            "text": lambda: _("phần tử «{name}» chứa chữ không được phép"),
        }[kind]().format(name=name, value=rest[0] if rest else "")
    return message


def validate(root: etree._Element) -> None:
    """Raise InvalidValue naming the first problem when `root` breaks hocba.xsd."""
    schema = _schema()
    if not schema.validate(root):
        error = schema.error_log.last_error
        raise InvalidValue(
            _("Học bạ không đúng định dạng (dòng {line}): {message}").format(
                line=error.line, message=_schema_message(error.message)
            )
        )


def serialise(root: etree._Element) -> bytes:
    """The document's bytes, once it validates against hocba.xsd."""
    validate(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_untrusted(data: bytes) -> etree._Element:
    """Parse a file from outside: no DTD, no entities, no network, at most MAX_XML_BYTES.

    A DOCTYPE is refused outright rather than parsed harmlessly: records never carry one, and
    it is how entity-expansion (billion laughs) and external-entity attacks arrive.
    """
    if len(data) > MAX_XML_BYTES:
        raise InvalidValue(
            _("Tệp quá lớn để là một học bạ ({size} MB); không kiểm tra.").format(
                size=len(data) // (1024 * 1024)
            )
        )
    doctype = _("Tệp XML có khai báo DOCTYPE/thực thể: từ chối vì lý do an toàn.")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise InvalidValue(doctype)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidValue(_("Tệp không phải XML hợp lệ: {error}").format(error=exc)) from exc
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InvalidValue(doctype)  # one encoded otherwise than UTF-8 gets here
    return root


def parse_own(data: bytes) -> etree._Element:
    """Parse a document this system built (stored or being signed)."""
    return etree.fromstring(data, _parser())


DATA_TAGS = (q("dulieuhocba"), q("dulieubangdiem"))


def data_element(root: etree._Element) -> etree._Element:
    """The document's signed data (a record's: this year's section), by its place: the first
    element of the root (or of a carried year), bearing an Id."""
    found = next((child for child in root if isinstance(child.tag, str)), None)
    if found is None or not found.get("Id"):
        raise InvalidValue(_("Tệp không có phần dữ liệu học bạ (Id «{id}»).").format(id=DATA_ID))
    return found


def signing_times(section: etree._Element) -> dict[str, dt.datetime]:
    """Signature Id without its year (chuky-gvcn...) → the SigningTime it carries, for the
    signatures already in the container of `section` (a document's root, or one carried
    year): what the PDF's signature blocks show. Read, not verified: the document is our
    own, being signed (core.signing.chain)."""
    times = {}
    found = {"h": NS, "ds": DS}
    suffix = id_suffix(data_element(section))
    for signature in section.iterfind("h:danhsachchuky/ds:Signature", found):
        moment = signature.findtext(
            "ds:Object/ds:SignatureProperties/ds:SignatureProperty/h:SigningTime",
            namespaces=found,
        )
        if moment:
            sig_id = signature.get("Id", "")
            times[sig_id.removesuffix(suffix) if suffix else sig_id] = dt.datetime.fromisoformat(
                moment
            )
    return times


def signers_from_xml(data: etree._Element) -> tuple[ListedSigner, ...]:
    """The signer list of a document's data element, in its order."""
    return tuple(
        ListedSigner(text(e, "h:vaitro"), text(e, "h:hoten"), text(e, "h:vantaychungthu"))
        for e in data.iterfind("h:danhsachky/h:nguoiky", {"h": NS})
    )


def record_from_xml(root: etree._Element) -> StudentRecord:
    """The data of a student record document's year section, as `build_record` received it."""
    return record_from_data(data_element(root))


def record_from_data(data: etree._Element) -> StudentRecord:
    """The data of one year section (this year's, or a carried one)."""
    t = lambda path, default="": text(data, path, default)  # noqa: E731
    results = data.find("h:ketqua", {"h": NS})
    subjects = tuple(
        SubjectLine(
            text(s, "h:mamonhoc"),
            text(s, "h:tenmonhoc"),
            text(s, "h:hinhthucdanhgia") == "diem",
            text(s, "h:hk1"),
            text(s, "h:hk2"),
            text(s, "h:cannam"),
            text(s, "h:giaovien"),
            text(s, "h:nhanxet"),
        )
        for s in ([] if results is None else results.iterfind("h:monhoc", {"h": NS}))
    )
    replaces = t("h:thaythephienban")
    lookup = None
    if data.find("h:tracuu", {"h": NS}) is not None:
        lookup = Lookup(t("h:tracuu/h:matracuu"), t("h:tracuu/h:mabaomat"), t("h:tracuu/h:diachi"))
    return StudentRecord(
        record_code=t("h:madinhdanhhocba"),
        version=int(t("h:phienban")),
        replaces_version=int(replaces) if replaces else None,
        created=dt.date.fromisoformat(t("h:ngaylap")),
        school=SchoolInfo(
            t("h:truong/h:matruong"),
            t("h:truong/h:tentruong"),
            t("h:truong/h:caphoc"),
            t("h:truong/h:tinhthanh"),
            t("h:truong/h:quanhuyen"),
        ),
        national_id=t("h:hocsinh/h:madinhdanhcanhan"),
        full_name=t("h:hocsinh/h:hovaten"),
        born=dt.date.fromisoformat(t("h:hocsinh/h:ngaysinh")),
        gender=t("h:hocsinh/h:gioitinh"),
        ethnicity=t("h:hocsinh/h:dantoc"),
        birthplace=t("h:hocsinh/h:noisinh"),
        year_name=t("h:namhoc"),
        class_name=t("h:lop"),
        grade=int(t("h:khoi")),
        homeroom=t("h:giaovienchunhiem"),
        principal=t("h:hieutruong"),
        subjects=subjects,
        learning=tuple(t(f"h:ketqua/h:ketquahoctap/h:{k}") for k in ("hk1", "hk2", "cannam")),  # type: ignore[arg-type]
        conduct=tuple(t(f"h:ketqua/h:ketquarenluyen/h:{k}") for k in ("hk1", "hk2", "cannam")),  # type: ignore[arg-type]
        absent_days=int(t("h:ketqua/h:songaynghi", "0")),
        promotion=t("h:ketqua/h:lenlop"),
        title=t("h:ketqua/h:danhhieu") or None,
        homeroom_comment=t("h:nhanxetgvcn"),
        signers=signers_from_xml(data),
        lookup=lookup,
        primary=primary_from_xml(data),
        photo=b64decode(t("h:hocsinh/h:anh")),
    )
