"""The school, the genuine files and the checks shared by the forgery tests (issue 12, "Bad
input"): tests/hostile/test_verify_{xml,pdf}_forgeries.py, test_verify_uploads.py and
test_verify_front_ends.py.

The school of these tests is registered as a school is: its people's and its seal's
certificates in its register (core.services.certificates), its records of one student issued in
two versions, version 1 replaced by version 2 (the status a verifier reads). Every forgery starts
from the genuine files of that chain and does what a forger with a key, or with none, can do.

Each refusal is checked the same way (`assert_refused`): the reason's Vietnamese words, within
the time and memory bound of tests/hostile/conftest.py, and nothing written: no row and no audit
event, since a file that matches no record reads nothing; a replayed replaced version does match
its record, and reading that record's status is one audit event (every read of personal data
is), which the case declares.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from lxml import etree

from core import clock
from core.errors import InvalidValue
from core.models import (
    AuditEvent,
    IssuedRecord,
    RecordState,
    School,
    SchoolClass,
    SigningCertificate,
    Staff,
    Student,
)
from core.models.records import SignatureRole
from core.render import xml_record as fmt
from core.rules.catalog import SchoolLevel
from core.services import certificates
from core.services.access import Actor
from core.services.issuance.build import data_hash
from core.services.schools import create_school, ensure_year
from core.services.verification import verify_file
from core.signing.chain import countersigned
from core.signing.keys import Signer
from core.signing.trust import Trust
from core.signing.xmldsig import add_signature, scoped
from demo.pki import Issued, issue
from tests.hostile.conftest import bounded
from tests.portal import PORTAL
from tests.signing.conftest import SCHOOL, listed
from tests.signing.oracles import signed_pdf, signed_record

SECONDS = 10.0  # a forged record is refused in well under a second here
PEAK_MIB = 48.0  # Python allocations while verifying one file (the file itself excluded)
OTHER = fmt.SchoolInfo("THCS-KHAC", "Trường THCS Khác", "Trung học cơ sở", "Hà Nam", "Duy Tiên")
CODES = {"gvbm": "GV02", "gvcn": "GV01", "ht": "HT01"}
REPLACED = "Thay thế bởi phiên bản 2: Sửa điểm Toán theo biên bản số 3"
# an external entity: refused by the library, the command line and the bot alike
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE hocba [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<hocba xmlns="urn:hocbaso:hocba:1.0">&xxe;</hocba>"""
THIS_SCHOOL = "không phải của Trường THCS Đại An (THCS-DA)"  # another school's certificate


@pytest.fixture(scope="module")
def other_school(ca: Issued) -> dict[str, Signer]:
    """Valid certificates of another school, from the same trusted CA."""

    def signer(name: str, title: str = "") -> Signer:
        issued = issue(ca, name, OTHER.name, title)
        return Signer(issued.key, issued.certificate, issued.chain)

    return {
        "gvbm": signer("Hoàng Văn Mạnh", "Giáo viên bộ môn"),
        "gvcn": signer("Đinh Thị Lan", "Giáo viên chủ nhiệm"),
        "ht": signer("Vũ Quang Huy", "Hiệu trưởng"),
        "dv": signer(OTHER.name),
    }


# version 1's own lookup (each version has one); version 2 has the record fixture's
V1_LOOKUP = fmt.Lookup("M4RK2VXHQ8ZA", "11223344", PORTAL.address("M4RK2VXHQ8ZA"))


@dataclass
class Kit:
    """The genuine files of the chain, and what a forger may hold."""

    v1: bytes  # the record's version 1: genuine, replaced by v2
    v2: bytes  # the current version
    pdf1: bytes
    pdf2: bytes
    record: fmt.StudentRecord  # v2's data
    signers: dict[str, Signer]
    other: dict[str, Signer]
    now: dt.datetime


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def seed_school(ca: Issued, signers, other_school, record) -> Kit:
    """The school, its register, and its student's record issued twice (v1 replaced), in the
    open database; another school registered with its own seal."""
    school = await create_school(SCHOOL.code, SCHOOL.name, SchoolLevel.LOWER_SECONDARY)
    year = await ensure_year(school, "2025-2026")
    actor = Actor.command_line(school.id)
    for role, code in CODES.items():
        await Staff.create(school=school, code=code, full_name=signers[role].name)
        await certificates.register(actor, code, signers[role].certificate, "pem", [ca.certificate])
    await certificates.register(actor, "SEAL", signers["dv"].certificate, "pem", [ca.certificate])
    other = await create_school(OTHER.code, OTHER.name, SchoolLevel.LOWER_SECONDARY)
    seal = other_school["dv"].certificate
    await certificates.register(Actor.command_line(other.id), "SEAL", seal, "pem", [ca.certificate])
    school_class = await SchoolClass.create(year=year, name="6A", grade=6)
    student = await Student.create(
        school=school,
        national_id=record.national_id,
        full_name=record.full_name,
        born=record.born,
        gender="female",
    )
    now = clock.now()
    v1 = dataclasses.replace(record, version=1, lookup=V1_LOOKUP)
    v2 = dataclasses.replace(
        record,
        version=2,
        replaces_version=1,
        subjects=(dataclasses.replace(record.subjects[0], term1="8.5"), *record.subjects[1:]),
    )
    files = {}
    for data in (v1, v2):
        xml, pdf = signed_record(data, signers, now), await signed_pdf(data, signers, now)
        files[data.version] = (xml, pdf)
        current = data.version == 2
        await IssuedRecord.create(
            student=student,
            year=year,
            school_class=school_class,
            code=data.record_code,
            version=data.version,
            lookup_code=data.lookup.code if data.lookup else None,
            state=RecordState.ISSUED if current else RecordState.REVOKED,
            data_hash=data_hash(xml),
            xml=xml,
            pdf=pdf,
            xml_sha256=_sha256(xml),
            pdf_sha256=_sha256(pdf),
            issued_at=now,
            revoked_at=None if current else now,
            revoked_reason="" if current else REPLACED,
        )
    (v1_xml, v1_pdf), (v2_xml, v2_pdf) = files[1], files[2]
    return Kit(v1_xml, v2_xml, v1_pdf, v2_pdf, v2, signers, other_school, now)


@pytest.fixture
async def kit(sqlite_db: str, ca: Issued, signers, other_school, record) -> Kit:
    return await seed_school(ca, signers, other_school, record)


def another_schools_record(kit: Kit) -> fmt.StudentRecord:
    """The record's data with another school's people and seal as its signer list."""
    return dataclasses.replace(kit.record, signers=listed(kit.other, "gvcn", "ht", "dv"))


# ------------------------------------------------------------------- taking an XML file apart


def tree(xml: bytes) -> etree._Element:
    return fmt.parse_own(xml)


def serialised(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def container(root: etree._Element) -> etree._Element:
    """The element holding the signatures (danhsachchuky)."""
    return root.find(f"{{{fmt.NS}}}danhsachchuky")


def signature(root: etree._Element, sig_id: str) -> etree._Element:
    """The signature of a role's Id (chuky-ht) over the file's data (chuky-ht-2025-2026)."""
    return next(s for s in container(root) if s.get("Id") == scoped(root, sig_id))


def strip(xml: bytes, *ids: str) -> bytes:
    root = tree(xml)
    for sig_id in ids:
        container(root).remove(signature(root, sig_id))
    return serialised(root)


def sign_as(xml: bytes, signer: Signer, role: SignatureRole, now: dt.datetime) -> bytes:
    """A signature in `role`'s place with any key: the XML-DSig step has no list to check."""
    return serialised(add_role_signature(tree(xml), signer, role, now))


def add_role_signature(
    root: etree._Element, signer: Signer, role: SignatureRole | str, now: dt.datetime
) -> etree._Element:
    """The XML-DSig step alone, with the Ids `role` has over this file's data."""
    role_id = role.signature_id if isinstance(role, SignatureRole) else role
    earlier = countersigned(role) if isinstance(role, SignatureRole) else []
    return add_signature(
        root, signer, scoped(root, role_id), now, [scoped(root, s) for s in earlier]
    )


def stripped(kit: Kit) -> bytes:
    """The current record without its principal's and seal's signatures."""
    return strip(kit.v2, "chuky-ht", "chuky-dv")


# ------------------------------------------------------------------------------- the checks


@dataclass(frozen=True)
class Case:
    make: Callable[[Kit], bytes | Awaitable[bytes]]
    says: tuple[str, ...]  # the Vietnamese words of the refusal, in the report or the error
    xmlsec1: str | None = None  # the signature xmlsec1 accepts on its own, if it does
    pdfsig: bool = False  # pdfsig calls every signature valid
    reads_record: bool = False  # matches an issued record: one audited read of its status


async def made(case: Case, kit: Kit) -> bytes:
    """The forged file."""
    data = case.make(kit)
    return await data if inspect.isawaitable(data) else data


async def counts() -> tuple[int, ...]:
    """Audit events, records, certificates and schools: what a verification must not add to."""
    return (
        await AuditEvent.all().count(),
        await IssuedRecord.all().count(),
        await SigningCertificate.all().count(),
        await School.all().count(),
    )


async def verify_bounded(data: bytes, trust: Trust) -> tuple[list[str], bool]:
    """The report's lines (or the refusal), within the time and memory bounds."""
    with bounded(SECONDS, PEAK_MIB):
        try:
            report = await verify_file(data, trust, "test")
        except InvalidValue as refused:
            return [str(refused)], False
    return report.lines(), report.ok


async def assert_refused(case: Case, kit: Kit, ca: Issued) -> None:
    """The forged file is refused, with the case's words, in bounds, writing nothing."""
    data = await made(case, kit)
    before = await counts()
    lines, ok = await verify_bounded(data, Trust((ca.certificate,)))
    text = "\n".join(lines)
    assert not ok, text
    for words in case.says:
        assert words in text, text
    audit, *rows = await counts()
    assert rows == list(before[1:])  # no record, certificate or school written
    assert audit == before[0] + (1 if case.reads_record else 0)
    if case.reads_record:
        event = await AuditEvent.all().order_by("-seq").first()
        assert event.action == "record.verify" and event.after["valid"] is True
