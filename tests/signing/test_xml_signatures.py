"""The record XML: schema on every build, the signature profile, checked by xmlsec1 too."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from core.errors import InvalidValue
from core.models.records import SignatureRole
from core.render import xml_record as fmt
from core.signing.chain import countersigned
from core.signing.trust import load_roots
from core.signing.xml_verify import verify_xml
from core.signing.xmldsig import insert_signature_value, sign_xml, signed_info_bytes
from tests.signing.conftest import SCHOOL, tool

ID_ATTRS = [
    "--id-attr:Id",
    f"{fmt.NS}:dulieuhocba",
    "--id-attr:Id",
    f"{fmt.NS}:dulieubangdiem",
    "--id-attr:Id",
    f"{fmt.DS}:SignatureProperty",
    "--id-attr:Id",
    f"{fmt.DS}:Signature",
]


def xmlsec_verify(path: Path, ca_file: Path, sig_id: str) -> bool:
    result = subprocess.run(
        [
            tool("xmlsec1"),
            "--verify",
            "--trusted-pem",
            str(ca_file),
            *ID_ATTRS,
            "--node-id",
            sig_id,
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


def signed_record(record, signers, now) -> bytes:
    xml = fmt.build_record(record)
    for role in (SignatureRole.HOMEROOM, SignatureRole.PRINCIPAL, SignatureRole.SEAL):
        xml = sign_xml(xml, signers[role.value], role.signature_id, now, countersigned(role))
    return xml


def test_build_validates_against_the_xsd(record):
    root = fmt.parse_own(fmt.build_record(record))
    assert fmt.record_from_xml(root) == record
    with pytest.raises(InvalidValue):
        fmt.build_record(dataclasses.replace(record, national_id="12345"))


@pytest.mark.xmlsec1
def test_record_chain_verifies_with_xmlsec1_and_ours(record, signers, now, ca_file, tmp_path):
    xml = signed_record(record, signers, now)
    path = tmp_path / "record.xml"
    path.write_bytes(xml)
    ids = ["chuky-gvcn", "chuky-ht", "chuky-dv"]
    assert all(xmlsec_verify(path, ca_file, sig_id) for sig_id in ids)
    reports = verify_xml(fmt.parse_untrusted(xml), load_roots([ca_file]))
    assert [r.label for r in reports] == ids
    assert all(r.ok for r in reports)
    assert [r.role for r in reports] == [SignatureRole(i[6:]) for i in ids]


@pytest.mark.xmlsec1
def test_tampering_with_a_mark_or_a_signing_time_fails(record, signers, now, ca_file, tmp_path):
    xml = signed_record(record, signers, now)
    mark = xml.replace(b"<hk1>7.5</hk1>", b"<hk1>9.5</hk1>")
    year = str(now.year).encode()
    time = xml.replace(b"<SigningTime>" + year, b"<SigningTime>" + str(now.year - 1).encode(), 1)
    for tampered in (mark, time):
        assert tampered != xml
        path = tmp_path / "tampered.xml"
        path.write_bytes(tampered)
        assert not xmlsec_verify(path, ca_file, "chuky-gvcn")
        assert not verify_xml(fmt.parse_untrusted(tampered), load_roots([ca_file]))[0].ok


@pytest.mark.xmlsec1
def test_sheet_signed_by_the_subject_teacher(signers, now, ca_file, tmp_path):
    sheet = fmt.SubjectSheet(
        SCHOOL,
        "2025-2026",
        "6A",
        "TOAN",
        "Toán",
        "1",
        "Phạm Quốc Bảo",
        (
            fmt.SheetRow(
                1,
                "037213000001",
                "Lê Thị Hồng Nhung",
                (("TX1", "7.0"), ("TX2", "8.0"), ("GK", "7.5"), ("CK", "7.5")),
                "7.5",
            ),
        ),
    )
    xml = sign_xml(fmt.build_sheet(sheet), signers["gvbm"], "chuky-gvbm", now)
    path = tmp_path / "sheet.xml"
    path.write_bytes(xml)
    assert xmlsec_verify(path, ca_file, "chuky-gvbm")


def test_unknown_root_and_deferred_value(record, signers, now, ca, tmp_path):
    """A value signed elsewhere is checked against the certificate before it is stored."""
    xml = sign_xml(fmt.build_record(record), signers["gvcn"], "chuky-gvcn", now)
    reports = verify_xml(fmt.parse_untrusted(xml), [])
    assert reports[0].certificate_problem and not reports[0].ok
    with pytest.raises(InvalidValue):
        insert_signature_value(xml, "chuky-gvcn", b"\0" * 256, signers["gvcn"].certificate)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    value = signers["gvcn"].key.sign(
        signed_info_bytes(xml, "chuky-gvcn"), padding.PKCS1v15(), hashes.SHA256()
    )
    assert insert_signature_value(xml, "chuky-gvcn", value, signers["gvcn"].certificate)
