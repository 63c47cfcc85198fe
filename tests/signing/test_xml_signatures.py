"""The record XML: schema on every build (signer list included), the signature profile, the
signer list enforced when signing, all checked by xmlsec1 and by our verifier."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from core.errors import InvalidValue
from core.models.records import SignatureRole
from core.render import xml_record as fmt
from core.render import xml_sheet
from core.signing.trust import Trust, load_roots
from core.signing.xmldsig import insert_signature_value, sign_xml, signed_info_bytes
from tests.signing.conftest import SCHOOL, listed
from tests.signing.oracles import report, signed_record, xmlsec_verify


def _sheet(signers) -> xml_sheet.SubjectSheet:
    return xml_sheet.SubjectSheet(
        SCHOOL,
        "2025-2026",
        "6A",
        "TOAN",
        "Toán",
        "1",
        "Phạm Quốc Bảo",
        (
            xml_sheet.SheetRow(
                1,
                "037213000001",
                "Lê Thị Hồng Nhung",
                (("TX1", "7.0"), ("TX2", "8.0"), ("GK", "7.5"), ("CK", "7.5")),
                "7.5",
            ),
        ),
        listed(signers, "gvbm"),
    )


def test_build_validates_against_the_xsd(record):
    root = fmt.parse_own(fmt.build_record(record))
    assert fmt.record_from_xml(root) == record
    with pytest.raises(InvalidValue):
        fmt.build_record(dataclasses.replace(record, national_id="12345"))


def test_a_record_without_its_signer_list_is_not_built(record):
    """001 Điều 4.1: the signer list is part of the record; the XSD requires it."""
    with pytest.raises(InvalidValue, match="định dạng"):
        fmt.build_record(dataclasses.replace(record, signers=()))


@pytest.mark.xmlsec1
def test_record_chain_verifies_with_xmlsec1_and_ours(record, signers, now, ca_file, tmp_path):
    xml = signed_record(record, signers, now)
    path = tmp_path / "record.xml"
    path.write_bytes(xml)
    roles = ["gvcn", "ht", "dv"]
    ids = [f"chuky-{role}-2025-2026" for role in roles]  # of the record's year section
    assert all(xmlsec_verify(path, ca_file, sig_id) for sig_id in ids)
    found = report(xml, Trust.load([ca_file]), signers)
    assert found.valid, "\n".join(found.lines())
    assert [r.label for r in found.signatures] == ids
    assert [r.role for r in found.signatures] == [SignatureRole(r) for r in roles]
    assert "KẾT LUẬN: mọi chữ ký hợp lệ." in found.lines()


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
        assert not report(tampered, Trust.load([ca_file]), signers).signatures[0].ok


@pytest.mark.xmlsec1
def test_sheet_signed_by_the_subject_teacher(signers, now, ca_file, tmp_path):
    xml = sign_xml(xml_sheet.build_sheet(_sheet(signers)), signers["gvbm"], "chuky-gvbm", now)
    path = tmp_path / "sheet.xml"
    path.write_bytes(xml)
    assert xmlsec_verify(path, ca_file, "chuky-gvbm")
    found = report(xml, Trust.load([ca_file]), signers)
    assert found.valid and not found.record, "\n".join(found.lines())


def test_signing_holds_to_the_signer_list(record, signers, now):
    """Another certificate than the listed one, or a step out of turn, signs nothing."""
    xml = fmt.build_record(record)
    with pytest.raises(InvalidValue, match="không phải chứng thư đã đăng ký"):
        sign_xml(xml, signers["gvbm"], "chuky-gvcn", now)
    with pytest.raises(InvalidValue, match="Chưa đến lượt"):
        sign_xml(xml, signers["ht"], "chuky-ht", now, ["chuky-gvcn"])
    with pytest.raises(InvalidValue, match="không có chữ ký «chuky-gvbm-2025-2026»"):
        sign_xml(xml, signers["gvbm"], "chuky-gvbm", now)


def test_unknown_root_and_deferred_value(record, signers, now, ca, tmp_path):
    """A value signed elsewhere is checked against the certificate before it is stored."""
    xml = sign_xml(fmt.build_record(record), signers["gvcn"], "chuky-gvcn", now)
    found = report(xml, Trust(), signers)
    assert found.signatures[0].certificate_problem and not found.valid
    with pytest.raises(InvalidValue):
        insert_signature_value(xml, "chuky-gvcn", b"\0" * 256, signers["gvcn"].certificate)
    value = signers["gvcn"].key.sign(
        signed_info_bytes(xml, "chuky-gvcn"), padding.PKCS1v15(), hashes.SHA256()
    )
    assert insert_signature_value(xml, "chuky-gvcn", value, signers["gvcn"].certificate)


def test_trust_roots_that_are_not_certificates_are_refused_in_one_line(tmp_path):
    path = tmp_path / "roots.pem"
    path.write_text("not a certificate", encoding="utf-8")
    with pytest.raises(InvalidValue, match="không phải chứng thư số"):
        load_roots([path])
