"""Revocation (001 Điều 15c, "chứng thư số hợp lệ"): a certificate revoked at or before its
signature's time makes it invalid; one revoked later does not (it was valid when it signed);
without a CRL of its issuer the report says revocation was not checked, and OCSP is skipped,
saying so. The CRL files come from `[trust] crls`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from core.signing.trust import Trust
from demo.pki import Issued, make_ca
from tests.hostile.test_configuration import hocba
from tests.signing.oracles import report, signed_record


def _crl(ca: Issued, revoked: x509.Certificate, at: dt.datetime) -> x509.CertificateRevocationList:
    entry = (
        x509.RevokedCertificateBuilder()
        .serial_number(revoked.serial_number)
        .revocation_date(at)
        .build()
    )
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + dt.timedelta(days=7))
        .add_revoked_certificate(entry)
        .sign(ca.key, hashes.SHA256())
    )


def test_revoked_before_signing_is_invalid_after_is_not(record, signers, ca, ca_file, tmp_path):
    signed_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    xml = signed_record(record, signers, signed_at)
    principal = signers["ht"].certificate
    before, after = tmp_path / "before.crl", tmp_path / "after.der"
    before.write_bytes(
        _crl(ca, principal, signed_at - dt.timedelta(minutes=5)).public_bytes(Encoding.PEM)
    )
    after.write_bytes(
        _crl(ca, principal, signed_at + dt.timedelta(minutes=5)).public_bytes(Encoding.DER)
    )

    revoked = report(xml, Trust.load([ca_file], [before]), signers)
    assert not revoked.valid
    problem = revoked.signatures[1].certificate_problem or ""
    assert "Trần Đức Thắng" in problem and "đã bị thu hồi từ" in problem
    assert [s.ok for s in revoked.signatures] == [True, False, True]

    later = report(xml, Trust.load([ca_file], [after]), signers)
    assert later.valid, "\n".join(later.lines())
    assert all("thu hồi: đã kiểm tra theo CRL" in s.notes[0] for s in later.signatures)

    unchecked = report(xml, Trust.load([ca_file]), signers)
    assert unchecked.valid
    assert (
        "thu hồi chưa kiểm tra: không có CRL của «CA thử nghiệm Học bạ số»"
        in (unchecked.signatures[0].notes[0])
    )
    assert "OCSP bỏ qua (chưa cấu hình)" in unchecked.signatures[0].notes[0]


def test_a_crl_that_its_issuer_did_not_sign_is_not_believed(record, signers, ca, ca_file, tmp_path):
    """A CRL forged by someone else, listing nobody: revocation stays unchecked, not "checked"."""
    xml = signed_record(record, signers, dt.datetime.now(dt.UTC))
    impostor = make_ca()  # the same name as the trusted CA, another key
    forged = tmp_path / "forged.crl"
    empty = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(dt.datetime.now(dt.UTC))
        .next_update(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        .sign(impostor.key, hashes.SHA256())
    )
    forged.write_bytes(empty.public_bytes(Encoding.PEM))
    checked = report(xml, Trust.load([ca_file], [forged]), signers)
    assert all("thu hồi chưa kiểm tra" in s.notes[0] for s in checked.signatures)


async def test_hocba_verify_reads_the_configured_crls(
    record, signers, ca, ca_file, sqlite_db: str, tmp_path: Path
) -> None:
    xml = tmp_path / "hocba.xml"
    signed_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    xml.write_bytes(signed_record(record, signers, signed_at))
    crl = tmp_path / "ca.crl"
    revoked_at = signed_at - dt.timedelta(minutes=5)
    crl.write_bytes(_crl(ca, signers["ht"].certificate, revoked_at).public_bytes(Encoding.PEM))
    env = {
        "HOCBA_DATABASE_URL": sqlite_db,
        "HOCBA_TRUST_ROOTS": str(ca_file),
        "HOCBA_TRUST_CRLS": str(crl),
        "HOCBA_STORAGE_DIR": str(tmp_path / "files"),
        "HOCBA_WORKERS_PROCESSES": "1",
    }
    ran = hocba(tmp_path, env, "verify", str(xml))
    assert ran.code == 1 and "đã bị thu hồi từ" in ran.out, ran.out + ran.err
    not_a_crl = tmp_path / "not.crl"
    not_a_crl.write_text("không phải CRL", encoding="utf-8")
    ran = hocba(tmp_path, {**env, "HOCBA_TRUST_CRLS": str(not_a_crl)}, "verify", str(xml))
    # A configured file that is not a CRL is a configuration error (exit 2), found before the
    # record is read, in one line naming the file and where it is configured.
    assert ran.code == 2 and ran.out == "", ran
    (line,) = ran.err.splitlines()
    assert f"HOCBA_TRUST_CRLS: tệp {not_a_crl} không phải danh sách thu hồi chứng thư" in line
    assert line.endswith("kiểm tra đường dẫn trong [trust] crls."), line
